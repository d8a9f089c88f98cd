"""Full-text indexes for "contains" searches, per engine, created by the migrations.

SQLite: an FTS5 table with the trigram tokenizer over one text column, kept in step by triggers.
PostgreSQL: a pg_trgm GIN index on the column, which serves ``LIKE '%…%'``. MariaDB: none (the
search scans, correctly). Names start with ``fts_`` / ``trgm_``, which autogenerate ignores.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.core.listing import contains_pattern
from app.extensions import db


def create(op, table: str, column: str) -> None:
    dialect = op.get_bind().dialect.name
    fts = f"fts_{table}"
    if dialect == "sqlite":
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', content_rowid='id', "
            "tokenize='trigram')"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {column} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
            f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX trgm_{table}_{column} ON {table} USING gin ({column} gin_trgm_ops)")


def drop(op, table: str, column: str) -> None:
    dialect = op.get_bind().dialect.name
    fts = f"fts_{table}"
    if dialect == "sqlite":
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
    elif dialect == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS trgm_{table}_{column}")


def contains(column: sa.Column, id_column: sa.Column, text: str) -> sa.ColumnElement[bool]:
    """Rows whose ``column`` contains ``text`` (normalised like the column), through the full-text
    index the migration made for it where the engine has one.

    FTS5 trigrams need three characters; shorter words, and other engines, use LIKE (which
    pg_trgm's index serves on PostgreSQL and which scans, correctly, on MariaDB).
    """
    if db.session.get_bind().dialect.name == "sqlite" and len(text) >= 3:
        fts = f"fts_{column.table.name}"
        phrase = '"' + text.replace('"', '""') + '"'
        matches = (
            sa.select(sa.column("rowid"))
            .select_from(sa.table(fts))
            .where(sa.text(f"{fts} MATCH :phrase").bindparams(sa.bindparam("phrase", phrase, unique=True)))
        )
        return id_column.in_(matches)
    return column.like(contains_pattern(text), escape="\\")
