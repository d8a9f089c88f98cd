"""The lists of sales orders, backorders (what is left to deliver) and deliveries, shared by their
pages and exports; each applies its scope (own/all orders, the user's warehouses)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from app.auth.models import User
from app.core import listview as lv
from app.core.listing import contains_pattern
from app.core.text import model_key, prefix_range
from app.customers.models import CODE_PREFIX, Customer
from app.extensions import db
from app.inventory import scope as inventory_scope
from app.inventory.models import StockReservation, Warehouse
from app.products.models import UNITS, Brand, Product
from app.sales import orders as order_services
from app.sales import scope
from app.sales.models import (
    DELIVERY_STATUS_LABELS,
    ORDER_STATUS_LABELS,
    Delivery,
    DeliveryLine,
    OrderStatus,
    SalesOrder,
    SalesOrderLine,
)

ORDER_STATUS_CHOICES = {s.value: label for s, label in ORDER_STATUS_LABELS.items()}
DELIVERY_STATUS_CHOICES = {s.value: label for s, label in DELIVERY_STATUS_LABELS.items()}
OPEN = [s.value for s in (OrderStatus.CONFIRMED, OrderStatus.PARTIAL)]


# --- shared filters ---------------------------------------------------------------------------


def _customer(query: sa.Select, value: str) -> sa.Select:
    """A customer by id (links from its page), by code, or by a piece of its name."""
    value = value.strip()
    if value.isdigit():
        return query.where(Customer.id == int(value))
    return query.where(
        sa.or_(Customer.code == value.upper(), Customer.name.ilike(contains_pattern(value), escape="\\"))
    )


def _model_condition(value: str) -> sa.ColumnElement[bool] | None:
    key = model_key(value)
    if not key:
        return None
    low, high = prefix_range(key)
    return sa.and_(Product.model_key >= low, Product.model_key < high)


def _salesperson_choices() -> list[tuple[str, str]]:
    people = db.session.execute(
        sa.select(User.id, User.display_name)
        .where(User.id.in_(sa.select(SalesOrder.salesperson_id).where(scope.visible_orders_filter())))
        .order_by(User.display_name)
    ).all()
    return [("", _l("All salespeople"))] + [(str(i), n) for i, n in people]


def _salesperson(query: sa.Select, value: str) -> sa.Select:
    return query.where(SalesOrder.salesperson_id == int(value)) if value.isdigit() else query


def _warehouse_choices() -> list[tuple[str, str]]:
    return [("", _l("All warehouses"))] + [(str(w.id), w.code) for w in inventory_scope.usable_warehouses()]


def _number_search(column, q: str) -> sa.ColumnElement[bool]:
    low, high = prefix_range(q.strip().upper())
    return sa.and_(column >= low, column < high)


# --- sales orders -----------------------------------------------------------------------------


def _orders() -> sa.Select:
    return (
        sa.select(SalesOrder)
        .join(Customer, Customer.id == SalesOrder.customer_id)
        .join(User, User.id == SalesOrder.salesperson_id)
        .join(Warehouse, Warehouse.id == SalesOrder.warehouse_id)
        .where(scope.visible_orders_filter())
    )


def _order_status(query: sa.Select, value: str) -> sa.Select:
    if value == "open":
        return query.where(SalesOrder.status.in_(OPEN))
    return query.where(SalesOrder.status == value) if value in ORDER_STATUS_CHOICES else query


def _order_status_choices() -> list[tuple[str, object]]:
    return [("", _l("All statuses")), ("open", _l("Open (to deliver)")), *ORDER_STATUS_CHOICES.items()]


def _order_model(query: sa.Select, value: str) -> sa.Select:
    condition = _model_condition(value)
    if condition is None:
        return query
    lines = sa.select(SalesOrderLine.order_id).join(Product, Product.id == SalesOrderLine.product_id).where(condition)
    return query.where(SalesOrder.id.in_(lines))


def _has_backorder(query: sa.Select, value: str) -> sa.Select:
    """Partly delivered orders: something went out, something is still to go."""
    if value == "yes":
        return query.where(SalesOrder.status == OrderStatus.PARTIAL.value)
    if value == "no":
        return query.where(SalesOrder.status != OrderStatus.PARTIAL.value)
    return query


def _order_warehouse(query: sa.Select, value: str) -> sa.Select:
    return query.where(SalesOrder.warehouse_id == int(value)) if value.isdigit() else query


def _deliverable(query: sa.Select, value: str) -> sa.Select:
    """Orders shipping from a warehouse the user works in (the "orders to deliver" count)."""
    allowed = inventory_scope.allowed_warehouse_ids()
    return query if allowed is None else query.where(SalesOrder.warehouse_id.in_(allowed))


def _order_search(query: sa.Select, q: str) -> sa.Select:
    text = q.strip()
    return query.where(
        sa.or_(
            _number_search(SalesOrder.number, text),
            SalesOrder.customer_reference == text,
            Customer.code == text.upper() if text.upper().startswith(CODE_PREFIX) else sa.false(),
            Customer.name.ilike(contains_pattern(text), escape="\\"),
        )
    )


ORDER_LIST = lv.ListSpec(
    name="sales_orders",
    base_query=_orders,
    id_column=SalesOrder.id,
    default_sort="-number",
    columns=[
        lv.Column("number", _l("Number"), expr=SalesOrder.number, link=True),
        lv.Column("customer", _l("Customer"), expr=Customer.name, value=lambda o: o.customer.name),
        lv.Column("customer_reference", _l("Customer's order no."), expr=SalesOrder.customer_reference),
        lv.Column("status", _l("Status"), expr=SalesOrder.status, kind=lv.CHOICE, choices=ORDER_STATUS_CHOICES),
        lv.Column("warehouse", _l("Ship from"), expr=Warehouse.code, value=lambda o: o.warehouse.code),
        lv.Column("salesperson", _l("Salesperson"), expr=User.display_name, value=lambda o: o.salesperson.display_name),
        lv.Column("total_gross", _l("Total"), expr=SalesOrder.total_gross, kind=lv.MONEY, total=True),
        lv.Column("delivery_date", _l("Delivery date"), expr=SalesOrder.delivery_date, kind=lv.DATE),
        lv.Column("created_at", _l("Created"), expr=SalesOrder.created_at, kind=lv.DATETIME),
        lv.Column("note", _l("Note"), expr=SalesOrder.note, in_list=False),
    ],
    filters=[
        lv.Filter("status", _l("Status"), _order_status, choices=_order_status_choices),
        lv.Filter(
            "backorder",
            _l("Backorder"),
            _has_backorder,
            choices=lambda: [
                ("", _l("With or without backorder")),
                ("yes", _l("Has a backorder")),
                ("no", _l("No backorder")),
            ],
        ),
        lv.Filter("salesperson", _l("Salesperson"), _salesperson, choices=_salesperson_choices),
        lv.Filter("warehouse", _l("Ship from"), _order_warehouse, choices=_warehouse_choices),
        lv.Filter("customer", _l("Customer"), _customer, placeholder=_l("Customer code or name")),
        lv.Filter("model", _l("Model"), _order_model, placeholder=_l("Product model")),
        *lv.date_range_filters(SalesOrder.created_at),
        lv.Filter("deliverable", _l("In my warehouses"), _deliverable, hidden=True),
    ],
    search=_order_search,
    search_placeholder=_l("Number, customer or customer's order no."),
    row_url=lambda o: url_for("sales.order_detail", order_id=o.id),
)


# --- backorders: what is left to deliver ------------------------------------------------------

_BackorderBrand = aliased(Brand)
_REMAINING = SalesOrderLine.quantity - SalesOrderLine.delivered_qty
_RESERVED = (
    sa.select(sa.func.coalesce(sa.func.sum(StockReservation.quantity), 0))
    .where(
        StockReservation.source_type == order_services.RESERVATION_SOURCE,
        StockReservation.source_line_id == SalesOrderLine.id,
    )
    .correlate(SalesOrderLine)
    .scalar_subquery()
)


def _backorders() -> sa.Select:
    return (
        sa.select(SalesOrderLine, _RESERVED.label("reserved"))
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .join(Customer, Customer.id == SalesOrder.customer_id)
        .join(User, User.id == SalesOrder.salesperson_id)
        .join(Warehouse, Warehouse.id == SalesOrder.warehouse_id)
        .join(Product, Product.id == SalesOrderLine.product_id)
        .join(_BackorderBrand, _BackorderBrand.id == Product.brand_id)
        .where(scope.visible_orders_filter(), SalesOrder.status.in_(OPEN), _REMAINING > 0)
    )


def _which(query: sa.Select, value: str) -> sa.Select:
    """Backorders proper (orders partly delivered) by default; every open line on request."""
    if value == "all":
        return query
    return query.where(SalesOrder.status == OrderStatus.PARTIAL.value)


def _short_only(query: sa.Select, value: str) -> sa.Select:
    return query.where(_REMAINING > _RESERVED) if value == "yes" else query


def _backorder_model(query: sa.Select, value: str) -> sa.Select:
    condition = _model_condition(value)
    return query if condition is None else query.where(condition)


def _backorder_warehouse(query: sa.Select, value: str) -> sa.Select:
    return _order_warehouse(query, value)


def _line(row):
    return row[0]


BACKORDER_LIST = lv.ListSpec(
    name="backorders",
    base_query=_backorders,
    id_column=SalesOrderLine.id,
    default_sort="number",
    per_page=50,
    columns=[
        lv.Column("number", _l("Order"), expr=SalesOrder.number, value=lambda r: _line(r).order.number, link=True),
        lv.Column("customer", _l("Customer"), expr=Customer.name, value=lambda r: _line(r).order.customer.name),
        lv.Column("brand", _l("Brand"), expr=_BackorderBrand.name, value=lambda r: _line(r).product.brand.name),
        lv.Column("model", _l("Model"), expr=Product.model, value=lambda r: _line(r).product.model),
        lv.Column(
            "customer_part_no",
            _l("Customer part no."),
            expr=SalesOrderLine.customer_part_no,
            value=lambda r: _line(r).customer_part_no,
            sortable=False,
        ),
        lv.Column(
            "quantity", _l("Ordered"), expr=SalesOrderLine.quantity, value=lambda r: _line(r).quantity, kind=lv.QUANTITY
        ),
        lv.Column(
            "delivered",
            _l("Delivered"),
            expr=SalesOrderLine.delivered_qty,
            value=lambda r: _line(r).delivered_qty,
            kind=lv.QUANTITY,
        ),
        lv.Column(
            "remaining",
            _l("To deliver"),
            expr=_REMAINING,
            value=lambda r: _line(r).remaining,
            kind=lv.QUANTITY,
            total=True,
        ),
        lv.Column(
            "reserved", _l("Reserved"), expr=_RESERVED, value=lambda r: r.reserved, kind=lv.QUANTITY, sortable=False
        ),
        lv.Column(
            "short",
            _l("Short"),
            expr=sa.case((_REMAINING > _RESERVED, _REMAINING - _RESERVED), else_=0),
            value=lambda r: max(_line(r).remaining - r.reserved, 0),
            kind=lv.QUANTITY,
            sortable=False,
            total=True,
        ),
        lv.Column(
            "unit",
            _l("Unit"),
            expr=Product.unit,
            value=lambda r: _line(r).product.unit,
            kind=lv.CHOICE,
            choices=UNITS,
            sortable=False,
        ),
        lv.Column("warehouse", _l("Ship from"), expr=Warehouse.code, value=lambda r: _line(r).order.warehouse.code),
        lv.Column(
            "delivery_date",
            _l("Delivery date"),
            expr=SalesOrder.delivery_date,
            value=lambda r: _line(r).order.delivery_date,
            kind=lv.DATE,
        ),
        lv.Column(
            "salesperson",
            _l("Salesperson"),
            expr=User.display_name,
            value=lambda r: _line(r).order.salesperson.display_name,
        ),
    ],
    filters=[
        lv.Filter(
            "which",
            _l("Lines"),
            _which,
            choices=lambda: [
                ("partial", _l("Backorders (partly delivered orders)")),
                ("all", _l("Every line still to deliver")),
            ],
            default="partial",
        ),
        lv.Filter(
            "short",
            _l("Stock"),
            _short_only,
            choices=lambda: [("", _l("Reserved or not")), ("yes", _l("Short of stock only"))],
        ),
        lv.Filter("warehouse", _l("Ship from"), _backorder_warehouse, choices=_warehouse_choices),
        lv.Filter("customer", _l("Customer"), _customer, placeholder=_l("Customer code or name")),
        lv.Filter("model", _l("Model"), _backorder_model, placeholder=_l("Product model")),
    ],
    search=lambda query, q: query.where(
        sa.or_(_number_search(SalesOrder.number, q), Customer.name.ilike(contains_pattern(q), escape="\\"))
    ),
    search_placeholder=_l("Order number or customer"),
    row_url=lambda r: url_for("sales.order_detail", order_id=_line(r).order_id),
)


# --- deliveries -------------------------------------------------------------------------------


def _deliveries() -> sa.Select:
    return (
        sa.select(Delivery)
        .join(SalesOrder, SalesOrder.id == Delivery.order_id)
        .join(Customer, Customer.id == Delivery.customer_id)
        .join(Warehouse, Warehouse.id == Delivery.warehouse_id)
        .where(scope.visible_deliveries_filter())
    )


def _delivery_status(query: sa.Select, value: str) -> sa.Select:
    return query.where(Delivery.status == value) if value in DELIVERY_STATUS_CHOICES else query


def _delivery_warehouse(query: sa.Select, value: str) -> sa.Select:
    return query.where(Delivery.warehouse_id == int(value)) if value.isdigit() else query


def _delivery_model(query: sa.Select, value: str) -> sa.Select:
    condition = _model_condition(value)
    if condition is None:
        return query
    lines = sa.select(DeliveryLine.delivery_id).join(Product, Product.id == DeliveryLine.product_id).where(condition)
    return query.where(Delivery.id.in_(lines))


def _delivery_search(query: sa.Select, q: str) -> sa.Select:
    text = q.strip()
    return query.where(
        sa.or_(
            _number_search(Delivery.number, text),
            _number_search(SalesOrder.number, text),
            Delivery.tracking_no == text,
            Customer.name.ilike(contains_pattern(text), escape="\\"),
        )
    )


DELIVERY_LIST = lv.ListSpec(
    name="deliveries",
    base_query=_deliveries,
    id_column=Delivery.id,
    default_sort="-number",
    columns=[
        lv.Column("number", _l("Number"), expr=Delivery.number, link=True),
        lv.Column("order", _l("Order"), expr=SalesOrder.number, value=lambda d: d.order.number),
        lv.Column("customer", _l("Customer"), expr=Customer.name, value=lambda d: d.customer.name),
        lv.Column("status", _l("Status"), expr=Delivery.status, kind=lv.CHOICE, choices=DELIVERY_STATUS_CHOICES),
        lv.Column("warehouse", _l("Warehouse"), expr=Warehouse.code, value=lambda d: d.warehouse.code),
        lv.Column("carrier", _l("Carrier"), expr=Delivery.carrier, sortable=False),
        lv.Column("tracking_no", _l("Tracking no."), expr=Delivery.tracking_no, sortable=False),
        lv.Column("posted_at", _l("Posted"), expr=Delivery.posted_at, kind=lv.DATETIME),
        lv.Column("created_at", _l("Created"), expr=Delivery.created_at, kind=lv.DATETIME),
    ],
    filters=[
        lv.Filter(
            "status",
            _l("Status"),
            _delivery_status,
            choices=lambda: [("", _l("All statuses")), *DELIVERY_STATUS_CHOICES.items()],
        ),
        lv.Filter("warehouse", _l("Warehouse"), _delivery_warehouse, choices=_warehouse_choices),
        lv.Filter("customer", _l("Customer"), _customer, placeholder=_l("Customer code or name")),
        lv.Filter("model", _l("Model"), _delivery_model, placeholder=_l("Product model")),
        *lv.date_range_filters(Delivery.created_at),
    ],
    search=_delivery_search,
    search_placeholder=_l("Delivery or order number, customer, tracking no."),
    row_url=lambda d: url_for("sales.delivery_detail", delivery_id=d.id),
)
