"""The stock ledger: append-only moves, and the balances and reservations kept in step with them.

``stock_moves`` is the source of truth; nothing changes stock except the posting service, which
writes moves and, in the same transaction and under row locks, the balances they imply:
``stock_balances`` (on hand per product × warehouse × location), ``stock_levels`` (on hand and
reserved per product × warehouse — what "available" is computed from) and
``stock_reservations`` (reserved per product × warehouse × source line).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, price_column, quantity_column, utcnow
from app.extensions import db


class MoveType(enum.StrEnum):
    OPENING = "opening"
    RECEIPT = "receipt"
    DELIVERY = "delivery"
    ADJUSTMENT = "adjustment"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    COUNT = "count"

    @property
    def label(self):
        return MOVE_TYPE_LABELS[self]


MOVE_TYPE_LABELS = {
    MoveType.OPENING: _l("Opening stock"),
    MoveType.RECEIPT: _l("Receipt"),
    MoveType.DELIVERY: _l("Delivery"),
    MoveType.ADJUSTMENT: _l("Adjustment"),
    MoveType.TRANSFER_OUT: _l("Transfer out"),
    MoveType.TRANSFER_IN: _l("Transfer in"),
    MoveType.COUNT: _l("Count"),
}

_BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class StockMove(db.Model):
    """One change of stock at one location. Never updated, never deleted: a cancellation is a
    reversing move pointing at the move it reverses."""

    __tablename__ = "stock_moves"
    __table_args__ = (
        sa.Index("ix_stock_moves_product_time", "product_id", "id"),
        sa.Index("ix_stock_moves_place", "product_id", "warehouse_id", "location_id"),
        sa.Index("ix_stock_moves_source", "source_type", "source_id"),
        sa.Index("ix_stock_moves_created_at", "created_at"),
        sa.CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        sa.CheckConstraint(
            "move_type IN ('opening', 'receipt', 'delivery', 'adjustment', 'transfer_out', 'transfer_in', 'count')",
            name="move_type_known",
        ),
        sa.CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    move_type: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), nullable=False)
    warehouse_id: Mapped[int] = mapped_column(sa.ForeignKey("warehouses.id"), nullable=False)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(quantity_column(), nullable=False)
    # Incoming moves: what one unit cost. Outgoing moves: the moving average cost they left at.
    unit_cost: Mapped[Decimal] = mapped_column(price_column(), nullable=False, default=Decimal(0))
    # The product's moving average cost right after this move (for valuations at past dates).
    avg_cost_after: Mapped[Decimal] = mapped_column(price_column(), nullable=False, default=Decimal(0))
    source_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    source_id: Mapped[int | None] = mapped_column(_BIGINT)
    source_line_id: Mapped[int | None] = mapped_column(_BIGINT)
    source_number: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    reason: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stock_moves.id"), unique=True)

    product = relationship("Product", lazy="joined")
    warehouse = relationship("Warehouse", lazy="joined")
    location = relationship("Location", lazy="joined")


class StockBalance(db.Model):
    """On hand of one product at one location."""

    __tablename__ = "stock_balances"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "warehouse_id", "location_id", name="uq_stock_balances_place"),
        sa.Index("ix_stock_balances_location", "warehouse_id", "location_id"),
    )

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), nullable=False)
    warehouse_id: Mapped[int] = mapped_column(sa.ForeignKey("warehouses.id"), nullable=False)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"), nullable=False)
    on_hand: Mapped[Decimal] = mapped_column(quantity_column(), nullable=False, default=Decimal(0))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    product = relationship("Product", lazy="joined")
    location = relationship("Location", lazy="joined")


class StockLevel(db.Model):
    """On hand and reserved of one product in one warehouse: available = on_hand − reserved."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "warehouse_id", name="uq_stock_levels_product_warehouse"),
        sa.Index("ix_stock_levels_warehouse", "warehouse_id"),
        sa.CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), nullable=False)
    warehouse_id: Mapped[int] = mapped_column(sa.ForeignKey("warehouses.id"), nullable=False)
    on_hand: Mapped[Decimal] = mapped_column(quantity_column(), nullable=False, default=Decimal(0))
    reserved: Mapped[Decimal] = mapped_column(quantity_column(), nullable=False, default=Decimal(0))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    product = relationship("Product", lazy="joined")
    warehouse = relationship("Warehouse", lazy="joined")

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class StockReservation(db.Model):
    """Quantity of one product in one warehouse held for one source line (e.g. a sales order line)."""

    __tablename__ = "stock_reservations"
    __table_args__ = (
        sa.UniqueConstraint(
            "source_type", "source_line_id", "product_id", "warehouse_id", name="uq_stock_reservations_line"
        ),
        sa.Index("ix_stock_reservations_product_warehouse", "product_id", "warehouse_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), nullable=False)
    warehouse_id: Mapped[int] = mapped_column(sa.ForeignKey("warehouses.id"), nullable=False)
    source_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    source_id: Mapped[int | None] = mapped_column(_BIGINT)
    source_line_id: Mapped[int] = mapped_column(_BIGINT, nullable=False)
    quantity: Mapped[Decimal] = mapped_column(quantity_column(), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
