"""The posting service: the only code that changes stock.

Every change is a list of moves, posted in one transaction:

1. On SQLite the transaction takes the write lock first (``BEGIN IMMEDIATE``, waiting up to the
   busy timeout), so concurrent postings queue instead of failing half-way.
2. Missing ``stock_levels`` / ``stock_balances`` rows are created by an insert-or-ignore.
3. Rows are locked in one fixed order — products (by id), then levels (product, warehouse),
   then balances (product, warehouse, location) — with SELECT … FOR UPDATE on PostgreSQL and
   MariaDB, so two postings can only wait for each other, never deadlock on these rows. (Should a
   deadlock or a serialisation failure happen anyway, ``app.core.db.run_with_retry`` repeats the
   whole unit of work.)
4. The new quantities are computed and checked under those locks: on hand at a location may not
   go below zero, and stock reserved for others may not be taken, unless the warehouse allows
   negative stock. A refusal names the product, the place, and the quantities.
5. Moves are inserted and the balances, levels, reservations and moving average costs updated,
   all before the caller commits.

Reservations use the same locks (the level row of each product × warehouse), so "available" is
never over-promised under concurrency.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.db import begin_write, current_actor_id, utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.inventory.models import Location, MoveType, StockBalance, StockLevel, StockMove, StockReservation, Warehouse
from app.products.models import Brand, Product

log = logging.getLogger(__name__)

ZERO = Decimal(0)
COST_QUANTUM = Decimal("0.0001")
QTY_QUANTUM = Decimal("0.001")
INCOMING_WITH_COST = {MoveType.RECEIPT, MoveType.OPENING}


@dataclass(frozen=True)
class Source:
    """The document a posting comes from."""

    type: str
    id: int | None = None
    number: str = ""


@dataclass(frozen=True)
class MoveLine:
    move_type: MoveType
    product_id: int
    warehouse_id: int
    location_id: int
    quantity: Decimal  # signed: positive into the location, negative out of it
    unit_cost: Decimal | None = None  # receipts and opening stock: the cost of one unit
    source_line_id: int | None = None
    # A delivery line taking the stock its own source line reserved.
    consume_reservation: bool = False


@dataclass(frozen=True)
class ReserveLine:
    product_id: int
    warehouse_id: int
    source_line_id: int
    quantity: Decimal


@dataclass
class Reserved:
    line: ReserveLine
    quantity: Decimal  # what was reserved (less than asked when partial reservations are allowed)

    @property
    def short(self) -> Decimal:
        return self.line.quantity - self.quantity


@dataclass
class _State:
    products: dict[int, dict] = field(default_factory=dict)
    levels: dict[tuple[int, int], dict] = field(default_factory=dict)
    balances: dict[tuple[int, int, int], dict] = field(default_factory=dict)
    warehouses: dict[int, dict] = field(default_factory=dict)
    locations: dict[int, dict] = field(default_factory=dict)


# --- locking ---------------------------------------------------------------------------------


def _insert_ignore(table: sa.Table, rows: list[dict], keys: list[str]) -> None:
    """Insert the rows whose key is not there yet.

    The existing keys are read first and left alone: an insert-or-update on a row that exists
    takes a shared then an exclusive lock on InnoDB, which deadlocks under concurrency.
    """
    if not rows:
        return
    columns = [table.c[k] for k in keys]
    wanted = {tuple(r[k] for k in keys) for r in rows}
    present = set(db.session.execute(sa.select(*columns).where(sa.tuple_(*columns).in_(sorted(wanted)))).all())
    rows = [r for r in rows if tuple(r[k] for k in keys) not in present]
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        db.session.execute(insert(table).on_conflict_do_nothing(index_elements=keys), rows)
    elif dialect in ("mysql", "mariadb"):
        from sqlalchemy.dialects.mysql import insert

        statement = insert(table)
        db.session.execute(statement.on_duplicate_key_update({keys[0]: statement.inserted[keys[0]]}), rows)
    else:
        from sqlalchemy.dialects.sqlite import insert

        db.session.execute(insert(table).on_conflict_do_nothing(index_elements=keys), rows)


def _lock(
    product_ids: Iterable[int],
    pairs: Iterable[tuple[int, int]],
    places: Iterable[tuple[int, int, int]] = (),
) -> _State:
    """Lock products, create missing level and balance rows, then lock levels and balances — in
    that fixed order."""
    product_ids = sorted(set(product_ids))
    pairs = sorted(set(pairs))
    places = sorted(set(places))
    state = _State()
    # The product rows alone (a join would lock the brand rows too, and with them every posting
    # of that brand).
    products = sa.select(
        Product.id, Product.brand_id, Product.avg_cost, Product.last_purchase_price, Product.model, Product.deleted_at
    )
    rows = db.session.execute(products.where(Product.id.in_(product_ids)).order_by(Product.id).with_for_update()).all()
    brands = dict(
        db.session.execute(sa.select(Brand.id, Brand.name).where(Brand.id.in_({r.brand_id for r in rows}))).all()
    )
    for row in rows:
        state.products[row.id] = {
            "avg_cost": row.avg_cost,
            "last_purchase_price": row.last_purchase_price,
            "label": f"{brands.get(row.brand_id, '')} {row.model}",
            "deleted": row.deleted_at is not None,
        }
    missing = set(product_ids) - set(state.products)
    if missing:
        raise DomainError(_("A product on this document no longer exists. Reload the page."))
    # Rows are created under the product locks, so two postings never insert the same row at once.
    now = utcnow()
    _insert_ignore(
        StockLevel.__table__,
        [{"product_id": p, "warehouse_id": w, "on_hand": ZERO, "reserved": ZERO, "updated_at": now} for p, w in pairs],
        ["product_id", "warehouse_id"],
    )
    _insert_ignore(
        StockBalance.__table__,
        [
            {"product_id": p, "warehouse_id": w, "location_id": loc, "on_hand": ZERO, "updated_at": now}
            for p, w, loc in places
        ],
        ["product_id", "warehouse_id", "location_id"],
    )

    levels = StockLevel.__table__
    if pairs:
        for row in db.session.execute(
            sa.select(levels.c.id, levels.c.product_id, levels.c.warehouse_id, levels.c.on_hand, levels.c.reserved)
            .where(sa.tuple_(levels.c.product_id, levels.c.warehouse_id).in_(pairs))
            .order_by(levels.c.product_id, levels.c.warehouse_id)
            .with_for_update()
        ):
            state.levels[(row.product_id, row.warehouse_id)] = {
                "id": row.id,
                "on_hand": row.on_hand,
                "reserved": row.reserved,
                "changed": False,
            }
    balances = StockBalance.__table__
    if places:
        for row in db.session.execute(
            sa.select(
                balances.c.id,
                balances.c.product_id,
                balances.c.warehouse_id,
                balances.c.location_id,
                balances.c.on_hand,
            )
            .where(sa.tuple_(balances.c.product_id, balances.c.warehouse_id, balances.c.location_id).in_(places))
            .order_by(balances.c.product_id, balances.c.warehouse_id, balances.c.location_id)
            .with_for_update()
        ):
            state.balances[(row.product_id, row.warehouse_id, row.location_id)] = {
                "id": row.id,
                "on_hand": row.on_hand,
                "changed": False,
            }
    warehouse_ids = {w for _p, w in pairs}
    for row in db.session.execute(
        sa.select(Warehouse.id, Warehouse.code, Warehouse.allow_negative, Warehouse.deleted_at).where(
            Warehouse.id.in_(warehouse_ids)
        )
    ):
        state.warehouses[row.id] = {"code": row.code, "allow_negative": row.allow_negative, "deleted": row.deleted_at}
    location_ids = {loc for _p, _w, loc in places}
    if location_ids:
        for row in db.session.execute(
            sa.select(Location.id, Location.code, Location.warehouse_id, Location.deleted_at).where(
                Location.id.in_(location_ids)
            )
        ):
            state.locations[row.id] = {"code": row.code, "warehouse_id": row.warehouse_id, "deleted": row.deleted_at}
    return state


def _company_on_hand(product_ids: Iterable[int]) -> dict[int, Decimal]:
    """On hand of each product across all warehouses (read under the product locks)."""
    levels = StockLevel.__table__
    rows = db.session.execute(
        sa.select(levels.c.product_id, sa.func.coalesce(sa.func.sum(levels.c.on_hand), 0))
        .where(levels.c.product_id.in_(set(product_ids)))
        .group_by(levels.c.product_id)
    )
    return {pid: Decimal(total) for pid, total in rows}


# --- messages ----------------------------------------------------------------------------------


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _short_at_location(state: _State, line: MoveLine, on_hand: Decimal) -> DomainError:
    return DomainError(
        _(
            "Not enough %(product)s at %(warehouse)s / %(location)s: %(available)s on hand, %(requested)s requested.",
            product=state.products[line.product_id]["label"],
            warehouse=state.warehouses[line.warehouse_id]["code"],
            location=state.locations[line.location_id]["code"],
            available=_fmt(on_hand),
            requested=_fmt(-line.quantity),
        )
    )


def _short_in_warehouse(state: _State, product_id: int, warehouse_id: int, level: dict, requested: Decimal):
    return DomainError(
        _(
            "Not enough %(product)s available in %(warehouse)s: %(available)s available "
            "(%(on_hand)s on hand, %(reserved)s reserved), %(requested)s requested.",
            product=state.products[product_id]["label"],
            warehouse=state.warehouses[warehouse_id]["code"],
            available=_fmt(level["on_hand"] - level["reserved"]),
            on_hand=_fmt(level["on_hand"]),
            reserved=_fmt(level["reserved"]),
            requested=_fmt(requested),
        )
    )


def _check_places(state: _State, lines: Sequence[MoveLine]) -> None:
    for line in lines:
        warehouse = state.warehouses.get(line.warehouse_id)
        location = state.locations.get(line.location_id)
        if warehouse is None or location is None or location["warehouse_id"] != line.warehouse_id:
            raise DomainError(_("A location on this document does not belong to its warehouse."))
        if warehouse["deleted"] is not None:
            raise DomainError(_("The warehouse %(code)s is deleted.", code=warehouse["code"]))
        if location["deleted"] is not None:
            raise DomainError(
                _(
                    "The location %(code)s in %(warehouse)s is deleted.",
                    code=location["code"],
                    warehouse=warehouse["code"],
                )
            )
        if line.quantity == 0:
            raise DomainError(_("Quantities must not be zero."))


# --- posting -----------------------------------------------------------------------------------


def post_moves(
    lines: Sequence[MoveLine], source: Source, *, reason: str = "", reverses: Sequence[int] | None = None
) -> list[int]:
    """Post ``lines`` as stock moves; return the new move ids. Refuses the whole posting when any
    line would take a location below zero or take stock reserved for others. ``reverses`` (one
    move id per line) marks a cancellation: each new move undoes that move."""
    if not lines:
        raise DomainError(_("There is nothing to post."))
    if reverses is not None and len(reverses) != len(lines):
        raise ValueError("reverses needs one move id per line")
    begin_write(db.session)
    state = _lock(
        (line.product_id for line in lines),
        ((line.product_id, line.warehouse_id) for line in lines),
        ((line.product_id, line.warehouse_id, line.location_id) for line in lines),
    )
    _check_places(state, lines)
    company_on_hand = _company_on_hand(state.products)
    reservations = _reservations_to_consume(source, lines)
    now = utcnow()
    actor = current_actor_id()
    move_rows = []
    for index, line in enumerate(lines):
        quantity = line.quantity.quantize(QTY_QUANTUM, ROUND_HALF_UP)
        product = state.products[line.product_id]
        level = state.levels[(line.product_id, line.warehouse_id)]
        balance = state.balances[(line.product_id, line.warehouse_id, line.location_id)]
        allow_negative = state.warehouses[line.warehouse_id]["allow_negative"]
        consumed = ZERO
        if quantity < 0:
            if line.consume_reservation:
                key = (line.source_line_id, line.product_id, line.warehouse_id)
                consumed = min(reservations.get(key, ZERO), -quantity)
                reservations[key] = reservations.get(key, ZERO) - consumed
            unreserved = -quantity - consumed
            if not allow_negative:
                if balance["on_hand"] + quantity < 0:
                    raise _short_at_location(state, line, balance["on_hand"])
                if level["on_hand"] - level["reserved"] < unreserved:
                    raise _short_in_warehouse(state, line.product_id, line.warehouse_id, level, unreserved)
        if line.move_type in INCOMING_WITH_COST and quantity > 0:
            cost = (line.unit_cost if line.unit_cost is not None else product["avg_cost"]).quantize(COST_QUANTUM)
            if cost < 0:
                raise DomainError(_("A unit cost cannot be negative."))
            held = company_on_hand.get(line.product_id, ZERO)
            if held <= 0:
                product["avg_cost"] = cost
            else:
                product["avg_cost"] = ((held * product["avg_cost"] + quantity * cost) / (held + quantity)).quantize(
                    COST_QUANTUM, ROUND_HALF_UP
                )
            if line.move_type == MoveType.RECEIPT:
                product["last_purchase_price"] = cost
            product["changed"] = True
        else:
            cost = product["avg_cost"]
        balance["on_hand"] += quantity
        balance["changed"] = True
        level["on_hand"] += quantity
        level["reserved"] -= consumed
        level["changed"] = True
        company_on_hand[line.product_id] = company_on_hand.get(line.product_id, ZERO) + quantity
        move_rows.append(
            {
                "created_at": now,
                "move_type": line.move_type.value,
                "product_id": line.product_id,
                "warehouse_id": line.warehouse_id,
                "location_id": line.location_id,
                "quantity": quantity,
                "unit_cost": cost,
                "avg_cost_after": product["avg_cost"],
                "source_type": source.type,
                "source_id": source.id,
                "source_line_id": line.source_line_id,
                "source_number": source.number,
                "reason": reason[:300],
                "user_id": actor,
                "reverses_id": reverses[index] if reverses is not None else None,
            }
        )
    _write(state, now)
    _write_consumed_reservations(source, reservations, now)
    ids = _insert_moves(move_rows)
    log.info("posted %d moves for %s %s", len(move_rows), source.type, source.number or source.id)
    return ids


def _insert_moves(rows: list[dict]) -> list[int]:
    table = StockMove.__table__
    result = db.session.execute(sa.insert(table).returning(table.c.id), rows)
    return [r for (r,) in result]


def _write(state: _State, now) -> None:
    levels, balances, products = StockLevel.__table__, StockBalance.__table__, Product.__table__
    changed_levels = [
        {"b_id": v["id"], "b_on_hand": v["on_hand"], "b_reserved": v["reserved"], "b_now": now}
        for v in state.levels.values()
        if v["changed"]
    ]
    if changed_levels:
        db.session.execute(
            sa.update(levels)
            .where(levels.c.id == sa.bindparam("b_id"))
            .values(
                on_hand=sa.bindparam("b_on_hand"), reserved=sa.bindparam("b_reserved"), updated_at=sa.bindparam("b_now")
            ),
            changed_levels,
            execution_options={"synchronize_session": False},
        )
    changed_balances = [
        {"b_id": v["id"], "b_on_hand": v["on_hand"], "b_now": now} for v in state.balances.values() if v["changed"]
    ]
    if changed_balances:
        db.session.execute(
            sa.update(balances)
            .where(balances.c.id == sa.bindparam("b_id"))
            .values(on_hand=sa.bindparam("b_on_hand"), updated_at=sa.bindparam("b_now")),
            changed_balances,
            execution_options={"synchronize_session": False},
        )
    changed_products = [
        {"b_id": pid, "b_avg": v["avg_cost"], "b_last": v["last_purchase_price"]}
        for pid, v in state.products.items()
        if v.get("changed")
    ]
    if changed_products:
        # Past the ORM on purpose: a cost update must not move the product's edit version.
        db.session.execute(
            sa.update(products)
            .where(products.c.id == sa.bindparam("b_id"))
            .values(avg_cost=sa.bindparam("b_avg"), last_purchase_price=sa.bindparam("b_last")),
            changed_products,
            execution_options={"synchronize_session": False},
        )


# --- reservations ------------------------------------------------------------------------------


def _reservations_to_consume(source: Source, lines: Sequence[MoveLine]) -> dict[tuple[int, int, int], Decimal]:
    keys = {(line.source_line_id, line.product_id, line.warehouse_id) for line in lines if line.consume_reservation}
    if not keys:
        return {}
    table = StockReservation.__table__
    rows = db.session.execute(
        sa.select(table.c.source_line_id, table.c.product_id, table.c.warehouse_id, table.c.quantity).where(
            table.c.source_type == source.type, table.c.source_line_id.in_({k[0] for k in keys})
        )
    )
    return {(r.source_line_id, r.product_id, r.warehouse_id): r.quantity for r in rows}


def _write_consumed_reservations(source: Source, remaining: dict[tuple[int, int, int], Decimal], now) -> None:
    table = StockReservation.__table__
    for (line_id, product_id, warehouse_id), quantity in remaining.items():
        where = sa.and_(
            table.c.source_type == source.type,
            table.c.source_line_id == line_id,
            table.c.product_id == product_id,
            table.c.warehouse_id == warehouse_id,
        )
        if quantity <= 0:
            db.session.execute(sa.delete(table).where(where))
        else:
            db.session.execute(sa.update(table).where(where).values(quantity=quantity, updated_at=now))


def reserve(source: Source, lines: Sequence[ReserveLine], *, partial: bool = False) -> list[Reserved]:
    """Reserve stock for source lines. Without ``partial`` the whole request is refused when any
    line cannot be fully reserved; with it, each line gets what is available and the result says
    what is short."""
    if not lines:
        return []
    begin_write(db.session)
    state = _lock((x.product_id for x in lines), ((x.product_id, x.warehouse_id) for x in lines))
    for line in lines:
        if line.quantity <= 0:
            raise DomainError(_("Quantities must be greater than zero."))
        if line.warehouse_id not in state.warehouses or state.warehouses[line.warehouse_id]["deleted"] is not None:
            raise DomainError(_("The warehouse of this document no longer exists."))
    results = []
    now = utcnow()
    table = StockReservation.__table__
    existing = {
        (r.source_line_id, r.product_id, r.warehouse_id): r.quantity
        for r in db.session.execute(
            sa.select(table.c.source_line_id, table.c.product_id, table.c.warehouse_id, table.c.quantity).where(
                table.c.source_type == source.type, table.c.source_line_id.in_({x.source_line_id for x in lines})
            )
        )
    }
    for line in lines:
        level = state.levels[(line.product_id, line.warehouse_id)]
        available = level["on_hand"] - level["reserved"]
        quantity = line.quantity.quantize(QTY_QUANTUM, ROUND_HALF_UP)
        if quantity > available:
            if not partial:
                raise _short_in_warehouse(state, line.product_id, line.warehouse_id, level, quantity)
            quantity = max(available, ZERO)
        results.append(Reserved(line=line, quantity=quantity))
        if quantity == 0:
            continue
        level["reserved"] += quantity
        level["changed"] = True
        key = (line.source_line_id, line.product_id, line.warehouse_id)
        if key in existing:
            existing[key] += quantity
            db.session.execute(
                sa.update(table)
                .where(
                    table.c.source_type == source.type,
                    table.c.source_line_id == line.source_line_id,
                    table.c.product_id == line.product_id,
                    table.c.warehouse_id == line.warehouse_id,
                )
                .values(quantity=existing[key], updated_at=now)
            )
        else:
            existing[key] = quantity
            db.session.execute(
                sa.insert(table).values(
                    product_id=line.product_id,
                    warehouse_id=line.warehouse_id,
                    source_type=source.type,
                    source_id=source.id,
                    source_line_id=line.source_line_id,
                    quantity=quantity,
                    created_at=now,
                    updated_at=now,
                )
            )
    _write(state, now)
    return results


def release(source_type: str, source_line_ids: Iterable[int]) -> Decimal:
    """Release everything reserved for these source lines; return the quantity released."""
    line_ids = set(source_line_ids)
    if not line_ids:
        return ZERO
    table = StockReservation.__table__
    rows = db.session.execute(
        sa.select(table.c.product_id, table.c.warehouse_id, table.c.quantity).where(
            table.c.source_type == source_type, table.c.source_line_id.in_(line_ids)
        )
    ).all()
    if not rows:
        return ZERO
    begin_write(db.session)
    pairs = {(r.product_id, r.warehouse_id) for r in rows}
    while True:
        state = _lock((p for p, _w in pairs), pairs)
        # Read again under the locks: a concurrent release or consumption may have got here first,
        # or a concurrent reservation added a product or warehouse to these lines, whose level
        # must then be locked too before anything is written.
        rows = db.session.execute(
            sa.select(table.c.product_id, table.c.warehouse_id, table.c.quantity).where(
                table.c.source_type == source_type, table.c.source_line_id.in_(line_ids)
            )
        ).all()
        found = {(r.product_id, r.warehouse_id) for r in rows}
        if found <= set(state.levels):
            break
        pairs |= found
    total = ZERO
    for row in rows:
        level = state.levels[(row.product_id, row.warehouse_id)]
        level["reserved"] -= row.quantity
        level["changed"] = True
        total += row.quantity
    db.session.execute(sa.delete(table).where(table.c.source_type == source_type, table.c.source_line_id.in_(line_ids)))
    _write(state, utcnow())
    return total


# --- reading -----------------------------------------------------------------------------------


def level_of(product_id: int, warehouse_id: int) -> StockLevel | None:
    return db.session.scalar(
        sa.select(StockLevel).where(StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id)
    )
