"""Use cases for products, brands and categories. Services flush; the caller commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
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


NUMBER_FIELDS = ("bore_d", "outer_d", "width_b", "weight_kg", "list_price", "reorder_level")


def tidy(data: ProductData) -> None:
    """Store text the way people mean it: full-width folded, spacing tidied."""
    data.model = clean(data.model)
    data.name_zh = clean(data.name_zh)
    data.name_en = clean(data.name_en)


def field_problems(data: ProductData) -> list[tuple[str, str]]:
    """(field, message) for each rule ``data`` breaks that needs no database lookup."""
    problems = []
    if not model_key(data.model):
        problems.append(("model", _("Enter the model, e.g. 6204-2RS.")))
    if not (data.name_zh or data.name_en):
        problems.append(("name_zh", _("Enter the product name in Chinese or in English.")))
    if data.unit not in UNITS:
        problems.append(("unit", _("Choose a unit.")))
    for name in NUMBER_FIELDS:
        value = getattr(data, name)
        if value is not None and value < 0:
            problems.append((name, _("Numbers here cannot be negative.")))
    return problems


def _clash_message(clash: Product) -> str:
    if clash.deleted_at is not None:
        return _(
            "A deleted product %(name)s has the same brand and model. Restore it instead of creating it again.",
            name=clash.audit_label(),
        )
    return _("The product %(name)s already exists.", name=clash.audit_label())


def _validate(data: ProductData, product: Product | None = None) -> None:
    tidy(data)
    if data.brand_id is None or db.session.get(Brand, data.brand_id) is None:
        raise DomainError(_("Choose a brand."))
    problems = field_problems(data)
    if problems:
        raise DomainError(problems[0][1])
    if data.category_id is not None and db.session.get(Category, data.category_id) is None:
        raise DomainError(_("The chosen category no longer exists. Reload the page."))
    key = model_key(data.model)
    clash = db.session.scalar(sa.select(Product).where(Product.brand_id == data.brand_id, Product.model_key == key))
    if clash is not None and (product is None or clash.id != product.id):
        raise DomainError(_clash_message(clash))


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


# --- many at once (imports) ---------------------------------------------------------------------


DATA_FIELDS = tuple(ProductData.__dataclass_fields__)


def data_of(product: Product) -> ProductData:
    """The product's current values, as a form or an import would send them."""
    return ProductData(**{name: getattr(product, name) for name in DATA_FIELDS})


@dataclass
class ProductChange:
    """One product to create (``product`` is None) or to change."""

    data: ProductData
    product: Product | None = None
    expected_version: int | None = None


@dataclass
class BulkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


IMPORT_BATCH = 500


def products_by_key(keys: set[tuple[int, str]]) -> dict[tuple[int, str], Product]:
    """The products (deleted ones included) with these (brand id, model key) pairs."""
    by_brand: dict[int, list[str]] = {}
    for brand_id, key in keys:
        by_brand.setdefault(brand_id, []).append(key)
    found: dict[tuple[int, str], Product] = {}
    for brand_id, model_keys in by_brand.items():
        for start in range(0, len(model_keys), IMPORT_BATCH):
            chunk = model_keys[start : start + IMPORT_BATCH]
            query = sa.select(Product).where(Product.brand_id == brand_id, Product.model_key.in_(chunk))
            found.update({(p.brand_id, p.model_key): p for p in db.session.scalars(query)})
    return found


def _check_many(changes: Sequence[ProductChange]) -> None:
    for change in changes:
        tidy(change.data)
        problems = field_problems(change.data)
        if problems:
            raise DomainError(problems[0][1])
    brand_ids = {c.data.brand_id for c in changes}
    known = set(db.session.scalars(sa.select(Brand.id).where(Brand.id.in_([b for b in brand_ids if b is not None]))))
    if brand_ids - known:
        raise DomainError(_("Choose a brand."))
    category_ids = {c.data.category_id for c in changes if c.data.category_id is not None}
    if category_ids - set(db.session.scalars(sa.select(Category.id).where(Category.id.in_(category_ids)))):
        raise DomainError(_("The chosen category no longer exists. Reload the page."))
    keys: dict[tuple[int, str], ProductChange] = {}
    for change in changes:
        key = (change.data.brand_id, model_key(change.data.model))
        if key in keys:
            brand = db.session.get(Brand, key[0])
            name = f"{brand.name} {change.data.model}"
            raise DomainError(_("The product %(name)s is listed twice.", name=name))
        keys[key] = change
    # A product keeping its own brand and model cannot clash: the unique constraint says so.
    moved = {k for k, c in keys.items() if c.product is None or k != (c.product.brand_id, c.product.model_key)}
    for key, clash in products_by_key(moved).items():
        product = keys[key].product
        if product is None or clash.id != product.id:
            raise DomainError(_clash_message(clash))


def save_products(changes: Sequence[ProductChange]) -> BulkResult:
    """Create and change many products in one transaction, under the rules of create_product and update_product.

    Everything is checked before anything is written; rows are then flushed in batches, so the
    operation log and the full-text index are kept exactly as for single edits.
    """
    for change in changes:
        product = change.product
        if product is not None and change.expected_version not in (None, product.version_id):
            check_version(product, change.expected_version, product_fields(change.data))
    _check_many(changes)
    brands = {
        b.id: b for b in db.session.scalars(sa.select(Brand).where(Brand.id.in_({c.data.brand_id for c in changes})))
    }
    result = BulkResult()
    pending = 0
    for change in changes:
        product = change.product
        if product is None:
            product = Product()
            for name in DATA_FIELDS:  # not asdict(): its deep copies cost a second per 20,000 rows
                setattr(product, name, getattr(change.data, name))
            product.brand = brands[change.data.brand_id]
            product.refresh_keys()
            db.session.add(product)
            result.created += 1
        else:
            # Only differing values are assigned, so an unchanged product is not even flushed.
            changed = [name for name in DATA_FIELDS if getattr(product, name) != getattr(change.data, name)]
            for name in changed:
                setattr(product, name, getattr(change.data, name))
            if "brand_id" in changed:
                product.brand = brands[change.data.brand_id]
            if {"model", "name_zh", "name_en"} & set(changed):
                product.refresh_keys()
            if changed:
                result.updated += 1
            else:
                result.unchanged += 1
        pending += 1
        if pending >= IMPORT_BATCH:
            _flush_many()
            pending = 0
    _flush_many()
    log.info("products saved in bulk: %d created, %d updated", result.created, result.updated)
    return result


def _flush_many() -> None:
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        # Someone created one of these products since the check above.
        raise DomainError(_("Another user created some of these products meanwhile. Nothing was saved.")) from None


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
