"""Notifications (消息): one row per recipient, written in the recipient's language.

A notification is a row first: it is written in the same transaction as the event it reports, so
a rolled-back change notifies nobody. It is pushed to the recipient's open pages after commit; the
inbox, the navbar count and the dropdown read these rows.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

_BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # The inbox, newest first.
        sa.Index("ix_notifications_user_newest", "user_id", "id"),
        # The navbar's unread count and the unread filter: read_at IS NULL is an equality on the index.
        sa.Index("ix_notifications_user_unread", "user_id", "read_at", "id"),
    )

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    # What happened, e.g. "low_stock": lets the inbox show an icon and later pages filter by kind.
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # A path inside the application (no host), e.g. "/products/12".
    link: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
