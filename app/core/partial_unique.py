""" "At most one flagged row per group" (one primary contact per customer), per engine, made by the
migrations.

SQLite and PostgreSQL: a partial unique index ``ON table (group) WHERE flag``. MariaDB has no
partial indexes: a stored generated column holds the group id on flagged rows and NULL elsewhere,
and carries a unique index (NULLs never clash). Index and column names start with ``one_``, which
autogenerate ignores (see migrations/env.py); the models do not declare them.

On SQLite, a later ``batch_alter_table`` on such a table rebuilds it: drop the index first and
create it again afterwards.
"""

from __future__ import annotations


def index_name(table: str, flag: str) -> str:
    return f"one_{table}_{flag}"


def create(op, table: str, group: str, flag: str, group_type: str = "INTEGER") -> None:
    """``group_type``: the SQL type of the group column, for MariaDB's generated column."""
    name = index_name(table, flag)
    dialect = op.get_bind().dialect.name
    if dialect in ("mysql", "mariadb"):
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {name}_key {group_type} AS (IF({flag}, {group}, NULL)) STORED, "
            f"ADD UNIQUE INDEX {name} ({name}_key)"
        )
    else:
        op.execute(f"CREATE UNIQUE INDEX {name} ON {table} ({group}) WHERE {flag}")


def drop(op, table: str, flag: str) -> None:
    name = index_name(table, flag)
    dialect = op.get_bind().dialect.name
    if dialect in ("mysql", "mariadb"):
        op.execute(f"ALTER TABLE {table} DROP INDEX {name}, DROP COLUMN {name}_key")
    else:
        op.execute(f"DROP INDEX IF EXISTS {name}")
