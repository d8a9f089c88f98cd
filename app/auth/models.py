"""Users, roles and the permission names each role grants."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.audit import Audited
from app.core.db import AuthorMixin, TimestampMixin, UTCDateTime, VersionMixin, case_sensitive_string
from app.core.i18n import language
from app.extensions import db

user_roles = sa.Table(
    "user_roles",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role_id", sa.ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, Audited, TimestampMixin, AuthorMixin, VersionMixin, db.Model):
    __tablename__ = "users"
    __audit_type__ = "user"
    __audit_exclude__ = frozenset({"last_login_at", "last_login_ip", "permissions_version", "password_changed_at"})
    __audit_redact__ = frozenset({"password_hash"})
    __audit_collections__ = {"roles": "name"}
    __audit_type_label__ = _l("User")
    __audit_labels__ = {
        "username": _l("Username"),
        "display_name": _l("Display name"),
        "email": _l("E-mail"),
        "phone": _l("Phone"),
        "password_hash": _l("Password"),
        "locale": _l("Language"),
        "timezone": _l("Time zone"),
        "is_active": _l("Active"),
        "password_changed_at": _l("Password changed"),
        "roles": _l("Roles"),
        "sessions": _l("Sessions"),
    }
    __table_args__ = (
        sa.CheckConstraint("locale IN ('zh', 'en')", name="locale_known"),
        sa.CheckConstraint("permissions_version >= 1", name="permissions_version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(case_sensitive_string(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    locale: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="zh")
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="Asia/Shanghai")
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    permissions_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_ip: Mapped[str | None] = mapped_column(sa.String(45))
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    roles: Mapped[list[Role]] = relationship(secondary=user_roles, back_populates="users", order_by="Role.name")

    def audit_label(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Role(Audited, TimestampMixin, AuthorMixin, VersionMixin, db.Model):
    __tablename__ = "roles"
    __audit_type__ = "role"
    __audit_collections__ = {"grants": "permission"}
    __audit_type_label__ = _l("Role")
    __audit_labels__ = {
        "name": _l("Code"),
        "title_zh": _l("Name (Chinese)"),
        "title_en": _l("Name (English)"),
        "description": _l("Description"),
        "grants": _l("Permissions"),
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    title_zh: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    title_en: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    grants: Mapped[list[RolePermission]] = relationship(
        back_populates="role", cascade="all, delete-orphan", order_by="RolePermission.permission"
    )
    users: Mapped[list[User]] = relationship(secondary=user_roles, back_populates="roles", lazy="select")

    @property
    def permission_names(self) -> frozenset[str]:
        return frozenset(g.permission for g in self.grants)

    @property
    def title(self) -> str:
        return self.title_zh if language() == "zh" else self.title_en

    @property
    def description_shown(self) -> str:
        # The default roles' descriptions are catalogue strings; an edited one is shown as typed.
        return gettext(self.description) if self.description else ""

    def audit_label(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Role {self.name}>"


class RolePermission(db.Model):
    __tablename__ = "role_permissions"

    role_id: Mapped[int] = mapped_column(sa.ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    permission: Mapped[str] = mapped_column(sa.String(64), primary_key=True)

    role: Mapped[Role] = relationship(back_populates="grants")
