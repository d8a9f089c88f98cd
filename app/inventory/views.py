"""Inventory pages: warehouses and locations here; stock figures in ``stock_views``, stock documents
in ``document_views`` — all on one blueprint."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from app.auth.access import can, require
from app.auth.models import User
from app.core import audit, exports, registry
from app.core import listview as lv
from app.core.errors import DomainError, StaleEditError
from app.core.registry import MenuItem, register_menu_item
from app.extensions import db
from app.inventory import services
from app.inventory.blueprint import bp
from app.inventory.forms import LocationForm, LocationsForm, WarehouseForm
from app.inventory.lists import LOCATION_LIST, WAREHOUSE_LIST
from app.inventory.models import Location, Warehouse

_VIEW = ("warehouses.view",)
register_menu_item(MenuItem("inventory", "inventory.warehouse_list", _l("Warehouses"), "buildings", _VIEW, order=50))
register_menu_item(MenuItem("inventory", "inventory.location_list", _l("Locations"), "grid-3x3", _VIEW, order=51))


def load_warehouse_or_404(warehouse_id: int) -> Warehouse:
    warehouse = db.session.get(Warehouse, warehouse_id)
    if warehouse is None:
        abort(404)
    return warehouse


def load_location_or_404(location_id: int) -> Location:
    location = db.session.get(Location, location_id)
    if location is None:
        abort(404)
    return location


def _keeper_choices() -> list[SelectChoice]:
    users = db.session.execute(
        sa.select(User.id, User.display_name).where(User.is_active.is_(True)).order_by(User.display_name)
    ).all()
    return [SelectChoice("", "—")] + [SelectChoice(uid, name) for uid, name in users]


def _data(form: WarehouseForm) -> services.WarehouseData:
    return services.WarehouseData(
        code=form.code.data or "",
        name=form.name.data or "",
        address=form.address.data or "",
        keeper_id=form.keeper_id.data,
        allow_negative=form.allow_negative.data,
        is_active=form.is_active.data,
        note=form.note.data or "",
    )


def _export(spec: lv.ListSpec, fmt: str, name: str):
    if fmt not in ("xlsx", "csv"):
        abort(404)
    columns, rows = lv.export_rows(spec, can)
    if fmt == "csv":
        return exports.csv_response(columns, rows, f"{name}.csv")
    return exports.xlsx_response(columns, rows, f"{name}.xlsx", name)


@bp.get("/warehouses/")
@require("warehouses.view")
def warehouse_list():
    return render_template("inventory/warehouse_list.html", result=lv.run(WAREHOUSE_LIST, can))


@bp.get("/warehouses/export.<fmt>")
@require("warehouses.view")
def warehouse_export(fmt: str):
    return _export(WAREHOUSE_LIST, fmt, _("warehouses"))


@bp.route("/warehouses/new", methods=["GET", "POST"])
@require("warehouses.edit")
def warehouse_new():
    form = WarehouseForm()
    form.keeper_id.choices = _keeper_choices()
    if form.validate_on_submit():
        try:
            warehouse = services.create_warehouse(_data(form))
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Warehouse %(name)s created.", name=warehouse.audit_label()), "success")
            return redirect(url_for("inventory.warehouse_detail", warehouse_id=warehouse.id))
    return render_template("inventory/warehouse_form.html", form=form, warehouse=None)


@bp.get("/warehouses/<int:warehouse_id>")
@require("warehouses.view")
def warehouse_detail(warehouse_id: int):
    warehouse = load_warehouse_or_404(warehouse_id)
    query = sa.select(Location).where(Location.warehouse_id == warehouse.id)
    locations = list(db.session.scalars(query.order_by(Location.deleted_at.is_not(None), Location.code)))
    entries = audit.history("warehouse", warehouse.id) if can("warehouses.edit") or can("audit.view") else []
    return render_template(
        "inventory/warehouse_detail.html",
        warehouse=warehouse,
        locations=locations,
        locations_form=LocationsForm(),
        entries=entries,
        actors=audit.actor_names(entries),
        panels=registry.panels.visible("detail:warehouse", can),
    )


@bp.route("/warehouses/<int:warehouse_id>/edit", methods=["GET", "POST"])
@require("warehouses.edit")
def warehouse_edit(warehouse_id: int):
    warehouse = load_warehouse_or_404(warehouse_id)
    form = WarehouseForm(obj=warehouse)
    form.keeper_id.choices = _keeper_choices()
    if request.method == "GET":
        form.version_id.data = warehouse.version_id
    conflict = None
    if form.validate_on_submit():
        try:
            services.update_warehouse(warehouse, _data(form), expected_version=form.version_id.data)
        except StaleEditError as exc:
            db.session.rollback()
            conflict = exc
            form.version_id.data = warehouse.version_id
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Warehouse %(name)s saved.", name=warehouse.audit_label()), "success")
            return redirect(url_for("inventory.warehouse_detail", warehouse_id=warehouse.id))
    return render_template("inventory/warehouse_form.html", form=form, warehouse=warehouse, conflict=conflict)


@bp.post("/warehouses/<int:warehouse_id>/delete")
@require("warehouses.edit")
def warehouse_delete(warehouse_id: int):
    warehouse = load_warehouse_or_404(warehouse_id)
    try:
        services.delete_warehouse(warehouse)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        message = _("Warehouse %(name)s and its locations deleted. They can be restored.", name=warehouse.audit_label())
        flash(message, "success")
    return redirect(url_for("inventory.warehouse_detail", warehouse_id=warehouse.id))


@bp.post("/warehouses/<int:warehouse_id>/restore")
@require("warehouses.edit")
def warehouse_restore(warehouse_id: int):
    warehouse = load_warehouse_or_404(warehouse_id)
    services.restore_warehouse(warehouse)
    db.session.commit()
    flash(_("Warehouse %(name)s restored.", name=warehouse.audit_label()), "success")
    return redirect(url_for("inventory.warehouse_detail", warehouse_id=warehouse.id))


@bp.post("/warehouses/<int:warehouse_id>/locations")
@require("warehouses.edit")
def location_add(warehouse_id: int):
    warehouse = load_warehouse_or_404(warehouse_id)
    form = LocationsForm()
    if form.validate_on_submit():
        try:
            added, skipped = services.add_locations(warehouse, form.lines.data)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            if added:
                flash(_("%(n)d locations added.", n=len(added)), "success")
            for message in skipped[:20]:
                flash(message, "warning")
    else:
        flash(_("Enter at least one location code."), "warning")
    return redirect(url_for("inventory.warehouse_detail", warehouse_id=warehouse.id) + "#locations")


@bp.get("/warehouses/locations/")
@require("warehouses.view")
def location_list():
    return render_template("inventory/location_list.html", result=lv.run(LOCATION_LIST, can))


@bp.get("/warehouses/locations/export.<fmt>")
@require("warehouses.view")
def location_export(fmt: str):
    return _export(LOCATION_LIST, fmt, _("locations"))


@bp.route("/warehouses/locations/<int:location_id>/edit", methods=["GET", "POST"])
@require("warehouses.edit")
def location_edit(location_id: int):
    location = load_location_or_404(location_id)
    form = LocationForm(obj=location)
    if request.method == "GET":
        form.version_id.data = location.version_id
    conflict = None
    if form.validate_on_submit():
        try:
            services.update_location(
                location,
                code=form.code.data,
                name=form.name.data or "",
                is_active=form.is_active.data,
                expected_version=form.version_id.data,
            )
        except StaleEditError as exc:
            db.session.rollback()
            conflict = exc
            form.version_id.data = location.version_id
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Location %(code)s saved.", code=location.code), "success")
            return redirect(url_for("inventory.warehouse_detail", warehouse_id=location.warehouse_id) + "#locations")
    return render_template("inventory/location_form.html", form=form, location=location, conflict=conflict)


@bp.post("/warehouses/locations/<int:location_id>/delete")
@require("warehouses.edit")
def location_delete(location_id: int):
    location = load_location_or_404(location_id)
    try:
        services.delete_location(location)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Location %(code)s deleted.", code=location.code), "success")
    return redirect(url_for("inventory.warehouse_detail", warehouse_id=location.warehouse_id) + "#locations")


@bp.post("/warehouses/locations/<int:location_id>/restore")
@require("warehouses.edit")
def location_restore(location_id: int):
    location = load_location_or_404(location_id)
    try:
        services.restore_location(location)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Location %(code)s restored.", code=location.code), "success")
    return redirect(url_for("inventory.warehouse_detail", warehouse_id=location.warehouse_id) + "#locations")


# The other pages of the blueprint, and what keeps inventory's records from being deleted.
from app.inventory import document_views, stock_views, usage, user_views  # noqa: E402, F401
