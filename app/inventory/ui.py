"""What inventory shows on other domains' pages, through the core registry: the stock panel on the
product detail page, the stock figures in the product typeahead and the low-stock count of the
dashboard's "my work" panel. All cover only the warehouses the user works in."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.access import can
from app.core import listview as lv
from app.core.i18n import grouped
from app.core.registry import (
    WORK_COUNT_CAP,
    Panel,
    TypeaheadEnricher,
    WorkItem,
    register_detail_panel,
    register_typeahead_enricher,
    register_work_item,
)
from app.extensions import db
from app.inventory import lowstock, scope, stock_lists
from app.inventory.models import Location, StockBalance, StockLevel, StockMove, Warehouse
from app.inventory.stock_lists import value_of
from app.products.models import COST_PERMISSION

ZERO = Decimal(0)


def _in_scope(column) -> sa.ColumnElement[bool]:
    allowed = scope.allowed_warehouse_ids()
    return sa.true() if allowed is None else column.in_(sorted(allowed))


@dataclass
class WarehouseStock:
    id: int
    code: str
    name: str
    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    locations: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


def product_stock(product) -> dict:
    """The product's stock per warehouse (on hand, reserved, available) and per location (on hand)."""
    places: dict[int, WarehouseStock] = {}
    levels = db.session.execute(
        sa.select(StockLevel.warehouse_id, Warehouse.code, Warehouse.name, StockLevel.on_hand, StockLevel.reserved)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(
            StockLevel.product_id == product.id,
            _in_scope(StockLevel.warehouse_id),
            sa.or_(StockLevel.on_hand != 0, StockLevel.reserved != 0),
        )
    )
    for warehouse_id, code, name, on_hand, reserved in levels:
        places[warehouse_id] = WarehouseStock(warehouse_id, code, name, on_hand, reserved)
    balances = db.session.execute(
        sa.select(StockBalance.warehouse_id, Warehouse.code, Warehouse.name, Location.code, StockBalance.on_hand)
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .join(Location, Location.id == StockBalance.location_id)
        .where(
            StockBalance.product_id == product.id,
            _in_scope(StockBalance.warehouse_id),
            StockBalance.on_hand != 0,
        )
        .order_by(Location.code)
    )
    for warehouse_id, code, name, location, on_hand in balances:
        # (With negative stock allowed, a warehouse can net to zero while its locations do not.)
        places.setdefault(warehouse_id, WarehouseStock(warehouse_id, code, name)).locations.append((location, on_hand))
    warehouses = sorted(places.values(), key=lambda w: w.code)
    on_hand = sum((w.on_hand for w in warehouses), ZERO)
    reserved = sum((w.reserved for w in warehouses), ZERO)
    has_moves = bool(warehouses) or (
        db.session.scalar(
            sa.select(StockMove.id)
            .where(StockMove.product_id == product.id, _in_scope(StockMove.warehouse_id))
            .limit(1)
        )
        is not None
    )
    show_cost = can(COST_PERMISSION)
    return {
        "product": product,
        "warehouses": warehouses,
        "on_hand": on_hand,
        "reserved": reserved,
        "available": on_hand - reserved,
        "has_moves": has_moves,
        "show_cost": show_cost,
        "value": value_of(on_hand, product.avg_cost) if show_cost else None,
        "is_low": product.reorder_level > 0 and on_hand - reserved < product.reorder_level,
        "limited": scope.allowed_warehouse_ids() is not None,
    }


def typeahead_stock(rows: list[dict]) -> None:
    """Add on hand and available (within the user's warehouses) to product typeahead results."""
    ids = [row["id"] for row in rows]
    if not ids:
        return
    figures = {
        product_id: (on_hand, reserved)
        for product_id, on_hand, reserved in db.session.execute(
            sa.select(StockLevel.product_id, sa.func.sum(StockLevel.on_hand), sa.func.sum(StockLevel.reserved))
            .where(StockLevel.product_id.in_(ids), _in_scope(StockLevel.warehouse_id))
            .group_by(StockLevel.product_id)
        )
    }
    for row in rows:
        on_hand, reserved = figures.get(row["id"], (ZERO, ZERO))
        on_hand, available = Decimal(str(on_hand)), Decimal(str(on_hand)) - Decimal(str(reserved))
        row["on_hand"] = format(on_hand.normalize(), "f")
        row["available"] = format(available.normalize(), "f")
        text = _(
            "On hand %(on_hand)s · available %(available)s", on_hand=grouped(on_hand), available=grouped(available)
        )
        row["hint"] = f"{row['hint']} · {text}" if row.get("hint") else text


def register() -> None:
    register_detail_panel(
        "product",
        Panel("stock", "inventory/_stock_product_panel.html", product_stock, permissions=("inventory.view",), order=10),
    )
    register_typeahead_enricher("product", TypeaheadEnricher("stock", typeahead_stock, permissions=("inventory.view",)))
    register_work_item(
        WorkItem(
            lowstock.WORK_KEY,
            _l("Products below their reorder level"),
            "exclamation-triangle",
            count=low_stock_count,
            link=lambda: url_for("inventory.stock_list", show=stock_lists.SHOW_LOW),
            permissions=(lowstock.WORK_PERMISSION,),
            order=50,
        )
    )


def low_stock_count() -> int:
    """Products below their reorder level in the user's warehouses: the stock list's "below reorder
    level" view, counted."""
    spec = stock_lists.product_stock_spec(stock_lists.warehouses_for(None))
    return lv.count(spec, can, {"show": stock_lists.SHOW_LOW}, WORK_COUNT_CAP)
