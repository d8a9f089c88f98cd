"""Lines pasted from a spreadsheet into a stock document.

Warehouse staff keep their lists in Excel; copying cells gives tab-separated rows. Each row is
``[brand] model location quantity [extra]`` where *extra* is the receiving location of a transfer
or the unit cost of opening stock. The brand column is optional: it is there when a row has one
column more than needed. A first row whose quantity is not a number is taken as the header.
Models are matched with or without separators ("6204-2RS" = "62042RS"); a model sold under
several brands needs its brand. Nothing is saved here: the rows go into the form for review.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.money import to_decimal
from app.core.text import model_key, normalize
from app.extensions import db
from app.inventory.models import DocType
from app.inventory.services import normalize_code
from app.products.models import Brand, Product


@dataclass
class PastedLine:
    product_id: int
    location: str
    quantity: Decimal
    to_location: str = ""
    unit_cost: Decimal | None = None


@dataclass
class PasteResult:
    lines: list[PastedLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _cells(row: str) -> list[str]:
    if "\t" in row:
        return [unicodedata.normalize("NFKC", c).strip() for c in row.split("\t")]
    # Typed by hand: commas, semicolons or runs of spaces separate the cells.
    return [c for c in (unicodedata.normalize("NFKC", x).strip() for x in re.split(r"[,;，；]|\s+", row)) if c]


def _number(text: str) -> Decimal | None:
    try:
        return to_decimal(text) if text else None
    except ValueError:
        return None


def parse(text: str, doc_type: DocType, *, limit: int) -> PasteResult:
    result = PasteResult()
    extra = doc_type in (DocType.TRANSFER, DocType.OPENING)
    needed = 4 if extra else 3
    rows: list[tuple[int, str, str, str, str, str]] = []  # row number, brand, model, location, qty, extra
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        cells = _cells(raw)
        while cells and not cells[-1] and len(cells) > needed:
            cells.pop()
        if doc_type == DocType.OPENING and len(cells) == needed - 1:
            cells.append("")  # the unit cost may be left out
        if len(cells) == needed:
            cells = ["", *cells]
        if len(cells) != needed + 1:
            result.errors.append(
                _("Row %(n)d: expected %(count)d columns, found %(found)d.", n=number, count=needed, found=len(cells))
            )
            continue
        brand, model, location, qty, *rest = cells
        if _number(qty) is None and not rows and not result.errors:
            continue  # a header row
        rows.append((number, brand, model, location, qty, rest[0] if rest else ""))
    if len(rows) > limit:
        result.errors.append(_("At most %(n)d lines can be pasted at once.", n=limit))
        return result

    keys = {model_key(r[2]) for r in rows if r[2]}
    candidates: dict[str, list[tuple[int, str, str]]] = {}
    if keys:
        query = (
            sa.select(Product.id, Product.model_key, Brand.name, Brand.name_zh)
            .join(Brand, Brand.id == Product.brand_id)
            .where(Product.model_key.in_(keys), Product.deleted_at.is_(None))
        )
        for pid, key, brand_name, brand_zh in db.session.execute(query):
            candidates.setdefault(key, []).append((pid, normalize(brand_name), normalize(brand_zh or "")))

    for number, brand, model, location, qty, more in rows:
        matches = candidates.get(model_key(model), [])
        if brand:
            wanted = normalize(brand)
            matches = [m for m in matches if wanted in (m[1], m[2])]
        if not model:
            result.errors.append(_("Row %(n)d: the model is empty.", n=number))
            continue
        if not matches:
            label = f"{brand} {model}".strip()
            result.errors.append(_("Row %(n)d: no product %(model)s.", n=number, model=label))
            continue
        if len(matches) > 1:
            result.errors.append(
                _("Row %(n)d: %(model)s is sold under several brands; add the brand.", n=number, model=model)
            )
            continue
        quantity = _number(qty)
        if quantity is None:
            result.errors.append(_("Row %(n)d: the quantity %(value)s is not a number.", n=number, value=qty))
            continue
        line = PastedLine(product_id=matches[0][0], location=normalize_code(location), quantity=quantity)
        if doc_type == DocType.TRANSFER:
            line.to_location = normalize_code(more)
        elif doc_type == DocType.OPENING and more:
            line.unit_cost = _number(more)
            if line.unit_cost is None:
                result.errors.append(_("Row %(n)d: the unit cost %(value)s is not a number.", n=number, value=more))
                continue
        result.lines.append(line)
    return result
