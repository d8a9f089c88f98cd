"""Product pages: list, detail with history, create, edit, delete and restore, exports, typeahead;
brands and categories."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.access import can, require
from app.core import audit, exports, registry
from app.core import listview as lv
from app.core.errors import DomainError, StaleEditError
from app.core.registry import MenuItem, register_menu_item
from app.core.security import safe_next
from app.extensions import db
from app.products import services
from app.products.forms import BrandForm, CategoryForm, ProductForm
from app.products.lists import PRODUCT_LIST
from app.products.models import COST_PERMISSION, UNITS, Brand, Category, Product
from app.products.search import apply_search

bp = Blueprint("products", __name__)

register_menu_item(
    MenuItem("master", "products.product_list", _l("Products"), "gear-wide", ("products.view",), order=30)
)
register_menu_item(
    MenuItem(
        "master",
        "products.brand_list",
        _l("Brands"),
        "tags",
        ("products.view",),
        order=31,
        active_prefix="products.brand_",
    )
)
register_menu_item(
    MenuItem(
        "master",
        "products.category_list",
        _l("Product categories"),
        "diagram-3",
        ("products.view",),
        order=32,
        active_prefix="products.category_",
    )
)

TYPEAHEAD_LIMIT = 20


@bp.app_template_global("unit_label")
def unit_label(code: str) -> str:
    return str(UNITS.get(code, code))


def load_product_or_404(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        abort(404)
    return product


def _brands() -> list[Brand]:
    return list(db.session.scalars(sa.select(Brand).order_by(Brand.name)))


def _categories() -> list[Category]:
    return list(db.session.scalars(sa.select(Category).order_by(Category.code)))


def _data(form: ProductForm) -> services.ProductData:
    return services.ProductData(
        brand_id=form.brand_id.data,
        model=form.model.data or "",
        name_zh=form.name_zh.data or "",
        name_en=form.name_en.data or "",
        category_id=form.category_id.data,
        unit=form.unit.data,
        bore_d=form.bore_d.data,
        outer_d=form.outer_d.data,
        width_b=form.width_b.data,
        weight_kg=form.weight_kg.data,
        list_price=form.list_price.data,
        reorder_level=form.reorder_level.data or 0,
        is_active=form.is_active.data,
        note=form.note.data or "",
    )


@bp.get("/products/")
@require("products.view")
def product_list():
    return lv.render_page(PRODUCT_LIST, can, "products/product_list.html", _("Products"))


@bp.get("/products/export.<fmt>")
@require("products.view", "products.export")
def product_export(fmt: str):
    if fmt not in ("xlsx", "csv"):
        abort(404)
    columns, rows = lv.export_rows(PRODUCT_LIST, can)
    name = _("products")
    if fmt == "csv":
        return exports.csv_response(columns, rows, f"{name}.csv")
    return exports.xlsx_response(columns, rows, f"{name}.xlsx", name)


@bp.route("/products/new", methods=["GET", "POST"])
@require("products.edit")
def product_new():
    form = ProductForm()
    form.set_choices(_brands(), _categories())
    if form.validate_on_submit():
        try:
            product = services.create_product(_data(form))
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Product %(name)s created.", name=product.audit_label()), "success")
            return redirect(url_for("products.product_detail", product_id=product.id))
    return render_template("products/product_form.html", form=form, product=None)


@bp.get("/products/<int:product_id>")
@require("products.view")
def product_detail(product_id: int):
    product = load_product_or_404(product_id)
    entries = audit.history("product", product.id) if can("audit.view") or can("products.edit") else []
    return render_template(
        "products/product_detail.html",
        product=product,
        entries=entries,
        actors=audit.actor_names(entries),
        panels=registry.panels.visible("detail:product", can),
        show_cost=can(COST_PERMISSION),
    )


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@require("products.edit")
def product_edit(product_id: int):
    product = load_product_or_404(product_id)
    if product.deleted_at is not None:
        flash(_("This product is deleted. Restore it to change it."), "warning")
        return redirect(url_for("products.product_detail", product_id=product.id))
    form = ProductForm(obj=product)
    form.set_choices(_brands(), _categories())
    if request.method == "GET":
        form.version_id.data = product.version_id
    conflict = None
    if form.validate_on_submit():
        try:
            services.update_product(product, _data(form), expected_version=form.version_id.data)
        except StaleEditError as exc:
            db.session.rollback()
            conflict = exc
            form.version_id.data = product.version_id
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Product %(name)s saved.", name=product.audit_label()), "success")
            return redirect(url_for("products.product_detail", product_id=product.id))
    return render_template("products/product_form.html", form=form, product=product, conflict=conflict)


@bp.post("/products/<int:product_id>/delete")
@require("products.delete")
def product_delete(product_id: int):
    product = load_product_or_404(product_id)
    try:
        services.delete_product(product)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Product %(name)s deleted. It can be restored.", name=product.audit_label()), "success")
    return redirect(url_for("products.product_detail", product_id=product.id))


@bp.post("/products/<int:product_id>/restore")
@require("products.delete")
def product_restore(product_id: int):
    product = load_product_or_404(product_id)
    services.restore_product(product)
    db.session.commit()
    flash(_("Product %(name)s restored.", name=product.audit_label()), "success")
    return redirect(url_for("products.product_detail", product_id=product.id))


@bp.post("/products/delete")
@require("products.delete")
def product_delete_many():
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()][:500]
    products = list(db.session.scalars(sa.select(Product).where(Product.id.in_(ids), Product.deleted_at.is_(None))))
    deleted, refused = services.delete_products(products)
    db.session.commit()
    if deleted:
        flash(_("%(n)d products deleted.", n=len(deleted)), "success")
    for message in refused:
        flash(message, "danger")
    if not deleted and not refused:
        flash(_("Select the rows to delete first."), "warning")
    return redirect(safe_next(request.form.get("next")) or url_for("products.product_list"))


# --- typeahead --------------------------------------------------------------------------------


@bp.get("/api/products/search")
@require("products.view")
def product_typeahead():
    """Products for a picker: brand, model, name, list price; cost only for those who may see it."""
    q = request.args.get("q", "").strip()[:100]
    query = sa.select(Product).where(Product.deleted_at.is_(None), Product.is_active.is_(True))
    if q:
        query = apply_search(query, q)
    products = list(db.session.scalars(query.order_by(Product.model_key, Product.id).limit(TYPEAHEAD_LIMIT)))
    show_cost = can(COST_PERMISSION)
    rows = []
    for p in products:
        row = {
            "id": p.id,
            "brand": p.brand.name,
            "model": p.model,
            "name": p.name,
            "unit": p.unit,
            "list_price": str(p.list_price),
            "label": f"{p.brand.name} {p.model}",
        }
        if show_cost:
            row["avg_cost"] = str(p.avg_cost)
        rows.append(row)
    registry.enrich_typeahead("product", rows, can)
    return jsonify({"results": rows})


# --- brands and categories ----------------------------------------------------------------------


def _render_brands(form: BrandForm):
    counts = dict(
        db.session.execute(
            sa.select(Product.brand_id, sa.func.count()).where(Product.deleted_at.is_(None)).group_by(Product.brand_id)
        ).all()
    )
    return render_template("products/brand_list.html", brands=_brands(), counts=counts, form=form)


@bp.get("/products/brands/")
@require("products.view")
def brand_list():
    return _render_brands(BrandForm())


@bp.post("/products/brands/")
@require("products.edit")
def brand_save():
    form = BrandForm()
    if form.validate_on_submit():
        brand = db.session.get(Brand, request.form.get("brand_id", type=int) or 0)
        try:
            brand = services.save_brand(brand, name=form.name.data, name_zh=form.name_zh.data, note=form.note.data)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Brand %(name)s saved.", name=brand.name), "success")
            return redirect(url_for("products.brand_list"))
    return _render_brands(form)


@bp.post("/products/brands/<int:brand_id>/delete")
@require("products.edit")
def brand_delete(brand_id: int):
    brand = db.session.get(Brand, brand_id) or abort(404)
    try:
        services.delete_brand(brand)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Brand %(name)s deleted.", name=brand.name), "success")
    return redirect(url_for("products.brand_list"))


def _render_categories(form: CategoryForm):
    counts = dict(
        db.session.execute(
            sa.select(Product.category_id, sa.func.count())
            .where(Product.deleted_at.is_(None))
            .group_by(Product.category_id)
        ).all()
    )
    return render_template("products/category_list.html", categories=_categories(), counts=counts, form=form)


@bp.get("/products/categories/")
@require("products.view")
def category_list():
    return _render_categories(CategoryForm())


@bp.post("/products/categories/")
@require("products.edit")
def category_save():
    form = CategoryForm()
    if form.validate_on_submit():
        category = db.session.get(Category, request.form.get("category_id", type=int) or 0)
        try:
            category = services.save_category(
                category, code=form.code.data, name_zh=form.name_zh.data, name_en=form.name_en.data
            )
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Category %(code)s saved.", code=category.code), "success")
            return redirect(url_for("products.category_list"))
    return _render_categories(form)


@bp.post("/products/categories/<int:category_id>/delete")
@require("products.edit")
def category_delete(category_id: int):
    category = db.session.get(Category, category_id) or abort(404)
    try:
        services.delete_category(category)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Category %(code)s deleted.", code=category.code), "success")
    return redirect(url_for("products.category_list"))


# The import pages register themselves on ``bp``.
from app.products import imports as _imports  # noqa: E402, F401
