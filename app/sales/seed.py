"""Demo quotations: each demo salesperson ("sales", "sales2") has quotations in every status —
drafts, pending approval, approved, sent, accepted, rejected, cancelled and expired — among them a
150-line quotation and one revised twice (three revisions). All are made through the same services
as the pages use; only their dates are moved into the past afterwards, so lists and expiry show a
few weeks of work. Deterministic and idempotent."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.auth.models import User
from app.core.db import acting_as
from app.customers.models import Customer
from app.extensions import db
from app.inventory.models import StockLevel, Warehouse
from app.products.models import Brand, Product
from app.sales import deliveries
from app.sales import orders as order_services
from app.sales import quotations as qs
from app.sales.models import Delivery, Quotation, QuotationStatus, SalesOrder

SEED = 20261204
D = Decimal
LEAD_TIMES = ["现货", "现货", "3天", "1周", "2-3周", "4周", "期货 6周"]
TERMS = [
    ("含税含运费，送货到厂", "款到发货"),
    ("上海仓自提", "月结 30 天"),
    ("快递到付", "预付 30%，发货前付清"),
]
REJECTIONS = ["价格高于竞争对手", "客户项目推迟", "交期太长"]
# Models that show up as the customer's own wording of what they need.
REQUESTED = {"6204-2RS": "6204RS", "6205-2Z": "6205ZZ", "22220E": "22220", "NU2208ECP": "NU2208"}


def _products(rng: random.Random, count: int, pool: list[Product]) -> list[Product]:
    return rng.sample(pool, min(count, len(pool)))


def _lines(rng: random.Random, products: list[Product], discount: bool = False) -> list[qs.LineData]:
    lines = []
    for product in products:
        quantity = D(rng.choice([1, 2, 4, 5, 10, 10, 20, 20, 50, 100, 200]))
        price = product.list_price * D(rng.choice([100, 98, 96, 95, 92])) / 100
        lines.append(
            qs.LineData(
                product_id=product.id,
                quantity=quantity,
                unit_price=price.quantize(D("0.01")),
                discount_percent=D(rng.choice([15, 20])) if discount else D(0),
                requested_model=REQUESTED.get(product.model, ""),
                requested_quantity=f"{quantity.normalize():f}" if rng.random() < 0.3 else "",
                lead_time=rng.choice(LEAD_TIMES),
            )
        )
    return lines


def _header(rng: random.Random, customer: Customer, salesperson_id: int) -> qs.HeaderData:
    delivery, payment = rng.choice(TERMS)
    contact = customer.primary_contact
    return qs.HeaderData(
        customer_id=customer.id,
        contact_id=contact.id if contact else None,
        salesperson_id=salesperson_id,
        delivery_terms=delivery,
        payment_terms=payment,
    )


def _backdate(quotation: Quotation, days: int, *, expired: bool = False) -> None:
    """Move a quotation's dates ``days`` into the past (an expired one's validity too)."""
    shift = timedelta(days=days)
    values: dict[str, object] = {}
    for column in ("created_at", "submitted_at", "approved_at", "sent_at", "closed_at"):
        if getattr(quotation, column) is not None:
            values[column] = getattr(quotation, column) - shift
    if expired:
        values["valid_until"] = quotation.valid_until - shift
    db.session.execute(sa.update(Quotation).where(Quotation.id == quotation.id).values(**values))


class _Story:
    """Quotations of one salesperson, approved by the manager where they need approval."""

    def __init__(self, rng: random.Random, salesperson: int, approver: int, customers, pool) -> None:
        self.rng, self.salesperson, self.approver = rng, salesperson, approver
        self.customers, self.pool = customers, pool
        self.made = 0

    def draft(self, lines: int, *, discount: bool = False, customer: Customer | None = None) -> Quotation:
        customer = customer or self.rng.choice(self.customers)
        with acting_as(self.salesperson):
            quotation = qs.create_quotation(
                _header(self.rng, customer, self.salesperson),
                _lines(self.rng, _products(self.rng, lines, self.pool), discount),
                actor_id=self.salesperson,
            )
        self.made += 1
        return quotation

    def submit(self, quotation: Quotation) -> Quotation:
        with acting_as(self.salesperson):
            status = qs.submit_quotation(quotation, actor_id=self.salesperson)
        if status == QuotationStatus.PENDING:
            with acting_as(self.approver):
                qs.approve_quotation(quotation, actor_id=self.approver, comment="同意，注意交期")
        return quotation

    def sent(self, lines: int, **kw) -> Quotation:
        quotation = self.submit(self.draft(lines, **kw))
        with acting_as(self.salesperson):
            qs.mark_sent(quotation)
        return quotation

    def tell(self, days: int, quotation: Quotation, *, expired: bool = False) -> None:
        db.session.flush()
        _backdate(quotation, days, expired=expired)


def _story(story: _Story, *, long_one: bool, revised_one: bool) -> None:
    rng = story.rng
    # Drafts being worked on.
    story.tell(1, story.draft(rng.randint(2, 6)))
    story.draft(rng.randint(3, 8))
    # Waiting for the manager: discounts beyond the salesperson's limit.
    with acting_as(story.salesperson):
        pending = story.draft(rng.randint(2, 5), discount=True)
        qs.submit_quotation(pending, actor_id=story.salesperson)
    story.tell(2, pending)
    # Approved, not yet sent.
    story.tell(3, story.submit(story.draft(rng.randint(2, 6))))
    # Sent and still valid.
    story.tell(4, story.sent(rng.randint(3, 10)))
    story.tell(2, story.sent(rng.randint(1, 4)))
    # Accepted by the customer.
    for days in (20, 12, 6):
        quotation = story.sent(rng.randint(2, 8))
        with acting_as(story.salesperson):
            qs.mark_accepted(quotation)
        story.tell(days, quotation)
    # Rejected, with the customer's reason.
    quotation = story.sent(rng.randint(2, 5))
    with acting_as(story.salesperson):
        qs.mark_rejected(quotation, reason=rng.choice(REJECTIONS))
    story.tell(15, quotation)
    # Cancelled before the customer answered.
    quotation = story.submit(story.draft(rng.randint(1, 3)))
    with acting_as(story.salesperson):
        qs.cancel_quotation(quotation)
    story.tell(25, quotation)
    # Sent weeks ago and never answered: expired.
    for days in (30, 45):
        story.tell(days, story.sent(rng.randint(2, 6)), expired=True)
    if long_one:
        # A big enquiry answered line by line: 150 lines, sent.
        story.tell(5, story.sent(150))
    if revised_one:
        # Sent, rejected on price, revised, sent again, and revised once more (revision 3 is a draft).
        customer = story.customers[0]
        first = story.sent(6, customer=customer)
        with acting_as(story.salesperson):
            qs.mark_rejected(first, reason="价格偏高，希望再优惠")
            second = qs.revise_quotation(first, actor_id=story.salesperson)
            lines = _lines(story.rng, [line.product for line in second.lines])
            for line in lines:
                line.unit_price = (line.unit_price * D("0.95")).quantize(D("0.01"))
            qs.update_quotation(second, _header(story.rng, customer, story.salesperson), lines, expected_version=None)
        story.submit(second)
        with acting_as(story.salesperson):
            qs.mark_sent(second)
            qs.revise_quotation(second, actor_id=story.salesperson)
        story.tell(10, first)
        story.tell(6, second)


def seed_demo(echo: Callable[[str], None]) -> None:
    seed_quotations(echo)
    seed_orders(echo)


def seed_quotations(echo: Callable[[str], None]) -> None:
    if db.session.scalar(sa.select(Quotation.id).limit(1)) is not None:
        echo("sales: demo quotations already there")
        return
    users = dict(
        db.session.execute(
            sa.select(User.username, User.id).where(User.username.in_(["sales", "sales2", "manager"]))
        ).all()
    )
    if not {"sales", "sales2", "manager"} <= users.keys():
        echo("sales: demo users missing, no quotations made")
        return
    pool = list(
        db.session.scalars(
            sa.select(Product)
            .join(Brand, Brand.id == Product.brand_id)
            .where(Product.deleted_at.is_(None), Product.is_active.is_(True), Product.list_price > 0)
            .order_by(Product.id)
        )
    )
    rng = random.Random(SEED)
    made = 0
    for username, long_one, revised_one in (("sales", True, True), ("sales2", False, False)):
        customers = list(
            db.session.scalars(
                sa.select(Customer)
                .where(Customer.owner_id == users[username], Customer.deleted_at.is_(None))
                .order_by(Customer.id)
                .limit(40)
            )
        )
        if not customers or not pool:
            continue
        story = _Story(rng, users[username], users["manager"], customers, pool)
        _story(story, long_one=long_one, revised_one=revised_one)
        made += story.made
    db.session.flush()
    echo(f"sales: {made} demo quotations made")


# --- orders and deliveries ----------------------------------------------------------------------


def _deliver(order: SalesOrder, keeper: int, share: Decimal) -> Delivery | None:
    """Deliver ``share`` of what is reserved for each line, from the suggested locations."""
    reserved = order_services.reserved_by_line([line.id for line in order.lines])
    lines = []
    taken: dict[int, Decimal] = {}
    for suggestion in deliveries.suggest(order):
        if suggestion.location is None:
            continue
        line = suggestion.order_line
        allowed = (reserved.get(line.id, D(0)) * share).to_integral_value() - taken.get(line.id, D(0))
        quantity = min(suggestion.quantity, allowed)
        if quantity > 0:
            lines.append(deliveries.DeliveryLineData(line.id, suggestion.location.id, quantity))
            taken[line.id] = taken.get(line.id, D(0)) + quantity
    if not lines:
        return None
    with acting_as(keeper):
        delivery = deliveries.create_delivery(order, deliveries.DeliveryHeader(carrier="顺丰速运"), lines)
        deliveries.post_delivery(delivery)
    return delivery


def seed_orders(echo: Callable[[str], None]) -> None:
    """Accepted quotations turned into orders: one delivered in full (as far as stock went), one
    delivered in part with a backorder, one confirmed and waiting, one cancelled; and a draft order
    typed in directly."""
    if db.session.scalar(sa.select(SalesOrder.id).limit(1)) is not None:
        echo("sales: demo orders already there")
        return
    users = dict(db.session.execute(sa.select(User.username, User.id)).all())
    warehouse = db.session.scalar(sa.select(Warehouse).where(Warehouse.code == "SH1"))
    if warehouse is None or not {"manager", "warehouse", "sales2"} <= users.keys():
        echo("sales: demo warehouse or users missing, no orders made")
        return
    accepted = list(
        db.session.scalars(
            sa.select(Quotation)
            .where(Quotation.is_current.is_(True), Quotation.status == QuotationStatus.ACCEPTED.value)
            .order_by(Quotation.id)
        )
    )
    manager, keeper = users["manager"], users["warehouse"]
    made = 0
    done: set[str] = set()
    for n, quotation in enumerate(accepted[:5]):
        seller = quotation.salesperson_id
        with acting_as(seller):
            order = order_services.order_from_quotation(
                quotation,
                {line.id: line.quantity for line in quotation.lines},
                warehouse_id=warehouse.id,
                actor_id=seller,
                customer_reference=f"PO-2026-{8100 + n}",
            )
        with acting_as(manager):
            short = order_services.confirm_order(order, actor_id=manager)
        made += 1
        if "delivered" not in done and not short:
            _deliver(order, keeper, D(1))  # everything was in stock: delivered in full
            done.add("delivered")
        elif "backorder" not in done:
            _deliver(order, keeper, D("0.5"))  # half now, the rest is a backorder
            done.add("backorder")
        elif "cancelled" not in done:
            with acting_as(seller):
                order_services.cancel_order(order, reason="客户项目取消")
            done.add("cancelled")
    # Typed in directly: one for goods in stock, delivered in full and closed; one still a draft.
    in_stock = list(
        db.session.scalars(
            sa.select(Product)
            .join(StockLevel, StockLevel.product_id == Product.id)
            .where(StockLevel.warehouse_id == warehouse.id, StockLevel.on_hand - StockLevel.reserved >= 20)
            .order_by(Product.id)
            .limit(3)
        )
    )
    for username, lines, finished in (("sales", in_stock, True), ("sales2", in_stock[:1], False)):
        customer = db.session.scalar(
            sa.select(Customer)
            .where(Customer.owner_id == users.get(username), Customer.deleted_at.is_(None))
            .order_by(Customer.id.desc())
        )
        if customer is None or not lines:
            continue
        seller = users[username]
        with acting_as(seller):
            order = order_services.create_order(
                order_services.OrderHeader(
                    customer_id=customer.id, warehouse_id=warehouse.id, customer_reference="电话订货"
                ),
                [
                    order_services.OrderLineData(p.id, D(10), p.list_price, customer_part_no=f"ZC-{p.model}")
                    for p in lines
                ],
                actor_id=seller,
            )
        made += 1
        if finished:
            with acting_as(manager):
                order_services.confirm_order(order, actor_id=manager)
            _deliver(order, keeper, D(1))
            with acting_as(seller):
                order_services.close_order(order)
    db.session.flush()
    echo(f"sales: {made} demo orders made, some delivered")
