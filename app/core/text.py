"""Normalised keys for searching and uniqueness: case, full-/half-width and spacing do not matter.

``normalize`` folds text the way people mean it: "ＳＫＦ  轴承" and "skf 轴承" are the same.
``model_key`` goes further for part numbers, where separators are noise: "6204-2RS", "6204 2rs"
and "62042RS" are one model. ``name_key`` is the key of a company name: Chinese does not separate
words, so spaces beside Chinese characters are dropped ("上海 恒通 轴承" = "上海恒通轴承"), while
spaces between Latin words are collapsed but kept ("Hengtong  Bearing" = "hengtong bearing", not
"hengtongbearing"). ``digits`` keeps the digits of a phone number.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z\u3400-\u9fff]+")
_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_BESIDE_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")


def normalize(text: str | None) -> str:
    """NFKC (full-width to half-width), case-folded, trimmed, inner whitespace collapsed."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def clean(text: str | None) -> str:
    """What to store from a free-text field: NFKC-folded and with spacing tidied, case kept."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def model_key(text: str | None) -> str:
    """Upper-case letters, digits and CJK only: "6204-2RS" → "62042RS"."""
    if not text:
        return ""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text).upper())


def name_key(text: str | None) -> str:
    """``normalize``, then no spaces beside Chinese characters: "上海 恒通 ＡＢＣ 公司" → "上海恒通abc公司"."""
    return _SPACE_BESIDE_CJK.sub("", normalize(text))


def digits(text: str | None) -> str:
    if not text:
        return ""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())


def prefix_range(key: str) -> tuple[str, str]:
    """Bounds (low, high) such that low <= x < high holds exactly for the strings starting with key.

    A range uses a plain B-tree index on every engine, unlike LIKE 'key%' (which SQLite's
    case-insensitive LIKE and PostgreSQL's non-C collations keep from using one).
    """
    return key, key[:-1] + chr(ord(key[-1]) + 1)
