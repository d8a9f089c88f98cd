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
from app.products.models import Brand, Product
from app.sales import quotations as qs
from app.sales.models import Quotation, QuotationStatus

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
