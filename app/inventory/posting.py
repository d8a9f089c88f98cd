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
from sqlalchemy.dialects import mysql, postgresql, sqlite

from app.core.db import UTCDateTime, begin_write, current_actor_id, utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.inventory import lowstock
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


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _one_of(column: sa.ColumnElement, values: Iterable[int]) -> sa.ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL one array parameter (``= ANY(:values)``), which
    plans in constant time, where a list of a thousand parameters costs more to plan than to run."""
    values = sorted(set(values))
    if _dialect() == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def _lock_rows(
    table: sa.Table, keys: list[str], values: list[str], wanted: list[tuple], defaults: dict
) -> dict[tuple, dict]:
    """Lock the rows of ``table`` whose key (``keys``) is in ``wanted``, in key order, and create the
    missing ones; return each row's id and ``values`` by key.

    One locking read finds the rows that exist, an insert (returning the new ids) adds the others.
    The caller holds the product locks, so nobody else can create these rows meanwhile, and an
    existing row is never written by the insert (on InnoDB an insert-or-update of an existing row
    takes a shared, then an exclusive lock, which deadlocks under concurrency).

    The read filters each key column by the set of its values: an index range scan, much cheaper
    than a list of row values, that may also match a few other rows of the same (locked) products;
    those are locked too, which costs nothing (nobody reaches them without the product locks), and
    are left out of the result.
    """
    if not wanted:
        return {}
    wanted_set = set(wanted)
    key_columns = [table.c[k] for k in keys]
    found: dict[tuple, dict] = {}
    rows = db.session.execute(
        sa.select(table.c.id, *key_columns, *(table.c[v] for v in values))
        .where(*(_one_of(c, {w[i] for w in wanted}) for i, c in enumerate(key_columns)))
        .order_by(*key_columns)
        .with_for_update()
    )
    for row in rows:
        key = tuple(row[1 : 1 + len(keys)])
        if key in wanted_set:
            found[key] = {"id": row[0], **dict(zip(values, row[1 + len(keys) :], strict=True)), "changed": False}
    missing = [key for key in wanted if key not in found]
    if missing:
        new_rows = [{**dict(zip(keys, key, strict=True)), **defaults} for key in missing]
        dialect = _dialect()
        if dialect in ("mysql", "mariadb"):
            statement = mysql.insert(table)
            statement = statement.on_duplicate_key_update({keys[0]: statement.inserted[keys[0]]})
        else:
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = insert(table).on_conflict_do_nothing(index_elements=keys)
        for row in db.session.execute(statement.returning(table.c.id, *key_columns), new_rows):
            key = tuple(row[1:])
            found[key] = {"id": row[0], **{v: defaults[v] for v in values}, "changed": False}
        left = [key for key in missing if key not in found]
        if left:  # (only if a row appeared without its product lock being held: read it locked)
            for row in db.session.execute(
                sa.select(table.c.id, *key_columns, *(table.c[v] for v in values))
                .where(sa.tuple_(*key_columns).in_(left))
                .order_by(*key_columns)
                .with_for_update()
            ):
                found[tuple(row[1 : 1 + len(keys)])] = {
                    "id": row[0],
                    **dict(zip(values, row[1 + len(keys) :], strict=True)),
                    "changed": False,
                }
    return found


def _lock(
    product_ids: Iterable[int],
    pairs: Iterable[tuple[int, int]],
    places: Iterable[tuple[int, int, int]] = (),
) -> _State:
    """Lock products, then levels, then balances — in that fixed order — creating the missing
    level and balance rows."""
    product_ids = sorted(set(product_ids))
    pairs = sorted(set(pairs))
    places = sorted(set(places))
    state = _State()
    # The product rows alone (a join would lock the brand rows too, and with them every posting
    # of that brand).
    products = sa.select(
        Product.id,
        Product.brand_id,
        Product.avg_cost,
        Product.last_purchase_price,
        Product.model,
        Product.deleted_at,
        Product.reorder_level,
    )
    rows = db.session.execute(
        products.where(_one_of(Product.id, product_ids)).order_by(Product.id).with_for_update()
    ).all()
    brands = dict(
        db.session.execute(sa.select(Brand.id, Brand.name).where(Brand.id.in_({r.brand_id for r in rows}))).all()
    )
    for row in rows:
        state.products[row.id] = {
            "avg_cost": row.avg_cost,
            "last_purchase_price": row.last_purchase_price,
            "label": f"{brands.get(row.brand_id, '')} {row.model}",
            "deleted": row.deleted_at is not None,
            "reorder_level": row.reorder_level,
        }
    missing = set(product_ids) - set(state.products)
    if missing:
        raise DomainError(_("A product on this document no longer exists. Reload the page."))
    now = utcnow()
    state.levels = _lock_rows(
        StockLevel.__table__,
        ["product_id", "warehouse_id"],
        ["on_hand", "reserved"],
        pairs,
        {"on_hand": ZERO, "reserved": ZERO, "updated_at": now},
    )
    state.balances = _lock_rows(
        StockBalance.__table__,
        ["product_id", "warehouse_id", "location_id"],
        ["on_hand"],
        places,
        {"on_hand": ZERO, "updated_at": now},
    )
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
    lines: Sequence[MoveLine],
    source: Source,
    *,
    reason: str = "",
    reverses: Sequence[int] | None = None,
    reserved_by: str | None = None,
) -> list[int]:
    """Post ``lines`` as stock moves; return the new move ids. Refuses the whole posting when any
    line would take a location below zero or take stock reserved for others. ``reverses`` (one
    move id per line) marks a cancellation: each new move undoes that move. Lines that consume a
    reservation take the one their ``source_line_id`` holds under ``reserved_by`` (a delivery
    consumes what its sales order line reserved; default: the posting's own source type)."""
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
    reservation_type = reserved_by or source.type
    reservations = _reservations_to_consume(reservation_type, lines)
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
    _write_consumed_reservations(reservation_type, reservations, now)
    ids = _insert_moves(move_rows)
    _check_low_stock(state)
    log.info("posted %d moves for %s %s", len(move_rows), source.type, source.number or source.id)
    return ids


# The columns of a move that differ from line to line, with their PostgreSQL array types.
_MOVE_ARRAYS = {
    "move_type": "VARCHAR",
    "product_id": "INTEGER",
    "warehouse_id": "INTEGER",
    "location_id": "INTEGER",
    "quantity": "NUMERIC",
    "unit_cost": "NUMERIC",
    "avg_cost_after": "NUMERIC",
    "source_line_id": "BIGINT",
    "reverses_id": "BIGINT",
}
_MOVE_SHARED = ("created_at", "source_type", "source_id", "source_number", "reason", "user_id")


def _insert_moves(rows: list[dict]) -> list[int]:
    """Insert the moves; return their ids in the order of ``rows``."""
    table = StockMove.__table__
    if _dialect() != "postgresql":
        return list(db.session.scalars(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))
    # PostgreSQL: the ids are drawn from the sequence first (so their order is known), then every
    # row goes in with one statement over arrays: a thousand moves cost one round trip and no
    # per-row parameter handling.
    ids = list(
        db.session.scalars(
            sa.text(
                "SELECT nextval(pg_get_serial_sequence('stock_moves', 'id')) FROM generate_series(1, :n) ORDER BY 1"
            ),
            {"n": len(rows)},
        )
    )
    columns = ["id", *_MOVE_ARRAYS, *_MOVE_SHARED]
    arrays = ", ".join(f"CAST(:{c} AS {t}[])" for c, t in {"id": "BIGINT", **_MOVE_ARRAYS}.items())
    statement = sa.text(
        f"INSERT INTO stock_moves ({', '.join(columns)}) "
        f"SELECT u.*, {', '.join(':' + c for c in _MOVE_SHARED)} "
        f"FROM unnest({arrays}) AS u({', '.join(['id', *_MOVE_ARRAYS])})"
    ).bindparams(sa.bindparam("created_at", type_=UTCDateTime()))
    first = rows[0]
    params = {
        "id": ids,
        **{c: [r[c] for r in rows] for c in _MOVE_ARRAYS},
        **{c: first[c] for c in _MOVE_SHARED},
    }
    db.session.execute(statement, params)
    return ids


def _update_by_id(table: sa.Table, rows: list[dict], columns: list[str], now) -> None:
    """Write new values of numeric ``columns`` (and ``updated_at``) into rows by id."""
    if not rows:
        return
    if _dialect() == "postgresql":
        # One statement over arrays instead of one execution per row.
        statement = sa.text(
            f"UPDATE {table.name} AS t SET {', '.join(f'{c} = u.{c}' for c in columns)}, updated_at = :now "
            f"FROM unnest(CAST(:id AS BIGINT[]), {', '.join(f'CAST(:{c} AS NUMERIC[])' for c in columns)}) "
            f"AS u(id, {', '.join(columns)}) WHERE t.id = u.id"
        ).bindparams(sa.bindparam("now", type_=UTCDateTime()))
        db.session.execute(
            statement, {"now": now, "id": [r["id"] for r in rows], **{c: [r[c] for r in rows] for c in columns}}
        )
        return
    db.session.execute(
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"))
        .values({**{c: sa.bindparam(f"b_{c}") for c in columns}, "updated_at": sa.bindparam("b_now")}),
        [{"b_id": r["id"], "b_now": now, **{f"b_{c}": r[c] for c in columns}} for r in rows],
        execution_options={"synchronize_session": False},
    )


def _write(state: _State, now) -> None:
    _update_by_id(
        StockLevel.__table__,
        [
            {"id": v["id"], "on_hand": v["on_hand"], "reserved": v["reserved"]}
            for v in state.levels.values()
            if v["changed"]
        ],
        ["on_hand", "reserved"],
        now,
    )
    _update_by_id(
        StockBalance.__table__,
        [{"id": v["id"], "on_hand": v["on_hand"]} for v in state.balances.values() if v["changed"]],
        ["on_hand"],
        now,
    )
    # Past the ORM on purpose: a cost update must not move the product's edit version.
    _update_by_id(
        Product.__table__,
        [
            {"id": pid, "avg_cost": v["avg_cost"], "last_purchase_price": v["last_purchase_price"]}
            for pid, v in state.products.items()
            if v.get("changed")
        ],
        ["avg_cost", "last_purchase_price"],
        now,
    )


def _check_low_stock(state: _State) -> None:
    """Raise or clear low-stock alerts while the product locks are still held."""
    lowstock.check(
        {pid: lowstock.Watched(p["reorder_level"], p["label"], p["deleted"]) for pid, p in state.products.items()}
    )


def reverse_source(source: Source, reason: str) -> list[int]:
    """Post the moves that undo every move ``source`` posted (and has not undone yet); return
    their ids. Refused, like any posting, when the stock has gone meanwhile."""
    originals = list(
        db.session.scalars(
            sa.select(StockMove)
            .where(
                StockMove.source_type == source.type, StockMove.source_id == source.id, StockMove.reverses_id.is_(None)
            )
            .order_by(StockMove.id)
        )
    )
    already = set(
        db.session.scalars(sa.select(StockMove.reverses_id).where(StockMove.reverses_id.in_([m.id for m in originals])))
    )
    originals = [m for m in originals if m.id not in already]
    if not originals:
        return []
    lines = [
        MoveLine(
            MoveType(m.move_type),
            m.product_id,
            m.warehouse_id,
            m.location_id,
            -m.quantity,
            source_line_id=m.source_line_id,
        )
        for m in originals
    ]
    return post_moves(lines, source, reason=reason, reverses=[m.id for m in originals])


# --- reservations ------------------------------------------------------------------------------


def _reservations_to_consume(source_type: str, lines: Sequence[MoveLine]) -> dict[tuple[int, int, int], Decimal]:
    keys = {(line.source_line_id, line.product_id, line.warehouse_id) for line in lines if line.consume_reservation}
    if not keys:
        return {}
    table = StockReservation.__table__
    rows = db.session.execute(
        sa.select(table.c.source_line_id, table.c.product_id, table.c.warehouse_id, table.c.quantity).where(
            table.c.source_type == source_type, table.c.source_line_id.in_({k[0] for k in keys})
        )
    )
    return {(r.source_line_id, r.product_id, r.warehouse_id): r.quantity for r in rows}


def _write_consumed_reservations(source_type: str, remaining: dict[tuple[int, int, int], Decimal], now) -> None:
    table = StockReservation.__table__
    for (line_id, product_id, warehouse_id), quantity in remaining.items():
        where = sa.and_(
            table.c.source_type == source_type,
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
    _check_low_stock(state)
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
    _check_low_stock(state)
    return total


# --- reading -----------------------------------------------------------------------------------


def level_of(product_id: int, warehouse_id: int) -> StockLevel | None:
    return db.session.scalar(
        sa.select(StockLevel).where(StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id)
    )
