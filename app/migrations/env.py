"""Alembic environment: runs inside the Flask app (Flask-Migrate) with the app's engine."""

import logging
from contextlib import nullcontext
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.engine import Connection

config = context.config
if not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db

# Full-text search structures are written by hand in the migrations, per engine (FTS5 tables and
# their triggers on SQLite, pg_trgm indexes on PostgreSQL), and so are the "one flagged row per
# group" indexes of core/partial_unique.py; autogenerate must leave them alone.
HAND_MADE_PREFIXES = ("fts_", "trgm_", "one_")


def include_object(obj, name, type_, reflected, compare_to):
    return not (name or "").startswith(HAND_MADE_PREFIXES)


def run_migrations_offline() -> None:
    context.configure(
        url=str(target_db.engine.url), target_metadata=target_db.metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(context, revision, directives):
        # An autogenerate run that finds no change writes no empty revision.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("include_object", include_object)
    bind = target_db.engine
    # Tests run the check on a connection that is already inside their transaction.
    connection_cm = nullcontext(bind) if isinstance(bind, Connection) else bind.connect()
    with connection_cm as connection:
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
