"""Sequential record codes such as C000123: the next number after the highest one in use."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db


def next_code(column: sa.Column, prefix: str, width: int = 6) -> str:
    """The code after the highest ``prefix`` + ``width`` digits in ``column`` (typed codes of another
    shape are skipped; soft-deleted rows keep their codes, so a code is never handed out twice)."""
    pattern = re.compile(rf"{re.escape(prefix)}\d{{{width}}}")
    low, high = prefix + "0" * width, prefix + "9" * width
    highest = db.session.scalars(
        sa.select(column).where(column >= low, column <= high).order_by(column.desc()).limit(100)
    )
    for code in highest:
        if pattern.fullmatch(code):
            return f"{prefix}{int(code[len(prefix) :]) + 1:0{width}d}"
    return f"{prefix}{1:0{width}d}"
