"""What sales shows on other domains' pages, and what it keeps from being deleted: a customer's
quotations, orders and deliveries on its page (each in the viewer's scope); customers, products,
warehouses and locations that open quotations, orders or draft deliveries still use; and its "my
work" counts on the dashboard (app/sales/work.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.core.registry import Panel, UsageCheck, register_detail_panel, register_usage_check
from app.extensions import db
from app.sales import scope, work
from app.sales.models import (
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    OrderStatus,
    Quotation,
    QuotationLine,
    QuotationStatus,
    SalesOrder,
    SalesOrderLine,
)

RECENT = 5
OPEN_QUOTATIONS = (QuotationStatus.DRAFT, QuotationStatus.PENDING, QuotationStatus.APPROVED, QuotationStatus.SENT)
OPEN_ORDERS = (OrderStatus.DRAFT, OrderStatus.CONFIRMED, OrderStatus.PARTIAL)


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def _recent(query: sa.Select, order_by) -> tuple[list, int]:
    rows = list(db.session.scalars(query.order_by(order_by.desc()).limit(RECENT)))
    total = len(rows) if len(rows) < RECENT else _count(query)
    return rows, total


def customer_quotations(customer) -> dict | None:
    rows, total = _recent(
        sa.select(Quotation).where(
            Quotation.customer_id == customer.id, Quotation.is_current.is_(True), scope.visible_quotations_filter()
        ),
        Quotation.id,
    )
    return {"customer": customer, "rows": rows, "total": total}


def customer_orders(customer) -> dict | None:
    rows, total = _recent(
        sa.select(SalesOrder).where(SalesOrder.customer_id == customer.id, scope.visible_orders_filter()), SalesOrder.id
    )
    return {"customer": customer, "rows": rows, "total": total}


def customer_deliveries(customer) -> dict | None:
    rows, total = _recent(
        sa.select(Delivery).where(Delivery.customer_id == customer.id, scope.visible_deliveries_filter()), Delivery.id
    )
    return {"customer": customer, "rows": rows, "total": total}


# --- usage ------------------------------------------------------------------------------------

QUOTATIONS = _l("open quotations")
ORDERS = _l("open sales orders")
DRAFT_DELIVERIES = _l("draft deliveries")


def _open_quotations(*conditions) -> int:
    query = sa.select(Quotation.id).where(
        Quotation.is_current.is_(True), Quotation.status.in_([s.value for s in OPEN_QUOTATIONS]), *conditions
    )
    return _count(query)


def _open_orders(*conditions) -> int:
    return _count(sa.select(SalesOrder.id).where(SalesOrder.status.in_([s.value for s in OPEN_ORDERS]), *conditions))


def _draft_deliveries(*conditions) -> int:
    query = (
        sa.select(Delivery.id)
        .join(DeliveryLine, DeliveryLine.delivery_id == Delivery.id)
        .where(Delivery.status == DeliveryStatus.DRAFT.value, *conditions)
        .distinct()
    )
    return _count(query)


def _register_usage() -> None:
    register_usage_check(
        "customer", UsageCheck("quotations", QUOTATIONS, lambda c: _open_quotations(Quotation.customer_id == c.id))
    )
    register_usage_check(
        "customer", UsageCheck("orders", ORDERS, lambda c: _open_orders(SalesOrder.customer_id == c.id))
    )
    register_usage_check(
        "product",
        UsageCheck(
            "quotations",
            QUOTATIONS,
            lambda p: _open_quotations(
                Quotation.id.in_(sa.select(QuotationLine.quotation_id).where(QuotationLine.product_id == p.id))
            ),
        ),
    )
    register_usage_check(
        "product",
        UsageCheck(
            "orders",
            ORDERS,
            lambda p: _open_orders(
                SalesOrder.id.in_(sa.select(SalesOrderLine.order_id).where(SalesOrderLine.product_id == p.id))
            ),
        ),
    )
    register_usage_check(
        "warehouse", UsageCheck("orders", ORDERS, lambda w: _open_orders(SalesOrder.warehouse_id == w.id))
    )
    register_usage_check(
        "location",
        UsageCheck("deliveries", DRAFT_DELIVERIES, lambda loc: _draft_deliveries(DeliveryLine.location_id == loc.id)),
    )


def register() -> None:
    register_detail_panel(
        "customer",
        Panel("quotations", "sales/_customer_quotations.html", customer_quotations, ("quotations.view",), order=20),
    )
    register_detail_panel(
        "customer",
        Panel("sales_orders", "sales/_customer_orders.html", customer_orders, ("sales_orders.view",), order=21),
    )
    register_detail_panel(
        "customer",
        Panel("deliveries", "sales/_customer_deliveries.html", customer_deliveries, ("deliveries.view",), order=22),
    )
    _register_usage()
    work.register_work()
