"""Check the stock figures against the ledger, and repair them (``flask stock verify [--repair]``).

``stock_moves`` is the source of truth. Every ``stock_balances`` row must hold the sum of its
moves, every ``stock_levels`` row the sum of its warehouse's moves as on hand and the sum of its
``stock_reservations`` as reserved. The comparison runs in the database and returns only the rows
that differ, so it stays cheap on a million balances.

A repair recomputes the differing rows under the same locks as a posting (products, then levels,
then balances, in that order; ``BEGIN IMMEDIATE`` on SQLite), so it cannot race a posting, and
writes the ledger's figures in one transaction. It then re-evaluates low-stock alerts for the
products it touched, as a posting would.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from app.core.db import begin_write, utcnow
from app.extensions import db
from app.inventory import lowstock, posting
from app.inventory.models import Location, StockBalance, StockLevel, StockMove, StockReservation, Warehouse
from app.products.models import Brand, Product

log = logging.getLogger(__name__)

ZERO = Decimal(0)
# SQLite keeps these numbers as binary floats: sums may be off in the 15th digit. Quantities have
# three decimals, so anything under half a thousandth is no difference (exact engines never get one).
TOLERANCE = Decimal("0.0005")


class Kind(enum.StrEnum):
    BALANCE = "balance_on_hand"  # stock_balances.on_hand vs Σ moves of the location
    LEVEL = "level_on_hand"  # stock_levels.on_hand vs Σ moves of the warehouse
    RESERVED = "level_reserved"  # stock_levels.reserved vs Σ reservations of the warehouse


@dataclass(frozen=True)
class Difference:
    kind: Kind
    product_id: int
    warehouse_id: int
    location_id: int | None
    stored: Decimal | None  # None: the row is missing
    expected: Decimal

    @property
    def delta(self) -> Decimal:
        return (self.stored or ZERO) - self.expected


def _differs(stored, expected) -> sa.ColumnElement[bool]:
    return sa.func.abs(stored - sa.func.coalesce(expected, 0)) > TOLERANCE


def _only(column, product_ids: list[int] | None) -> sa.ColumnElement[bool]:
    return sa.true() if product_ids is None else column.in_(product_ids)


def _balance_differences(product_ids: list[int] | None) -> list[Difference]:
    moves, balances = StockMove.__table__, StockBalance.__table__
    ledger = (
        sa.select(
            moves.c.product_id,
            moves.c.warehouse_id,
            moves.c.location_id,
            sa.func.sum(moves.c.quantity).label("total"),
        )
        .where(_only(moves.c.product_id, product_ids))
        .group_by(moves.c.product_id, moves.c.warehouse_id, moves.c.location_id)
        .subquery()
    )
    same_place = sa.and_(
        ledger.c.product_id == balances.c.product_id,
        ledger.c.warehouse_id == balances.c.warehouse_id,
        ledger.c.location_id == balances.c.location_id,
    )
    stored = db.session.execute(
        sa.select(
            balances.c.product_id, balances.c.warehouse_id, balances.c.location_id, balances.c.on_hand, ledger.c.total
        )
        .select_from(balances.outerjoin(ledger, same_place))
        .where(_only(balances.c.product_id, product_ids), _differs(balances.c.on_hand, ledger.c.total))
    )
    found = [Difference(Kind.BALANCE, p, w, loc, on_hand, _dec(total)) for p, w, loc, on_hand, total in stored]
    missing = db.session.execute(
        sa.select(ledger.c.product_id, ledger.c.warehouse_id, ledger.c.location_id, ledger.c.total)
        .select_from(ledger.outerjoin(balances, same_place))
        .where(balances.c.id.is_(None), sa.func.abs(ledger.c.total) > TOLERANCE)
    )
    found += [Difference(Kind.BALANCE, p, w, loc, None, _dec(total)) for p, w, loc, total in missing]
    return found


def _level_differences(
    kind: Kind, source: sa.Table, quantity: sa.Column, column: str, product_ids: list[int] | None
) -> list[Difference]:
    levels = StockLevel.__table__
    expected = (
        sa.select(source.c.product_id, source.c.warehouse_id, sa.func.sum(quantity).label("total"))
        .where(_only(source.c.product_id, product_ids))
        .group_by(source.c.product_id, source.c.warehouse_id)
        .subquery()
    )
    same_pair = sa.and_(expected.c.product_id == levels.c.product_id, expected.c.warehouse_id == levels.c.warehouse_id)
    stored = db.session.execute(
        sa.select(levels.c.product_id, levels.c.warehouse_id, levels.c[column], expected.c.total)
        .select_from(levels.outerjoin(expected, same_pair))
        .where(_only(levels.c.product_id, product_ids), _differs(levels.c[column], expected.c.total))
    )
    found = [Difference(kind, p, w, None, value, _dec(total)) for p, w, value, total in stored]
    missing = db.session.execute(
        sa.select(expected.c.product_id, expected.c.warehouse_id, expected.c.total)
        .select_from(expected.outerjoin(levels, same_pair))
        .where(levels.c.id.is_(None), sa.func.abs(expected.c.total) > TOLERANCE)
    )
    found += [Difference(kind, p, w, None, None, _dec(total)) for p, w, total in missing]
    return found


def _dec(value) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(posting.QTY_QUANTUM)


def find_differences(product_ids: Iterable[int] | None = None) -> list[Difference]:
    """Every stock figure that does not match the ledger (of ``product_ids``, or of all products)."""
    ids = sorted(set(product_ids)) if product_ids is not None else None
    moves, reservations = StockMove.__table__, StockReservation.__table__
    found = _balance_differences(ids)
    found += _level_differences(Kind.LEVEL, moves, moves.c.quantity, "on_hand", ids)
    found += _level_differences(Kind.RESERVED, reservations, reservations.c.quantity, "reserved", ids)
    order = list(Kind)
    found.sort(key=lambda d: (d.product_id, d.warehouse_id, order.index(d.kind), d.location_id or 0))
    return found


def repair(differences: list[Difference]) -> list[Difference]:
    """Write the ledger's figures into the rows that differ, under the posting locks; return what
    was repaired (found again under the locks: a posting in between may have changed the rows)."""
    if not differences:
        return []
    begin_write(db.session)
    product_ids = sorted({d.product_id for d in differences})
    # The posting's own locking. First the products: nothing can change their stock from here on,
    # so the figures read now are final.
    state = posting._lock(product_ids, ())
    fresh = find_differences(product_ids)
    # Then their levels and balances, in the posting's order, creating the rows that are missing.
    posting._lock(
        product_ids,
        {(d.product_id, d.warehouse_id) for d in fresh},
        {(d.product_id, d.warehouse_id, d.location_id) for d in fresh if d.location_id is not None},
    )
    now = utcnow()
    levels, balances = StockLevel.__table__, StockBalance.__table__
    for d in fresh:
        if d.kind == Kind.BALANCE:
            where = sa.and_(
                balances.c.product_id == d.product_id,
                balances.c.warehouse_id == d.warehouse_id,
                balances.c.location_id == d.location_id,
            )
            db.session.execute(sa.update(balances).where(where).values(on_hand=d.expected, updated_at=now))
        else:
            column = "on_hand" if d.kind == Kind.LEVEL else "reserved"
            where = sa.and_(levels.c.product_id == d.product_id, levels.c.warehouse_id == d.warehouse_id)
            db.session.execute(sa.update(levels).where(where).values({column: d.expected, "updated_at": now}))
    lowstock.check(
        {pid: lowstock.Watched(p["reorder_level"], p["label"], p["deleted"]) for pid, p in state.products.items()}
    )
    db.session.flush()
    log.warning("stock verify: %d figure(s) repaired from the ledger", len(fresh))
    return fresh


@dataclass(frozen=True)
class Names:
    products: dict[int, str]
    warehouses: dict[int, str]
    locations: dict[int, str]


def names_for(differences: list[Difference]) -> Names:
    """Product labels and warehouse / location codes for a report."""
    product_ids = {d.product_id for d in differences}
    warehouse_ids = {d.warehouse_id for d in differences}
    location_ids = {d.location_id for d in differences if d.location_id is not None}
    products = {
        pid: f"{brand} {model}"
        for pid, brand, model in db.session.execute(
            sa.select(Product.id, Brand.name, Product.model)
            .join(Brand, Brand.id == Product.brand_id)
            .where(Product.id.in_(product_ids))
        )
    }
    warehouses = dict(
        db.session.execute(sa.select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_(warehouse_ids))).all()
    )
    locations = dict(
        db.session.execute(sa.select(Location.id, Location.code).where(Location.id.in_(location_ids))).all()
    )
    return Names(products, warehouses, locations)
