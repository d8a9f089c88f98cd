"""Quotation pages: list, approval queue, editor, detail, workflow actions, revisions and copies."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.access import can, require
from app.core import audit, exports
from app.core import listview as lv
from app.core.errors import DomainError, StaleEditError
from app.core.forms import large_form
from app.core.registry import MenuItem, register_menu_item
from app.core.rows import template_row
from app.customers.models import Customer, CustomerContact
from app.extensions import db
from app.products.models import Product
from app.sales import editor
from app.sales import quotations as qs
from app.sales.blueprint import bp
from app.sales.forms import CommentForm, CopyForm, QuotationForm, ReasonForm
from app.sales.lists import QUOTATION_LIST, QUOTE_LINE_LIST
from app.sales.models import STATUS_LABELS, Quotation, QuotationStatus
from app.sales.scope import load_quotation_or_404, may_view_all

__all__ = ["bp"]

register_menu_item(
    MenuItem("sales", "sales.quotation_list", _l("Quotations"), "file-earmark-text", ("quotations.view",), order=10)
)
register_menu_item(
    MenuItem(
        "sales",
        "sales.quote_line_list",
        _l("Quote lines"),
        "list-columns",
        ("quotations.view",),
        order=12,
        active_prefix="sales.quote_line",
    )
)
register_menu_item(
    MenuItem(
        "sales",
        "sales.quotation_approvals",
        _l("Approvals"),
        "check2-square",
        ("quotations.view", "quotations.approve"),
        order=11,
        active_prefix="sales.quotation_approvals",
    )
)

# The editor posts up to 500 lines of 8 fields: Werkzeug's limits are raised for it alone.
EDITOR_FORM_LIMITS = large_form(max_parts=qs.MAX_LINES * 10 + 100, max_memory=4 * 1024 * 1024)


# --- lists ------------------------------------------------------------------------------------


@bp.get("/quotations/")
@require("quotations.view")
def quotation_list():
    return render_template("sales/quotation_list.html", result=lv.run(QUOTATION_LIST, can), queue=False)


@bp.get("/quotations/approvals")
@require("quotations.view", "quotations.approve")
def quotation_approvals():
    args = request.args.to_dict()
    if "status" not in args:
        return redirect(url_for("sales.quotation_approvals", status=QuotationStatus.PENDING.value, **args))
    return render_template("sales/quotation_list.html", result=lv.run(QUOTATION_LIST, can), queue=True)


def _export(spec: lv.ListSpec, fmt: str, name: str):
    if fmt not in ("xlsx", "csv"):
        abort(404)
    columns, rows = lv.export_rows(spec, can)
    if fmt == "csv":
        return exports.csv_response(columns, rows, f"{name}.csv")
    return exports.xlsx_response(columns, rows, f"{name}.xlsx", name)


@bp.get("/quotations/export.<fmt>")
@require("quotations.view", "quotations.export")
def quotation_list_export(fmt: str):
    return _export(QUOTATION_LIST, fmt, _("quotations"))


@bp.get("/quotations/lines")
@require("quotations.view")
def quote_line_list():
    """Every line ever quoted (报价明细), in the user's scope."""
    return render_template("sales/quote_line_list.html", result=lv.run(QUOTE_LINE_LIST, can))


@bp.get("/quotations/lines/export.<fmt>")
@require("quotations.view", "quotations.export")
def quote_line_list_export(fmt: str):
    return _export(QUOTE_LINE_LIST, fmt, _("quote lines"))


# --- the editor -------------------------------------------------------------------------------


def _prepare(form: QuotationForm, quotation: Quotation | None) -> Customer | None:
    return editor.fill_party(
        form,
        view_all=may_view_all(),
        permission="quotations.edit",
        salesperson_id=quotation.salesperson_id if quotation else None,
    )


def _is_blank(f) -> bool:
    return not (
        f.product_id.data
        or f.quantity.data is not None
        or f.unit_price.data is not None
        or (f.requested_model.data or "").strip()
        or (f.requested_quantity.data or "").strip()
        or (f.lead_time.data or "").strip()
        or (f.note.data or "").strip()
    )


def _read(form: QuotationForm) -> tuple[qs.HeaderData, list[qs.LineData], list]:
    header = qs.HeaderData(
        customer_id=form.customer_id.data,
        contact_id=form.contact_id.data,
        salesperson_id=form.salesperson_id.data if may_view_all() else editor.me(),
        tax_rate=form.tax_rate.data,
        prices_include_tax=bool(form.prices_include_tax.data),
        valid_until=form.valid_until.data,
        delivery_terms=form.delivery_terms.data or "",
        payment_terms=form.payment_terms.data or "",
        note=form.note.data or "",
    )
    lines, rows = [], []
    for entry in form.lines:
        f = entry.form
        if _is_blank(f):
            continue
        lines.append(
            qs.LineData(
                product_id=f.product_id.data,
                quantity=f.quantity.data,
                unit_price=f.unit_price.data,
                discount_percent=f.discount_percent.data if f.discount_percent.data is not None else qs.ZERO,
                requested_model=f.requested_model.data or "",
                requested_quantity=f.requested_quantity.data or "",
                lead_time=f.lead_time.data or "",
                note=f.note.data or "",
            )
        )
        rows.append(f)
    return header, lines, rows


def _render_form(form: QuotationForm, quotation: Quotation | None, customer: Customer | None, conflict=None):
    if not any(True for _entry in form.lines):
        form.lines.append_entry()
    return render_template(
        "sales/quotation_form.html",
        form=form,
        quotation=quotation,
        customer=customer,
        blank=template_row(form.lines),
        labels=editor.product_labels(e.form.product_id.data for e in form.lines),
        conflict=conflict,
        max_lines=qs.MAX_LINES,
        may_choose_salesperson=may_view_all(),
    )


def _mark_line_issues(rows: list, lines: list[qs.LineData]) -> None:
    """Mark what the service would refuse in lines the form let through (a line without a product),
    so one save shows every mistake; a field the form already marked keeps its own message."""
    try:
        qs.check_lines(lines)
    except qs.LinesInvalid as exc:
        for issue in exc.issues:
            field = rows[issue.index][issue.field]
            if not field.errors:
                field.errors = [issue.message]
    except DomainError:
        pass  # too many lines: the form's own limit says so


def _save(form: QuotationForm, quotation: Quotation | None):
    """Save the draft; None when the form is to be shown again with every mistake marked."""
    valid = form.validate()
    header, lines, rows = _read(form)
    if form.customer_id.data is not None and editor.visible_customer(form.customer_id.data) is None:
        form.customer_id.errors = [*form.customer_id.errors, _("Choose a customer.")]
        valid = False
    if not valid:
        _mark_line_issues(rows, lines)
        form.form_errors.append(_("Please correct the marked fields."))
        return None
    if header.customer_id is None:
        form.customer_id.errors = [_("Choose a customer.")]
        form.form_errors.append(_("Please correct the marked fields."))
        return None
    try:
        if quotation is None:
            quotation = qs.create_quotation(header, lines, actor_id=editor.me())
        else:
            qs.update_quotation(quotation, header, lines, expected_version=form.version_id.data)
        db.session.commit()
    except qs.LinesInvalid as exc:
        db.session.rollback()
        for issue in exc.issues:
            if 0 <= issue.index < len(rows):
                field = rows[issue.index][issue.field]
                field.errors = [*field.errors, issue.message]
        form.form_errors.append(_("Please correct the marked fields."))
        return None
    except StaleEditError:
        raise
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return None
    flash(_("Quotation %(number)s saved.", number=quotation.label), "success")
    return redirect(url_for("sales.quotation_detail", quotation_id=quotation.id))


@bp.route("/quotations/new", methods=["GET", "POST"])
@require("quotations.edit")
@EDITOR_FORM_LIMITS
def quotation_new():
    form = QuotationForm()
    if request.method == "GET":
        from app.system.settings import company_settings

        settings = company_settings()
        form.customer_id.data = request.args.get("customer_id", type=int)
        customer = editor.visible_customer(form.customer_id.data)
        if customer is not None and customer.primary_contact is not None:
            form.contact_id.data = customer.primary_contact.id
        form.salesperson_id.data = editor.me()
        form.tax_rate.data = settings.tax_rate
        form.prices_include_tax.data = True
        form.valid_until.data = qs.default_valid_until()
        product = db.session.get(Product, request.args.get("product_id", 0, type=int) or 0)
        if product is not None and not product.is_deleted:
            form.lines.append_entry(
                {"product_id": product.id, "quantity": Decimal(1), "unit_price": product.list_price}
            )
    customer = _prepare(form, None)
    if form.is_submitted():
        response = _save(form, None)
        if response is not None:
            return response
        customer = _prepare(form, None)
    return _render_form(form, None, customer)


def _line_data(line) -> dict:
    return {
        "requested_model": line.requested_model,
        "requested_quantity": line.requested_quantity,
        "product_id": line.product_id,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent,
        "lead_time": line.lead_time,
        "note": line.note,
    }


@bp.route("/quotations/<int:quotation_id>/edit", methods=["GET", "POST"])
@require("quotations.edit")
@EDITOR_FORM_LIMITS
def quotation_edit(quotation_id: int):
    quotation = load_quotation_or_404(quotation_id)
    if not quotation.is_draft:
        flash(
            _(
                "Quotation %(number)s is %(status)s: only drafts can be changed.",
                number=quotation.label,
                status=qs.status_label(quotation),
            ),
            "warning",
        )
        return redirect(url_for("sales.quotation_detail", quotation_id=quotation.id))
    if request.method == "GET":
        form = QuotationForm(obj=quotation)
        while len(form.lines):
            form.lines.pop_entry()
        for line in quotation.lines:
            form.lines.append_entry(_line_data(line))
        form.version_id.data = quotation.version_id
    else:
        form = QuotationForm()
    customer = _prepare(form, quotation)
    if form.is_submitted():
        try:
            response = _save(form, quotation)
        except StaleEditError as exc:
            db.session.rollback()
            quotation = load_quotation_or_404(quotation_id)
            form.version_id.data = quotation.version_id
            return _render_form(form, quotation, _prepare(form, quotation), conflict=exc)
        if response is not None:
            return response
        customer = _prepare(form, quotation)
    return _render_form(form, quotation, customer)


@bp.get("/api/sales/customers/<int:customer_id>/contacts")
@require("quotations.edit")
def customer_contacts(customer_id: int):
    """The contacts of a customer the user may see, for the editor's contact select."""
    customer = editor.visible_customer(customer_id)
    if customer is None:
        abort(404)
    contacts = db.session.scalars(
        sa.select(CustomerContact).where(CustomerContact.customer_id == customer.id).order_by(CustomerContact.id)
    )
    return jsonify(
        {"results": [{"id": c.id, "name": c.name, "is_primary": c.is_primary} for c in contacts]},
    )


# --- detail -----------------------------------------------------------------------------------


@bp.get("/quotations/<int:quotation_id>")
@require("quotations.view")
def quotation_detail(quotation_id: int):
    quotation = load_quotation_or_404(quotation_id)
    status = qs.effective_status(quotation)
    revisions = qs.revisions_of(quotation.number)
    show_cost = can("products.view_cost")
    entries = audit.history("quotation", quotation.id, limit=100)
    return render_template(
        "sales/quotation_detail.html",
        quotation=quotation,
        status=status,
        status_labels=STATUS_LABELS,
        revisions=revisions,
        entries=entries,
        actors=audit.actor_names(entries),
        show_cost=show_cost,
        margins=_margins(quotation) if show_cost else {},
        comment_form=CommentForm(version_id=quotation.version_id),
        reason_form=ReasonForm(version_id=quotation.version_id),
        copy_form=CopyForm(),
        statuses=QuotationStatus,
        may_approve=can("quotations.approve") and quotation.salesperson_id != editor.me(),
        copied_from=db.session.get(Quotation, quotation.copied_from_id) if quotation.copied_from_id else None,
        orders=_orders_of(quotation),
    )


def _orders_of(quotation: Quotation) -> list:
    """The orders made from this quotation that the user may see."""
    if not can("sales_orders.view"):
        return []
    from app.sales import orders as order_services
    from app.sales.scope import visible_orders_filter

    return order_services.orders_of_quotation(quotation.number, visible_orders_filter())


def _margins(quotation: Quotation) -> dict[int, object]:
    from app.core.money import margin_percent

    return {
        line.id: margin_percent(qs.net_unit_price(quotation, line), line.product.avg_cost)
        for line in quotation.lines
        if line.product.avg_cost
    }


# --- workflow ---------------------------------------------------------------------------------


def _act(quotation_id: int, work: Callable[[Quotation], object], done: str, *, form_class=CommentForm):
    """Run one workflow step on the quotation (locked for the change) and go back to its page."""
    form = form_class()
    quotation = load_quotation_or_404(quotation_id, for_update=True)
    if not form.validate_on_submit():
        db.session.rollback()
        errors = [e for errors in form.errors.values() for e in errors]
        flash(" ".join(str(e) for e in errors) or _("Please correct the marked fields."), "danger")
        return redirect(url_for("sales.quotation_detail", quotation_id=quotation_id))
    try:
        result = work(quotation, form)
        db.session.commit()
    except StaleEditError:
        db.session.rollback()
        flash(_("Someone else changed this quotation meanwhile: look at it again, then repeat."), "warning")
        return redirect(url_for("sales.quotation_detail", quotation_id=quotation_id))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("sales.quotation_detail", quotation_id=quotation_id))
    target = result if isinstance(result, Quotation) else quotation
    flash(done % {"number": target.label}, "success")
    return redirect(url_for("sales.quotation_detail", quotation_id=target.id))


def _version(form) -> int | None:
    return form.version_id.data


@bp.post("/quotations/<int:quotation_id>/submit")
@require("quotations.edit")
def quotation_submit(quotation_id: int):
    def work(q, form):
        status = qs.submit_quotation(q, actor_id=editor.me(), expected_version=_version(form))
        if status == QuotationStatus.PENDING:
            flash(_("It needs approval: %(reasons)s", reasons=q.needs_approval_reason.replace("\n", "; ")), "info")

    return _act(quotation_id, work, _("Quotation %(number)s submitted."))


@bp.post("/quotations/<int:quotation_id>/approve")
@require("quotations.approve")
def quotation_approve(quotation_id: int):
    def work(q, form):
        qs.approve_quotation(q, actor_id=editor.me(), comment=form.comment.data or "", expected_version=_version(form))

    return _act(quotation_id, work, _("Quotation %(number)s approved."))


@bp.post("/quotations/<int:quotation_id>/return")
@require("quotations.approve")
def quotation_return(quotation_id: int):
    def work(q, form):
        qs.return_quotation(q, actor_id=editor.me(), comment=form.comment.data or "", expected_version=_version(form))

    return _act(quotation_id, work, _("Quotation %(number)s returned to the salesperson."))


@bp.post("/quotations/<int:quotation_id>/send")
@require("quotations.edit")
def quotation_send(quotation_id: int):
    return _act(
        quotation_id,
        lambda q, form: qs.mark_sent(q, expected_version=_version(form)),
        _("Quotation %(number)s marked as sent."),
    )


@bp.post("/quotations/<int:quotation_id>/accept")
@require("quotations.edit")
def quotation_accept(quotation_id: int):
    return _act(
        quotation_id,
        lambda q, form: qs.mark_accepted(q, expected_version=_version(form)),
        _("Quotation %(number)s accepted by the customer."),
    )


@bp.post("/quotations/<int:quotation_id>/reject")
@require("quotations.edit")
def quotation_reject(quotation_id: int):
    return _act(
        quotation_id,
        lambda q, form: qs.mark_rejected(q, reason=form.reason.data or "", expected_version=_version(form)),
        _("Quotation %(number)s marked as rejected."),
        form_class=ReasonForm,
    )


@bp.post("/quotations/<int:quotation_id>/cancel")
@require("quotations.edit")
def quotation_cancel(quotation_id: int):
    return _act(
        quotation_id,
        lambda q, form: qs.cancel_quotation(q, expected_version=_version(form)),
        _("Quotation %(number)s cancelled."),
    )


@bp.post("/quotations/<int:quotation_id>/revise")
@require("quotations.edit")
def quotation_revise(quotation_id: int):
    return _act(
        quotation_id,
        lambda q, form: qs.revise_quotation(q, actor_id=editor.me()),
        _("Revision %(number)s made: change it, then submit it again."),
    )


@bp.post("/quotations/<int:quotation_id>/copy")
@require("quotations.edit")
def quotation_copy(quotation_id: int):
    def work(q, form):
        customer = editor.visible_customer(form.customer_id.data or q.customer_id)
        if customer is None:
            raise DomainError(_("Choose a customer."))
        return qs.copy_quotation(q, customer_id=customer.id, actor_id=editor.me(), salesperson_id=editor.me())

    return _act(quotation_id, work, _("Copied as %(number)s."), form_class=CopyForm)


@bp.post("/quotations/<int:quotation_id>/delete")
@require("quotations.delete")
def quotation_delete(quotation_id: int):
    form = CommentForm()
    quotation = load_quotation_or_404(quotation_id, for_update=True)
    if not form.validate_on_submit():
        abort(400)
    label, previous = quotation.label, quotation.revised_from_id
    try:
        qs.delete_quotation(quotation)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("sales.quotation_detail", quotation_id=quotation_id))
    flash(_("Quotation %(number)s deleted.", number=label), "success")
    if previous is not None:
        return redirect(url_for("sales.quotation_detail", quotation_id=previous))
    return redirect(url_for("sales.quotation_list"))


# --- revisions --------------------------------------------------------------------------------


@bp.get("/quotations/<int:quotation_id>/diff")
@require("quotations.view")
def quotation_diff(quotation_id: int):
    """Lines of this revision compared with another revision of the same number."""
    quotation = load_quotation_or_404(quotation_id)
    revisions = qs.revisions_of(quotation.number)
    other_id = request.args.get("against", type=int)
    other = next((r for r in revisions if r.id == other_id), None)
    if other is None:
        earlier = [r for r in revisions if r.revision < quotation.revision]
        other = earlier[-1] if earlier else None
    if other is None:
        flash(_("There is no other revision to compare with."), "info")
        return redirect(url_for("sales.quotation_detail", quotation_id=quotation.id))
    old, new = (other, quotation) if other.revision < quotation.revision else (quotation, other)
    return render_template(
        "sales/quotation_diff.html",
        quotation=quotation,
        old=old,
        new=new,
        revisions=revisions,
        diff=qs.diff_lines(old, new),
    )


bp.add_app_template_global(qs.status_label, "quotation_status_label")
bp.add_app_template_global(qs.effective_status, "quotation_status")


@bp.app_template_global("order_status_label")
def order_status_label(order) -> str:
    from app.sales.models import ORDER_STATUS_LABELS, OrderStatus

    return str(ORDER_STATUS_LABELS[OrderStatus(order.status)])


@bp.app_template_global("delivery_status_label")
def delivery_status_label(delivery) -> str:
    from app.sales.models import DELIVERY_STATUS_LABELS, DeliveryStatus

    return str(DELIVERY_STATUS_LABELS[DeliveryStatus(delivery.status)])


# Routes of the other sales pages register on the same blueprint.
from app.sales import delivery_views, lookup_views, order_pdf, order_views, pdf_views  # noqa: E402,F401
