"""The product list: columns, filters and search, shared by the page and its exports."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from app.core import listview as lv
from app.core.i18n import language
from app.core.refcache import RefCache
from app.extensions import db
from app.products.models import COST_PERMISSION, UNITS, Brand, Category, Product
from app.products.search import FTS, apply_search, joins_fts

STATUS_CHOICES = [
    ("current", _l("Not deleted")),
    ("active", _l("Active")),
    ("inactive", _l("Inactive")),
    ("deleted", _l("Deleted")),
]


def _status(query: sa.Select, value: str) -> sa.Select:
    if value == "deleted":
        return query.where(Product.deleted_at.is_not(None))
    query = query.where(Product.deleted_at.is_(None))
    if value == "active":
        return query.where(Product.is_active.is_(True))
    if value == "inactive":
        return query.where(Product.is_active.is_(False))
    return query


def _load_brands() -> list[tuple[int, str]]:
    return [tuple(row) for row in db.session.execute(sa.select(Brand.id, Brand.name).order_by(Brand.name))]


def _load_categories() -> list[tuple[int, str, str]]:
    query = sa.select(Category.id, Category.name_zh, Category.name_en).order_by(Category.code)
    return [tuple(row) for row in db.session.execute(query)]


BRANDS = RefCache("brands", _load_brands, Brand.__tablename__)
CATEGORIES = RefCache("product_categories", _load_categories, Category.__tablename__)


def brand_choices() -> list[tuple[str, str]]:
    """The brand filter's options (every list of products offers it)."""
    return [("", _l("All brands"))] + [(str(i), name) for i, name in BRANDS.get()]


def category_choices() -> list[tuple[str, str]]:
    """The category filter's options, named in the page's language."""
    zh = language() == "zh"
    return [("", _l("All categories"))] + [
        (str(i), name_zh if zh else name_en) for i, name_zh, name_en in CATEGORIES.get()
    ]


def _int_filter(column):
    def apply(query: sa.Select, value: str) -> sa.Select:
        return query.where(column == int(value)) if value.isdigit() else query

    return apply


def base_query() -> sa.Select:
    return sa.select(Product)


def _with_brand(query: sa.Select) -> sa.Select:
    return query.join(Brand, Brand.id == Product.brand_id)


def _with_category(query: sa.Select) -> sa.Select:
    return query.outerjoin(Category, Category.id == Product.category_id)


PRODUCT_LIST = lv.ListSpec(
    name="products",
    base_query=base_query,
    id_column=Product.id,
    default_sort="-id",
    columns=[
        lv.Column("brand", _l("Brand"), expr=Brand.name, value=lambda p: p.brand.name, join=_with_brand),
        lv.Column("model", _l("Model"), expr=Product.model, sort_expr=Product.model_key, link=True),
        lv.Column("name", _l("Name"), value=lambda p: p.name, sortable=False, in_export=False),
        lv.Column("name_zh", _l("Name (Chinese)"), expr=Product.name_zh, in_list=False),
        lv.Column("name_en", _l("Name (English)"), expr=Product.name_en, in_list=False),
        lv.Column(
            "category",
            _l("Category"),
            expr=Category.code,
            value=lambda p: p.category.name if p.category else "",
            join=_with_category,
        ),
        lv.Column("unit", _l("Unit"), expr=Product.unit, kind=lv.CHOICE, choices=UNITS, sortable=False),
        lv.Column("dimensions", _l("d×D×B (mm)"), value=lambda p: p.dimensions, sortable=False, in_export=False),
        lv.Column("bore_d", _l("Bore d (mm)"), expr=Product.bore_d, kind=lv.NUMBER, in_list=False),
        lv.Column("outer_d", _l("Outer D (mm)"), expr=Product.outer_d, kind=lv.NUMBER, in_list=False),
        lv.Column("width_b", _l("Width B (mm)"), expr=Product.width_b, kind=lv.NUMBER, in_list=False),
        lv.Column("weight_kg", _l("Weight (kg)"), expr=Product.weight_kg, kind=lv.NUMBER, in_list=False),
        lv.Column("list_price", _l("List price"), expr=Product.list_price, kind=lv.PRICE),
        lv.Column(
            "avg_cost", _l("Moving average cost"), expr=Product.avg_cost, kind=lv.PRICE, permission=COST_PERMISSION
        ),
        lv.Column(
            "last_purchase_price",
            _l("Last purchase price"),
            expr=Product.last_purchase_price,
            kind=lv.PRICE,
            permission=COST_PERMISSION,
            in_list=False,
        ),
        lv.Column("reorder_level", _l("Reorder level"), expr=Product.reorder_level, kind=lv.QUANTITY, in_list=False),
        lv.Column("is_active", _l("Active"), expr=Product.is_active, kind=lv.BOOL),
        lv.Column("note", _l("Note"), expr=Product.note, in_list=False),
    ],
    filters=[
        lv.Filter("brand", _l("Brand"), _int_filter(Product.brand_id), choices=brand_choices),
        lv.Filter("category", _l("Category"), _int_filter(Product.category_id), choices=category_choices),
        lv.Filter("status", _l("Status"), _status, choices=lambda: STATUS_CHOICES, default="current"),
    ],
    search=apply_search,
    id_order=lambda query: FTS.c.rowid if joins_fts(query) else Product.id,
    search_placeholder=_l("Model or name, e.g. 6204-2RS or 深沟球"),
    row_url=lambda p: url_for("products.product_detail", product_id=p.id),
    cached_by=(Product.__tablename__, Brand.__tablename__, Category.__tablename__),
)
