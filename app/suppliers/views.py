"""Supplier pages: list, detail with history, create, edit, delete and restore, exports, typeahead."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.auth.access import can, require
from app.core import audit, exports, registry
from app.core import listview as lv
from app.core.contacts import contacts_from_form
from app.core.errors import DomainError, StaleEditError
from app.core.registry import MenuItem, register_menu_item
from app.core.rows import template_row
from app.core.security import safe_next
from app.extensions import db
from app.suppliers import services
from app.suppliers.forms import SupplierForm
from app.suppliers.lists import SUPPLIER_LIST
from app.suppliers.models import DOC_LANGUAGES, Supplier
from app.suppliers.search import apply_search

bp = Blueprint("suppliers", __name__)

register_menu_item(
    MenuItem("master", "suppliers.supplier_list", _l("Suppliers"), "truck", ("suppliers.view",), order=20)
)

TYPEAHEAD_LIMIT = 20
BATCH_LIMIT = 500


def load_supplier_or_404(supplier_id: int, *, for_update: bool = False) -> Supplier:
    query = sa.select(Supplier).where(Supplier.id == supplier_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    supplier = db.session.scalar(query)
    if supplier is None:
        abort(404)
    return supplier


def _data(form: SupplierForm) -> services.SupplierData:
    return services.SupplierData(
        code=form.code.data or "",
        name=form.name.data or "",
        doc_language=form.doc_language.data,
        address=form.address.data or "",
        phone=form.phone.data or "",
        fax=form.fax.data or "",
        email=form.email.data or "",
        website=form.website.data or "",
        tax_id=form.tax_id.data or "",
        bank_name=form.bank_name.data or "",
        bank_account=form.bank_account.data or "",
        invoice_address=form.invoice_address.data or "",
        invoice_phone=form.invoice_phone.data or "",
        payment_terms_days=form.payment_terms_days.data or 0,
        note=form.note.data or "",
        contacts=contacts_from_form(form.contacts),
    )


def _form(supplier: Supplier | None) -> SupplierForm:
    """The form, filled from the request on POST and from ``supplier`` on GET."""
    if request.method == "GET" and supplier is not None:
        form = SupplierForm(obj=supplier)
        form.version_id.data = supplier.version_id
    else:
        form = SupplierForm()
        if request.method == "GET":
            form.contacts.append_entry()
    if supplier is not None:
        form.code.description = ""  # an empty code on edit keeps the code
    form.set_choices()
    return form


def _render_form(form: SupplierForm, supplier: Supplier | None, conflict: StaleEditError | None = None):
    return render_template(
        "suppliers/supplier_form.html",
        form=form,
        supplier=supplier,
        conflict=conflict,
        labels=Supplier.__audit_labels__,
        contact_row=template_row(form.contacts),
    )


@bp.app_template_global("supplier_doc_language_label")
def supplier_doc_language_label(code: str) -> str:
    return str(DOC_LANGUAGES.get(code, code))


@bp.get("/suppliers/")
@require("suppliers.view")
def supplier_list():
    return lv.render_page(SUPPLIER_LIST, can, "suppliers/supplier_list.html", _("Suppliers"))


@bp.get("/suppliers/export.<fmt>")
@require("suppliers.view", "suppliers.export")
def supplier_export(fmt: str):
    if fmt not in ("xlsx", "csv"):
        abort(404)
    columns, rows = lv.export_rows(SUPPLIER_LIST, can)
    name = _("suppliers")
    if fmt == "csv":
        return exports.csv_response(columns, rows, f"{name}.csv")
    return exports.xlsx_response(columns, rows, f"{name}.xlsx", name)


@bp.route("/suppliers/new", methods=["GET", "POST"])
@require("suppliers.edit")
def supplier_new():
    form = _form(None)
    if form.validate_on_submit():
        try:
            supplier = services.create_supplier(_data(form))
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Supplier %(name)s created.", name=supplier.audit_label()), "success")
            return redirect(url_for("suppliers.supplier_detail", supplier_id=supplier.id))
    return _render_form(form, None)


@bp.get("/suppliers/<int:supplier_id>")
@require("suppliers.view")
def supplier_detail(supplier_id: int):
    supplier = load_supplier_or_404(supplier_id)
    entries = audit.history("supplier", supplier.id) if can("audit.view") or can("suppliers.edit") else []
    return render_template(
        "suppliers/supplier_detail.html",
        supplier=supplier,
        entries=entries,
        actors=audit.actor_names(entries),
        panels=registry.panels.visible("detail:supplier", can),
    )


@bp.route("/suppliers/<int:supplier_id>/edit", methods=["GET", "POST"])
@require("suppliers.edit")
def supplier_edit(supplier_id: int):
    supplier = load_supplier_or_404(supplier_id, for_update=request.method == "POST")
    if supplier.deleted_at is not None:
        flash(_("This supplier is deleted. Restore it to change it."), "warning")
        return redirect(url_for("suppliers.supplier_detail", supplier_id=supplier.id))
    form = _form(supplier)
    conflict = None
    if form.validate_on_submit():
        try:
            services.update_supplier(supplier, _data(form), expected_version=form.version_id.data)
        except StaleEditError as exc:
            db.session.rollback()
            conflict = exc
            form.version_id.data = supplier.version_id
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Supplier %(name)s saved.", name=supplier.audit_label()), "success")
            return redirect(url_for("suppliers.supplier_detail", supplier_id=supplier.id))
    return _render_form(form, supplier, conflict)


@bp.post("/suppliers/<int:supplier_id>/delete")
@require("suppliers.delete")
def supplier_delete(supplier_id: int):
    supplier = load_supplier_or_404(supplier_id)
    try:
        services.delete_supplier(supplier)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Supplier %(name)s deleted. It can be restored.", name=supplier.audit_label()), "success")
    return redirect(url_for("suppliers.supplier_detail", supplier_id=supplier.id))


@bp.post("/suppliers/<int:supplier_id>/restore")
@require("suppliers.delete")
def supplier_restore(supplier_id: int):
    supplier = load_supplier_or_404(supplier_id)
    services.restore_supplier(supplier)
    db.session.commit()
    flash(_("Supplier %(name)s restored.", name=supplier.audit_label()), "success")
    return redirect(url_for("suppliers.supplier_detail", supplier_id=supplier.id))


@bp.post("/suppliers/delete")
@require("suppliers.delete")
def supplier_delete_many():
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()][:BATCH_LIMIT]
    suppliers = list(db.session.scalars(sa.select(Supplier).where(Supplier.id.in_(ids), Supplier.deleted_at.is_(None))))
    deleted, refused = services.delete_suppliers(suppliers)
    db.session.commit()
    if deleted:
        flash(_("%(n)d suppliers deleted.", n=len(deleted)), "success")
    for message in refused:
        flash(message, "danger")
    if not deleted and not refused:
        flash(_("Select the rows to delete first."), "warning")
    return redirect(safe_next(request.form.get("next")) or url_for("suppliers.supplier_list"))


# --- typeahead --------------------------------------------------------------------------------


@bp.get("/api/suppliers/search")
@require("suppliers.view")
def supplier_typeahead():
    """Suppliers for a picker: code, name, primary contact, phone."""
    q = request.args.get("q", "").strip()[:100]
    query = sa.select(Supplier).where(Supplier.deleted_at.is_(None))
    if q:
        query = apply_search(query, q)
    suppliers = db.session.scalars(
        query.options(selectinload(Supplier.primary_contact))
        .order_by(Supplier.name_key, Supplier.id)
        .limit(TYPEAHEAD_LIMIT)
    )
    rows = []
    for s in suppliers:
        contact = s.primary_contact
        rows.append(
            {
                "id": s.id,
                "code": s.code,
                "name": s.name,
                "doc_language": s.doc_language,
                "contact": contact.name if contact else "",
                "contact_id": contact.id if contact else None,
                "contact_mobile": contact.mobile if contact else "",
                "phone": s.phone,
                "label": f"{s.code} {s.name}",
                # What the picker shows under the label (static/js/typeahead.js).
                "detail": " · ".join(x for x in (contact.name if contact else "", s.phone) if x),
            }
        )
    registry.enrich_typeahead("supplier", rows, can)
    return jsonify({"results": rows})


# The import pages register themselves on ``bp``.
from app.suppliers import imports as _imports  # noqa: E402, F401
