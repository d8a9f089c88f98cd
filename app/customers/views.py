"""Customer pages: list, detail with history, create, edit, delete and restore, exports, typeahead.

Every customer is loaded through ``scope``: another salesperson's customer answers 404 on every URL.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.auth.access import can, require
from app.core import audit, exports, registry
from app.core import listview as lv
from app.core.contacts import contacts_from_form
from app.core.errors import DomainError, StaleEditError
from app.core.registry import MenuItem, register_menu_item
from app.core.rows import template_row
from app.core.security import safe_next
from app.customers import scope, services
from app.customers.forms import CustomerForm
from app.customers.lists import CUSTOMER_LIST
from app.customers.models import CUSTOMER_TYPES, DOC_LANGUAGES, Customer
from app.customers.search import apply_search
from app.extensions import db

bp = Blueprint("customers", __name__)

register_menu_item(
    MenuItem("master", "customers.customer_list", _l("Customers"), "people", ("customers.view",), order=10)
)

TYPEAHEAD_LIMIT = 20
BATCH_LIMIT = 500


@bp.app_template_global("customer_type_label")
def customer_type_label(code: str) -> str:
    return str(CUSTOMER_TYPES.get(code, code))


@bp.app_template_global("doc_language_label")
def doc_language_label(code: str) -> str:
    return str(DOC_LANGUAGES.get(code, code))


def _data(form: CustomerForm) -> services.CustomerData:
    owner = getattr(form, "owner_id", None)
    return services.CustomerData(
        code=form.code.data or "",
        name=form.name.data or "",
        type=form.type.data,
        owner_id=owner.data if owner is not None else None,
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
        credit_limit=form.credit_limit.data or 0,
        note=form.note.data or "",
        contacts=contacts_from_form(form.contacts),
    )


def _form(customer: Customer | None) -> CustomerForm:
    """The form, filled from the request on POST and from ``customer`` on GET."""
    may_assign = scope.may_assign_owner()
    if request.method == "GET" and customer is not None:
        form = CustomerForm(obj=customer)
        form.version_id.data = customer.version_id
    else:
        form = CustomerForm()
        if request.method == "GET":
            form.contacts.append_entry()
            if may_assign:
                form.owner_id.data = current_user.id
    if customer is not None:
        form.code.description = ""  # an empty code on edit keeps the code
    form.set_choices(services.owner_candidates(customer.owner_id if customer else None) if may_assign else None)
    return form


def _render_form(form: CustomerForm, customer: Customer | None, conflict: StaleEditError | None = None):
    return render_template(
        "customers/customer_form.html",
        form=form,
        customer=customer,
        conflict=conflict,
        labels=Customer.__audit_labels__,
        contact_row=template_row(form.contacts),
    )


@bp.get("/customers/")
@require("customers.view")
def customer_list():
    return lv.render_page(CUSTOMER_LIST, can, "customers/customer_list.html", _("Customers"))


@bp.get("/customers/export.<fmt>")
@require("customers.view", "customers.export")
def customer_export(fmt: str):
    if fmt not in ("xlsx", "csv"):
        abort(404)
    columns, rows = lv.export_rows(CUSTOMER_LIST, can)
    name = _("customers")
    if fmt == "csv":
        return exports.csv_response(columns, rows, f"{name}.csv")
    return exports.xlsx_response(columns, rows, f"{name}.xlsx", name)


@bp.route("/customers/new", methods=["GET", "POST"])
@require("customers.edit")
def customer_new():
    form = _form(None)
    if form.validate_on_submit():
        try:
            customer = services.create_customer(
                _data(form), actor_id=current_user.id, may_assign_owner=scope.may_assign_owner()
            )
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Customer %(name)s created.", name=customer.audit_label()), "success")
            return redirect(url_for("customers.customer_detail", customer_id=customer.id))
    return _render_form(form, None)


@bp.get("/customers/<int:customer_id>")
@require("customers.view")
def customer_detail(customer_id: int):
    customer = scope.load_customer_or_404(customer_id)
    entries = audit.history("customer", customer.id) if can("audit.view") or can("customers.edit") else []
    return render_template(
        "customers/customer_detail.html",
        customer=customer,
        entries=entries,
        actors=audit.actor_names(entries),
        panels=registry.panels.visible("detail:customer", can),
    )


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@require("customers.edit")
def customer_edit(customer_id: int):
    customer = scope.load_customer_or_404(customer_id, for_update=request.method == "POST")
    if customer.deleted_at is not None:
        flash(_("This customer is deleted. Restore it to change it."), "warning")
        return redirect(url_for("customers.customer_detail", customer_id=customer.id))
    form = _form(customer)
    conflict = None
    if form.validate_on_submit():
        try:
            services.update_customer(
                customer,
                _data(form),
                expected_version=form.version_id.data,
                may_assign_owner=scope.may_assign_owner(),
            )
        except StaleEditError as exc:
            db.session.rollback()
            conflict = exc
            form.version_id.data = customer.version_id
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Customer %(name)s saved.", name=customer.audit_label()), "success")
            return redirect(url_for("customers.customer_detail", customer_id=customer.id))
    return _render_form(form, customer, conflict)


@bp.post("/customers/<int:customer_id>/delete")
@require("customers.delete")
def customer_delete(customer_id: int):
    customer = scope.load_customer_or_404(customer_id)
    try:
        services.delete_customer(customer)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("Customer %(name)s deleted. It can be restored.", name=customer.audit_label()), "success")
    return redirect(url_for("customers.customer_detail", customer_id=customer.id))


@bp.post("/customers/<int:customer_id>/restore")
@require("customers.delete")
def customer_restore(customer_id: int):
    customer = scope.load_customer_or_404(customer_id)
    services.restore_customer(customer)
    db.session.commit()
    flash(_("Customer %(name)s restored.", name=customer.audit_label()), "success")
    return redirect(url_for("customers.customer_detail", customer_id=customer.id))


@bp.post("/customers/delete")
@require("customers.delete")
def customer_delete_many():
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()][:BATCH_LIMIT]
    customers = list(
        db.session.scalars(scope.visible_customers().where(Customer.id.in_(ids), Customer.deleted_at.is_(None)))
    )
    deleted, refused = services.delete_customers(customers)
    db.session.commit()
    if deleted:
        flash(_("%(n)d customers deleted.", n=len(deleted)), "success")
    for message in refused:
        flash(message, "danger")
    if not deleted and not refused:
        flash(_("Select the rows to delete first."), "warning")
    return redirect(safe_next(request.form.get("next")) or url_for("customers.customer_list"))


# --- typeahead --------------------------------------------------------------------------------


@bp.get("/api/customers/search")
@require("customers.view")
def customer_typeahead():
    """Customers for a picker (only those the user may see): code, name, primary contact, phone."""
    q = request.args.get("q", "").strip()[:100]
    query = scope.visible_customers().where(Customer.deleted_at.is_(None))
    if q:
        query = apply_search(query, q)
    customers = db.session.scalars(
        query.options(selectinload(Customer.primary_contact))
        .order_by(Customer.name_key, Customer.id)
        .limit(TYPEAHEAD_LIMIT)
    ).unique()
    rows = []
    for c in customers:
        contact = c.primary_contact
        rows.append(
            {
                "id": c.id,
                "code": c.code,
                "name": c.name,
                "type": c.type,
                "doc_language": c.doc_language,
                "contact": contact.name if contact else "",
                "contact_id": contact.id if contact else None,
                "contact_mobile": contact.mobile if contact else "",
                "phone": c.phone,
                "label": f"{c.code} {c.name}",
                # What the picker shows under the label (static/js/typeahead.js).
                "detail": " · ".join(x for x in (contact.name if contact else "", c.phone) if x),
            }
        )
    registry.enrich_typeahead("customer", rows, can)
    return jsonify({"results": rows})


# The import pages register themselves on ``bp``.
from app.customers import imports as _imports  # noqa: E402, F401
