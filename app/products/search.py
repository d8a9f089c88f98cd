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
FTS = sa.table(FTS_TABLE, sa.column("rowid"))
FTS_OPTION = "erp_fts_joined"
MODEL_PREFIX_LETTERS = 6  # a word of letters only, up to this long, may also start a model


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


def _fts_phrase(words: list[str]) -> str:
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


def joins_fts(query: sa.Select) -> bool:
    """Whether ``query`` reads the full-text table (apply_search joined it and said so in an
    execution option, which is cheaper to read than the query's compiled FROM list)."""
    return bool(query.get_execution_options().get(FTS_OPTION))


def _is_model_word(word: str) -> bool:
    key = model_key(word)
    return bool(key) and key.isascii() and key.isalnum()


def apply_search(query: sa.Select, q: str) -> sa.Select:
    """Narrow ``query`` to the products matching the typed text.

    Latin letters and digits typed in pieces form one model: "NU 2208 ECP" and "6204 2rs" are
    NU2208ECP and 6204-2RS. The model runs from the first piece to the last piece with a digit,
    plus short trailing pieces (suffixes such as "2rs", "ecp", "c3"); other words are looked for
    in the names (or, for up to six letters, also as the start of a model: "ucp", "nu"; series
    prefixes are short, and a longer word such as "cylindrical" is a name).
    """
    words = normalize(q).split()
    brand_ids: list[int] = []
    rest: list[str] = []
    for word in words:
        ids = _brand_ids(word) if not any(ch.isdigit() for ch in word) else []
        if ids:
            brand_ids.extend(ids)
        else:
            rest.append(word)
    conditions: list[sa.ColumnElement[bool]] = []
    model_words = [w for w in rest if _is_model_word(w)]
    with_digits = [i for i, w in enumerate(model_words) if any(ch.isdigit() for ch in w)]
    used: set[str] = set()
    if with_digits:
        end = with_digits[-1] + 1
        while end < len(model_words) and len(model_key(model_words[end])) <= 4:
            end += 1
        joined = model_words[:end]
        conditions.append(model_prefix("".join(model_key(w) for w in joined)))
        used.update(joined)
    name_words = []
    for word in rest:
        if word in used:
            continue
        if _is_model_word(word) and (len(word) <= MODEL_PREFIX_LETTERS or not word.isalpha()):
            conditions.append(sa.or_(model_prefix(model_key(word)), name_contains(word)))
        else:
            name_words.append(word)
    if name_words and db.session.get_bind().dialect.name == "sqlite" and all(len(w) >= 3 for w in name_words):
        # Joined rather than "id IN (matches)": SQLite then walks the index's matches in rowid
        # (= product id) order and stops after a page, where IN first collects every match
        # (a third of a million products contain "深沟球"). See ``joins_fts`` and the list's id order.
        query = (
            query.join(FTS, FTS.c.rowid == Product.id)
            .where(sa.text(f"{FTS_TABLE} MATCH :fts_phrase").bindparams(fts_phrase=_fts_phrase(name_words)))
            .execution_options(**{FTS_OPTION: True})
        )
    else:
        conditions.extend(name_contains(word) for word in name_words)
    if brand_ids:
        conditions.append(Product.brand_id.in_(brand_ids))
    if not conditions:
        return query
    return query.where(*conditions)
