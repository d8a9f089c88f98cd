"""Own / all scope of quotations: the one query filter every list, page, export and PDF uses.

A user holding ``quotations.view_all`` sees every quotation; one holding only ``quotations.view``
sees those where they are the salesperson. Anything else answers 404, whatever the URL.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from app.auth.access import can
from app.extensions import db
from app.sales.models import Quotation

VIEW_ALL = "quotations.view_all"


def may_view_all(check: Callable[[str], bool] = can) -> bool:
    return check(VIEW_ALL)


def visible_quotations_filter(*, user_id: int | None = None, view_all: bool | None = None) -> sa.ColumnElement[bool]:
    """The condition limiting quotations to those the user may see (the signed-in user by default)."""
    if view_all is None:
        view_all = current_user.is_authenticated and may_view_all()
    if view_all:
        return sa.true()
    if user_id is None:
        if not current_user.is_authenticated:
            return sa.false()
        user_id = int(current_user.get_id())
    return Quotation.salesperson_id == user_id


def visible_quotations() -> sa.Select:
    return sa.select(Quotation).where(visible_quotations_filter())


def load_quotation_or_404(quotation_id: int, *, for_update: bool = False) -> Quotation:
    """The quotation (any revision) if the signed-in user may see it, else 404; ``for_update``
    locks its row for a change of state."""
    query = visible_quotations().where(Quotation.id == quotation_id)
    if for_update:
        query = query.with_for_update(of=Quotation.__table__).execution_options(populate_existing=True)
    quotation = db.session.scalar(query)
    if quotation is None:
        abort(404)
    return quotation


# --- sales orders and deliveries ---------------------------------------------------------------

ORDERS_VIEW_ALL = "sales_orders.view_all"


def visible_orders_filter(*, user_id: int | None = None, view_all: bool | None = None) -> sa.ColumnElement[bool]:
    """Orders the user may see: all of them with ``sales_orders.view_all``, else those they sell."""
    from app.sales.models import SalesOrder

    if view_all is None:
        view_all = current_user.is_authenticated and can(ORDERS_VIEW_ALL)
    if view_all:
        return sa.true()
    if user_id is None:
        if not current_user.is_authenticated:
            return sa.false()
        user_id = int(current_user.get_id())
    return SalesOrder.salesperson_id == user_id


def load_order_or_404(order_id: int, *, for_update: bool = False):
    """The order if the signed-in user may see it, else 404; ``for_update`` locks its row (first:
    every change of an order, and every delivery posted against it, locks the order row)."""
    from app.core.db import begin_write
    from app.sales.models import SalesOrder

    query = sa.select(SalesOrder).where(SalesOrder.id == order_id, visible_orders_filter())
    if for_update:
        begin_write(db.session)
        query = query.with_for_update(of=SalesOrder.__table__).execution_options(populate_existing=True)
    order = db.session.scalar(query)
    if order is None:
        abort(404)
    return order


def visible_deliveries_filter() -> sa.ColumnElement[bool]:
    """Deliveries are seen with their orders, and only in the warehouses the user works in."""
    from app.inventory import scope as inventory_scope
    from app.sales.models import Delivery, SalesOrder

    allowed = inventory_scope.allowed_warehouse_ids()
    orders = sa.select(SalesOrder.id).where(visible_orders_filter())
    condition = (
        Delivery.order_id.in_(orders) if not (current_user.is_authenticated and can(ORDERS_VIEW_ALL)) else sa.true()
    )
    if allowed is not None:
        condition = sa.and_(condition, Delivery.warehouse_id.in_(allowed))
    return condition


def load_delivery_or_404(delivery_id: int):
    from app.sales.models import Delivery

    delivery = db.session.scalar(sa.select(Delivery).where(Delivery.id == delivery_id, visible_deliveries_filter()))
    if delivery is None:
        abort(404)
    return delivery
