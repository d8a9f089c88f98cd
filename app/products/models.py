"""Brands, categories and products (bearings: brand + model)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.audit import Audited, refs_by
from app.core.db import (
    AuthorMixin,
    SoftDeleteMixin,
    TimestampMixin,
    VersionMixin,
    key_string,
    price_column,
    quantity_column,
)
from app.core.i18n import language
from app.core.text import model_key, normalize
from app.extensions import db

UNITS = {"pcs": _l("pcs"), "pair": _l("pair"), "set": _l("set")}
COST_PERMISSION = "products.view_cost"


class Brand(Audited, TimestampMixin, AuthorMixin, VersionMixin, db.Model):
    __tablename__ = "brands"
    __audit_type__ = "brand"
    __audit_type_label__ = _l("Brand")
    __audit_labels__ = {"name": _l("Brand"), "name_zh": _l("Chinese name"), "note": _l("Note")}
    __audit_exclude__ = frozenset({"name_key"})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    name_key: Mapped[str] = mapped_column(key_string(40), nullable=False, unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    def audit_label(self) -> str:
        return self.name

    @staticmethod
    def key_for(name: str) -> str:
        return model_key(name)


class Category(Audited, TimestampMixin, AuthorMixin, VersionMixin, db.Model):
    __tablename__ = "product_categories"
    __audit_type__ = "product_category"
    __audit_type_label__ = _l("Product category")
    __audit_labels__ = {"code": _l("Code"), "name_zh": _l("Name (Chinese)"), "name_en": _l("Name (English)")}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(key_string(30), nullable=False, unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    name_en: Mapped[str] = mapped_column(sa.String(60), nullable=False)

    @property
    def name(self) -> str:
        return self.name_zh if language() == "zh" else self.name_en

    def audit_label(self) -> str:
        return self.code


class Product(Audited, TimestampMixin, AuthorMixin, SoftDeleteMixin, VersionMixin, db.Model):
    __tablename__ = "products"
    __audit_type__ = "product"
    __audit_type_label__ = _l("Product")
    __audit_exclude__ = frozenset({"model_key", "search_text"})
    __audit_permissions__ = {"avg_cost": COST_PERMISSION, "last_purchase_price": COST_PERMISSION}
    __audit_refs__ = {"brand_id": refs_by("brands", "name"), "category_id": refs_by("product_categories", "code")}
    __audit_labels__ = {
        "brand_id": _l("Brand"),
        "model": _l("Model"),
        "name_zh": _l("Name (Chinese)"),
        "name_en": _l("Name (English)"),
        "category_id": _l("Category"),
        "unit": _l("Unit"),
        "bore_d": _l("Bore d (mm)"),
        "outer_d": _l("Outer D (mm)"),
        "width_b": _l("Width B (mm)"),
        "weight_kg": _l("Weight (kg)"),
        "list_price": _l("List price"),
        "avg_cost": _l("Moving average cost"),
        "last_purchase_price": _l("Last purchase price"),
        "reorder_level": _l("Reorder level"),
        "is_active": _l("Active"),
        "note": _l("Note"),
        "deleted_at": _l("Deleted"),
    }
    __table_args__ = (
        sa.UniqueConstraint("brand_id", "model_key", name="uq_products_brand_model"),
        sa.Index("ix_products_model_key", "model_key"),
        sa.Index("ix_products_list_price", "list_price"),
        sa.CheckConstraint("unit IN ('pcs', 'pair', 'set')", name="unit_known"),
        sa.CheckConstraint("list_price >= 0", name="list_price_not_negative"),
        sa.CheckConstraint("avg_cost >= 0", name="avg_cost_not_negative"),
        sa.CheckConstraint("reorder_level >= 0", name="reorder_level_not_negative"),
        sa.CheckConstraint(
            "(bore_d IS NULL OR bore_d >= 0) AND (outer_d IS NULL OR outer_d >= 0) "
            "AND (width_b IS NULL OR width_b >= 0) AND (weight_kg IS NULL OR weight_kg >= 0)",
            name="dimensions_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(sa.ForeignKey("brands.id"), nullable=False)
    model: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    model_key: Mapped[str] = mapped_column(key_string(80), nullable=False)
    name_zh: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    name_en: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    # Both names, normalised: what the name search (full-text index) looks in.
    search_text: Mapped[str] = mapped_column(sa.String(420), nullable=False, default="")
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product_categories.id"), index=True)
    unit: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="pcs")
    bore_d: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    outer_d: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    width_b: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    weight_kg: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 3))
    list_price: Mapped[Decimal] = mapped_column(price_column(), nullable=False, default=Decimal(0))
    avg_cost: Mapped[Decimal] = mapped_column(price_column(), nullable=False, default=Decimal(0))
    last_purchase_price: Mapped[Decimal | None] = mapped_column(price_column())
    reorder_level: Mapped[Decimal] = mapped_column(quantity_column(), nullable=False, default=Decimal(0))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    brand: Mapped[Brand] = relationship(lazy="joined", innerjoin=True)
    category: Mapped[Category | None] = relationship(lazy="joined")

    @property
    def name(self) -> str:
        """The name in the reader's language, falling back to the other one."""
        if language() == "zh":
            return self.name_zh or self.name_en
        return self.name_en or self.name_zh

    @property
    def dimensions(self) -> str:
        parts = [self.bore_d, self.outer_d, self.width_b]
        if not any(parts):
            return ""
        return "×".join(_plain(p) for p in parts)

    def refresh_keys(self) -> None:
        """Recompute the stored search keys from the fields people type."""
        self.model_key = model_key(self.model)
        self.search_text = normalize(f"{self.name_zh} {self.name_en}")[:420]

    def audit_label(self) -> str:
        brand = self.brand.name if self.brand is not None else ""
        return f"{brand} {self.model}".strip()


def _plain(value: Decimal | None) -> str:
    return "?" if value is None else format(value.normalize(), "f")


def product_names(connection: sa.Connection, ids: set[int]) -> dict[int, str]:
    """ "SKF 6204-2RS" for each product id (for histories of records that point at products)."""
    query = sa.select(Product.id, Brand.name, Product.model).join(Brand, Brand.id == Product.brand_id)
    return {pid: f"{brand} {model}" for pid, brand, model in connection.execute(query.where(Product.id.in_(ids)))}
