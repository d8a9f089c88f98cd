"""Sales order pages: list, backorders, the editor (new, draft, amendment), conversion of an
accepted quotation, the detail page with reservations and deliveries, and the workflow buttons."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.access import can, require
from app.core import audit, exports
from app.core import listview as lv
from app.core.db import run_with_retry
from app.core.errors import DomainError, StaleEditError
from app.core.forms import large_form
from app.core.registry import MenuItem, register_menu_item
from app.core.rows import template_row
from app.customers.models import Customer
from app.extensions import db
from app.inventory import scope as inventory_scope
from app.sales import editor
from app.sales import orders as os_
from app.sales import quotations as qs
from app.sales.blueprint import bp
from app.sales.forms import ConvertForm, OrderForm, ReasonForm, VersionForm
from app.sales.models import ORDER_STATUS_LABELS, Delivery, OrderStatus, Quotation, QuotationStatus, SalesOrder
from app.sales.order_lists import BACKORDER_LIST, ORDER_LIST
from app.sales.scope import (
    ORDERS_VIEW_ALL,
    load_order_or_404,
    load_quotation_or_404,
    visible_deliveries_filter,
    visible_orders_filter,
    visible_quotations,
)

register_menu_item(
    MenuItem("sales", "sales.order_list", _l("Sales orders"), "cart-check", ("sales_orders.view",), order=20)
)
register_menu_item(
    MenuItem(
        "sales",
        "sales.backorder_list",
        _l("Backorders"),
        "hourglass-split",
        ("sales_orders.view",),
        order=21,
        active_prefix="sales.backorder",
    )
)

EDITOR_FORM_LIMITS = large_form(max_parts=qs.MAX_LINES * 10 + 100, max_memory=4 * 1024 * 1024)


def _export(spec: lv.ListSpec, fmt: str, name: str):
    if fmt not in ("xlsx", "csv"):
        abort(404)
    columns, rows = lv.export_rows(spec, can)
    if fmt == "csv":
        return exports.csv_response(columns, rows, f"{name}.csv")
    return exports.xlsx_response(columns, rows, f"{name}.xlsx", name)


# --- lists ------------------------------------------------------------------------------------


@bp.get("/sales-orders/")
@require("sales_orders.view")
def order_list():
    return render_template("sales/order_list.html", result=lv.run(ORDER_LIST, can))


@bp.get("/sales-orders/export.<fmt>")
@require("sales_orders.view", "sales_orders.export")
def order_list_export(fmt: str):
    return _export(ORDER_LIST, fmt, _("sales orders"))


@bp.get("/sales-orders/backorders")
@require("sales_orders.view")
def backorder_list():
    return render_template("sales/backorder_list.html", result=lv.run(BACKORDER_LIST, can))


@bp.get("/sales-orders/backorders/export.<fmt>")
@require("sales_orders.view", "sales_orders.export")
def backorder_list_export(fmt: str):
    return _export(BACKORDER_LIST, fmt, _("backorders"))


# --- the editor -------------------------------------------------------------------------------


def _warehouse_choices(current_id: int | None) -> list[tuple[int | str, str]]:
    warehouses = inventory_scope.usable_warehouses()
    choices: list[tuple[int | str, str]] = [("", "—")] + [(w.id, f"{w.code} {w.name}") for w in warehouses]
    if current_id and all(w.id != current_id for w in warehouses):
        from app.inventory.models import Warehouse

        current = db.session.get(Warehouse, current_id)
        if current is not None:
            choices.append((current.id, f"{current.code} {current.name}"))
    return choices


def _prepare(form: OrderForm, order: SalesOrder | None) -> Customer | None:
    form.warehouse_id.choices = _warehouse_choices(order.warehouse_id if order else None)
    return editor.fill_party(
        form,
        view_all=can(ORDERS_VIEW_ALL),
        permission="sales_orders.edit",
        salesperson_id=order.salesperson_id if order else None,
    )


def _is_blank(f) -> bool:
    return not (
        f.product_id.data
        or f.quantity.data is not None
        or f.unit_price.data is not None
        or (f.customer_part_no.data or "").strip()
        or (f.lead_time.data or "").strip()
        or (f.note.data or "").strip()
    )


def _read(form: OrderForm) -> tuple[os_.OrderHeader, list[os_.OrderLineData], list]:
    header = os_.OrderHeader(
        customer_id=form.customer_id.data,
        warehouse_id=form.warehouse_id.data,
        contact_id=form.contact_id.data,
        salesperson_id=form.salesperson_id.data if can(ORDERS_VIEW_ALL) else editor.me(),
        customer_reference=form.customer_reference.data or "",
        delivery_date=form.delivery_date.data,
        tax_rate=form.tax_rate.data,
        prices_include_tax=bool(form.prices_include_tax.data),
        delivery_address=form.delivery_address.data or "",
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
            os_.OrderLineData(
                product_id=f.product_id.data,
                quantity=f.quantity.data,
                unit_price=f.unit_price.data,
                discount_percent=f.discount_percent.data if f.discount_percent.data is not None else qs.ZERO,
                customer_part_no=f.customer_part_no.data or "",
                lead_time=f.lead_time.data or "",
                note=f.note.data or "",
                line_id=f.line_id.data,
            )
        )
        rows.append(f)
    return header, lines, rows


def _render_form(form: OrderForm, order: SalesOrder | None, customer: Customer | None, *, amend=False, conflict=None):
    if not any(True for _entry in form.lines):
        form.lines.append_entry()
    delivered = {line.id: line.delivered_qty for line in order.lines} if order else {}
    labels = editor.product_labels(e.form.product_id.data for e in form.lines)
    return render_template(
        "sales/order_form.html",
        form=form,
        order=order,
        customer=customer,
        blank=template_row(form.lines),
        labels=labels,
        delivered=delivered,
        amend=amend,
        conflict=conflict,
        max_lines=qs.MAX_LINES,
        may_choose_salesperson=can(ORDERS_VIEW_ALL),
    )


def _mark_line_errors(form: OrderForm, rows: list, exc: qs.LinesInvalid) -> None:
    for issue in exc.issues:
        if 0 <= issue.index < len(rows):
            field = rows[issue.index][issue.field]
            field.errors = [*field.errors, issue.message]
    form.form_errors.append(_("Please correct the marked fields."))


def _save(form: OrderForm, order: SalesOrder | None, *, amend: bool = False):
    """Save the order; None when the form is to be shown again with every mistake marked."""
    valid = form.validate()
    header, lines, rows = _read(form)
    if form.customer_id.data is not None and editor.visible_customer(form.customer_id.data) is None:
        form.customer_id.errors = [*form.customer_id.errors, _("Choose a customer.")]
        valid = False
    if header.customer_id is None:
        form.customer_id.errors = [_("Choose a customer.")]
        valid = False
    if header.warehouse_id is not None and not inventory_scope.may_use(header.warehouse_id):
        form.warehouse_id.errors = [_("Choose the warehouse to ship from.")]
        valid = False
    if not valid:
        form.form_errors.append(_("Please correct the marked fields."))
        return None
    shortages: list[os_.Shortage] = []
    try:
        if order is None:
            order = os_.create_order(header, lines, actor_id=editor.me())
            db.session.commit()
        elif amend:

            def work():
                locked = load_order_or_404(order.id, for_update=True)
                return locked, os_.amend_order(locked, header, lines, expected_version=form.version_id.data)

            order, shortages = run_with_retry(db.session, work)
        else:
            os_.update_order(order, header, lines, expected_version=form.version_id.data)
            db.session.commit()
    except qs.LinesInvalid as exc:
        db.session.rollback()
        _mark_line_errors(form, rows, exc)
        return None
    except StaleEditError:
        raise
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return None
    if amend:
        flash(_("Order %(number)s amended.", number=order.number), "success")
        _flash_shortages(shortages)
    else:
        flash(_("Order %(number)s saved.", number=order.number), "success")
    return redirect(url_for("sales.order_detail", order_id=order.id))


def _flash_shortages(shortages: list[os_.Shortage]) -> None:
    for shortage in shortages:
        flash(
            _(
                "%(product)s: %(reserved)s of %(wanted)s reserved, %(short)s short.",
                product=shortage.line.product.audit_label(),
                reserved=f"{shortage.reserved.normalize():f}",
                wanted=f"{shortage.wanted.normalize():f}",
                short=f"{shortage.short.normalize():f}",
            ),
            "warning",
        )


@bp.route("/sales-orders/new", methods=["GET", "POST"])
@require("sales_orders.edit")
@EDITOR_FORM_LIMITS
def order_new():
    form = OrderForm()
    if request.method == "GET":
        from app.system.settings import company_settings

        form.customer_id.data = request.args.get("customer_id", type=int)
        customer = editor.visible_customer(form.customer_id.data)
        if customer is not None:
            if customer.primary_contact is not None:
                form.contact_id.data = customer.primary_contact.id
            form.delivery_address.data = customer.address
        form.salesperson_id.data = editor.me()
        form.tax_rate.data = company_settings().tax_rate
        form.prices_include_tax.data = True
        usable = inventory_scope.usable_warehouses()
        if len(usable) == 1:
            form.warehouse_id.data = usable[0].id
    customer = _prepare(form, None)
    if form.is_submitted():
        response = _save(form, None)
        if response is not None:
            return response
        customer = _prepare(form, None)
    return _render_form(form, None, customer)


def _line_data(line) -> dict:
    return {
        "line_id": line.id,
        "product_id": line.product_id,
        "customer_part_no": line.customer_part_no,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent,
        "lead_time": line.lead_time,
        "note": line.note,
    }


def _edit(order_id: int, *, amend: bool):
    order = load_order_or_404(order_id)
    allowed = (OrderStatus.CONFIRMED, OrderStatus.PARTIAL) if amend else (OrderStatus.DRAFT,)
    if OrderStatus(order.status) not in allowed:
        flash(
            _(
                "Order %(number)s is %(status)s: it cannot be changed this way.",
                number=order.number,
                status=str(ORDER_STATUS_LABELS[OrderStatus(order.status)]).lower(),
            ),
            "warning",
        )
        return redirect(url_for("sales.order_detail", order_id=order.id))
    if request.method == "GET":
        form = OrderForm(obj=order)
        while len(form.lines):
            form.lines.pop_entry()
        for line in order.lines:
            form.lines.append_entry(_line_data(line))
        form.version_id.data = order.version_id
    else:
        form = OrderForm()
    customer = _prepare(form, order)
    if form.is_submitted():
        try:
            response = _save(form, order, amend=amend)
        except StaleEditError as exc:
            db.session.rollback()
            order = load_order_or_404(order_id)
            form.version_id.data = order.version_id
            return _render_form(form, order, _prepare(form, order), amend=amend, conflict=exc)
        if response is not None:
            return response
        customer = _prepare(form, order)
    return _render_form(form, order, customer, amend=amend)


@bp.route("/sales-orders/<int:order_id>/edit", methods=["GET", "POST"])
@require("sales_orders.edit")
@EDITOR_FORM_LIMITS
def order_edit(order_id: int):
    return _edit(order_id, amend=False)


@bp.route("/sales-orders/<int:order_id>/amend", methods=["GET", "POST"])
@require("sales_orders.edit")
@EDITOR_FORM_LIMITS
def order_amend(order_id: int):
    return _edit(order_id, amend=True)


# --- from a quotation -------------------------------------------------------------------------


@bp.route("/quotations/<int:quotation_id>/order", methods=["GET", "POST"])
@require("quotations.view", "sales_orders.edit")
@EDITOR_FORM_LIMITS
def quotation_to_order(quotation_id: int):
    """Choose the lines and quantities of an accepted quotation that the customer orders."""
    quotation = load_quotation_or_404(quotation_id)
    if qs.effective_status(quotation) != QuotationStatus.ACCEPTED:
        flash(
            _("Only an accepted quotation becomes an order; %(number)s is not accepted.", number=quotation.label),
            "warning",
        )
        return redirect(url_for("sales.quotation_detail", quotation_id=quotation.id))
    ordered = os_.ordered_from_quotation([line.id for line in quotation.lines])
    left = {line.id: max(line.quantity - ordered.get(line.id, qs.ZERO), qs.ZERO) for line in quotation.lines}
    form = ConvertForm()
    form.warehouse_id.choices = _warehouse_choices(None)
    if request.method == "GET":
        usable = inventory_scope.usable_warehouses()
        if len(usable) == 1:
            form.warehouse_id.data = usable[0].id
        for line in quotation.lines:
            form.lines.append_entry({"quotation_line_id": line.id, "quantity": left[line.id] or None})
    errors: dict[int, list[str]] = {}
    if form.is_submitted():
        response = _convert(form, quotation, errors)
        if response is not None:
            return response
    rows = {entry.form.quotation_line_id.data: entry.form for entry in form.lines}
    return render_template(
        "sales/order_convert.html",
        quotation=quotation,
        form=form,
        rows=rows,
        left=left,
        ordered=ordered,
        errors=errors,
        orders=os_.orders_of_quotation(quotation.number, visible_orders_filter()),
    )


def _convert(form: ConvertForm, quotation: Quotation, errors: dict[int, list[str]]):
    valid = form.validate()
    if form.warehouse_id.data is None or not inventory_scope.may_use(form.warehouse_id.data):
        form.warehouse_id.errors = [_("Choose the warehouse to ship from.")]
        valid = False
    if not valid:
        form.form_errors.append(_("Please correct the marked fields."))
        return None
    picks: dict[int, Decimal] = {}
    for entry in form.lines:
        line_id, quantity = entry.form.quotation_line_id.data, entry.form.quantity.data
        if line_id and quantity:
            picks[line_id] = quantity
    try:
        order = os_.order_from_quotation(
            quotation,
            picks,
            warehouse_id=form.warehouse_id.data,
            actor_id=editor.me(),
            customer_reference=form.customer_reference.data or "",
            delivery_date=form.delivery_date.data,
        )
        db.session.commit()
    except qs.LinesInvalid as exc:
        db.session.rollback()
        for issue in exc.issues:
            line_id = quotation.lines[issue.index].id
            errors.setdefault(line_id, []).append(issue.message)
        form.form_errors.append(_("Please correct the marked fields."))
        return None
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return None
    flash(
        _(
            "Order %(number)s made from %(quotation)s: check it, then confirm it.",
            number=order.number,
            quotation=quotation.label,
        ),
        "success",
    )
    return redirect(url_for("sales.order_detail", order_id=order.id))


# --- detail -----------------------------------------------------------------------------------


@bp.get("/sales-orders/<int:order_id>")
@require("sales_orders.view")
def order_detail(order_id: int):
    order = load_order_or_404(order_id)
    reserved = os_.reserved_by_line([line.id for line in order.lines])
    entries = audit.history("sales_order", order.id, limit=100)
    deliveries = list(
        db.session.scalars(
            sa.select(Delivery).where(Delivery.order_id == order.id, visible_deliveries_filter()).order_by(Delivery.id)
        )
    )
    quotation = None
    if order.quotation_id is not None and can("quotations.view"):
        quotation = db.session.scalar(visible_quotations().where(Quotation.id == order.quotation_id))
    return render_template(
        "sales/order_detail.html",
        order=order,
        status=OrderStatus(order.status),
        statuses=OrderStatus,
        reserved=reserved,
        shortages={s.line.id: s for s in os_.shortages_of(order)},
        deliveries=deliveries,
        quotation=quotation,
        entries=entries,
        actors=audit.actor_names(entries),
        version_form=VersionForm(version_id=order.version_id),
        reason_form=ReasonForm(version_id=order.version_id),
        may_deliver=can("deliveries.edit") and inventory_scope.may_use(order.warehouse_id),
    )


# --- workflow ---------------------------------------------------------------------------------


def _act(
    order_id: int,
    work: Callable[[SalesOrder, object], object],
    done: Callable[[SalesOrder, object], str],
    *,
    form_class=VersionForm,
):
    """Run one workflow step on the order, locked for the change, and go back to its page."""
    form = form_class()
    load_order_or_404(order_id)  # 404 before anything else for an order out of scope
    if not form.validate_on_submit():
        errors = [e for errors in form.errors.values() for e in errors]
        flash(" ".join(str(e) for e in errors) or _("Please correct the marked fields."), "danger")
        return redirect(url_for("sales.order_detail", order_id=order_id))

    def unit():
        order = load_order_or_404(order_id, for_update=True)
        return order, work(order, form)

    try:
        order, result = run_with_retry(db.session, unit)
    except StaleEditError:
        db.session.rollback()
        flash(_("Someone else changed this order meanwhile: look at it again, then repeat."), "warning")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(done(order, result), "success")
        if isinstance(result, list) and result and isinstance(result[0], os_.Shortage):
            _flash_shortages(result)
    return redirect(url_for("sales.order_detail", order_id=order_id))


@bp.post("/sales-orders/<int:order_id>/confirm")
@require("sales_orders.confirm")
def order_confirm(order_id: int):
    return _act(
        order_id,
        lambda o, f: os_.confirm_order(o, actor_id=editor.me(), expected_version=f.version_id.data),
        lambda o, short: (
            _("Order %(number)s confirmed; its stock is reserved.", number=o.number)
            if not short
            else _("Order %(number)s confirmed; some lines are short of stock.", number=o.number)
        ),
    )


@bp.post("/sales-orders/<int:order_id>/reserve")
@require("sales_orders.confirm")
def order_reserve(order_id: int):
    return _act(
        order_id,
        lambda o, f: os_.reserve_again(o),
        lambda o, short: (
            _("Everything left to deliver of %(number)s is reserved.", number=o.number)
            if not short
            else _("Reserved what is available for %(number)s.", number=o.number)
        ),
    )


@bp.post("/sales-orders/<int:order_id>/cancel")
@require("sales_orders.cancel")
def order_cancel(order_id: int):
    return _act(
        order_id,
        lambda o, f: os_.cancel_order(o, reason=f.reason.data or "", expected_version=f.version_id.data),
        lambda o, _released: _("Order %(number)s cancelled; its reservations were released.", number=o.number),
        form_class=ReasonForm,
    )


@bp.post("/sales-orders/<int:order_id>/close")
@require("sales_orders.edit")
def order_close(order_id: int):
    order = load_order_or_404(order_id)
    if order.status == OrderStatus.PARTIAL and not can("sales_orders.cancel"):
        abort(403)  # giving up the rest of an order is a cancellation of that rest
    partial = order.status == OrderStatus.PARTIAL

    def close(o, form):
        reason = form.reason.data if partial else ""
        return os_.close_order(o, reason=reason or "", expected_version=form.version_id.data)

    return _act(
        order_id,
        close,
        lambda o, _released: _("Order %(number)s closed.", number=o.number),
        form_class=ReasonForm if partial else VersionForm,
    )


@bp.post("/sales-orders/<int:order_id>/delete")
@require("sales_orders.edit")
def order_delete(order_id: int):
    form = VersionForm()
    order = load_order_or_404(order_id, for_update=True)
    if not form.validate_on_submit():
        abort(400)
    number = order.number
    try:
        os_.delete_order(order)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("sales.order_detail", order_id=order_id))
    flash(_("Draft order %(number)s deleted.", number=number), "success")
    return redirect(url_for("sales.order_list"))
