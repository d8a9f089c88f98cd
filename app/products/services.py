"""Use cases for products, brands and categories. Services flush; the caller commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import records
from app.core.errors import DomainError
from app.core.locking import check_version
from app.core.text import clean, model_key
from app.extensions import db
from app.products.models import UNITS, Brand, Category, Product

log = logging.getLogger(__name__)

ENTITY = "product"


@dataclass
class ProductData:
    brand_id: int | None
    model: str
    name_zh: str = ""
    name_en: str = ""
    category_id: int | None = None
    unit: str = "pcs"
    bore_d: Decimal | None = None
    outer_d: Decimal | None = None
    width_b: Decimal | None = None
    weight_kg: Decimal | None = None
    list_price: Decimal = Decimal(0)
    reorder_level: Decimal = Decimal(0)
    is_active: bool = True
    note: str = ""


def _validate(data: ProductData, product: Product | None = None) -> None:
    data.model = clean(data.model)
    data.name_zh = clean(data.name_zh)
    data.name_en = clean(data.name_en)
    if data.brand_id is None or db.session.get(Brand, data.brand_id) is None:
        raise DomainError(_("Choose a brand."))
    key = model_key(data.model)
    if not key:
        raise DomainError(_("Enter the model, e.g. 6204-2RS."))
    if not (data.name_zh or data.name_en):
        raise DomainError(_("Enter the product name in Chinese or in English."))
    if data.unit not in UNITS:
        raise DomainError(_("Choose a unit."))
    if data.category_id is not None and db.session.get(Category, data.category_id) is None:
        raise DomainError(_("The chosen category no longer exists. Reload the page."))
    for name in ("bore_d", "outer_d", "width_b", "weight_kg", "list_price", "reorder_level"):
        value = getattr(data, name)
        if value is not None and value < 0:
            raise DomainError(_("Numbers here cannot be negative."))
    clash = db.session.scalar(sa.select(Product).where(Product.brand_id == data.brand_id, Product.model_key == key))
    if clash is not None and (product is None or clash.id != product.id):
        if clash.deleted_at is not None:
            raise DomainError(
                _(
                    "A deleted product %(name)s has the same brand and model. Restore it instead of creating it again.",
                    name=clash.audit_label(),
                )
            )
        raise DomainError(_("The product %(name)s already exists.", name=clash.audit_label()))


def _apply(product: Product, data: ProductData) -> None:
    for name, value in asdict(data).items():
        setattr(product, name, value)
    product.brand = db.session.get(Brand, data.brand_id)
    product.refresh_keys()


def _flush_unique(product: Product) -> None:
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        raise DomainError(_("The product %(name)s already exists.", name=product.audit_label())) from None


def create_product(data: ProductData) -> Product:
    """Create a product."""
    _validate(data)
    product = Product()
    _apply(product, data)
    db.session.add(product)
    _flush_unique(product)
    log.info("product %s created", product.audit_label())
    return product


def product_fields(data: ProductData) -> dict[str, object]:
    return asdict(data)


def update_product(product: Product, data: ProductData, *, expected_version: int | None) -> Product:
    """Change a product."""
    check_version(product, expected_version, product_fields(data))
    _validate(data, product)
    _apply(product, data)
    _flush_unique(product)
    return product


def delete_product(product: Product) -> None:
    """Soft-delete a product nothing uses."""
    records.soft_delete(ENTITY, product, product.audit_label())
    db.session.flush()


def restore_product(product: Product) -> None:
    """Restore a soft-deleted product."""
    records.restore(product)
    db.session.flush()


def delete_products(products: Iterable[Product]) -> tuple[list[str], list[str]]:
    """Soft-delete each product that nothing uses; return (deleted labels, refusal messages)."""
    deleted, refused = [], []
    for product in products:
        try:
            with db.session.begin_nested():
                delete_product(product)
        except DomainError as exc:
            refused.append(str(exc))
        else:
            deleted.append(product.audit_label())
    return deleted, refused


# --- brands and categories ----------------------------------------------------------------------


def save_brand(brand: Brand | None, *, name: str, name_zh: str, note: str) -> Brand:
    """Create or rename a brand; names are unique whatever their case or spacing."""
    name = clean(name).upper()
    key = Brand.key_for(name)
    if not key:
        raise DomainError(_("Enter the brand name."))
    clash = db.session.scalar(sa.select(Brand).where(Brand.name_key == key))
    if clash is not None and clash is not brand:
        raise DomainError(_("The brand %(name)s already exists.", name=clash.name))
    if brand is None:
        brand = Brand()
        db.session.add(brand)
    brand.name, brand.name_key, brand.name_zh, brand.note = name, key, clean(name_zh), note.strip()
    db.session.flush()
    return brand


def delete_brand(brand: Brand) -> None:
    """Delete a brand no product uses (deleted products included: they can be restored)."""
    used = db.session.scalar(sa.select(sa.func.count()).select_from(Product).where(Product.brand_id == brand.id))
    if used:
        raise DomainError(_("%(name)s cannot be deleted: it is used by %(n)d products.", name=brand.name, n=used))
    db.session.delete(brand)
    db.session.flush()


def save_category(category: Category | None, *, code: str, name_zh: str, name_en: str) -> Category:
    """Create or change a product category."""
    code = model_key(code)
    if not code:
        raise DomainError(_("Enter a code made of letters and digits."))
    if not clean(name_zh) or not clean(name_en):
        raise DomainError(_("Enter the category's name in Chinese and in English."))
    clash = db.session.scalar(sa.select(Category).where(Category.code == code))
    if clash is not None and clash is not category:
        raise DomainError(_("A category with the code %(code)s already exists.", code=code))
    if category is None:
        category = Category()
        db.session.add(category)
    category.code, category.name_zh, category.name_en = code, clean(name_zh), clean(name_en)
    db.session.flush()
    return category


def delete_category(category: Category) -> None:
    """Delete a category no product uses."""
    used = db.session.scalar(sa.select(sa.func.count()).select_from(Product).where(Product.category_id == category.id))
    if used:
        raise DomainError(_("%(name)s cannot be deleted: it is used by %(n)d products.", name=category.name, n=used))
    db.session.delete(category)
    db.session.flush()
