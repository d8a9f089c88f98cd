"""Finding customers the way people type them: code, name or phone.

The typed text matches a customer when any of these holds:
- its code starts with it ("c0001" finds C000123; full-width and case do not matter);
- its name starts with it, compared on the stored ``name_key`` (case, full-width and spaces folded);
- every word of it occurs in the name or a contact's name, through the full-text index
  (FTS5 trigrams on SQLite, pg_trgm on PostgreSQL, a scan on MariaDB);
- it looks like a phone number and the digits of the phone start with its digits
  ("021-5888", "0215888" and "021 5888" are the same search).
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from app.core import fulltext
from app.core.text import digits, name_key, prefix_range
from app.customers.models import Customer

PHONE_LIKE = re.compile(r"[\d\s()+\-./]+")
CODE_LIKE = re.compile(r"[A-Z0-9._/\-]+")


def code_key(text: str) -> str:
    """A code as stored: NFKC, upper case, no spaces."""
    return "".join(unicodedata.normalize("NFKC", text or "").upper().split())


def _starts_with(column, key: str) -> sa.ColumnElement[bool]:
    low, high = prefix_range(key)
    return sa.and_(column >= low, column < high)


def matches(q: str) -> sa.ColumnElement[bool] | None:
    """The condition for customers matching ``q``, or None when ``q`` holds nothing to search for."""
    key = name_key(q)
    if not key:
        return None
    conditions = [_starts_with(Customer.name_key, key)]
    code = code_key(q)
    if CODE_LIKE.fullmatch(code):
        conditions.append(_starts_with(Customer.code, code))
    words = key.split()
    conditions.append(sa.and_(*(fulltext.contains(Customer.search_text, Customer.id, w) for w in words)))
    folded = unicodedata.normalize("NFKC", q)
    phone = digits(folded)
    if len(phone) >= 3 and PHONE_LIKE.fullmatch(folded.strip()):
        conditions.append(_starts_with(Customer.phone_key, phone))
    return sa.or_(*conditions)


def apply_search(query: sa.Select, q: str) -> sa.Select:
    """Narrow ``query`` to the customers matching the typed text."""
    condition = matches(q)
    return query if condition is None else query.where(condition)
