"""The chain quotation → order → delivery through the services, as the pages call them: what is
reserved, what leaves the warehouse, what is delivered and what is left (backorders)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.core.errors import DomainError
from app.extensions import db
from app.inventory import verify
from app.inventory.models import StockBalance, StockLevel
from app.sales import deliveries as ds
from app.sales import orders as os_
from app.sales import quotations as qs
from app.sales.models import Delivery, DeliveryStatus, OrderStatus, Quotation, SalesOrder

D = Decimal


def level(app, product_id, warehouse_id):
    with app.app_context():
        row = db.session.scalar(
            sa.select(StockLevel).where(StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id)
        )
        return (row.on_hand, row.reserved) if row else (D(0), D(0))


def on_hand_at(app, product_id, location_id):
    with app.app_context():
        return db.session.scalar(
            sa.select(StockBalance.on_hand).where(
                StockBalance.product_id == product_id, StockBalance.location_id == location_id
            )
        )


def ledger_matches(app):
    with app.app_context():
        return verify.find_differences() == []


@pytest.fixture
def accepted(shop, create_quotation, service_as):
    """An accepted quotation of the first salesperson: 50 × 6204-2RS, 6 × 22220E, 10 × NU2208ECP."""
    seller = shop["seller"].id
    qid = create_quotation(
        shop["customer"], seller, [(shop["p6204"], 50, 19.5), (shop["p22220"], 6, 880), (shop["pnu"], 10, 295)]
    )
    service_as(seller, qid, lambda q: qs.submit_quotation(q, actor_id=seller))
    service_as(seller, qid, qs.mark_sent)
    service_as(seller, qid, qs.mark_accepted)
    return qid


def _convert(app, as_user, shop, qid, picks=None):
    def work():
        quotation = db.session.get(Quotation, qid)
        chosen = picks or {line.id: line.quantity for line in quotation.lines}
        return os_.order_from_quotation(
            quotation, chosen, warehouse_id=shop["warehouse"], actor_id=shop["seller"].id, customer_reference="PO-778"
        ).id

    return as_user(shop["seller"].id, work)


def _lines_by_product(app, order_id):
    with app.app_context():
        order = db.session.get(SalesOrder, order_id)
        return {line.product_id: line.id for line in order.lines}


def test_an_accepted_quotation_becomes_a_draft_order_at_the_quoted_prices(app, shop, accepted, as_user):
    order_id = _convert(app, as_user, shop, accepted)
    with app.app_context():
        order = db.session.get(SalesOrder, order_id)
        assert order.status == OrderStatus.DRAFT and order.number.startswith("SO")
        assert order.quotation_id == accepted and order.customer_reference == "PO-778"
        assert [(line.quantity, line.unit_price) for line in order.lines] == [
            (D(50), D("19.5")),
            (D(6), D(880)),
            (D(10), D(295)),
        ]
        quotation = db.session.get(Quotation, accepted)
        assert order.total_gross == quotation.total_gross


def test_only_what_is_left_of_a_quotation_line_can_be_ordered(app, shop, accepted, as_user):
    with app.app_context():
        first_line = db.session.get(Quotation, accepted).lines[0].id
    _convert(app, as_user, shop, accepted, {first_line: D(30)})
    with pytest.raises(qs.LinesInvalid) as refused:
        _convert(app, as_user, shop, accepted, {first_line: D(21)})
    assert "At most 20 is left" in str(refused.value)
    assert _convert(app, as_user, shop, accepted, {first_line: D(20)})


def test_a_quotation_not_accepted_does_not_become_an_order(app, shop, create_quotation, as_user):
    qid = create_quotation(shop["customer"], shop["seller"].id, [(shop["p6204"], 5, 20)])
    with pytest.raises(DomainError, match="not accepted"):
        _convert(app, as_user, shop, qid)


def test_confirming_reserves_what_is_available_and_names_what_is_short(app, shop, accepted, as_user):
    order_id = _convert(app, as_user, shop, accepted)

    def confirm():
        return [
            (s.line.product_id, s.wanted, s.reserved)
            for s in os_.confirm_order(db.session.get(SalesOrder, order_id), actor_id=shop["boss"].id)
        ]

    short = as_user(shop["boss"].id, confirm)
    # 6204: 50 of 130 reserved; 22220E: 4 of 6; NU2208: none in stock.
    assert sorted(short) == sorted([(shop["p22220"], D(6), D(4)), (shop["pnu"], D(10), D(0))])
    assert level(app, shop["p6204"], shop["warehouse"]) == (D(130), D(50))
    assert level(app, shop["p22220"], shop["warehouse"]) == (D(4), D(4))
    with app.app_context():
        assert db.session.get(SalesOrder, order_id).status == OrderStatus.CONFIRMED


def _confirmed(app, as_user, shop, qid):
    order_id = _convert(app, as_user, shop, qid)
    as_user(shop["boss"].id, lambda: os_.confirm_order(db.session.get(SalesOrder, order_id), actor_id=shop["boss"].id))
    return order_id


def _deliver(app, as_user, shop, order_id, lines, *, post=True):
    """Create (and post) a delivery of (product, location code, quantity) lines."""
    by_product = _lines_by_product(app, order_id)

    def work():
        order = db.session.get(SalesOrder, order_id)
        delivery = ds.create_delivery(
            order,
            ds.DeliveryHeader(carrier="顺丰"),
            [ds.DeliveryLineData(by_product[p], shop["loc"][code], D(q)) for p, code, q in lines],
        )
        if post:
            ds.post_delivery(ds.lock_delivery(delivery.id))
        return delivery.id

    return as_user(shop["keeper"].id, work)


def test_suggestions_take_the_remaining_quantity_from_a_location_that_holds_enough(app, shop, accepted, as_user):
    order_id = _confirmed(app, as_user, shop, accepted)

    def suggest():
        return [
            (s.order_line.product_id, s.location.code if s.location else None, s.quantity)
            for s in ds.suggest(db.session.get(SalesOrder, order_id))
        ]

    proposed = as_user(shop["keeper"].id, suggest)
    # 50 of 6204 fit in B-01 (100), not A-01 (30); 22220E is split over what there is; NU2208 has no place.
    assert (shop["p6204"], "B-01", D(50)) in proposed
    assert (shop["p22220"], "A-02", D(4)) in proposed
    assert (shop["pnu"], None, D(10)) in proposed


def test_a_partial_delivery_takes_stock_and_reservation_and_leaves_a_backorder(app, shop, accepted, as_user):
    order_id = _confirmed(app, as_user, shop, accepted)
    _deliver(app, as_user, shop, order_id, [(shop["p6204"], "A-01", 30), (shop["p22220"], "A-02", 4)])
    assert on_hand_at(app, shop["p6204"], shop["loc"]["A-01"]) == 0
    # 130 - 30 on hand; the reservation of 50 was consumed by 30.
    assert level(app, shop["p6204"], shop["warehouse"]) == (D(100), D(20))
    assert level(app, shop["p22220"], shop["warehouse"]) == (D(0), D(0))
    with app.app_context():
        order = db.session.get(SalesOrder, order_id)
        assert order.status == OrderStatus.PARTIAL
        assert {line.product_id: line.remaining for line in order.lines} == {
            shop["p6204"]: D(20),
            shop["p22220"]: D(2),
            shop["pnu"]: D(10),
        }
    assert ledger_matches(app)


def test_the_last_delivery_completes_the_order(app, shop, create_quotation, service_as, as_user):
    seller = shop["seller"].id
    qid = create_quotation(shop["customer"], seller, [(shop["p6204"], 40, 20)])
    for step in (lambda q: qs.submit_quotation(q, actor_id=seller), qs.mark_sent, qs.mark_accepted):
        service_as(seller, qid, step)
    order_id = _confirmed(app, as_user, shop, qid)
    _deliver(app, as_user, shop, order_id, [(shop["p6204"], "A-01", 25)])
    _deliver(app, as_user, shop, order_id, [(shop["p6204"], "B-01", 15)])
    with app.app_context():
        assert db.session.get(SalesOrder, order_id).status == OrderStatus.DELIVERED
    assert level(app, shop["p6204"], shop["warehouse"]) == (D(90), D(0))


def test_a_delivery_never_exceeds_what_is_left_to_deliver(app, shop, accepted, as_user):
    order_id = _confirmed(app, as_user, shop, accepted)
    with pytest.raises(qs.LinesInvalid, match="More than is left to deliver"):
        _deliver(app, as_user, shop, order_id, [(shop["p6204"], "B-01", 51)])
    # Two drafts of 30 each fit on their own; the second to be posted finds 20 left and is refused.
    first = _deliver(app, as_user, shop, order_id, [(shop["p6204"], "B-01", 30)], post=False)
    second = _deliver(app, as_user, shop, order_id, [(shop["p6204"], "B-01", 30)], post=False)
    as_user(shop["keeper"].id, lambda: ds.post_delivery(ds.lock_delivery(first)))
    with pytest.raises(DomainError, match="only 20 is left on order"):
        as_user(shop["keeper"].id, lambda: ds.post_delivery(ds.lock_delivery(second)))
    assert level(app, shop["p6204"], shop["warehouse"]) == (D(100), D(20))


def test_posting_more_than_a_location_holds_is_refused_with_the_figures(app, shop, accepted, as_user):
    order_id = _confirmed(app, as_user, shop, accepted)
    with pytest.raises(DomainError) as refused:
        _deliver(app, as_user, shop, order_id, [(shop["p6204"], "A-01", 40)])
    message = str(refused.value)
    assert "6204-2RS" in message and "A-01" in message and "30" in message
    assert level(app, shop["p6204"], shop["warehouse"]) == (D(130), D(50))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0


def test_cancelling_a_posted_delivery_brings_stock_quantities_and_reservations_back(app, shop, accepted, as_user):
    order_id = _confirmed(app, as_user, shop, accepted)
    delivery_id = _deliver(app, as_user, shop, order_id, [(shop["p6204"], "A-01", 30)])
    as_user(shop["keeper"].id, lambda: ds.cancel_delivery(ds.lock_delivery(delivery_id)))
    assert on_hand_at(app, shop["p6204"], shop["loc"]["A-01"]) == 30
    assert level(app, shop["p6204"], shop["warehouse"]) == (D(130), D(50))
    with app.app_context():
        order = db.session.get(SalesOrder, order_id)
        assert order.status == OrderStatus.CONFIRMED
        assert all(line.delivered_qty == 0 for line in order.lines)
        assert db.session.get(Delivery, delivery_id).status == DeliveryStatus.CANCELLED
    assert ledger_matches(app)


def test_cancelling_an_order_releases_its_reservations(app, shop, accepted, as_user):
    order_id = _confirmed(app, as_user, shop, accepted)

    def cancel():
        return os_.cancel_order(db.session.get(SalesOrder, order_id), reason="客户取消")

    assert as_user(shop["seller"].id, cancel) == D(54)
    assert level(app, shop["p6204"], shop["warehouse"]) == (D(130), D(0))


def test_an_order_with_goods_delivered_is_closed_not_cancelled(app, shop, accepted, as_user):
    order_id = _confirmed(app, as_user, shop, accepted)
    _deliver(app, as_user, shop, order_id, [(shop["p6204"], "A-01", 10)])
    with pytest.raises(DomainError, match="cancel those deliveries first, or close the order"):
        as_user(shop["seller"].id, lambda: os_.cancel_order(db.session.get(SalesOrder, order_id), reason="x"))
    with pytest.raises(DomainError, match="Say why"):
        as_user(shop["seller"].id, lambda: os_.close_order(db.session.get(SalesOrder, order_id)))
    as_user(shop["seller"].id, lambda: os_.close_order(db.session.get(SalesOrder, order_id), reason="余量不要了"))
    assert level(app, shop["p6204"], shop["warehouse"]) == (D(120), D(0))
    with app.app_context():
        assert db.session.get(SalesOrder, order_id).status == OrderStatus.CLOSED


def _amend(app, as_user, shop, order_id, change):
    def work():
        order = db.session.get(SalesOrder, order_id)
        header = os_.OrderHeader(
            customer_id=order.customer_id,
            warehouse_id=order.warehouse_id,
            contact_id=order.contact_id,
            salesperson_id=order.salesperson_id,
            customer_reference=order.customer_reference,
        )
        lines = [
            os_.OrderLineData(
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                line_id=line.id,
            )
            for line in order.lines
        ]
        change(lines)
        return [(s.line.product_id, s.short) for s in os_.amend_order(order, header, lines, expected_version=None)]

    return as_user(shop["seller"].id, work)


def test_amending_a_confirmed_order_moves_its_reservations(app, shop, accepted, as_user):
    order_id = _confirmed(app, as_user, shop, accepted)
    _deliver(app, as_user, shop, order_id, [(shop["p6204"], "A-01", 10)])

    def more_6204_fewer_others(lines):
        lines[0].quantity = D(80)  # 10 delivered, 70 to reserve
        del lines[1:]  # 22220E and NU2208 are not wanted any more

    assert _amend(app, as_user, shop, order_id, more_6204_fewer_others) == []
    assert level(app, shop["p6204"], shop["warehouse"]) == (D(120), D(70))
    assert level(app, shop["p22220"], shop["warehouse"]) == (D(4), D(0))

    def below_delivered(lines):
        lines[0].quantity = D(5)

    with pytest.raises(qs.LinesInvalid, match="delivered already"):
        _amend(app, as_user, shop, order_id, below_delivered)
    assert level(app, shop["p6204"], shop["warehouse"]) == (D(120), D(70))


def test_a_delivered_line_cannot_be_removed(app, shop, accepted, as_user):
    order_id = _confirmed(app, as_user, shop, accepted)
    _deliver(app, as_user, shop, order_id, [(shop["p6204"], "A-01", 10)])

    def drop_first(lines):
        del lines[0]

    with pytest.raises(DomainError, match="cannot be removed"):
        _amend(app, as_user, shop, order_id, drop_first)


def test_reserving_again_picks_up_stock_that_arrived(app, shop, accepted, as_user):
    from app.inventory import posting
    from app.inventory.models import MoveType

    order_id = _confirmed(app, as_user, shop, accepted)

    def receive():
        posting.post_moves(
            [posting.MoveLine(MoveType.RECEIPT, shop["pnu"], shop["warehouse"], shop["loc"]["C-01"], D(6), D(150))],
            posting.Source("receipt_test"),
        )

    as_user(shop["boss"].id, receive)
    short = as_user(
        shop["seller"].id,
        lambda: [(s.line.product_id, s.short) for s in os_.reserve_again(db.session.get(SalesOrder, order_id))],
    )
    assert sorted(short) == sorted([(shop["p22220"], D(2)), (shop["pnu"], D(4))])
    assert level(app, shop["pnu"], shop["warehouse"]) == (D(6), D(6))
