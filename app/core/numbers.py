"""Document numbers: stored, per document type and year, allocated safely under concurrency.

A number is PREFIX + year + "-" + a zero-padded sequence, e.g. QT2026-000123. Each (type, year)
has one counter row; allocating takes that row's lock (an UPDATE … counter = counter + 1, which
every engine serialises), so two people saving at the same moment never get the same number.
Numbers may have gaps (a rolled-back document gives its number up), never duplicates: the
documents' own unique constraints guard that too.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import utcnow
from app.extensions import db

WIDTH = 6


class DocumentCounter(db.Model):
    __tablename__ = "document_counters"

    doc_type: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


def _insert_missing(doc_type: str, year: int) -> None:
    table = DocumentCounter.__table__
    dialect = db.session.get_bind().dialect.name
    values = {"doc_type": doc_type, "year": year, "last_value": 0}
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        statement = insert(table).values(**values).on_conflict_do_nothing()
    elif dialect in ("mysql", "mariadb"):
        from sqlalchemy.dialects.mysql import insert

        # A no-op update on a duplicate key: the row exists, nothing changes.
        statement = insert(table).values(**values).on_duplicate_key_update(last_value=table.c.last_value)
    else:
        from sqlalchemy.dialects.sqlite import insert

        statement = insert(table).values(**values).on_conflict_do_nothing()
    db.session.execute(statement)


def next_number(prefix: str, when: datetime | None = None) -> str:
    """Allocate the next number for documents whose numbers start with ``prefix`` (e.g. "QT")."""
    # The company's year, not UTC's: a document made on 1 January 07:00 in Shanghai is next year's.
    year = (when or utcnow()).astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).year
    table = DocumentCounter.__table__
    _insert_missing(prefix, year)
    db.session.execute(
        sa.update(table)
        .where(table.c.doc_type == prefix, table.c.year == year)
        .values(last_value=table.c.last_value + 1)
    )
    value = db.session.scalar(sa.select(table.c.last_value).where(table.c.doc_type == prefix, table.c.year == year))
    return f"{prefix}{year}-{value:0{WIDTH}d}"
