"""Low-stock alerts (issue 4 point 6): one notification per crossing of the reorder level.

The posting service calls ``check`` at the end of every change of available stock (moves,
reservations, releases), in the same transaction and under the product row locks it already holds,
so two postings cannot both see the crossing and a rolled-back posting alerts nobody.

Who hears of it: active users holding ``inventory.adjust`` or ``purchase_orders.edit`` through
their roles. Users limited to some warehouses (独立仓库) see every stock figure only for those
warehouses, and alerts follow the same rule: for them "available" is the sum over their own
warehouses, compared with the product's reorder level, with alert state of its own. They are never
told, not even as a yes/no, anything computed from warehouses they do not work in. Users who work
in every warehouse are alerted about the company-wide figure.

When one posting takes several products below their levels, each recipient gets one notification
listing them, not one per product.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import RolePermission, User, user_roles
from app.core.i18n import grouped
from app.core.realtime import work_changed
from app.extensions import db
from app.inventory.models import LowStockAlert, StockLevel, Warehouse, user_warehouses
from app.notifications import services as notifications

log = logging.getLogger(__name__)

KIND = "low_stock"
# The dashboard's "my work" count of products below their level (app/inventory/ui.py).
WORK_KEY = "low_stock"
WORK_PERMISSION = "inventory.view"
RECIPIENT_PERMISSIONS = ("inventory.adjust", "purchase_orders.edit")
ALL = ""
LISTED_AT_MOST = 20
ZERO = Decimal(0)

notifications.register_kind(KIND, _l("Low stock"), "exclamation-triangle")


@dataclass(frozen=True)
class Watched:
    """What the posting knows of a product it holds locked."""

    reorder_level: Decimal
    label: str
    deleted: bool = False


@dataclass(frozen=True)
class Crossing:
    product_id: int
    label: str
    available: Decimal
    reorder_level: Decimal


def scope_key(warehouse_ids: frozenset[int] | None) -> str:
    return ALL if not warehouse_ids else ",".join(str(w) for w in sorted(warehouse_ids))


def _recipients() -> dict[str, tuple[frozenset[int] | None, list[int]]]:
    """Active holders of the alert permissions, grouped by the warehouses they work in."""
    holders = (
        sa.select(user_roles.c.user_id)
        .join(RolePermission, RolePermission.role_id == user_roles.c.role_id)
        .where(RolePermission.permission.in_(RECIPIENT_PERMISSIONS))
    )
    limited: dict[int, set[int]] = {}
    users: list[int] = []
    for user_id, warehouse_id in db.session.execute(
        sa.select(User.id, user_warehouses.c.warehouse_id)
        .outerjoin(user_warehouses, user_warehouses.c.user_id == User.id)
        .where(User.is_active.is_(True), User.id.in_(holders))
        .order_by(User.id)
    ):
        if not users or users[-1] != user_id:
            users.append(user_id)
        if warehouse_id is not None:
            limited.setdefault(user_id, set()).add(warehouse_id)
    groups: dict[str, tuple[frozenset[int] | None, list[int]]] = {}
    for user_id in users:
        warehouses = frozenset(limited[user_id]) if user_id in limited else None
        groups.setdefault(scope_key(warehouses), (warehouses, []))[1].append(user_id)
    return groups


def _stock_viewers() -> list[int]:
    """Active users who see stock figures (and so the dashboard's low-stock count)."""
    viewers = (
        sa.select(user_roles.c.user_id)
        .join(RolePermission, RolePermission.role_id == user_roles.c.role_id)
        .where(RolePermission.permission == WORK_PERMISSION)
    )
    return list(db.session.scalars(sa.select(User.id).where(User.is_active.is_(True), User.id.in_(viewers))))


def _available(product_ids: list[int]) -> dict[int, dict[int, Decimal]]:
    """Available stock of each product per warehouse (read in the posting's transaction)."""
    levels = StockLevel.__table__
    result: dict[int, dict[int, Decimal]] = {}
    for product_id, warehouse_id, on_hand, reserved in db.session.execute(
        sa.select(levels.c.product_id, levels.c.warehouse_id, levels.c.on_hand, levels.c.reserved).where(
            levels.c.product_id.in_(product_ids)
        )
    ):
        result.setdefault(product_id, {})[warehouse_id] = on_hand - reserved
    return result


def check(products: Mapping[int, Watched]) -> None:
    """Raise or clear low-stock alerts for ``products``; call under their row locks, after the
    stock levels have been written."""
    if not products:
        return
    alerts = LowStockAlert.__table__
    product_ids = sorted(products)
    existing = {
        (row.product_id, row.scope): row.id
        for row in db.session.execute(
            sa.select(alerts.c.id, alerts.c.product_id, alerts.c.scope).where(alerts.c.product_id.in_(product_ids))
        )
    }
    watched = [p for p in product_ids if products[p].reorder_level > 0 and not products[p].deleted]
    if not watched and not existing:
        return  # the usual case for products without a reorder level: one indexed read
    groups = _recipients() if watched else {}
    available = _available(watched) if watched else {}
    doomed: list[int] = []
    new_rows: list[dict] = []
    crossings: dict[str, list[Crossing]] = {}
    for (product_id, scope), row_id in existing.items():
        if product_id not in watched or scope not in groups:
            doomed.append(row_id)  # no level any more, or nobody left who sees stock this way
    for product_id in watched:
        info = products[product_id]
        per_warehouse = available.get(product_id, {})
        for scope, (warehouses, _users) in groups.items():
            if warehouses is None:
                figure = sum(per_warehouse.values(), ZERO)
            else:
                figure = sum((q for w, q in per_warehouse.items() if w in warehouses), ZERO)
            low = figure < info.reorder_level
            row_id = existing.get((product_id, scope))
            if low and row_id is None:
                new_rows.append(
                    {"product_id": product_id, "scope": scope, "available": figure, "reorder_level": info.reorder_level}
                )
                crossings.setdefault(scope, []).append(Crossing(product_id, info.label, figure, info.reorder_level))
            elif not low and row_id is not None:
                doomed.append(row_id)
    if doomed:
        db.session.execute(sa.delete(alerts).where(alerts.c.id.in_(doomed)))
    if new_rows:
        db.session.execute(sa.insert(alerts), new_rows)
    if doomed or new_rows:
        # Some product crossed its level: open dashboards recount their "below reorder level".
        work_changed(_stock_viewers(), WORK_KEY)
    for scope, crossed in crossings.items():
        warehouses, user_ids = groups[scope]
        _notify(user_ids, crossed, warehouses)


def _warehouse_codes(warehouse_ids: frozenset[int] | None) -> str:
    if not warehouse_ids:
        return ""
    codes = db.session.scalars(
        sa.select(Warehouse.code).where(Warehouse.id.in_(warehouse_ids)).order_by(Warehouse.code)
    )
    return ", ".join(codes)


def _product_path(product_id: int) -> str:
    # A path inside the application, built without a request (postings also run from commands).
    adapter = current_app.url_map.bind("localhost")
    return adapter.build("products.product_detail", {"product_id": product_id})


def _notify(user_ids: list[int], crossed: list[Crossing], warehouses: frozenset[int] | None) -> None:
    codes = _warehouse_codes(warehouses)
    crossed = sorted(crossed, key=lambda c: c.label)

    if len(crossed) == 1:
        one = crossed[0]
        title = _l("Low stock: %(product)s", product=one.label)

        def body() -> str:
            if warehouses is None:
                return _(
                    "%(available)s available across all warehouses, below the reorder level of %(level)s.",
                    available=grouped(one.available),
                    level=grouped(one.reorder_level),
                )
            return _(
                "%(available)s available in your warehouses (%(warehouses)s), below the reorder level of %(level)s.",
                available=grouped(one.available),
                warehouses=codes,
                level=grouped(one.reorder_level),
            )

        link = _product_path(one.product_id)
    else:
        title = _l("Low stock: %(n)d products", n=len(crossed))

        def body() -> str:
            if warehouses is None:
                lines = [_("Available stock fell below the reorder level across all warehouses:")]
            else:
                lines = [
                    _(
                        "Available stock in your warehouses (%(warehouses)s) fell below the reorder level:",
                        warehouses=codes,
                    )
                ]
            for c in crossed[:LISTED_AT_MOST]:
                lines.append(
                    _(
                        "%(product)s: %(available)s available, reorder level %(level)s",
                        product=c.label,
                        available=grouped(c.available),
                        level=grouped(c.reorder_level),
                    )
                )
            if len(crossed) > LISTED_AT_MOST:
                lines.append(_("… and %(n)d more.", n=len(crossed) - LISTED_AT_MOST))
            return "\n".join(lines)

        link = ""
    notifications.notify(user_ids, KIND, title, body, link)
    log.info("low stock of %d product(s) notified to users %s", len(crossed), user_ids)
