"""Product import (导入检测): the columns of the product export without costs, matched by brand + model.

The machinery is ``app.core.imports``; this module says what a product row is and registers the
pages on the products blueprint: /products/import (upload), /products/import/template.xlsx,
/products/import/<token> (preview), /products/import/<token>/commit and /products/import/<token>/errors.csv.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.access import can, require
from app.core import imports
from app.core.text import model_key, normalize
from app.extensions import db
from app.products import services
from app.products.lists import PRODUCT_LIST
from app.products.models import UNITS, Brand, Category, Product
from app.products.views import bp

# Fields of ProductData that a column sets under another name.
FIELD_COLUMNS = {"brand_id": "brand", "category_id": "category"}
PLAIN_FIELDS = (
    "model",
    "name_zh",
    "name_en",
    "unit",
    "bore_d",
    "outer_d",
    "width_b",
    "weight_kg",
    "list_price",
    "reorder_level",
    "is_active",
    "note",
)


def _label(key: str) -> Any:
    """The product export's header for ``key``, so a template and an export read alike."""
    return PRODUCT_LIST.column(key).label


@dataclass
class Lookups:
    brands: dict[str, Brand]
    categories: dict[str, int]

    def brand(self, name: str | None) -> Brand | None:
        return self.brands.get(model_key(name)) if name else None

    def category(self, name: str) -> int | None:
        return self.categories.get(model_key(name)) or self.categories.get(normalize(name))


def _prepare(rows: list[dict[str, Any]]) -> Lookups:
    brands: dict[str, Brand] = {}
    for brand in db.session.scalars(sa.select(Brand)):
        brands[brand.name_key] = brand
    for brand in brands.copy().values():
        if brand.name_zh:
            brands.setdefault(model_key(brand.name_zh), brand)
    categories: dict[str, int] = {}
    for category in db.session.scalars(sa.select(Category)):
        categories[category.code] = category.id
        categories.setdefault(normalize(category.name_zh), category.id)
        categories.setdefault(normalize(category.name_en), category.id)
    return Lookups(brands=brands, categories=categories)


def _key(values: dict[str, Any], lookups: Lookups) -> Hashable | None:
    brand = lookups.brand(values.get("brand"))
    key = model_key(values.get("model"))
    return (brand.id, key) if brand is not None and key else None


def _find(keys: set[Hashable], lookups: Lookups) -> dict[Hashable, Product]:
    return services.products_by_key(keys)


def _build(
    values: dict[str, Any], lookups: Lookups, product: Product | None
) -> tuple[services.ProductData, list[tuple[str | None, str]]]:
    problems: list[tuple[str | None, str]] = []
    data = services.data_of(product) if product is not None else services.ProductData(brand_id=None, model="")
    if values.get("brand"):
        brand = lookups.brand(values["brand"])
        if brand is None:
            problems.append(
                (
                    "brand",
                    _(
                        "Unknown brand “%(name)s”. Add it on the Brands page first, or correct the spelling.",
                        name=values["brand"],
                    ),
                )
            )
        else:
            data.brand_id = brand.id
    if values.get("category"):
        category_id = lookups.category(values["category"])
        if category_id is None:
            problems.append(
                (
                    "category",
                    _(
                        "Unknown category “%(name)s”. Use a category code from the Product categories page.",
                        name=values["category"],
                    ),
                )
            )
        data.category_id = category_id
    for name in PLAIN_FIELDS:
        if values.get(name) is not None:
            setattr(data, name, values[name])
    services.tidy(data)
    problems.extend((FIELD_COLUMNS.get(name, name), message) for name, message in services.field_problems(data))
    return data, problems


def _save(planned: list[imports.Planned]) -> imports.SaveResult:
    result = services.save_products(
        [services.ProductChange(data=p.data, product=p.record, expected_version=p.version) for p in planned]
    )
    return imports.SaveResult(created=result.created, updated=result.updated, unchanged=result.unchanged)


def _brand_names() -> list[str]:
    return list(db.session.scalars(sa.select(Brand.name).order_by(Brand.name)))


def _category_codes() -> list[str]:
    return list(db.session.scalars(sa.select(Category.code).order_by(Category.code)))


_DIMENSION_HELP = _l("Millimetres, at most 2 decimal places.")

PRODUCT_IMPORT = imports.ImportSpec(
    name="products",
    title=_l("Import products"),
    sheet_name=_l("Products"),
    columns=(
        imports.ImportColumn(
            "brand",
            _label("brand"),
            imports.text(40),
            required=True,
            help=_l("A brand listed on the Brands page, e.g. SKF. Brand and model identify the product."),
            choices=_brand_names,
            width=12,
            text_format=True,
        ),
        imports.ImportColumn(
            "model",
            _label("model"),
            imports.text(80),
            required=True,
            help=_l("The model as printed, e.g. 6204-2RS. Spaces, dashes and case do not matter for matching."),
            width=18,
            text_format=True,
        ),
        imports.ImportColumn(
            "name_zh",
            _label("name_zh"),
            imports.text(200),
            help=_l("Enter at least one of the two names."),
            width=24,
            text_format=True,
        ),
        imports.ImportColumn(
            "name_en", _label("name_en"), imports.text(200), help=_l("Enter at least one of the two names."), width=30
        ),
        imports.ImportColumn(
            "category",
            _label("category"),
            imports.text(60),
            help=_l("A category code from the Product categories page (e.g. DGBB), or the category's name."),
            choices=_category_codes,
            width=12,
            text_format=True,
        ),
        imports.ImportColumn(
            "unit",
            _label("unit"),
            imports.choice(UNITS),
            help=_l("pcs, pair or set, in Chinese or English. Default: pcs."),
            choices=lambda: [str(label) for label in UNITS.values()],
            width=8,
        ),
        imports.ImportColumn("bore_d", _label("bore_d"), imports.number(2, max_digits=8), help=_DIMENSION_HELP),
        imports.ImportColumn("outer_d", _label("outer_d"), imports.number(2, max_digits=8), help=_DIMENSION_HELP),
        imports.ImportColumn("width_b", _label("width_b"), imports.number(2, max_digits=8), help=_DIMENSION_HELP),
        imports.ImportColumn(
            "weight_kg",
            _label("weight_kg"),
            imports.number(3, max_digits=10),
            help=_l("Kilograms, at most 3 decimal places."),
        ),
        imports.ImportColumn(
            "list_price",
            _label("list_price"),
            imports.number(4, max_digits=14),
            help=_l("CNY, at most 4 decimal places. Default: 0."),
            width=12,
        ),
        imports.ImportColumn(
            "reorder_level",
            _label("reorder_level"),
            imports.number(3, max_digits=14),
            help=_l("A low-stock alert is raised below this quantity. Default: 0."),
            width=12,
        ),
        imports.ImportColumn(
            "is_active",
            _label("is_active"),
            imports.boolean(),
            help=_l("Yes or No. Default: Yes."),
            choices=lambda: [_("Yes"), _("No")],
            width=8,
        ),
        imports.ImportColumn("note", _label("note"), imports.text(2000), width=30, text_format=True),
    ),
    key_columns=("brand", "model"),
    key_label=_l("brand and model"),
    prepare=_prepare,
    key=_key,
    find=_find,
    build=_build,
    describe=lambda product: product.audit_label(),
    save=_save,
    permission="products.import",
    update_permission="products.edit",
    endpoint="products.product_import",
    done_endpoint="products.product_list",
    audit_type=Product.__audit_type__,
    ignore_headers=(_label("avg_cost"), _label("last_purchase_price")),
    notes=(_l("Brands and categories must exist before the import: add new ones on their pages first."),),
)

imports.guard_uploads(bp)


@bp.route("/products/import", methods=["GET", "POST"])
@require("products.view", "products.import")
@imports.upload_limit(PRODUCT_IMPORT.max_bytes)
def product_import():
    return imports.upload_view(PRODUCT_IMPORT, can)


@bp.get("/products/import/template.xlsx")
@require("products.view", "products.import")
def product_import_template():
    return imports.template_response(PRODUCT_IMPORT)


@bp.get("/products/import/<token>")
@require("products.view", "products.import")
def product_import_preview(token: str):
    return imports.preview_view(PRODUCT_IMPORT, token)


@bp.post("/products/import/<token>/commit")
@require("products.view", "products.import")
def product_import_commit(token: str):
    return imports.commit_view(PRODUCT_IMPORT, token, can)


@bp.get("/products/import/<token>/errors.csv")
@require("products.view", "products.import")
def product_import_errors(token: str):
    return imports.errors_response(PRODUCT_IMPORT, token)
