"""Finding suppliers the way people type them: code, name or phone (the rules of customers/search.py).

The typed text matches a supplier when its code or folded name starts with it, when every word of
it occurs in the name or a contact's name (full-text index), or when it looks like a phone number
whose digits start the phone's digits.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from app.core import fulltext
from app.core.text import digits, name_key, prefix_range
from app.suppliers.models import Supplier

PHONE_LIKE = re.compile(r"[\d\s()+\-./]+")
CODE_LIKE = re.compile(r"[A-Z0-9._/\-]+")


def code_key(text: str) -> str:
    """A code as stored: NFKC, upper case, no spaces."""
    return "".join(unicodedata.normalize("NFKC", text or "").upper().split())


def _starts_with(column, key: str) -> sa.ColumnElement[bool]:
    low, high = prefix_range(key)
    return sa.and_(column >= low, column < high)


def matches(q: str) -> sa.ColumnElement[bool] | None:
    """The condition for suppliers matching ``q``, or None when ``q`` holds nothing to search for."""
    key = name_key(q)
    if not key:
        return None
    conditions = [_starts_with(Supplier.name_key, key)]
    code = code_key(q)
    if CODE_LIKE.fullmatch(code):
        conditions.append(_starts_with(Supplier.code, code))
    conditions.append(sa.and_(*(fulltext.contains(Supplier.search_text, Supplier.id, w) for w in key.split())))
    folded = unicodedata.normalize("NFKC", q)
    phone = digits(folded)
    if len(phone) >= 3 and PHONE_LIKE.fullmatch(folded.strip()):
        conditions.append(_starts_with(Supplier.phone_key, phone))
    return sa.or_(*conditions)


def apply_search(query: sa.Select, q: str) -> sa.Select:
    """Narrow ``query`` to the suppliers matching the typed text."""
    condition = matches(q)
    return query if condition is None else query.where(condition)
