"""Delivery pages (销售出库): list, a new delivery of an order (remaining quantities and suggested
locations filled in), the draft editor, the detail page, posting and cancelling."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.access import can, require
from app.core import audit
from app.core import listview as lv
from app.core.db import run_with_retry
from app.core.errors import DomainError, StaleEditError
from app.core.forms import large_form
from app.core.registry import MenuItem, register_menu_item
from app.extensions import db
from app.inventory import scope as inventory_scope
from app.inventory.models import Location
from app.inventory.sources import register_source_link
from app.sales import deliveries as ds
from app.sales.blueprint import bp
from app.sales.forms import DeliveryForm, VersionForm
from app.sales.models import Delivery, DeliveryStatus, OrderStatus, SalesOrder
from app.sales.order_lists import DELIVERY_LIST
from app.sales.order_views import _export
from app.sales.quotations import LinesInvalid
from app.sales.scope import load_delivery_or_404, load_order_or_404

register_menu_item(MenuItem("sales", "sales.delivery_list", _l("Deliveries"), "truck", ("deliveries.view",), order=25))
register_source_link(
    ds.MOVE_SOURCE,
    lambda delivery_id: url_for("sales.delivery_detail", delivery_id=delivery_id),
)

EDITOR_FORM_LIMITS = large_form(max_parts=ds.MAX_LINES * 4 + 100, max_memory=2 * 1024 * 1024)


@bp.get("/deliveries/")
@require("deliveries.view")
def delivery_list():
    return render_template("sales/delivery_list.html", result=lv.run(DELIVERY_LIST, can))


@bp.get("/deliveries/export.<fmt>")
@require("deliveries.view", "deliveries.export")
def delivery_list_export(fmt: str):
    return _export(DELIVERY_LIST, fmt, _("deliveries"))


# --- the editor -------------------------------------------------------------------------------


def _location_choices(order: SalesOrder) -> dict[int, list[tuple[int | str, str]]]:
    """Per order line, the locations to pick from: those holding the product first (with the
    quantity there), then every other location of the warehouse."""
    stock = ds.stock_at_locations(order.warehouse_id, [line.product_id for line in order.lines])
    every = list(
        db.session.scalars(
            sa.select(Location)
            .where(Location.warehouse_id == order.warehouse_id, Location.deleted_at.is_(None))
            .order_by(Location.code)
        )
    )
    choices: dict[int, list[tuple[int | str, str]]] = {}
    for line in order.lines:
        holding = stock.get(line.product_id, [])
        held = {loc.id for loc, _qty in holding}
        options: list[tuple[int | str, str]] = [("", "—")]
        options += [
            (loc.id, _("%(code)s (%(qty)s here)", code=loc.code, qty=f"{qty.normalize():f}")) for loc, qty in holding
        ]
        options += [(loc.id, loc.code) for loc in every if loc.id not in held]
        choices[line.id] = options
    return choices


def _read(form: DeliveryForm) -> tuple[ds.DeliveryHeader, list[ds.DeliveryLineData], list]:
    header = ds.DeliveryHeader(
        carrier=form.carrier.data or "", tracking_no=form.tracking_no.data or "", note=form.note.data or ""
    )
    lines, rows = [], []
    for entry in form.lines:
        f = entry.form
        if f.order_line_id.data is None:
            continue
        lines.append(ds.DeliveryLineData(f.order_line_id.data, f.location_id.data, f.quantity.data))
        rows.append(f)
    return header, lines, rows


def _render_form(form: DeliveryForm, order: SalesOrder, delivery: Delivery | None, conflict=None):
    choices = _location_choices(order)
    for entry in form.lines:
        entry.form.location_id.choices = choices.get(entry.form.order_line_id.data, [("", "—")])
    return render_template(
        "sales/delivery_form.html",
        form=form,
        order=order,
        delivery=delivery,
        order_lines={line.id: line for line in order.lines},
        conflict=conflict,
    )


def _save(form: DeliveryForm, order: SalesOrder, delivery: Delivery | None):
    valid = form.validate()
    header, lines, rows = _read(form)
    if not valid:
        form.form_errors.append(_("Please correct the marked fields."))
        return None
    try:
        if delivery is None:
            delivery = ds.create_delivery(order, header, lines)
        else:
            ds.update_delivery(delivery, header, lines, expected_version=form.version_id.data)
        db.session.commit()
    except LinesInvalid as exc:
        db.session.rollback()
        for issue in exc.issues:
            if 0 <= issue.index < len(rows):
                field = rows[issue.index][issue.field if issue.field != "order_line_id" else "quantity"]
                field.errors = [*field.errors, issue.message]
        form.form_errors.append(_("Please correct the marked fields."))
        return None
    except StaleEditError:
        raise
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return None
    flash(_("Delivery %(number)s saved: pick the goods, then post it.", number=delivery.number), "success")
    return redirect(url_for("sales.delivery_detail", delivery_id=delivery.id))


def _require_warehouse(order: SalesOrder) -> None:
    if not inventory_scope.may_use(order.warehouse_id):
        abort(404)


@bp.route("/sales-orders/<int:order_id>/deliveries/new", methods=["GET", "POST"])
@require("sales_orders.view", "deliveries.edit")
@EDITOR_FORM_LIMITS
def delivery_new(order_id: int):
    order = load_order_or_404(order_id)
    _require_warehouse(order)
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.PARTIAL):
        flash(
            _("Order %(number)s is not open for delivery: nothing is left to deliver.", number=order.number), "warning"
        )
        return redirect(url_for("sales.order_detail", order_id=order.id))
    form = DeliveryForm()
    if request.method == "GET":
        for suggestion in ds.suggest(order):
            form.lines.append_entry(
                {
                    "order_line_id": suggestion.order_line.id,
                    "location_id": suggestion.location.id if suggestion.location else None,
                    "quantity": suggestion.quantity,
                }
            )
    if form.is_submitted():
        response = _save(form, order, None)
        if response is not None:
            return response
    return _render_form(form, order, None)


@bp.route("/deliveries/<int:delivery_id>/edit", methods=["GET", "POST"])
@require("deliveries.edit")
@EDITOR_FORM_LIMITS
def delivery_edit(delivery_id: int):
    delivery = load_delivery_or_404(delivery_id)
    if not delivery.is_draft:
        flash(_("Only a draft delivery can be changed."), "warning")
        return redirect(url_for("sales.delivery_detail", delivery_id=delivery.id))
    order = delivery.order
    if request.method == "GET":
        form = DeliveryForm(obj=delivery)
        while len(form.lines):
            form.lines.pop_entry()
        listed = set()
        for line in delivery.lines:
            form.lines.append_entry(
                {"order_line_id": line.order_line_id, "location_id": line.location_id, "quantity": line.quantity}
            )
            listed.add(line.order_line_id)
        # Lines of the order not in this delivery yet can be added by giving them a quantity.
        for line in order.lines:
            if line.id not in listed and line.remaining > 0:
                form.lines.append_entry({"order_line_id": line.id, "location_id": None, "quantity": None})
        form.version_id.data = delivery.version_id
    else:
        form = DeliveryForm()
    if form.is_submitted():
        try:
            response = _save(form, order, delivery)
        except StaleEditError as exc:
            db.session.rollback()
            delivery = load_delivery_or_404(delivery_id)
            form.version_id.data = delivery.version_id
            return _render_form(form, delivery.order, delivery, conflict=exc)
        if response is not None:
            return response
    return _render_form(form, order, delivery)


# --- detail -----------------------------------------------------------------------------------


@bp.get("/deliveries/<int:delivery_id>")
@require("deliveries.view")
def delivery_detail(delivery_id: int):
    delivery = load_delivery_or_404(delivery_id)
    entries = audit.history("delivery", delivery.id, limit=100)
    return render_template(
        "sales/delivery_detail.html",
        delivery=delivery,
        order=delivery.order,
        statuses=DeliveryStatus,
        entries=entries,
        actors=audit.actor_names(entries),
        version_form=VersionForm(version_id=delivery.version_id),
        may_work=inventory_scope.may_use(delivery.warehouse_id),
        may_see_order=_may_see_order(delivery),
    )


def _may_see_order(delivery: Delivery) -> bool:
    from app.sales.scope import visible_orders_filter

    return can("sales_orders.view") and bool(
        db.session.scalar(sa.select(SalesOrder.id).where(SalesOrder.id == delivery.order_id, visible_orders_filter()))
    )


# --- posting, cancelling, deleting --------------------------------------------------------------


def _locked_pair(delivery_id: int) -> Delivery:
    """Lock the delivery's order, then the delivery (the order first, always: see deliveries.py)."""
    delivery = load_delivery_or_404(delivery_id)
    load_order_or_404(delivery.order_id, for_update=True)
    locked = ds.lock_delivery(delivery_id)
    if locked is None:
        raise DomainError(_("This document no longer exists."))
    return locked


def _act(delivery_id: int, work, done: str):
    form = VersionForm()
    delivery = load_delivery_or_404(delivery_id)
    if not inventory_scope.may_use(delivery.warehouse_id):
        abort(403)
    if not form.validate_on_submit():
        abort(400)
    number = delivery.number
    try:
        run_with_retry(db.session, lambda: work(_locked_pair(delivery_id), form))
    except StaleEditError as exc:
        db.session.rollback()
        who = exc.changed_by or _("someone else")
        flash(
            _("Not posted: %(who)s changed this delivery after you opened it. Review it and post again.", who=who),
            "warning",
        )
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash(done % {"number": number}, "success")
    return redirect(url_for("sales.delivery_detail", delivery_id=delivery_id))


@bp.post("/deliveries/<int:delivery_id>/post")
@require("deliveries.post")
def delivery_post(delivery_id: int):
    return _act(
        delivery_id,
        lambda d, form: ds.post_delivery(d, expected_version=form.version_id.data),
        _("%(number)s posted: the goods left the warehouse."),
    )


@bp.post("/deliveries/<int:delivery_id>/cancel")
@require("deliveries.cancel")
def delivery_cancel(delivery_id: int):
    return _act(
        delivery_id,
        lambda d, form: ds.cancel_delivery(d),
        _("%(number)s cancelled: the goods are back in stock and reserved for the order again."),
    )


@bp.post("/deliveries/<int:delivery_id>/delete")
@require("deliveries.edit")
def delivery_delete(delivery_id: int):
    form = VersionForm()
    delivery = load_delivery_or_404(delivery_id)
    if not inventory_scope.may_use(delivery.warehouse_id):
        abort(403)
    if not form.validate_on_submit():
        abort(400)
    number, order_id = delivery.number, delivery.order_id
    try:
        run_with_retry(db.session, lambda: ds.delete_delivery(_locked_pair(delivery_id)))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("sales.delivery_detail", delivery_id=delivery_id))
    flash(_("Draft delivery %(number)s deleted.", number=number), "success")
    if can("sales_orders.view"):
        return redirect(url_for("sales.order_detail", order_id=order_id))
    return redirect(url_for("sales.delivery_list"))
