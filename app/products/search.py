"""Finding products the way people type them.

A query is split into words. A word naming a brand ("skf", "ＳＫＦ") limits the brand. A word with a
digit is a model: its normalised key must start the product's model key, so "6204-2rs", "6204 2RS"
and "62042RS" all find SKF 6204-2RS (a B-tree range scan on ``model_key``). Other words are looked
for inside the names, through the engine's full-text index: FTS5 with trigrams on SQLite, pg_trgm
on PostgreSQL, and a plain (slower, still correct) scan on MariaDB.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.core.listing import contains_pattern
from app.core.text import model_key, normalize, prefix_range
from app.extensions import db
from app.products.models import Brand, Product

FTS_TABLE = "fts_products"


def _brand_ids(word: str) -> list[int]:
    key = Brand.key_for(word)
    if not key:
        return []
    return list(db.session.scalars(sa.select(Brand.id).where(Brand.name_key == key)))


def model_prefix(key: str) -> sa.ColumnElement[bool]:
    low, high = prefix_range(key)
    return sa.and_(Product.model_key >= low, Product.model_key < high)


def name_contains(text: str) -> sa.ColumnElement[bool]:
    """Names containing ``text`` (already normalised), through the full-text index where there is one."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite" and len(text) >= 3:
        phrase = '"' + text.replace('"', '""') + '"'
        matches = (
            sa.select(sa.column("rowid"))
            .select_from(sa.table(FTS_TABLE))
            .where(sa.text(f"{FTS_TABLE} MATCH :phrase").bindparams(phrase=phrase))
        )
        return Product.id.in_(matches)
    # PostgreSQL: LIKE on search_text is served by its pg_trgm GIN index; elsewhere it scans.
    return Product.search_text.like(contains_pattern(text), escape="\\")


def apply_search(query: sa.Select, q: str) -> sa.Select:
    """Narrow ``query`` to the products matching the typed text."""
    words = normalize(q).split()
    conditions: list[sa.ColumnElement[bool]] = []
    brand_ids: list[int] = []
    for word in words:
        ids = _brand_ids(word)
        if ids and not any(ch.isdigit() for ch in word):
            brand_ids.extend(ids)
            continue
        key = model_key(word)
        if any(ch.isdigit() for ch in word) and key:
            conditions.append(model_prefix(key))
        elif key and key.isascii() and key.isalnum():
            # Letters only ("ucp", "nu"): a model prefix or a word in the names.
            conditions.append(sa.or_(model_prefix(key), name_contains(word)))
        else:
            conditions.append(name_contains(word))
    if brand_ids:
        conditions.append(Product.brand_id.in_(brand_ids))
    if not conditions:
        return query
    return query.where(*conditions)
