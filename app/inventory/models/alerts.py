"""Low-stock alert state: a row while a product's available stock is below its reorder level.

The row is what makes an alert fire once per crossing rather than once per move: it is written
when the stock falls below the level (and the notification sent), left alone while it stays low,
and deleted when the stock is back at or above the level, so a later fall alerts again. Rows are
read and written only under the product's row lock, which every posting holds.

``scope`` says whose view of the stock the row is about: "" for all warehouses, or the sorted ids
of the warehouses a group of warehouse-limited users works in ("3,7"): those users are alerted
about the stock they can see, never about figures of other warehouses.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, quantity_column, utcnow
from app.extensions import db

ALL_WAREHOUSES = ""


class LowStockAlert(db.Model):
    __tablename__ = "low_stock_alerts"
    __table_args__ = (sa.UniqueConstraint("product_id", "scope", name="uq_low_stock_alerts_product_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False)
    scope: Mapped[str] = mapped_column(sa.String(200), nullable=False, default=ALL_WAREHOUSES)
    # What was available, and the level it fell below, when the alert was raised.
    available: Mapped[Decimal] = mapped_column(quantity_column(), nullable=False)
    reorder_level: Mapped[Decimal] = mapped_column(quantity_column(), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
