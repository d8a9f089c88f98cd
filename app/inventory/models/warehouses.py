"""Warehouses and their locations (racks, bins), and which users work in which warehouse."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from app.core.audit import Audited, refs_by
from app.core.db import AuthorMixin, SoftDeleteMixin, TimestampMixin, VersionMixin, key_string
from app.extensions import db

# Separate warehouses (独立仓库): a user listed here works only in these warehouses; a user with
# no row here works in all of them.
user_warehouses = sa.Table(
    "user_warehouses",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("warehouse_id", sa.ForeignKey("warehouses.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Warehouse(Audited, TimestampMixin, AuthorMixin, SoftDeleteMixin, VersionMixin, db.Model):
    __tablename__ = "warehouses"
    __audit_type__ = "warehouse"
    __audit_type_label__ = _l("Warehouse")
    __audit_labels__ = {
        "code": _l("Code"),
        "name": _l("Name"),
        "address": _l("Address"),
        "keeper_id": _l("Keeper"),
        "allow_negative": _l("Allow negative stock"),
        "is_active": _l("Active"),
        "note": _l("Note"),
        "deleted_at": _l("Deleted"),
    }
    __audit_refs__ = {"keeper_id": refs_by("users", "display_name")}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(key_string(20), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    address: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    keeper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    allow_negative: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    keeper = relationship("User", foreign_keys=[keeper_id], lazy="joined")
    locations: Mapped[list[Location]] = relationship(
        back_populates="warehouse", order_by="Location.code", lazy="select"
    )

    def audit_label(self) -> str:
        return f"{self.code} {self.name}"


class Location(Audited, TimestampMixin, AuthorMixin, SoftDeleteMixin, VersionMixin, db.Model):
    __tablename__ = "locations"
    __audit_type__ = "location"
    __audit_type_label__ = _l("Location")
    __audit_refs__ = {"warehouse_id": refs_by("warehouses", "code")}
    __audit_labels__ = {
        "warehouse_id": _l("Warehouse"),
        "code": _l("Code"),
        "name": _l("Description"),
        "is_active": _l("Active"),
        "deleted_at": _l("Deleted"),
    }
    __table_args__ = (sa.UniqueConstraint("warehouse_id", "code", name="uq_locations_warehouse_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(sa.ForeignKey("warehouses.id"), nullable=False)
    code: Mapped[str] = mapped_column(key_string(30), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    warehouse: Mapped[Warehouse] = relationship(back_populates="locations", lazy="joined")

    def audit_label(self) -> str:
        return f"{self.warehouse.code} {self.code}" if self.warehouse is not None else self.code

    def audit_parent(self) -> tuple[str, int] | None:
        return ("warehouse", self.warehouse_id)


Warehouse.location_count = column_property(
    sa.select(sa.func.count(Location.id))
    .where(Location.warehouse_id == Warehouse.id, Location.deleted_at.is_(None))
    .correlate_except(Location)
    .scalar_subquery(),
    deferred=True,
)
