"""Sales orders (销售订单) and deliveries (销售出库).

An order is a draft until confirmed; confirming reserves stock for its lines in the order's
warehouse (reservations live in inventory, keyed by the order line). A confirmed order changes only
through an amendment, which adjusts the reservations. Deliveries take stock out through the
inventory ledger, consuming the reservation of the line they deliver; each order line counts what
was delivered, and the database refuses a delivered quantity above the ordered one. A posted
delivery is never edited or deleted: it is cancelled, which posts the reversing moves.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.audit import Audited, refs_by
from app.core.db import (
    AuthorMixin,
    TimestampMixin,
    UTCDateTime,
    VersionMixin,
    money_column,
    price_column,
    quantity_column,
)
from app.extensions import db
from app.products.models import product_names
from app.sales.models.quotations import PERCENT

ORDER_PREFIX = "SO"
DELIVERY_PREFIX = "DN"


class OrderStatus(enum.StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    PARTIAL = "partially_delivered"
    DELIVERED = "delivered"
    CLOSED = "closed"
    CANCELLED = "cancelled"


ORDER_STATUS_LABELS = {
    OrderStatus.DRAFT: _l("Draft"),
    OrderStatus.CONFIRMED: _l("Confirmed"),
    OrderStatus.PARTIAL: _l("Partially delivered"),
    OrderStatus.DELIVERED: _l("Delivered"),
    OrderStatus.CLOSED: _l("Closed"),
    OrderStatus.CANCELLED: _l("Cancelled"),
}
# Orders whose remaining quantities are still to be delivered (and hold reservations).
OPEN_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.PARTIAL)


class DeliveryStatus(enum.StrEnum):
    DRAFT = "draft"
    POSTED = "posted"
    CANCELLED = "cancelled"


DELIVERY_STATUS_LABELS = {
    DeliveryStatus.DRAFT: _l("Draft"),
    DeliveryStatus.POSTED: _l("Posted"),
    DeliveryStatus.CANCELLED: _l("Cancelled"),
}


class SalesOrder(Audited, TimestampMixin, AuthorMixin, VersionMixin, db.Model):
    __tablename__ = "sales_orders"
    __audit_type__ = "sales_order"
    __audit_type_label__ = _l("Sales order")
    __audit_labels__ = {
        "number": _l("Number"),
        "status": _l("Status"),
        "customer_id": _l("Customer"),
        "contact_id": _l("Contact"),
        "salesperson_id": _l("Salesperson"),
        "warehouse_id": _l("Warehouse"),
        "customer_reference": _l("Customer's order no."),
        "delivery_date": _l("Delivery date"),
        "tax_rate": _l("Tax rate %"),
        "prices_include_tax": _l("Prices include tax"),
        "delivery_address": _l("Delivery address"),
        "delivery_terms": _l("Delivery terms"),
        "payment_terms": _l("Payment terms"),
        "note": _l("Note"),
        "total_net": _l("Net total"),
        "total_tax": _l("Tax"),
        "total_gross": _l("Total"),
        "close_reason": _l("Reason"),
    }
    __audit_exclude__ = frozenset({"quotation_id", "confirmed_by_id", "confirmed_at", "closed_at", "currency"})
    __audit_refs__ = {
        "customer_id": refs_by("customers", "name"),
        "contact_id": refs_by("customer_contacts", "name"),
        "salesperson_id": refs_by("users", "display_name"),
        "warehouse_id": refs_by("warehouses", "code"),
    }
    __audit_choices__ = {"status": {s.value: label for s, label in ORDER_STATUS_LABELS.items()}}
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('draft', 'confirmed', 'partially_delivered', 'delivered', 'closed', 'cancelled')",
            name="status_known",
        ),
        sa.CheckConstraint("tax_rate >= 0 AND tax_rate < 100", name="tax_rate_range"),
        sa.Index("ix_sales_orders_status", "status"),
        sa.Index("ix_sales_orders_salesperson_status", "salesperson_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default=OrderStatus.DRAFT.value)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), nullable=False, index=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer_contacts.id", ondelete="SET NULL"))
    salesperson_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    warehouse_id: Mapped[int] = mapped_column(sa.ForeignKey("warehouses.id"), nullable=False, index=True)
    quotation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quotations.id", ondelete="SET NULL"), index=True)
    customer_reference: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    delivery_date: Mapped[date | None] = mapped_column(sa.Date)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="CNY")
    tax_rate: Mapped[Decimal] = mapped_column(PERCENT, nullable=False, default=Decimal("13"))
    prices_include_tax: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    delivery_address: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    delivery_terms: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    payment_terms: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    total_net: Mapped[Decimal] = mapped_column(money_column(), nullable=False, default=Decimal(0))
    total_tax: Mapped[Decimal] = mapped_column(money_column(), nullable=False, default=Decimal(0))
    total_gross: Mapped[Decimal] = mapped_column(money_column(), nullable=False, default=Decimal(0))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why an order was cancelled, or closed before everything was delivered.
    close_reason: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")

    customer = relationship("Customer", lazy="joined")
    contact = relationship("CustomerContact", lazy="joined")
    salesperson = relationship("User", foreign_keys=[salesperson_id], lazy="joined")
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])
    warehouse = relationship("Warehouse", lazy="joined")
    quotation = relationship("Quotation", foreign_keys=[quotation_id])
    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="SalesOrderLine.position"
    )
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="order", order_by="Delivery.id")

    @property
    def label(self) -> str:
        return self.number

    def audit_label(self) -> str:
        return self.number

    @property
    def is_draft(self) -> bool:
        return self.status == OrderStatus.DRAFT

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class SalesOrderLine(Audited, db.Model):
    __tablename__ = "sales_order_lines"
    __audit_type__ = "sales_order_line"
    __audit_type_label__ = _l("Line")
    __audit_labels__ = {
        "product_id": _l("Product"),
        "customer_part_no": _l("Customer part no."),
        "quantity": _l("Quantity"),
        "delivered_qty": _l("Delivered"),
        "unit_price": _l("Unit price"),
        "discount_percent": _l("Discount %"),
        "amount": _l("Amount"),
        "lead_time": _l("Lead time"),
        "note": _l("Note"),
    }
    __audit_exclude__ = frozenset({"order_id", "position", "quotation_line_id"})
    __audit_refs__ = {"product_id": product_names}
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("delivered_qty >= 0", name="delivered_not_negative"),
        # Deliveries never exceed what was ordered, whatever the code above does.
        sa.CheckConstraint("delivered_qty <= quantity", name="delivered_within_ordered"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        sa.CheckConstraint("discount_percent >= 0 AND discount_percent <= 100", name="discount_range"),
        sa.Index("ix_sales_order_lines_order_position", "order_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("sales_orders.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), nullable=False, index=True)
    quotation_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("quotation_lines.id", ondelete="SET NULL"), index=True
    )
    customer_part_no: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    quantity: Mapped[Decimal] = mapped_column(quantity_column(), nullable=False)
    delivered_qty: Mapped[Decimal] = mapped_column(quantity_column(), nullable=False, default=Decimal(0))
    unit_price: Mapped[Decimal] = mapped_column(price_column(), nullable=False)
    discount_percent: Mapped[Decimal] = mapped_column(PERCENT, nullable=False, default=Decimal(0))
    amount: Mapped[Decimal] = mapped_column(money_column(), nullable=False, default=Decimal(0))
    lead_time: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    note: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")

    order: Mapped[SalesOrder] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined", innerjoin=True)  # product_id is NOT NULL

    def audit_label(self) -> str:
        return f"#{self.position}"

    def audit_parent(self) -> tuple[str, int] | None:
        return ("sales_order", self.order_id)

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.delivered_qty


class Delivery(Audited, TimestampMixin, AuthorMixin, VersionMixin, db.Model):
    __tablename__ = "deliveries"
    __audit_type__ = "delivery"
    __audit_type_label__ = _l("Delivery")
    __audit_labels__ = {
        "number": _l("Number"),
        "status": _l("Status"),
        "carrier": _l("Carrier"),
        "tracking_no": _l("Tracking no."),
        "note": _l("Note"),
        "posted_at": _l("Posted"),
        "cancelled_at": _l("Cancelled"),
    }
    __audit_exclude__ = frozenset({"order_id", "customer_id", "warehouse_id", "posted_by_id", "cancelled_by_id"})
    __audit_choices__ = {"status": {s.value: label for s, label in DELIVERY_STATUS_LABELS.items()}}
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'posted', 'cancelled')", name="status_known"),
        sa.Index("ix_deliveries_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default=DeliveryStatus.DRAFT.value)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("sales_orders.id"), nullable=False, index=True)
    # Copied from the order: lists filter by them without a join, and they never change.
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), nullable=False, index=True)
    warehouse_id: Mapped[int] = mapped_column(sa.ForeignKey("warehouses.id"), nullable=False, index=True)
    carrier: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    tracking_no: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    posted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    order: Mapped[SalesOrder] = relationship(back_populates="deliveries")
    customer = relationship("Customer", lazy="joined")
    warehouse = relationship("Warehouse", lazy="joined")
    posted_by = relationship("User", foreign_keys=[posted_by_id])
    lines: Mapped[list[DeliveryLine]] = relationship(
        back_populates="delivery", cascade="all, delete-orphan", order_by="DeliveryLine.position"
    )

    @property
    def label(self) -> str:
        return self.number

    def audit_label(self) -> str:
        return self.number

    @property
    def is_draft(self) -> bool:
        return self.status == DeliveryStatus.DRAFT


class DeliveryLine(Audited, db.Model):
    __tablename__ = "delivery_lines"
    __audit_type__ = "delivery_line"
    __audit_type_label__ = _l("Line")
    __audit_labels__ = {"location_id": _l("Location"), "quantity": _l("Quantity"), "product_id": _l("Product")}
    __audit_exclude__ = frozenset({"delivery_id", "position", "order_line_id"})
    __audit_refs__ = {"product_id": product_names, "location_id": refs_by("locations", "code")}
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.Index("ix_delivery_lines_delivery_position", "delivery_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(sa.ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("sales_order_lines.id"), nullable=False, index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), nullable=False, index=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(quantity_column(), nullable=False)

    delivery: Mapped[Delivery] = relationship(back_populates="lines")
    order_line: Mapped[SalesOrderLine] = relationship(lazy="joined")
    product = relationship("Product", lazy="joined", innerjoin=True)  # product_id is NOT NULL
    location = relationship("Location", lazy="joined")

    def audit_label(self) -> str:
        return f"#{self.position}"

    def audit_parent(self) -> tuple[str, int] | None:
        return ("delivery", self.delivery_id)
