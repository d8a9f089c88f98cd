"""Stock figures: the overview by product and by location, a product's ledger, the valuation.

Every figure covers only the warehouses the user works in; asking for another warehouse (or a
location in one) by URL answers 404.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.access import can, require
from app.core import exports
from app.core import listview as lv
from app.core.i18n import parse_day, user_today
from app.core.registry import MenuItem, register_menu_item
from app.extensions import db
from app.inventory import scope
from app.inventory import stock_lists as sl
from app.inventory.blueprint import bp
from app.inventory.models import Location, StockLevel, Warehouse
from app.products.models import COST_PERMISSION, Product

_VIEW = ("inventory.view",)
register_menu_item(
    MenuItem(
        "inventory",
        "inventory.stock_list",
        _l("Stock overview"),
        "boxes",
        _VIEW,
        order=10,
        active_prefix="inventory.stock_",
    )
)
register_menu_item(
    MenuItem(
        "inventory",
        "inventory.balance_list",
        _l("Stock by location"),
        "grid-3x3-gap",
        _VIEW,
        order=11,
        active_prefix="inventory.balance_",
    )
)
register_menu_item(
    MenuItem(
        "inventory",
        "inventory.valuation_report",
        _l("Stock valuation"),
        "calculator",
        (*_VIEW, COST_PERMISSION),
        order=30,
        active_prefix="inventory.valuation_",
    )
)

# Columns summed over every row the filters select, when asked (or when there are few rows).
_TOTALS = ["on_hand", "reserved", "available", "value"]


def _chosen_warehouse() -> int | None:
    """The warehouse the user picked, after checking they work in it (404 otherwise)."""
    value = request.args.get("warehouse", "").strip()
    if not value.isdigit():
        return None
    return scope.warehouse_or_404(int(value)).id


def _scope_note() -> str | None:
    """Says which warehouses the figures cover, for a user limited to some of them."""
    allowed = scope.allowed_warehouse_ids()
    if allowed is None:
        return None
    codes = db.session.scalars(sa.select(Warehouse.code).where(Warehouse.id.in_(allowed)).order_by(Warehouse.code))
    return _("Figures of your warehouses only: %(codes)s", codes=", ".join(codes))


def _export(spec: lv.ListSpec, fmt: str, name: str):
    if fmt not in ("xlsx", "csv"):
        abort(404)
    columns, rows = lv.export_rows(spec, can)
    if fmt == "csv":
        return exports.csv_response(columns, rows, f"{name}.csv")
    return exports.xlsx_response(columns, rows, f"{name}.xlsx", name)


def _all_totals(result: lv.ListResult, spec: lv.ListSpec, grouped_spec: lv.ListSpec) -> dict | None:
    """Totals of every matching row: at once when there are few enough to have been counted (a
    subquery per row, like the page), on request past the count cap (then in one pass over every
    level or balance: adding up a million takes a while)."""
    if not result.page.total_capped:
        return sl.totals(spec, result.state, _TOTALS, can)
    if request.args.get("totals") == "1":
        return sl.totals(grouped_spec, result.state, _TOTALS, can)
    return None


# --- overview ----------------------------------------------------------------------------------


@bp.get("/inventory/")
@require("inventory.view")
def stock_list():
    chosen = _chosen_warehouse()
    warehouses = sl.warehouses_for(chosen)
    spec = sl.product_stock_spec(warehouses, chosen)
    result = lv.run(spec, can)
    return render_template(
        "inventory/stock_list.html",
        result=result,
        all_totals=_all_totals(result, spec, sl.product_stock_spec(warehouses, chosen, grouped=True)),
        scope_note=_scope_note(),
    )


@bp.get("/inventory/export.<fmt>")
@require("inventory.view", "inventory.export")
def stock_export(fmt: str):
    chosen = _chosen_warehouse()
    return _export(sl.product_stock_spec(sl.warehouses_for(chosen), chosen, grouped=True), fmt, _("stock"))


def _sorted_by_location() -> bool:
    return request.args.get("sort", "").lstrip("-") == "location"


@bp.get("/inventory/by-location")
@require("inventory.view")
def balance_list():
    warehouses = sl.warehouses_for(_chosen_warehouse())
    spec = sl.location_stock_spec(warehouses, by_location=_sorted_by_location())
    result = lv.run(spec, can)
    slim = sl.location_stock_spec(warehouses, slim=True)
    return render_template(
        "inventory/stock_location_list.html",
        result=result,
        all_totals=_all_totals(result, slim, slim),
        scope_note=_scope_note(),
    )


@bp.get("/inventory/by-location/export.<fmt>")
@require("inventory.view", "inventory.export")
def balance_export(fmt: str):
    spec = sl.location_stock_spec(sl.warehouses_for(_chosen_warehouse()), by_location=_sorted_by_location())
    return _export(spec, fmt, _("stock by location"))


# --- a product's ledger ----------------------------------------------------------------------


def _ledger_place(product_id: int) -> tuple[Product, sl.Place]:
    product = db.session.get(Product, product_id)
    if product is None:
        abort(404)
    chosen = _chosen_warehouse()
    location_id = None
    value = request.args.get("location", "").strip()
    if value.isdigit():
        location = db.session.get(Location, int(value))
        if location is None or not scope.may_use(location.warehouse_id):
            abort(404)
        location_id = location.id
    return product, sl.Place(product.id, sl.warehouses_for(chosen), location_id)


def _levels(product_id: int, warehouses: list[int] | None):
    """On hand, reserved and available of the product in these warehouses, right now."""
    query = sa.select(
        sa.func.coalesce(sa.func.sum(StockLevel.on_hand), 0), sa.func.coalesce(sa.func.sum(StockLevel.reserved), 0)
    ).where(StockLevel.product_id == product_id)
    if warehouses is not None:
        query = query.where(StockLevel.warehouse_id.in_(warehouses))
    on_hand, reserved = db.session.execute(query).one()
    return {"on_hand": on_hand, "reserved": reserved, "available": on_hand - reserved}


@bp.get("/inventory/products/<int:product_id>/ledger")
@require("inventory.view")
def stock_ledger(product_id: int):
    product, place = _ledger_place(product_id)
    spec = sl.ledger_spec(place)
    result = lv.run(spec, can)
    result.page.items = sl.with_balances(place, result.page.items)
    return render_template(
        "inventory/stock_ledger.html",
        product=product,
        result=result,
        summary=sl.ledger_summary(spec, result.state) if result.state.active else None,
        levels=_levels(product.id, place.warehouses),
        show_cost=can(COST_PERMISSION),
        scope_note=_scope_note(),
    )


@bp.get("/inventory/products/<int:product_id>/ledger/export.<fmt>")
@require("inventory.view", "inventory.export")
def stock_ledger_export(product_id: int, fmt: str):
    product, place = _ledger_place(product_id)
    return _export(sl.ledger_spec(place, running_sql=True), fmt, _("ledger %(model)s", model=product.model))


# --- valuation ---------------------------------------------------------------------------------


def _valuation_day():
    return parse_day(request.args.get("date")) or user_today()


@bp.get("/inventory/valuation")
@require("inventory.view", COST_PERMISSION)
def valuation_report():
    day, warehouses = _valuation_day(), sl.warehouses_for(_chosen_warehouse())
    result = lv.run(sl.valuation_spec(day, warehouses), can)
    grouped = sl.valuation_spec(day, warehouses, grouped=True)
    return render_template(
        "inventory/stock_valuation.html",
        result=result,
        day=day,
        all_totals=sl.totals(grouped, result.state, ["quantity", "value"], can),
        scope_note=_scope_note(),
        time_zone=str(get_timezone()),
    )


@bp.get("/inventory/valuation/export.<fmt>")
@require("inventory.view", COST_PERMISSION, "inventory.export")
def valuation_export(fmt: str):
    day = _valuation_day()
    spec = sl.valuation_spec(day, sl.warehouses_for(_chosen_warehouse()), grouped=True)
    return _export(spec, fmt, _("stock valuation %(date)s", date=day.isoformat()))
