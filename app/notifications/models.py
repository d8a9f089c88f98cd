"""Notifications (消息): one row per recipient, written in the recipient's language; broadcasts.

A notification is a row first: it is written in the same transaction as the event it reports, so
a rolled-back change notifies nobody. It is pushed to the recipient's open pages after commit; the
inbox, the navbar count and the dropdown read these rows.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from app.core.audit import Audited
from app.core.db import AuthorMixin, TimestampMixin, UTCDateTime, utcnow
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


class Broadcast(Audited, TimestampMixin, AuthorMixin, db.Model):
    """A message an administrator sent to everyone or to the holders of some roles (消息管理).

    The audience is resolved to users when it is sent: each gets a notification row. The roles are
    kept by code, so the record still says who it was for after a role is renamed or deleted.
    """

    __tablename__ = "broadcasts"
    __audit_type__ = "broadcast"
    __audit_type_label__ = _l("Broadcast message")
    __audit_labels__ = {
        "title": _l("Message title"),
        "body": _l("Message"),
        "link": _l("Link"),
        "to_everyone": _l("To everyone"),
        "role_names": _l("Roles"),
        "recipient_count": _l("Recipients"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    link: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    to_everyone: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # Role codes, comma-separated; empty when sent to everyone.
    role_names: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    recipient_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    def audit_label(self) -> str:
        return self.title

    @property
    def roles(self) -> list[str]:
        return [name for name in self.role_names.split(",") if name]
