"""Quotations (报价单): one row per revision, with their lines.

A quotation's number stays the same across revisions; (number, revision) is unique and exactly one
revision of a number is current (``is_current``, enforced by a partial unique index made by the
migration). Only a draft changes; every other status is reached through one service function.
Amounts are computed by the server in Decimal and stored, so lists and reports read them directly.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

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

PERCENT = sa.Numeric(5, 2)
NUMBER_PREFIX = "QT"


class QuotationStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING = "pending_approval"
    APPROVED = "approved"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    # Never stored: a sent quotation whose validity has ended is shown (and filtered) as expired.
    EXPIRED = "expired"


STORED_STATUSES = tuple(s.value for s in QuotationStatus if s is not QuotationStatus.EXPIRED)
STATUS_LABELS = {
    QuotationStatus.DRAFT: _l("Draft"),
    QuotationStatus.PENDING: _l("Pending approval"),
    QuotationStatus.APPROVED: _l("Approved"),
    QuotationStatus.SENT: _l("Sent"),
    QuotationStatus.ACCEPTED: _l("Accepted"),
    QuotationStatus.REJECTED: _l("Rejected"),
    QuotationStatus.CANCELLED: _l("Cancelled"),
    QuotationStatus.EXPIRED: _l("Expired"),
}
# Statuses from which a new revision may be made.
REVISABLE = frozenset({QuotationStatus.SENT, QuotationStatus.REJECTED, QuotationStatus.EXPIRED})


class Quotation(Audited, TimestampMixin, AuthorMixin, VersionMixin, db.Model):
    __tablename__ = "quotations"
    __audit_type__ = "quotation"
    __audit_type_label__ = _l("Quotation")
    __audit_labels__ = {
        "number": _l("Number"),
        "revision": _l("Revision"),
        "status": _l("Status"),
        "customer_id": _l("Customer"),
        "contact_id": _l("Contact"),
        "salesperson_id": _l("Salesperson"),
        "currency": _l("Currency"),
        "tax_rate": _l("Tax rate %"),
        "prices_include_tax": _l("Prices include tax"),
        "valid_until": _l("Valid until"),
        "delivery_terms": _l("Delivery terms"),
        "payment_terms": _l("Payment terms"),
        "note": _l("Note"),
        "approval_comment": _l("Approval comment"),
        "rejection_reason": _l("Reason for rejection"),
        "total_net": _l("Net total"),
        "total_tax": _l("Tax"),
        "total_gross": _l("Total"),
        "is_current": _l("Current revision"),
    }
    __audit_exclude__ = frozenset(
        {
            "approved_by_id",
            "submitted_at",
            "approved_at",
            "sent_at",
            "closed_at",
            "revised_from_id",
            "copied_from_id",
            "needs_approval_reason",
        }
    )
    __audit_refs__ = {
        "customer_id": refs_by("customers", "name"),
        "contact_id": refs_by("customer_contacts", "name"),
        "salesperson_id": refs_by("users", "display_name"),
    }
    __audit_choices__ = {"status": {s.value: label for s, label in STATUS_LABELS.items()}}
    __table_args__ = (
        sa.UniqueConstraint("number", "revision", name="uq_quotations_number_revision"),
        sa.CheckConstraint(
            "status IN ('draft', 'pending_approval', 'approved', 'sent', 'accepted', 'rejected', 'cancelled')",
            name="status_known",
        ),
        sa.CheckConstraint("revision >= 1", name="revision_positive"),
        sa.CheckConstraint("tax_rate >= 0 AND tax_rate < 100", name="tax_rate_range"),
        sa.Index("ix_quotations_current_status", "is_current", "status"),
        sa.Index("ix_quotations_salesperson_current", "salesperson_id", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), nullable=False, index=True)
    revision: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    is_current: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default=QuotationStatus.DRAFT.value)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), nullable=False, index=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer_contacts.id", ondelete="SET NULL"))
    salesperson_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="CNY")
    tax_rate: Mapped[Decimal] = mapped_column(PERCENT, nullable=False, default=Decimal("13"))
    prices_include_tax: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    valid_until: Mapped[date] = mapped_column(sa.Date, nullable=False)
    delivery_terms: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    payment_terms: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    total_net: Mapped[Decimal] = mapped_column(money_column(), nullable=False, default=Decimal(0))
    total_tax: Mapped[Decimal] = mapped_column(money_column(), nullable=False, default=Decimal(0))
    total_gross: Mapped[Decimal] = mapped_column(money_column(), nullable=False, default=Decimal(0))
    # Why the last submission needed approval (shown to approvers; never reveals cost on its own).
    needs_approval_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approval_comment: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    revised_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quotations.id", ondelete="SET NULL"))
    copied_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quotations.id", ondelete="SET NULL"))

    customer = relationship("Customer", lazy="joined")
    contact = relationship("CustomerContact", lazy="joined")
    salesperson = relationship("User", foreign_keys=[salesperson_id], lazy="joined")
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    lines: Mapped[list[QuotationLine]] = relationship(
        back_populates="quotation", cascade="all, delete-orphan", order_by="QuotationLine.position"
    )

    @property
    def label(self) -> str:
        return self.number if self.revision == 1 else f"{self.number} R{self.revision}"

    def audit_label(self) -> str:
        return self.label

    @property
    def is_draft(self) -> bool:
        return self.status == QuotationStatus.DRAFT


class QuotationLine(Audited, db.Model):
    __tablename__ = "quotation_lines"
    __audit_type__ = "quotation_line"
    __audit_type_label__ = _l("Line")
    __audit_labels__ = {
        "requested_model": _l("Requested model"),
        "requested_quantity": _l("Requested quantity"),
        "product_id": _l("Product"),
        "quantity": _l("Quantity"),
        "unit_price": _l("Unit price"),
        "discount_percent": _l("Discount %"),
        "amount": _l("Amount"),
        "lead_time": _l("Lead time"),
        "note": _l("Note"),
    }
    __audit_exclude__ = frozenset({"quotation_id", "position"})
    __audit_refs__ = {"product_id": product_names}
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        sa.CheckConstraint("discount_percent >= 0 AND discount_percent <= 100", name="discount_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quotation_id: Mapped[int] = mapped_column(sa.ForeignKey("quotations.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    requested_model: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    requested_quantity: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), nullable=False, index=True)
    quantity: Mapped[Decimal] = mapped_column(quantity_column(), nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(price_column(), nullable=False)
    discount_percent: Mapped[Decimal] = mapped_column(PERCENT, nullable=False, default=Decimal(0))
    amount: Mapped[Decimal] = mapped_column(money_column(), nullable=False, default=Decimal(0))
    lead_time: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    note: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")

    quotation: Mapped[Quotation] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined", innerjoin=True)  # product_id is NOT NULL

    def audit_label(self) -> str:
        return f"#{self.position}"

    def audit_parent(self) -> tuple[str, int] | None:
        return ("quotation", self.quotation_id)


sa.Index("ix_quotation_lines_quotation_position", QuotationLine.quotation_id, QuotationLine.position)

Quotation.line_count = column_property(
    sa.select(sa.func.count(QuotationLine.id))
    .where(QuotationLine.quotation_id == Quotation.id)
    .correlate_except(QuotationLine)
    .scalar_subquery(),
    deferred=True,
)
