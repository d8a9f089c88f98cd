"""Stock figures as lists: the overview by product and by location, a product's ledger, and the
valuation at a date — each a ``ListSpec`` shared by its page and its exports.

Every figure covers only the warehouses the user works in (``app.inventory.scope``), narrowed to
one warehouse when the user picks one. The spec is built per request for that set of warehouses,
so sorting, filters, page totals, totals of all rows and exports all read the same figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.auth.models import User
from app.core import listview as lv
from app.core.db import money_column, price_column, quantity_column
from app.core.i18n import day_start, language
from app.core.i18n import user_today as today
from app.core.money import round_money
from app.core.text import prefix_range
from app.extensions import db
from app.inventory import scope, sources
from app.inventory.models import MoveType, StockBalance, StockLevel, StockMove, Warehouse
from app.inventory.models.warehouses import Location
from app.inventory.services import normalize_code
from app.products.lists import brand_choices, category_choices
from app.products.models import COST_PERMISSION, UNITS, Brand, Product
from app.products.search import apply_search

ZERO = Decimal(0)
# Sums of quantities (3 decimals) nearer to zero than this are zero: SQLite adds them as floats.
QTY_EPSILON = Decimal("0.0005")

Warehouses = list[int] | None  # the warehouse ids figures cover; None: all of them


# --- shared pieces -----------------------------------------------------------------------------


def warehouses_for(chosen: int | None) -> Warehouses:
    """The warehouses the figures cover: the chosen one, else every one the user works in."""
    if chosen is not None:
        return [chosen]
    allowed = scope.allowed_warehouse_ids()
    return None if allowed is None else sorted(allowed)


def _in(column, warehouses: Warehouses) -> sa.ColumnElement[bool]:
    return sa.true() if warehouses is None else column.in_(warehouses)


def warehouse_choices() -> list[tuple[str, str]]:
    """The user's warehouses (deleted ones left out: their stock is gone before they are deleted)."""
    query = sa.select(Warehouse.id, Warehouse.code, Warehouse.name).where(Warehouse.deleted_at.is_(None))
    rows = db.session.execute(scope.restrict(query, Warehouse.id).order_by(Warehouse.code)).all()
    everything = _l("All warehouses") if scope.allowed_warehouse_ids() is None else _l("All my warehouses")
    return [("", everything)] + [(str(i), f"{c} {n}") for i, c, n in rows]


def _equals(column) -> Callable[[sa.Select, str], sa.Select]:
    def apply(query: sa.Select, value: str) -> sa.Select:
        return query.where(column == int(value)) if value.isdigit() else query

    return apply


def _unchanged(query: sa.Select, value: str) -> sa.Select:
    """For filters already built into the spec (the warehouse a figure covers)."""
    return query


def _warehouse_filter() -> lv.Filter:
    return lv.Filter("warehouse", _l("Warehouse"), _unchanged, choices=warehouse_choices)


def _product_filters() -> list[lv.Filter]:
    return [
        lv.Filter("brand", _l("Brand"), _equals(Product.brand_id), choices=brand_choices),
        lv.Filter("category", _l("Category"), _equals(Product.category_id), choices=category_choices),
    ]


def _name_expr() -> sa.ColumnElement[str]:
    """The product name in the reader's language, falling back to the other one (as on screen)."""
    first, second = (Product.name_zh, Product.name_en) if language() == "zh" else (Product.name_en, Product.name_zh)
    return sa.func.coalesce(sa.func.nullif(first, ""), second)


def _name(row) -> str:
    if language() == "zh":
        return row.name_zh or row.name_en
    return row.name_en or row.name_zh


def _product_columns(link: bool) -> list[lv.Column]:
    """Brand, model (sorted by its normalised key, which is indexed), name and unit."""
    return [
        lv.Column("brand", _l("Brand"), expr=Brand.name),
        lv.Column("model", _l("Model"), expr=Product.model_key, value=lambda r: r.model, link=link, in_export=False),
        lv.Column("model_text", _l("Model"), expr=Product.model, in_list=False),
        lv.Column("name", _l("Name"), expr=_name_expr(), value=_name, sortable=False),
        lv.Column("unit", _l("Unit"), expr=Product.unit, kind=lv.CHOICE, choices=UNITS, sortable=False),
    ]


def _money(expr) -> sa.ColumnElement[Decimal]:
    return sa.func.round(expr, 2, type_=money_column())


def value_of(quantity: Decimal | None, cost: Decimal | None) -> Decimal:
    """Quantity × cost in cents, rounded as the SQL of the sort and the export rounds it."""
    return round_money((quantity or ZERO) * (cost or ZERO))


def low_badge(is_low: bool) -> Markup | str:
    if not is_low:
        return ""
    return Markup('<span class="badge text-bg-warning" data-low-stock>{}</span>').format(_("Below reorder level"))


# --- overview by product -----------------------------------------------------------------------

SHOW_STOCK, SHOW_LOW, SHOW_ALL = "stock", "low", "all"


class ProductFigures:
    """One product's figures within ``warehouses``, as SQL over ``products``.

    Correlated (the default) suits a page: a subquery per product shown, so the first page of a
    million balances reads a few dozen rows. ``grouped`` sums every level in one pass and joins the
    result, which suits reading all rows at once (exports, totals)."""

    def __init__(self, warehouses: Warehouses, *, grouped: bool = False) -> None:
        self.warehouses = warehouses
        self.grouped = grouped
        if grouped:
            self._levels = (
                sa.select(
                    StockLevel.product_id.label("product_id"),
                    sa.func.sum(StockLevel.on_hand).label("on_hand"),
                    sa.func.sum(StockLevel.reserved).label("reserved"),
                    sa.func.max(sa.case((sa.or_(StockLevel.on_hand != 0, StockLevel.reserved != 0), 1), else_=0)).label(
                        "held"
                    ),
                )
                .where(_in(StockLevel.warehouse_id, warehouses))
                .group_by(StockLevel.product_id)
                .subquery("levels_of")
            )

    def join(self, query: sa.Select) -> sa.Select:
        if not self.grouped:
            return query
        return query.outerjoin(self._levels, self._levels.c.product_id == Product.id)

    def _sum(self, column):
        if self.grouped:
            return sa.type_coerce(sa.func.coalesce(self._levels.c[column], 0), quantity_column())
        level = StockLevel.__table__.c
        summed = level.on_hand - level.reserved if column == "available" else level[column]
        return sa.type_coerce(
            sa.select(sa.func.coalesce(sa.func.sum(summed), 0))
            .where(StockLevel.product_id == Product.id, _in(StockLevel.warehouse_id, self.warehouses))
            .correlate(Product)
            .scalar_subquery(),
            quantity_column(),
        )

    @property
    def on_hand(self):
        return self._sum("on_hand")

    @property
    def reserved(self):
        return self._sum("reserved")

    @property
    def available(self):
        if self.grouped:
            return self.on_hand - self.reserved
        return self._sum("available")

    @property
    def held(self) -> sa.ColumnElement[bool]:
        """Some stock on hand or reserved in these warehouses."""
        if self.grouped:
            return self._levels.c.held == 1
        return sa.exists(
            sa.select(StockLevel.id).where(
                StockLevel.product_id == Product.id,
                _in(StockLevel.warehouse_id, self.warehouses),
                sa.or_(StockLevel.on_hand != 0, StockLevel.reserved != 0),
            )
        ).correlate(Product)

    @property
    def low(self) -> sa.ColumnElement[bool]:
        """Available below the reorder level (products without one are never low)."""
        return sa.and_(Product.reorder_level > 0, self.available < Product.reorder_level)


def _show_choices() -> list[tuple[str, str]]:
    return [
        (SHOW_STOCK, _l("With stock")),
        (SHOW_LOW, _l("Below reorder level")),
        (SHOW_ALL, _l("All products")),
    ]


def product_stock_spec(warehouses: Warehouses, chosen: int | None = None, *, grouped: bool = False) -> lv.ListSpec:
    """One row per product: on hand, reserved and available within ``warehouses`` (``grouped``: the
    same rows, summed in one pass — for exports and totals)."""
    figures = ProductFigures(warehouses, grouped=grouped)

    def base_query() -> sa.Select:
        query = sa.select(
            Product.id,
            Product.model,
            Product.name_zh,
            Product.name_en,
            Product.unit,
            Product.reorder_level,
            Product.avg_cost,
            Product.deleted_at,
            Brand.name.label("brand"),
            figures.on_hand.label("on_hand"),
            figures.reserved.label("reserved"),
        ).join(Brand, Brand.id == Product.brand_id)
        return figures.join(query)

    def show(query: sa.Select, value: str) -> sa.Select:
        if value == SHOW_LOW:
            return query.where(Product.deleted_at.is_(None), figures.low)
        if value == SHOW_ALL:
            return query.where(sa.or_(Product.deleted_at.is_(None), figures.held))
        return query.where(figures.held)

    return lv.ListSpec(
        name="stock",
        base_query=base_query,
        id_column=Product.id,
        default_sort="model",
        columns=[
            *_product_columns(link=True),
            lv.Column("on_hand", _l("On hand"), expr=figures.on_hand, kind=lv.QUANTITY, total=True),
            lv.Column("reserved", _l("Reserved"), expr=figures.reserved, kind=lv.QUANTITY, total=True),
            lv.Column(
                "available",
                _l("Available"),
                expr=figures.available,
                value=lambda r: r.on_hand - r.reserved,
                kind=lv.QUANTITY,
                total=True,
            ),
            lv.Column("reorder_level", _l("Reorder level"), expr=Product.reorder_level, kind=lv.QUANTITY),
            lv.Column(
                "low",
                _l("Low stock"),
                expr=sa.type_coerce(sa.case((figures.low, True), else_=False), sa.Boolean),
                value=lambda r: low_badge(r.reorder_level > 0 and r.on_hand - r.reserved < r.reorder_level),
                sortable=False,
            ),
            lv.Column(
                "avg_cost",
                _l("Moving average cost"),
                expr=Product.avg_cost,
                kind=lv.PRICE,
                permission=COST_PERMISSION,
            ),
            lv.Column(
                "value",
                _l("Value"),
                expr=_money(figures.on_hand * Product.avg_cost),
                value=lambda r: value_of(r.on_hand, r.avg_cost),
                kind=lv.MONEY,
                permission=COST_PERMISSION,
                total=True,
            ),
        ],
        filters=[
            _warehouse_filter(),
            *_product_filters(),
            lv.Filter("show", _l("Show"), show, choices=_show_choices, default=SHOW_STOCK),
        ],
        search=apply_search,
        search_placeholder=_l("Model or name, e.g. 6204-2RS or 深沟球"),
        row_url=lambda r: url_for("inventory.stock_ledger", product_id=r.id, warehouse=chosen),
    )


# --- overview by warehouse and location --------------------------------------------------------


def _location_prefix(query: sa.Select, value: str) -> sa.Select:
    code = normalize_code(value)
    if not code:
        return query
    low, high = prefix_range(code)
    return query.where(Location.code >= low, Location.code < high)


def _show_balances(query: sa.Select, value: str) -> sa.Select:
    return query if value == SHOW_ALL else query.where(StockBalance.on_hand != 0)


def location_stock_spec(warehouses: Warehouses, *, slim: bool = False, by_location: bool = False) -> lv.ListSpec:
    """One row per product at a location; the warehouse's reserved and available beside it.
    (``slim``: only what filters and sums need — for the totals of all rows.)"""

    def base_query() -> sa.Select:
        query = (
            sa.select(StockBalance.id, StockBalance.on_hand, Product.avg_cost)
            .join(Product, Product.id == StockBalance.product_id)
            .join(
                Location,
                sa.and_(Location.id == StockBalance.location_id, Location.warehouse_id == StockBalance.warehouse_id),
            )
            .where(_in(StockBalance.warehouse_id, warehouses))
        )
        if by_location:
            # Limiting the locations as well lets a planner walk them in code order (their unique
            # index) and find each one's balances by the (warehouse, location) index, so a page
            # sorted by location stops after its rows. (Elsewhere the same condition lures SQLite
            # into reading every balance of the warehouse before sorting by model.)
            query = query.where(_in(Location.warehouse_id, warehouses))
        if slim:
            return query
        return (
            query.add_columns(
                StockBalance.product_id,
                StockBalance.warehouse_id,
                Product.model,
                Product.name_zh,
                Product.name_en,
                Product.unit,
                Brand.name.label("brand"),
                Warehouse.code.label("warehouse"),
                Location.code.label("location"),
                StockLevel.reserved.label("warehouse_reserved"),
                StockLevel.on_hand.label("warehouse_on_hand"),
            )
            .join(Brand, Brand.id == Product.brand_id)
            .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
            .outerjoin(
                StockLevel,
                sa.and_(
                    StockLevel.product_id == StockBalance.product_id,
                    StockLevel.warehouse_id == StockBalance.warehouse_id,
                ),
            )
        )

    def warehouse_available(row) -> Decimal | None:
        if row.warehouse_on_hand is None:
            return None
        return row.warehouse_on_hand - row.warehouse_reserved

    return lv.ListSpec(
        name="stock_locations",
        base_query=base_query,
        id_column=StockBalance.id,
        default_sort="model",
        columns=[
            lv.Column("warehouse", _l("Warehouse"), expr=Warehouse.code),
            lv.Column("location", _l("Location"), expr=Location.code),
            *_product_columns(link=True),
            lv.Column("on_hand", _l("On hand"), expr=StockBalance.on_hand, kind=lv.QUANTITY, total=True),
            lv.Column(
                "warehouse_reserved",
                _l("Reserved in warehouse"),
                expr=StockLevel.reserved,
                kind=lv.QUANTITY,
                sortable=False,
            ),
            lv.Column(
                "warehouse_available",
                _l("Available in warehouse"),
                expr=StockLevel.on_hand - StockLevel.reserved,
                value=warehouse_available,
                kind=lv.QUANTITY,
                sortable=False,
            ),
            lv.Column(
                "avg_cost",
                _l("Moving average cost"),
                expr=Product.avg_cost,
                kind=lv.PRICE,
                permission=COST_PERMISSION,
            ),
            lv.Column(
                "value",
                _l("Value"),
                expr=_money(StockBalance.on_hand * Product.avg_cost),
                value=lambda r: value_of(r.on_hand, r.avg_cost),
                kind=lv.MONEY,
                permission=COST_PERMISSION,
                total=True,
            ),
        ],
        filters=[
            _warehouse_filter(),
            lv.Filter("location", _l("Location"), _location_prefix, placeholder=_l("Location, e.g. A-01")),
            *_product_filters(),
            lv.Filter(
                "show",
                _l("Show"),
                _show_balances,
                choices=lambda: [(SHOW_STOCK, _l("With stock")), (SHOW_ALL, _l("Also empty locations"))],
                default=SHOW_STOCK,
            ),
        ],
        search=apply_search,
        search_placeholder=_l("Model or name, e.g. 6204-2RS or 深沟球"),
        row_url=lambda r: url_for("inventory.stock_ledger", product_id=r.product_id, warehouse=r.warehouse_id),
    )


# --- totals of every row ---------------------------------------------------------------------


def totals(spec: lv.ListSpec, state: lv.ListState, keys: list[str], can: lv.Checker) -> dict[str, Decimal]:
    """Sums of the columns ``keys`` over every row the filters select (not just the page)."""
    by_key = {c.key: c for c in lv.visible_columns(spec, can, export=True)}
    wanted = [k for k in keys if k in by_key and by_key[k].expr is not None]
    if not wanted:
        return {}
    rows = lv.build_query(spec, state, select=[by_key[k].expr.label(k) for k in wanted]).order_by(None).subquery()
    sums = db.session.execute(sa.select(*(sa.func.coalesce(sa.func.sum(rows.c[k]), 0) for k in wanted))).one()
    return {k: Decimal(str(v)) for k, v in zip(wanted, sums, strict=True)}


# --- a product's ledger ------------------------------------------------------------------------


MOVE_TYPE_CHOICES = {t.value: t.label for t in MoveType}


def _source_cell(row) -> Markup | str:
    if not row.source_number:
        return ""
    url = sources.source_url(row.source_type, row.source_id)
    if url is None:
        return row.source_number
    return Markup('<a href="{}">{}</a>').format(url, row.source_number)


@dataclass(frozen=True)
class Place:
    """Which of a product's moves a ledger covers: the user's warehouses (or the chosen one), and
    perhaps one location. The running balance is the on hand of exactly this place."""

    product_id: int
    warehouses: Warehouses
    location_id: int | None = None

    def conditions(self, moves=StockMove.__table__) -> list[sa.ColumnElement[bool]]:
        found = [moves.c.product_id == self.product_id, _in(moves.c.warehouse_id, self.warehouses)]
        if self.location_id is not None:
            found.append(moves.c.location_id == self.location_id)
        return found


_MOVE_COLUMNS = (
    "id",
    "created_at",
    "move_type",
    "warehouse_id",
    "location_id",
    "quantity",
    "unit_cost",
    "source_type",
    "source_id",
    "source_number",
    "reason",
    "user_id",
    "reverses_id",
)


def _running_moves(place: Place):
    """The place's moves, each with the balance right after it (a running sum in posting order)."""
    table = StockMove.__table__
    return (
        sa.select(
            *(table.c[name] for name in _MOVE_COLUMNS),
            sa.type_coerce(
                sa.func.sum(table.c.quantity).over(order_by=table.c.id, rows=(None, 0)), quantity_column()
            ).label("balance"),
        )
        .where(*place.conditions())
        .subquery("moves")
    )


class LedgerRow:
    """A move of the page with the balance right after it."""

    __slots__ = ("balance", "row")

    def __init__(self, row, balance: Decimal) -> None:
        self.row = row
        self.balance = balance

    def __getattr__(self, name: str):
        return getattr(self.row, name)


def with_balances(place: Place, rows: list) -> list[LedgerRow]:
    """The page's moves with their balances: the sum of the place's moves before the oldest one
    shown, then a running sum over the place's moves up to the newest one shown (hidden ones —
    other types, other days — included), so every page is right however deep it is."""
    if not rows:
        return []
    table = StockMove.__table__
    ids = [r.id for r in rows]
    low, high = min(ids), max(ids)
    running = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(table.c.quantity), 0)).where(*place.conditions(), table.c.id < low)
    )
    running = Decimal(str(running))
    after: dict[int, Decimal] = {}
    for move_id, quantity in db.session.execute(
        sa.select(table.c.id, table.c.quantity)
        .where(*place.conditions(), table.c.id.between(low, high))
        .order_by(table.c.id)
    ):
        running += quantity
        after[move_id] = running
    return [LedgerRow(r, after[r.id]) for r in rows]


def ledger_spec(place: Place, *, running_sql: bool = False) -> lv.ListSpec:
    """A product's moves at a place, newest (or oldest) first, each with the place's balance right
    after it. Type and date filters choose which moves are listed, never what a balance counts.

    A page reads only its own moves and adds balances with ``with_balances``; ``running_sql`` (for
    exports, which read every move anyway) computes them in SQL with a window function instead."""
    moves = _running_moves(place) if running_sql else StockMove.__table__

    def base_query() -> sa.Select:
        query = (
            sa.select(
                moves,
                Warehouse.code.label("warehouse"),
                Location.code.label("location"),
                User.display_name.label("user"),
            )
            .join(Warehouse, Warehouse.id == moves.c.warehouse_id)
            .join(Location, Location.id == moves.c.location_id)
            .outerjoin(User, User.id == moves.c.user_id)
        )
        return query if running_sql else query.where(*place.conditions())

    def move_type(query: sa.Select, value: str) -> sa.Select:
        return query.where(moves.c.move_type == value) if value in MOVE_TYPE_CHOICES else query

    return lv.ListSpec(
        name="stock_ledger",
        base_query=base_query,
        id_column=moves.c.id,
        default_sort="-date",
        per_page=50,
        columns=[
            # Sorted by posting order, which is what the running balance follows.
            lv.Column(
                "date", _l("Date"), expr=moves.c.id, value=lambda r: r.created_at, kind=lv.DATETIME, in_export=False
            ),
            lv.Column("created_at", _l("Date"), expr=moves.c.created_at, kind=lv.DATETIME, in_list=False),
            lv.Column(
                "move_type",
                _l("Type"),
                expr=moves.c.move_type,
                kind=lv.CHOICE,
                choices=MOVE_TYPE_CHOICES,
                sortable=False,
            ),
            lv.Column("warehouse", _l("Warehouse"), expr=Warehouse.code, sortable=False),
            lv.Column("location", _l("Location"), expr=Location.code, sortable=False),
            lv.Column("quantity", _l("Quantity"), expr=moves.c.quantity, kind=lv.QUANTITY, sortable=False),
            lv.Column(
                "balance",
                _l("Balance"),
                expr=moves.c.balance if running_sql else None,
                kind=lv.QUANTITY,
                sortable=False,
            ),
            lv.Column(
                "unit_cost",
                _l("Unit cost"),
                expr=moves.c.unit_cost,
                kind=lv.PRICE,
                permission=COST_PERMISSION,
                sortable=False,
            ),
            lv.Column(
                "value",
                _l("Value"),
                expr=_money(moves.c.quantity * moves.c.unit_cost),
                value=lambda r: value_of(r.quantity, r.unit_cost),
                kind=lv.MONEY,
                permission=COST_PERMISSION,
                sortable=False,
            ),
            lv.Column("source", _l("Source"), expr=moves.c.source_number, value=_source_cell, sortable=False),
            lv.Column("reason", _l("Reason"), expr=moves.c.reason, sortable=False),
            lv.Column("user", _l("User"), expr=User.display_name, sortable=False),
        ],
        filters=[
            _warehouse_filter(),
            lv.Filter("location", _l("Location"), _unchanged, choices=lambda: ledger_location_choices(place)),
            lv.Filter(
                "type",
                _l("Type"),
                move_type,
                choices=lambda: [("", _l("All types")), *MOVE_TYPE_CHOICES.items()],
            ),
            *lv.date_range_filters(moves.c.created_at),
        ],
    )


def ledger_location_choices(place: Place) -> list[tuple[str, str]]:
    """The locations this product has ever been at, within the user's warehouses (or the chosen one)."""
    used = (
        sa.select(StockMove.location_id)
        .where(StockMove.product_id == place.product_id, _in(StockMove.warehouse_id, place.warehouses))
        .distinct()
    )
    rows = db.session.execute(
        sa.select(Location.id, Warehouse.code, Location.code)
        .join(Warehouse, Warehouse.id == Location.warehouse_id)
        .where(Location.id.in_(used))
        .order_by(Warehouse.code, Location.code)
    ).all()
    return [("", _l("All locations"))] + [(str(i), f"{w} / {c}") for i, w, c in rows]


@dataclass(frozen=True)
class LedgerSummary:
    count: int
    incoming: Decimal
    outgoing: Decimal

    @property
    def net(self) -> Decimal:
        return self.incoming + self.outgoing


def ledger_summary(spec: lv.ListSpec, state: lv.ListState) -> LedgerSummary:
    """How much came in and went out in the moves the filters select."""
    query = lv.build_query(spec, state).order_by(None).subquery()
    quantity = query.c.quantity
    count, incoming, outgoing = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((quantity > 0, quantity), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((quantity < 0, quantity), else_=0)), 0),
        )
    ).one()
    q = Decimal("0.001")
    return LedgerSummary(count, Decimal(str(incoming)).quantize(q), Decimal(str(outgoing)).quantize(q))


# --- valuation at a date -----------------------------------------------------------------------


def valuation_spec(day: date, warehouses: Warehouses, *, grouped: bool = False) -> lv.ListSpec:
    """Per product: quantity on hand at the end of ``day`` (the user's time zone) — the sum of its
    moves until then — times its moving average cost after its last move until then (anywhere: the
    cost is the company's, not a warehouse's).

    Up to today the figures are the current ones (stock levels and the product's cost: what every
    move so far adds up to), read without going through the ledger. As with the overview, a page
    uses a subquery per product shown; ``grouped`` (exports, totals) reads everything in one pass.
    """
    end = day_start(day + timedelta(days=1))
    current = day >= today()
    moves = StockMove.__table__
    joins: list[tuple] = []
    if current:
        figures = ProductFigures(warehouses, grouped=grouped)
        quantity, unit_cost = figures.on_hand, Product.avg_cost
        if grouped:
            joins.append((figures._levels, figures._levels.c.product_id == Product.id))
    elif grouped:
        in_place = (
            moves.c.quantity
            if warehouses is None
            else sa.case((_in(moves.c.warehouse_id, warehouses), moves.c.quantity), else_=0)
        )
        held = (
            sa.select(
                moves.c.product_id,
                sa.func.sum(in_place).label("quantity"),
                sa.func.max(moves.c.id).label("last_move_id"),
            )
            .where(moves.c.created_at < end)
            .group_by(moves.c.product_id)
            .subquery("held")
        )
        cost_move = moves.alias("cost_move")
        quantity = sa.type_coerce(held.c.quantity, quantity_column())
        unit_cost = sa.type_coerce(cost_move.c.avg_cost_after, price_column())
        joins += [(held, held.c.product_id == Product.id), (cost_move, cost_move.c.id == held.c.last_move_id)]
    else:
        before = [moves.c.product_id == Product.id, moves.c.created_at < end]
        quantity = sa.type_coerce(
            sa.select(sa.func.coalesce(sa.func.sum(moves.c.quantity), 0))
            .where(*before, _in(moves.c.warehouse_id, warehouses))
            .correlate(Product)
            .scalar_subquery(),
            quantity_column(),
        )
        unit_cost = sa.type_coerce(
            sa.select(moves.c.avg_cost_after)
            .where(*before)
            .order_by(moves.c.id.desc())
            .limit(1)
            .correlate(Product)
            .scalar_subquery(),
            price_column(),
        )

    def base_query() -> sa.Select:
        query = sa.select(
            Product.id,
            Product.model,
            Product.name_zh,
            Product.name_en,
            Product.unit,
            Brand.name.label("brand"),
            quantity.label("quantity"),
            unit_cost.label("unit_cost"),
        ).join(Brand, Brand.id == Product.brand_id)
        for target, on in joins:
            query = query.join(target, on)
        return query.where(sa.func.abs(quantity) >= QTY_EPSILON)

    return lv.ListSpec(
        name="stock_valuation",
        base_query=base_query,
        id_column=Product.id,
        default_sort="model",
        columns=[
            *_product_columns(link=False),
            lv.Column("quantity", _l("On hand"), expr=quantity, kind=lv.QUANTITY, total=True),
            lv.Column("unit_cost", _l("Moving average cost"), expr=unit_cost, kind=lv.PRICE),
            lv.Column(
                "value",
                _l("Value"),
                expr=_money(quantity * unit_cost),
                value=lambda r: value_of(r.quantity, r.unit_cost),
                kind=lv.MONEY,
                total=True,
            ),
        ],
        filters=[
            lv.Filter("date", _l("At the end of"), _unchanged, input_type="date", default=today().isoformat()),
            _warehouse_filter(),
            *_product_filters(),
        ],
        search=apply_search,
        search_placeholder=_l("Model or name, e.g. 6204-2RS or 深沟球"),
    )
