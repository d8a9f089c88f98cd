"""Stock documents: adjustments, transfers, opening stock and counts, with their lines.

A document is a draft until it is posted; posting writes its moves through the posting service.
A posted document is never edited or deleted — it is cancelled, which posts the reversing moves.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from app.core.audit import Audited, refs_by
from app.core.db import AuthorMixin, TimestampMixin, UTCDateTime, VersionMixin, price_column, quantity_column
from app.extensions import db
from app.products.models import product_names


class DocType(enum.StrEnum):
    ADJUSTMENT = "adjustment"
    TRANSFER = "transfer"
    OPENING = "opening"
    COUNT = "count"


class DocStatus(enum.StrEnum):
    DRAFT = "draft"
    POSTED = "posted"
    CANCELLED = "cancelled"


DOC_PREFIX = {DocType.ADJUSTMENT: "ADJ", DocType.TRANSFER: "TRF", DocType.OPENING: "OPN", DocType.COUNT: "CNT"}
DOC_LABELS = {
    DocType.ADJUSTMENT: _l("Stock adjustment"),
    DocType.TRANSFER: _l("Stock transfer"),
    DocType.OPENING: _l("Opening stock"),
    DocType.COUNT: _l("Stock count"),
}
STATUS_LABELS = {DocStatus.DRAFT: _l("Draft"), DocStatus.POSTED: _l("Posted"), DocStatus.CANCELLED: _l("Cancelled")}
REASONS = {
    "damaged": _l("Damaged"),
    "lost": _l("Lost or stolen"),
    "found": _l("Found"),
    "sample": _l("Sample taken out"),
    "correction": _l("Correction of an earlier error"),
    "other": _l("Other"),
}


class StockDocument(Audited, TimestampMixin, AuthorMixin, VersionMixin, db.Model):
    __tablename__ = "stock_documents"
    __audit_type__ = "stock_document"
    __audit_type_label__ = _l("Stock document")
    __audit_labels__ = {
        "number": _l("Number"),
        "status": _l("Status"),
        "warehouse_id": _l("Warehouse"),
        "to_warehouse_id": _l("To warehouse"),
        "reason_code": _l("Reason"),
        "reason": _l("Reason details"),
        "note": _l("Note"),
        "posted_at": _l("Posted"),
        "cancelled_at": _l("Cancelled"),
        "doc_type": _l("Type"),
        "snapshot_at": _l("Book quantities taken"),
    }
    # Who posted or cancelled is the entry's author; the locations counted are on the lines.
    __audit_exclude__ = frozenset({"posted_by_id", "cancelled_by_id", "count_scope"})
    __audit_refs__ = {"warehouse_id": refs_by("warehouses", "code"), "to_warehouse_id": refs_by("warehouses", "code")}
    __audit_choices__ = {
        "doc_type": {t.value: label for t, label in DOC_LABELS.items()},
        "status": {s.value: label for s, label in STATUS_LABELS.items()},
        "reason_code": REASONS,
    }
    __table_args__ = (
        sa.CheckConstraint("doc_type IN ('adjustment', 'transfer', 'opening', 'count')", name="doc_type_known"),
        sa.CheckConstraint("status IN ('draft', 'posted', 'cancelled')", name="status_known"),
        sa.Index("ix_stock_documents_type_status", "doc_type", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    number: Mapped[str] = mapped_column(sa.String(20), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default=DocStatus.DRAFT.value)
    warehouse_id: Mapped[int] = mapped_column(sa.ForeignKey("warehouses.id"), nullable=False, index=True)
    to_warehouse_id: Mapped[int | None] = mapped_column(sa.ForeignKey("warehouses.id"))
    reason_code: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="")
    reason: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # Counts only: the locations counted (empty: the whole warehouse) and when the book quantities were taken.
    count_scope: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    snapshot_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    posted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    warehouse = relationship("Warehouse", foreign_keys=[warehouse_id], lazy="joined")
    to_warehouse = relationship("Warehouse", foreign_keys=[to_warehouse_id], lazy="joined")
    lines: Mapped[list[StockDocumentLine]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="StockDocumentLine.position"
    )

    @property
    def type_label(self):
        return DOC_LABELS[DocType(self.doc_type)]

    @property
    def status_label(self):
        return STATUS_LABELS[DocStatus(self.status)]

    @property
    def is_draft(self) -> bool:
        return self.status == DocStatus.DRAFT

    def audit_label(self) -> str:
        return self.number


class StockDocumentLine(Audited, db.Model):
    __tablename__ = "stock_document_lines"
    __audit_type__ = "stock_document_line"
    __audit_type_label__ = _l("Line")
    __audit_labels__ = {
        "product_id": _l("Product"),
        "location_id": _l("Location"),
        "to_location_id": _l("To location"),
        "quantity": _l("Quantity"),
        "unit_cost": _l("Unit cost"),
        "expected_qty": _l("Book quantity"),
        "counted_qty": _l("Counted"),
        "note": _l("Note"),
    }
    __audit_permissions__ = {"unit_cost": "products.view_cost"}
    __audit_exclude__ = frozenset({"position", "document_id"})
    __audit_refs__ = {
        "product_id": product_names,
        "location_id": refs_by("locations", "code"),
        "to_location_id": refs_by("locations", "code"),
    }
    __table_args__ = (sa.CheckConstraint("unit_cost IS NULL OR unit_cost >= 0", name="unit_cost_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        sa.ForeignKey("stock_documents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), nullable=False)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"), nullable=False)
    to_location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("locations.id"))
    quantity: Mapped[Decimal | None] = mapped_column(quantity_column())
    unit_cost: Mapped[Decimal | None] = mapped_column(price_column())
    expected_qty: Mapped[Decimal | None] = mapped_column(quantity_column())
    counted_qty: Mapped[Decimal | None] = mapped_column(quantity_column())
    note: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")

    document: Mapped[StockDocument] = relationship(back_populates="lines")
    product = relationship("Product", lazy="joined")
    location = relationship("Location", foreign_keys=[location_id], lazy="joined")
    to_location = relationship("Location", foreign_keys=[to_location_id], lazy="joined")

    @property
    def variance(self) -> Decimal | None:
        if self.counted_qty is None or self.expected_qty is None:
            return None
        return self.counted_qty - self.expected_qty

    def audit_label(self) -> str:
        return f"#{self.position}"

    def audit_parent(self) -> tuple[str, int] | None:
        return ("stock_document", self.document_id)


StockDocument.line_count = column_property(
    sa.select(sa.func.count(StockDocumentLine.id))
    .where(StockDocumentLine.document_id == StockDocument.id)
    .correlate_except(StockDocumentLine)
    .scalar_subquery(),
    deferred=True,
)

_users = sa.table("users", sa.column("id"), sa.column("display_name"))


def _name_of(column) -> sa.ScalarSelect:
    return sa.select(_users.c.display_name).where(_users.c.id == column).scalar_subquery()


# Names of the people who wrote, posted and cancelled a document (loaded when asked for).
StockDocument.author_name = column_property(_name_of(StockDocument.created_by_id), deferred=True)
StockDocument.poster_name = column_property(_name_of(StockDocument.posted_by_id), deferred=True)
StockDocument.canceller_name = column_property(_name_of(StockDocument.cancelled_by_id), deferred=True)
