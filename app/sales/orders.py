"""Sales order use cases: drafts (typed, or converted from an accepted quotation), confirmation
with stock reservations, amendments, reserving again, cancelling and closing.

Every function flushes and never commits; each change of an order's state starts by locking the
order row (the view loads it ``for_update``), and deliveries posted against the order lock it too,
so quantities delivered and reserved are never computed from a stale order. Reservations belong to
inventory: they are made and released through its posting service, keyed by the order line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.access import holders_of
from app.auth.models import User
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.locking import check_version
from app.core.money import ZERO
from app.core.numbers import next_number
from app.core.realtime import work_changed
from app.extensions import db
from app.inventory import posting
from app.inventory.models import StockReservation, Warehouse, user_warehouses
from app.notifications import services as notifications
from app.sales import quotations as qs
from app.sales.models import (
    ORDER_STATUS_LABELS,
    DeliveryStatus,
    OrderStatus,
    Quotation,
    QuotationStatus,
    SalesOrder,
    SalesOrderLine,
)
from app.sales.models.orders import ORDER_PREFIX

log = logging.getLogger(__name__)

RESERVATION_SOURCE = "sales_order"
NOTIFY_KIND = "sales_order"
notifications.register_kind(NOTIFY_KIND, _l("Sales order"), "cart-check")

# "My work" counts on the dashboard (app/sales/work.py); open dashboards are told when they move.
WORK_TO_DELIVER = "orders_to_deliver"
WORK_BACKORDERS = "backorders"


def work_moved(order: SalesOrder) -> None:
    """After commit, have the dashboards of those who may see ``order`` count its lists again."""
    work_changed(order_watchers(order, "sales_orders.view"), WORK_TO_DELIVER, WORK_BACKORDERS)


@dataclass
class OrderHeader:
    customer_id: int
    warehouse_id: int | None
    contact_id: int | None = None
    salesperson_id: int | None = None  # None: the person creating it
    customer_reference: str = ""
    delivery_date: date | None = None
    tax_rate: Decimal | None = None  # None: the company's rate
    prices_include_tax: bool = True
    delivery_address: str = ""
    delivery_terms: str = ""
    payment_terms: str = ""
    note: str = ""


@dataclass
class OrderLineData:
    product_id: int
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = ZERO
    customer_part_no: str = ""
    lead_time: str = ""
    note: str = ""
    line_id: int | None = None  # an existing line of the order (amendments keep what it delivered)
    quotation_line_id: int | None = None


@dataclass(frozen=True)
class Shortage:
    """Stock an order line could not reserve."""

    line: SalesOrderLine
    wanted: Decimal
    reserved: Decimal

    @property
    def short(self) -> Decimal:
        return self.wanted - self.reserved


# --- reading ----------------------------------------------------------------------------------


def reserved_by_line(line_ids: Sequence[int]) -> dict[int, Decimal]:
    """What is reserved for each order line (lines without a reservation are left out)."""
    if not line_ids:
        return {}
    rows = db.session.execute(
        sa.select(StockReservation.source_line_id, sa.func.sum(StockReservation.quantity))
        .where(StockReservation.source_type == RESERVATION_SOURCE, StockReservation.source_line_id.in_(line_ids))
        .group_by(StockReservation.source_line_id)
    )
    return {row[0]: row[1] for row in rows}


def shortages_of(order: SalesOrder) -> list[Shortage]:
    """Lines of an open order whose remaining quantity is not fully reserved."""
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.PARTIAL):
        return []
    reserved = reserved_by_line([line.id for line in order.lines])
    return [
        Shortage(line, line.remaining, reserved.get(line.id, ZERO))
        for line in order.lines
        if line.remaining > reserved.get(line.id, ZERO)
    ]


def _status_label(order: SalesOrder) -> str:
    return str(ORDER_STATUS_LABELS[OrderStatus(order.status)]).lower()


def _require_status(order: SalesOrder, *allowed: OrderStatus) -> None:
    if OrderStatus(order.status) not in allowed:
        raise DomainError(
            _(
                "Order %(number)s is %(status)s: this cannot be done now.",
                number=order.number,
                status=_status_label(order),
            )
        )


# --- checking and computing -------------------------------------------------------------------


def _check_warehouse(warehouse_id: int | None) -> Warehouse:
    warehouse = db.session.get(Warehouse, warehouse_id) if warehouse_id else None
    if warehouse is None or warehouse.is_deleted or not warehouse.is_active:
        raise DomainError(_("Choose the warehouse to ship from."))
    return warehouse


def _check(header: OrderHeader, lines: Sequence[OrderLineData], salesperson_id: int) -> None:
    qs.check_party(header, salesperson_id)
    _check_warehouse(header.warehouse_id)
    qs.check_lines(lines)


def _apply_header(order: SalesOrder, header: OrderHeader, salesperson_id: int) -> None:
    from app.system.settings import company_settings

    order.customer_id = header.customer_id
    order.contact_id = header.contact_id
    order.salesperson_id = salesperson_id
    order.warehouse_id = header.warehouse_id
    order.customer_reference = header.customer_reference.strip()[:60]
    order.delivery_date = header.delivery_date
    order.tax_rate = header.tax_rate if header.tax_rate is not None else company_settings().tax_rate
    order.prices_include_tax = bool(header.prices_include_tax)
    order.delivery_address = header.delivery_address.strip()[:300]
    order.delivery_terms = header.delivery_terms.strip()[:300]
    order.payment_terms = header.payment_terms.strip()[:300]
    order.note = header.note.strip()


def _fill(line: SalesOrderLine, data: OrderLineData) -> None:
    line.product_id = data.product_id
    line.quantity = data.quantity
    line.unit_price = data.unit_price
    line.discount_percent = data.discount_percent
    line.customer_part_no = (data.customer_part_no or "").strip()[:60]
    line.lead_time = (data.lead_time or "").strip()[:60]
    line.note = (data.note or "").strip()[:300]
    if data.quotation_line_id is not None:
        line.quotation_line_id = data.quotation_line_id


def _set_draft_lines(order: SalesOrder, lines: Sequence[OrderLineData]) -> None:
    old = {line.id: line for line in order.lines}
    new = []
    for position, data in enumerate(lines, start=1):
        line = old.pop(data.line_id, None) if data.line_id is not None else None
        if line is None:
            line = SalesOrderLine()
        line.position = position
        _fill(line, data)
        new.append(line)
    order.lines = new


def _mine(header: OrderHeader) -> dict[str, object]:
    return {
        "customer_id": header.customer_id,
        "contact_id": header.contact_id,
        "warehouse_id": header.warehouse_id,
        "customer_reference": header.customer_reference.strip(),
        "delivery_date": header.delivery_date,
        "delivery_address": header.delivery_address.strip(),
        "delivery_terms": header.delivery_terms.strip(),
        "payment_terms": header.payment_terms.strip(),
        "note": header.note.strip(),
    }


# --- drafts -----------------------------------------------------------------------------------


def create_order(
    header: OrderHeader, lines: Sequence[OrderLineData], *, actor_id: int, quotation_id: int | None = None
) -> SalesOrder:
    """Create a draft sales order with a new number."""
    salesperson_id = header.salesperson_id or actor_id
    _check(header, lines, salesperson_id)
    order = SalesOrder(number=next_number(ORDER_PREFIX), status=OrderStatus.DRAFT.value, quotation_id=quotation_id)
    _apply_header(order, header, salesperson_id)
    _set_draft_lines(order, lines)
    qs.compute_totals(order)
    db.session.add(order)
    db.session.flush()
    log.info("sales order %s created (%d lines)", order.number, len(lines))
    return order


def update_order(
    order: SalesOrder, header: OrderHeader, lines: Sequence[OrderLineData], *, expected_version: int | None
) -> None:
    """Change a draft; refused when someone else saved it since ``expected_version`` was read."""
    check_version(order, expected_version, _mine(header))
    _require_status(order, OrderStatus.DRAFT)
    salesperson_id = header.salesperson_id or order.salesperson_id
    _check(header, lines, salesperson_id)
    _apply_header(order, header, salesperson_id)
    _set_draft_lines(order, lines)
    qs.compute_totals(order)
    db.session.flush()
    log.info("sales order %s saved (%d lines)", order.number, len(lines))


def delete_order(order: SalesOrder) -> None:
    """Delete a draft order (nothing was reserved or delivered for it)."""
    _require_status(order, OrderStatus.DRAFT)
    db.session.delete(order)
    db.session.flush()
    log.info("sales order %s deleted", order.number)


# --- from a quotation -------------------------------------------------------------------------


def ordered_from_quotation(quotation_line_ids: Sequence[int]) -> dict[int, Decimal]:
    """How much of each quotation line is already on orders that are not cancelled."""
    if not quotation_line_ids:
        return {}
    rows = db.session.execute(
        sa.select(SalesOrderLine.quotation_line_id, sa.func.sum(SalesOrderLine.quantity))
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(
            SalesOrderLine.quotation_line_id.in_(quotation_line_ids),
            SalesOrder.status != OrderStatus.CANCELLED.value,
        )
        .group_by(SalesOrderLine.quotation_line_id)
    )
    return {row[0]: row[1] for row in rows}


def order_from_quotation(
    quotation: Quotation,
    picks: dict[int, Decimal],
    *,
    warehouse_id: int | None,
    actor_id: int,
    customer_reference: str = "",
    delivery_date: date | None = None,
) -> SalesOrder:
    """Make a draft order of an accepted quotation: the chosen lines (quotation line id → quantity)
    at the quoted prices, never more of a line than is left after earlier orders of it."""
    if qs.effective_status(quotation) != QuotationStatus.ACCEPTED:
        raise DomainError(
            _("Only an accepted quotation becomes an order; %(number)s is not accepted.", number=quotation.label)
        )
    chosen = {line_id: quantity for line_id, quantity in picks.items() if quantity}
    if not chosen:
        raise DomainError(_("Choose at least one line and a quantity to order."))
    by_id = {line.id: line for line in quotation.lines}
    ordered = ordered_from_quotation(list(by_id))
    issues: list[qs.LineIssue] = []
    lines: list[OrderLineData] = []
    for index, quote_line in enumerate(quotation.lines):
        if quote_line.id not in chosen:
            continue
        quantity = chosen[quote_line.id]
        left = quote_line.quantity - ordered.get(quote_line.id, ZERO)
        if quantity <= 0:
            issues.append(qs.LineIssue(index, "quantity", _("Enter a quantity above 0.")))
        elif quantity > left:
            issues.append(
                qs.LineIssue(
                    index,
                    "quantity",
                    _("At most %(left)s is left to order of this line.", left=f"{left.normalize():f}"),
                )
            )
        lines.append(
            OrderLineData(
                product_id=quote_line.product_id,
                quantity=quantity,
                unit_price=quote_line.unit_price,
                discount_percent=quote_line.discount_percent,
                lead_time=quote_line.lead_time,
                note=quote_line.note,
                quotation_line_id=quote_line.id,
            )
        )
    unknown = set(chosen) - set(by_id)
    if unknown:
        raise DomainError(_("A chosen line is not on %(number)s.", number=quotation.label))
    if issues:
        raise qs.LinesInvalid(issues=issues)
    header = OrderHeader(
        customer_id=quotation.customer_id,
        contact_id=quotation.contact_id,
        salesperson_id=quotation.salesperson_id,
        warehouse_id=warehouse_id,
        customer_reference=customer_reference,
        delivery_date=delivery_date,
        tax_rate=quotation.tax_rate,
        prices_include_tax=quotation.prices_include_tax,
        delivery_address=quotation.customer.address if quotation.customer is not None else "",
        delivery_terms=quotation.delivery_terms,
        payment_terms=quotation.payment_terms,
        note="",
    )
    return create_order(header, lines, actor_id=actor_id, quotation_id=quotation.id)


def orders_of_quotation(number: str, condition: sa.ColumnElement[bool] | None = None) -> list[SalesOrder]:
    """Orders made from any revision of a quotation number (those meeting ``condition``: a scope)."""
    query = (
        sa.select(SalesOrder)
        .join(Quotation, Quotation.id == SalesOrder.quotation_id)
        .where(Quotation.number == number)
        .order_by(SalesOrder.id)
    )
    if condition is not None:
        query = query.where(condition)
    return list(db.session.scalars(query))


# --- reservations -----------------------------------------------------------------------------


def _source(order: SalesOrder) -> posting.Source:
    return posting.Source(RESERVATION_SOURCE, order.id, order.number)


def _reserve_remaining(order: SalesOrder) -> list[Shortage]:
    """Reserve what each line still needs (remaining less what it holds); report what is short."""
    held = reserved_by_line([line.id for line in order.lines])
    wanted = [
        posting.ReserveLine(line.product_id, order.warehouse_id, line.id, line.remaining - held.get(line.id, ZERO))
        for line in order.lines
        if line.remaining - held.get(line.id, ZERO) > 0
    ]
    results = posting.reserve(_source(order), wanted, partial=True) if wanted else []
    got = {r.line.source_line_id: r.quantity for r in results}
    by_id = {line.id: line for line in order.lines}
    shortages = []
    for result in results:
        if result.short > 0:
            line_id = result.line.source_line_id
            shortages.append(Shortage(by_id[line_id], by_id[line_id].remaining, held.get(line_id, ZERO) + got[line_id]))
    return shortages


def _release_all(order: SalesOrder, line_ids: Sequence[int] | None = None) -> Decimal:
    ids = [line.id for line in order.lines] if line_ids is None else list(line_ids)
    return posting.release(RESERVATION_SOURCE, ids)


def confirm_order(order: SalesOrder, *, actor_id: int, expected_version: int | None = None) -> list[Shortage]:
    """Confirm a draft: its lines' stock is reserved in the order's warehouse as far as it is
    available; return the lines that are short."""
    check_version(order, expected_version, {})
    _require_status(order, OrderStatus.DRAFT)
    if not order.lines:
        raise DomainError(_("Add at least one line before confirming."))
    qs.check_party(
        OrderHeader(customer_id=order.customer_id, warehouse_id=order.warehouse_id, contact_id=order.contact_id),
        order.salesperson_id,
    )
    _check_warehouse(order.warehouse_id)
    order.status = OrderStatus.CONFIRMED.value
    order.confirmed_at = utcnow()
    order.confirmed_by_id = actor_id
    db.session.flush()
    shortages = _reserve_remaining(order)
    _notify_confirmed(order, actor_id, shortages)
    work_moved(order)
    log.info("sales order %s confirmed (%d lines short)", order.number, len(shortages))
    return shortages


def reserve_again(order: SalesOrder) -> list[Shortage]:
    """Reserve what has become available for an open order's short lines."""
    _require_status(order, OrderStatus.CONFIRMED, OrderStatus.PARTIAL)
    shortages = _reserve_remaining(order)
    db.session.flush()
    return shortages


def amend_order(
    order: SalesOrder, header: OrderHeader, lines: Sequence[OrderLineData], *, expected_version: int | None
) -> list[Shortage]:
    """Change a confirmed order: quantities (never below what was delivered), prices, lines added
    or removed (only undelivered ones), header; reservations follow the new quantities."""
    check_version(order, expected_version, _mine(header))
    _require_status(order, OrderStatus.CONFIRMED, OrderStatus.PARTIAL)
    if _draft_deliveries(order):
        raise DomainError(
            _(
                "Order %(number)s has a draft delivery: post or delete it before amending the order.",
                number=order.number,
            )
        )
    salesperson_id = header.salesperson_id or order.salesperson_id
    _check(header, lines, salesperson_id)
    delivered_any = any(line.delivered_qty > 0 for line in order.lines)
    if header.warehouse_id != order.warehouse_id and delivered_any:
        raise DomainError(
            _(
                "Part of this order was delivered from %(warehouse)s: the warehouse stays.",
                warehouse=order.warehouse.code,
            )
        )
    existing = {line.id: line for line in order.lines}
    issues: list[qs.LineIssue] = []
    kept: set[int] = set()
    for index, data in enumerate(lines):
        line = existing.get(data.line_id) if data.line_id is not None else None
        if line is None:
            continue
        kept.add(line.id)
        if data.quantity is not None and data.quantity < line.delivered_qty:
            issues.append(
                qs.LineIssue(
                    index,
                    "quantity",
                    _(
                        "%(delivered)s of this line were delivered already: order at least that.",
                        delivered=f"{line.delivered_qty.normalize():f}",
                    ),
                )
            )
        if data.product_id != line.product_id and line.delivered_qty > 0:
            issues.append(qs.LineIssue(index, "product_id", _("This line was partly delivered: its product stays.")))
    removed = [line for line_id, line in existing.items() if line_id not in kept]
    if any(line.delivered_qty > 0 for line in removed):
        raise DomainError(
            _("A line that was partly delivered cannot be removed: lower its quantity to what was delivered.")
        )
    if issues:
        raise qs.LinesInvalid(issues=issues)
    # Reservations are recomputed from scratch: everything held is released, then the new
    # remaining quantities are reserved again, all under the same locks and in one transaction.
    _release_all(order)
    _apply_header(order, header, salesperson_id)
    new = []
    for position, data in enumerate(lines, start=1):
        line = existing.get(data.line_id) if data.line_id is not None else None
        if line is None:
            line = SalesOrderLine(delivered_qty=ZERO)
        line.position = position
        _fill(line, data)
        new.append(line)
    order.lines = new
    qs.compute_totals(order)
    db.session.flush()
    refresh_status(order)
    shortages = _reserve_remaining(order) if order.status in (OrderStatus.CONFIRMED, OrderStatus.PARTIAL) else []
    work_moved(order)
    log.info("sales order %s amended (%d lines, %d short)", order.number, len(new), len(shortages))
    return shortages


def _draft_deliveries(order: SalesOrder) -> list:
    return [d for d in order.deliveries if d.status == DeliveryStatus.DRAFT]


def _posted_deliveries(order: SalesOrder) -> list:
    return [d for d in order.deliveries if d.status == DeliveryStatus.POSTED]


def cancel_order(order: SalesOrder, *, reason: str, expected_version: int | None = None) -> Decimal:
    """Cancel an order nothing was delivered of; its reservations are released."""
    check_version(order, expected_version, {})
    if order.status in (OrderStatus.PARTIAL, OrderStatus.DELIVERED) or _posted_deliveries(order):
        raise DomainError(
            _(
                "Goods of %(number)s were delivered: cancel those deliveries first, or close the order.",
                number=order.number,
            )
        )
    _require_status(order, OrderStatus.DRAFT, OrderStatus.CONFIRMED)
    if _draft_deliveries(order):
        raise DomainError(_("Order %(number)s has a draft delivery: delete it first.", number=order.number))
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the order is cancelled."))
    released = _release_all(order)
    order.status = OrderStatus.CANCELLED.value
    order.close_reason = reason[:500]
    order.closed_at = utcnow()
    db.session.flush()
    work_moved(order)
    log.info("sales order %s cancelled (%s released)", order.number, released)
    return released


def close_order(order: SalesOrder, *, reason: str = "", expected_version: int | None = None) -> Decimal:
    """Close an order: a delivered one when its business is done, a partly delivered one when the
    rest will not be delivered (its reservations are released; a reason is needed)."""
    check_version(order, expected_version, {})
    _require_status(order, OrderStatus.DELIVERED, OrderStatus.PARTIAL)
    if _draft_deliveries(order):
        raise DomainError(_("Order %(number)s has a draft delivery: post or delete it first.", number=order.number))
    reason = reason.strip()
    if order.status == OrderStatus.PARTIAL and not reason:
        raise DomainError(_("Say why the rest of the order will not be delivered."))
    released = _release_all(order)
    order.status = OrderStatus.CLOSED.value
    order.close_reason = reason[:500]
    order.closed_at = utcnow()
    db.session.flush()
    work_moved(order)
    log.info("sales order %s closed", order.number)
    return released


def refresh_status(order: SalesOrder) -> None:
    """Derive an open order's status from what its lines delivered."""
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.PARTIAL, OrderStatus.DELIVERED):
        return
    delivered = [line.delivered_qty for line in order.lines]
    if order.lines and all(line.delivered_qty >= line.quantity for line in order.lines):
        order.status = OrderStatus.DELIVERED.value
    elif any(q > 0 for q in delivered):
        order.status = OrderStatus.PARTIAL.value
    else:
        order.status = OrderStatus.CONFIRMED.value


# --- notifications ----------------------------------------------------------------------------


def link_to(order: SalesOrder) -> str:
    adapter = current_app.url_map.bind("localhost")
    return adapter.build("sales.order_detail", {"order_id": order.id})


def order_watchers(order: SalesOrder, permission: str) -> list[int]:
    """Active holders of ``permission`` who may see ``order``: its salesperson, or holders of
    sales_orders.view_all who work in the order's warehouse."""
    limited = sa.select(user_warehouses.c.user_id)
    allowed_here = sa.select(user_warehouses.c.user_id).where(user_warehouses.c.warehouse_id == order.warehouse_id)
    query = sa.select(User.id).where(
        User.is_active.is_(True),
        User.id.in_(holders_of(permission)),
        sa.or_(User.id.in_(holders_of("sales_orders.view_all")), User.id == order.salesperson_id),
        sa.or_(User.id.not_in(limited), User.id.in_(allowed_here)),
    )
    return list(db.session.scalars(query.order_by(User.id)))


def _notify_confirmed(order: SalesOrder, actor_id: int, shortages: list[Shortage]) -> None:
    lines = len(order.lines)
    body = (
        _l("%(n)d of %(lines)d lines are short of stock.", n=len(shortages), lines=lines)
        if shortages
        else _l("All %(lines)d lines are reserved.", lines=lines)
    )
    to_ship = [u for u in order_watchers(order, "deliveries.edit") if u != actor_id]
    notifications.notify(
        to_ship,
        NOTIFY_KIND,
        _l("Order %(number)s to deliver from %(warehouse)s", number=order.number, warehouse=order.warehouse.code),
        body,
        link_to(order),
    )
    if order.salesperson_id != actor_id and order.salesperson_id not in to_ship:
        notifications.notify(
            [order.salesperson_id],
            NOTIFY_KIND,
            _l("Order %(number)s confirmed", number=order.number),
            body,
            link_to(order),
        )
