"""Delivery use cases (销售出库): drafts made from an open order with the remaining quantities and
suggested locations, posting (stock leaves through the inventory ledger, consuming the order
line's reservation) and cancelling a posted delivery (reversing moves; quantities and reservations
come back).

Every function flushes and never commits. Posting and cancelling expect the caller to have locked
the order row first and the delivery row second (``lock_delivery``): two people posting
deliveries of one order, or one person clicking twice, then run one after the other and the
second finds the quantities the first left.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.db import begin_write, current_actor_id, utcnow
from app.core.errors import DomainError
from app.core.locking import check_version
from app.core.money import ZERO
from app.core.numbers import next_number
from app.extensions import db
from app.inventory import posting
from app.inventory import scope as inventory_scope
from app.inventory.models import Location, MoveType, StockBalance
from app.notifications import services as notifications
from app.sales import orders as order_services
from app.sales.models import Delivery, DeliveryLine, DeliveryStatus, OrderStatus, SalesOrder, SalesOrderLine
from app.sales.models.orders import DELIVERY_PREFIX
from app.sales.quotations import LineIssue, LinesInvalid

log = logging.getLogger(__name__)

MOVE_SOURCE = "delivery"
MAX_LINES = 500
NOTIFY_KIND = "delivery"
notifications.register_kind(NOTIFY_KIND, _l("Delivery"), "truck")


@dataclass
class DeliveryHeader:
    carrier: str = ""
    tracking_no: str = ""
    note: str = ""


@dataclass
class DeliveryLineData:
    order_line_id: int
    location_id: int | None
    quantity: Decimal | None


@dataclass(frozen=True)
class Suggestion:
    """A proposed delivery line: where to pick how much of an order line."""

    order_line: SalesOrderLine
    location: Location | None
    quantity: Decimal
    on_hand: Decimal  # at that location


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _require_open(order: SalesOrder) -> None:
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.PARTIAL):
        raise DomainError(
            _("Order %(number)s is not open for delivery: nothing is left to deliver.", number=order.number)
        )


def _require_status(delivery: Delivery, status: DeliveryStatus, message: str) -> None:
    if delivery.status != status:
        raise DomainError(message)


# --- suggestions ------------------------------------------------------------------------------


def stock_at_locations(warehouse_id: int, product_ids: Sequence[int]) -> dict[int, list[tuple[Location, Decimal]]]:
    """For each product, the locations of the warehouse holding it (on hand > 0), by location code."""
    if not product_ids:
        return {}
    rows = db.session.execute(
        sa.select(StockBalance.product_id, Location, StockBalance.on_hand)
        .join(Location, Location.id == StockBalance.location_id)
        .where(
            StockBalance.warehouse_id == warehouse_id,
            StockBalance.product_id.in_(set(product_ids)),
            StockBalance.on_hand > 0,
            Location.deleted_at.is_(None),
        )
        .order_by(StockBalance.product_id, Location.code)
    )
    found: dict[int, list[tuple[Location, Decimal]]] = defaultdict(list)
    for product_id, location, on_hand in rows:
        found[product_id].append((location, on_hand))
    return found


def suggest(order: SalesOrder) -> list[Suggestion]:
    """Lines for a new delivery: each order line's remaining quantity, from one location holding
    enough (the first by code), else split over the locations that hold it (most first); a line
    with no stock anywhere is proposed without a location."""
    open_lines = [line for line in order.lines if line.remaining > 0]
    stock = stock_at_locations(order.warehouse_id, [line.product_id for line in open_lines])
    suggestions: list[Suggestion] = []
    for line in open_lines:
        places = stock.get(line.product_id, [])
        enough = [(loc, qty) for loc, qty in places if qty >= line.remaining]
        if enough:
            location, on_hand = enough[0]
            suggestions.append(Suggestion(line, location, line.remaining, on_hand))
            continue
        left = line.remaining
        for location, on_hand in sorted(places, key=lambda p: (-p[1], p[0].code)):
            take = min(on_hand, left)
            suggestions.append(Suggestion(line, location, take, on_hand))
            left -= take
            if left <= 0:
                break
        if left > 0 and not places:
            suggestions.append(Suggestion(line, None, left, ZERO))
    return suggestions


# --- drafts -----------------------------------------------------------------------------------


def _check_lines(order: SalesOrder, lines: Sequence[DeliveryLineData]) -> list[DeliveryLineData]:
    """Validate the lines of a delivery of ``order``; lines with no quantity are left out."""
    if len(lines) > MAX_LINES:
        raise DomainError(_("A document holds at most %(n)d lines.", n=MAX_LINES))
    order_lines = {line.id: line for line in order.lines}
    locations = {
        loc.id: loc
        for loc in db.session.scalars(
            sa.select(Location).where(Location.warehouse_id == order.warehouse_id, Location.deleted_at.is_(None))
        )
    }
    issues: list[LineIssue] = []
    kept: list[DeliveryLineData] = []
    per_line: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for index, data in enumerate(lines):
        if data.quantity is None or data.quantity == 0:
            continue
        order_line = order_lines.get(data.order_line_id)
        if order_line is None:
            issues.append(
                LineIssue(index, "order_line_id", _("This line is not on order %(number)s.", number=order.number))
            )
            continue
        if data.quantity < 0:
            issues.append(LineIssue(index, "quantity", _("Enter a quantity above 0.")))
            continue
        if data.location_id not in locations:
            issues.append(
                LineIssue(
                    index, "location_id", _("Choose a location of %(warehouse)s.", warehouse=order.warehouse.code)
                )
            )
        per_line[order_line.id] += data.quantity
        if per_line[order_line.id] > order_line.remaining:
            issues.append(
                LineIssue(
                    index,
                    "quantity",
                    _(
                        "More than is left to deliver of %(product)s: %(left)s.",
                        product=order_line.product.audit_label(),
                        left=_fmt(order_line.remaining),
                    ),
                )
            )
        kept.append(data)
    if issues:
        raise LinesInvalid(issues=issues)
    if not kept:
        raise DomainError(_("Enter a quantity to deliver on at least one line."))
    return kept


def _apply(delivery: Delivery, header: DeliveryHeader, order: SalesOrder, lines: Sequence[DeliveryLineData]) -> None:
    delivery.carrier = header.carrier.strip()[:100]
    delivery.tracking_no = header.tracking_no.strip()[:60]
    delivery.note = header.note.strip()
    order_lines = {line.id: line for line in order.lines}
    old = list(delivery.lines)
    new = []
    for position, data in enumerate(lines, start=1):
        line = old[position - 1] if position <= len(old) else DeliveryLine()
        line.position = position
        line.order_line_id = data.order_line_id
        line.product_id = order_lines[data.order_line_id].product_id
        line.location_id = data.location_id
        line.quantity = data.quantity
        new.append(line)
    delivery.lines = new


def create_delivery(order: SalesOrder, header: DeliveryHeader, lines: Sequence[DeliveryLineData]) -> Delivery:
    """Create a draft delivery of an open order."""
    _require_open(order)
    if not inventory_scope.may_use(order.warehouse_id):
        raise DomainError(_("You do not work in the warehouse of %(number)s.", number=order.number))
    kept = _check_lines(order, lines)
    delivery = Delivery(
        number=next_number(DELIVERY_PREFIX),
        status=DeliveryStatus.DRAFT.value,
        order=order,
        customer_id=order.customer_id,
        warehouse_id=order.warehouse_id,
    )
    _apply(delivery, header, order, kept)
    db.session.add(delivery)
    db.session.flush()
    log.info("delivery %s created for %s (%d lines)", delivery.number, order.number, len(kept))
    return delivery


def update_delivery(
    delivery: Delivery, header: DeliveryHeader, lines: Sequence[DeliveryLineData], *, expected_version: int | None
) -> None:
    """Change a draft delivery; refused when someone else saved it since ``expected_version``."""
    check_version(delivery, expected_version, {"carrier": header.carrier.strip(), "note": header.note.strip()})
    _require_status(delivery, DeliveryStatus.DRAFT, _("Only a draft delivery can be changed."))
    order = delivery.order
    _require_open(order)
    kept = _check_lines(order, lines)
    _apply(delivery, header, order, kept)
    db.session.flush()
    log.info("delivery %s saved (%d lines)", delivery.number, len(kept))


def delete_delivery(delivery: Delivery) -> None:
    """Delete a draft delivery; a posted one is cancelled instead."""
    _require_status(
        delivery, DeliveryStatus.DRAFT, _("A posted delivery is never deleted: cancel it to reverse its stock moves.")
    )
    db.session.delete(delivery)
    db.session.flush()
    log.info("delivery %s deleted", delivery.number)


# --- posting and cancelling -------------------------------------------------------------------


def lock_delivery(delivery_id: int) -> Delivery | None:
    """The delivery under its row lock (take the order's lock first: ``load_order_or_404``)."""
    begin_write(db.session)
    return db.session.scalar(
        sa.select(Delivery)
        .where(Delivery.id == delivery_id)
        .with_for_update(of=Delivery.__table__)
        .execution_options(populate_existing=True)
    )


def _source(delivery: Delivery) -> posting.Source:
    return posting.Source(MOVE_SOURCE, delivery.id, delivery.number)


def post_delivery(delivery: Delivery, *, expected_version: int | None = None) -> list[int]:
    """Post a draft delivery: its goods leave the warehouse (refused if any location or the
    warehouse would go below what it holds), the order lines count them as delivered."""
    _require_status(delivery, DeliveryStatus.DRAFT, _("%(number)s is posted already.", number=delivery.number))
    check_version(delivery, expected_version, {})
    order = delivery.order
    _require_open(order)
    if not inventory_scope.may_use(delivery.warehouse_id):
        raise DomainError(_("You do not work in the warehouse of %(number)s.", number=delivery.number))
    if not delivery.lines:
        raise DomainError(_("There is nothing to post."))
    per_line: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in delivery.lines:
        per_line[line.order_line_id] += line.quantity
    for order_line in order.lines:
        wanted = per_line.get(order_line.id, ZERO)
        if wanted > order_line.remaining:
            raise DomainError(
                _(
                    "%(product)s: %(wanted)s to deliver, but only %(left)s is left on order %(number)s.",
                    product=order_line.product.audit_label(),
                    wanted=_fmt(wanted),
                    left=_fmt(order_line.remaining),
                    number=order.number,
                )
            )
    moves = [
        posting.MoveLine(
            MoveType.DELIVERY,
            line.product_id,
            delivery.warehouse_id,
            line.location_id,
            -line.quantity,
            source_line_id=line.order_line_id,
            consume_reservation=True,
        )
        for line in delivery.lines
    ]
    ids = posting.post_moves(moves, _source(delivery), reserved_by=order_services.RESERVATION_SOURCE)
    for order_line in order.lines:
        order_line.delivered_qty += per_line.get(order_line.id, ZERO)
    order_services.refresh_status(order)
    delivery.status = DeliveryStatus.POSTED.value
    delivery.posted_at = utcnow()
    delivery.posted_by_id = current_actor_id()
    db.session.flush()
    _notify_posted(delivery)
    order_services.work_moved(order)
    log.info("delivery %s posted for %s (%d moves)", delivery.number, order.number, len(ids))
    return ids


def cancel_delivery(delivery: Delivery) -> list[int]:
    """Cancel a posted delivery: the goods come back to the locations they left, the order lines
    count them as not delivered, and the order reserves them again."""
    _require_status(delivery, DeliveryStatus.POSTED, _("Only a posted delivery can be cancelled; delete a draft."))
    order = delivery.order
    if order.status in (OrderStatus.CLOSED, OrderStatus.CANCELLED):
        raise DomainError(
            _("Order %(number)s is closed: its deliveries can no longer be cancelled.", number=order.number)
        )
    if not inventory_scope.may_use(delivery.warehouse_id):
        raise DomainError(_("You do not work in the warehouse of %(number)s.", number=delivery.number))
    ids = posting.reverse_source(_source(delivery), _("Cancellation of %(number)s", number=delivery.number))
    back: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in delivery.lines:
        back[line.order_line_id] += line.quantity
    for order_line in order.lines:
        order_line.delivered_qty -= back.get(order_line.id, ZERO)
    order_services.refresh_status(order)
    delivery.status = DeliveryStatus.CANCELLED.value
    delivery.cancelled_at = utcnow()
    delivery.cancelled_by_id = current_actor_id()
    db.session.flush()
    order_services.reserve_again(order)
    order_services.work_moved(order)
    log.info("delivery %s cancelled (%d reversing moves)", delivery.number, len(ids))
    return ids


# --- notifications ----------------------------------------------------------------------------


def link_to(delivery: Delivery) -> str:
    adapter = current_app.url_map.bind("localhost")
    return adapter.build("sales.delivery_detail", {"delivery_id": delivery.id})


def _notify_posted(delivery: Delivery) -> None:
    order = delivery.order
    actor = current_actor_id()
    if order.salesperson_id == actor:
        return
    status = order.status
    body = (
        _l("Order %(number)s is now delivered in full.", number=order.number)
        if status == OrderStatus.DELIVERED
        else _l("Order %(number)s still has lines to deliver.", number=order.number)
    )
    notifications.notify(
        [order.salesperson_id],
        NOTIFY_KIND,
        _l("%(delivery)s shipped to %(customer)s", delivery=delivery.number, customer=order.customer.name),
        body,
        link_to(delivery),
    )
