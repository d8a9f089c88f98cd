"""The posting service: the only way stock changes."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.core.errors import DomainError
from app.inventory import posting
from app.inventory.models import MoveType

D = Decimal
SRC = posting.Source("test", 1, "T-1")


def _post(app, *lines, source=SRC):
    from app.extensions import db

    with app.test_request_context("/?lang=en"):
        ids = posting.post_moves(list(lines), source)
        db.session.commit()
        return ids


def _line(kind, product, warehouse, location, qty, cost=None, line_id=None, consume=False):
    return posting.MoveLine(
        kind, product, warehouse, location, D(qty), D(cost) if cost is not None else None, line_id, consume
    )


@pytest.fixture
def place(create_warehouse, create_product):
    warehouse, locs = create_warehouse()
    product = create_product("6204-2RS")
    return product.id, warehouse, locs


def test_a_receipt_creates_the_balance_rows_and_moves(app, place, stock):
    product, warehouse, locs = place
    _post(app, _line(MoveType.RECEIPT, product, warehouse, locs["A-01"], "10", "20.00"))
    assert stock.on_hand(product, warehouse, locs["A-01"]) == 10
    assert stock.on_hand(product, warehouse) == 10
    from app.extensions import db
    from app.inventory.models import StockMove

    with app.app_context():
        move = db.session.scalars(sa.select(StockMove)).one()
        assert (move.move_type, move.quantity, move.unit_cost, move.source_number) == (
            "receipt",
            10,
            D("20.0000"),
            "T-1",
        )


def test_receipts_update_the_moving_average_cost_and_last_purchase_price(app, place):
    from app.extensions import db
    from app.products.models import Product

    product, warehouse, locs = place
    _post(app, _line(MoveType.RECEIPT, product, warehouse, locs["A-01"], "10", "20"))
    _post(app, _line(MoveType.RECEIPT, product, warehouse, locs["A-02"], "30", "24"))
    with app.app_context():
        p = db.session.get(Product, product)
        assert p.avg_cost == D("23.0000")  # (10×20 + 30×24) / 40
        assert p.last_purchase_price == D("24.0000")
    # Deliveries leave at the average and do not change it.
    _post(app, _line(MoveType.DELIVERY, product, warehouse, locs["A-02"], "-5"))
    _post(app, _line(MoveType.RECEIPT, product, warehouse, locs["A-01"], "5", "30"))
    with app.app_context():
        # (35 × 23 + 5 × 30) / 40 = 23.875
        assert db.session.get(Product, product).avg_cost == D("23.8750")


def test_stock_cannot_go_below_zero_at_a_location(app, place, stock):
    product, warehouse, locs = place
    _post(app, _line(MoveType.RECEIPT, product, warehouse, locs["A-01"], "3", "10"))
    with pytest.raises(DomainError, match=r"Not enough SKF 6204-2RS at SH1 / A-02: 0 on hand, 1 requested"):
        _post(app, _line(MoveType.DELIVERY, product, warehouse, locs["A-02"], "-1"))
    with pytest.raises(DomainError, match=r"at SH1 / A-01: 3 on hand, 5 requested"):
        _post(app, _line(MoveType.DELIVERY, product, warehouse, locs["A-01"], "-5"))
    assert stock.on_hand(product, warehouse, locs["A-01"]) == 3


def test_a_refused_posting_changes_nothing(app, place, stock):
    product, warehouse, locs = place
    _post(app, _line(MoveType.RECEIPT, product, warehouse, locs["A-01"], "3", "10"))
    with pytest.raises(DomainError):
        _post(
            app,
            _line(MoveType.ADJUSTMENT, product, warehouse, locs["A-02"], "7"),
            _line(MoveType.ADJUSTMENT, product, warehouse, locs["A-01"], "-4"),
        )
    assert stock.on_hand(product, warehouse, locs["A-02"]) == 0


def test_a_warehouse_may_allow_negative_stock(app, create_warehouse, create_product, stock):
    warehouse, locs = create_warehouse("NEG", "X-01", allow_negative=True)
    product = create_product("6205")
    _post(app, _line(MoveType.DELIVERY, product.id, warehouse, locs["X-01"], "-2"))
    assert stock.on_hand(product.id, warehouse, locs["X-01"]) == -2


def test_reserved_stock_cannot_be_taken_by_others(app, place, stock):
    from app.extensions import db

    product, warehouse, locs = place
    _post(app, _line(MoveType.RECEIPT, product, warehouse, locs["A-01"], "10", "10"))
    with app.test_request_context("/?lang=en"):
        posting.reserve(posting.Source("order", 7), [posting.ReserveLine(product, warehouse, 70, D(8))])
        db.session.commit()
    assert stock.reserved(product, warehouse) == 8
    with pytest.raises(DomainError, match=r"2 available \(10 on hand, 8 reserved\), 3 requested"):
        _post(app, _line(MoveType.ADJUSTMENT, product, warehouse, locs["A-01"], "-3"))
    # The order's own delivery consumes its reservation.
    _post(
        app,
        _line(MoveType.DELIVERY, product, warehouse, locs["A-01"], "-8", line_id=70, consume=True),
        source=posting.Source("order", 7),
    )
    assert (stock.on_hand(product, warehouse), stock.reserved(product, warehouse)) == (2, 0)


def test_reservations_refuse_or_take_what_is_there(app, place, stock):
    from app.extensions import db

    product, warehouse, locs = place
    _post(app, _line(MoveType.RECEIPT, product, warehouse, locs["A-01"], "5", "10"))
    source = posting.Source("order", 9)
    with app.test_request_context("/?lang=en"):
        with pytest.raises(DomainError, match="5 available"):
            posting.reserve(source, [posting.ReserveLine(product, warehouse, 90, D(6))])
        db.session.rollback()
        result = posting.reserve(source, [posting.ReserveLine(product, warehouse, 90, D(6))], partial=True)
        db.session.commit()
        assert (result[0].quantity, result[0].short) == (5, 1)
        assert posting.release("order", [90]) == 5
        db.session.commit()
    assert stock.reserved(product, warehouse) == 0


def test_a_transfer_reaches_a_location_that_never_held_the_product(app, place, stock):
    product, warehouse, locs = place
    _post(app, _line(MoveType.RECEIPT, product, warehouse, locs["A-01"], "6", "10"))
    _post(
        app,
        _line(MoveType.TRANSFER_OUT, product, warehouse, locs["A-01"], "-4"),
        _line(MoveType.TRANSFER_IN, product, warehouse, locs["B-01"], "4"),
    )
    assert stock.on_hand(product, warehouse, locs["A-01"]) == 2
    assert stock.on_hand(product, warehouse, locs["B-01"]) == 4
    assert stock.on_hand(product, warehouse) == 6


def test_a_location_of_another_warehouse_is_refused(app, place, create_warehouse):
    product, warehouse, _locs = place
    _other, other_locs = create_warehouse("WX1", "R-01")
    with pytest.raises(DomainError, match="does not belong to its warehouse"):
        _post(app, _line(MoveType.RECEIPT, product, warehouse, other_locs["R-01"], "1", "1"))


def test_moves_are_append_only_in_the_database(app, place):
    from app.extensions import db

    product, warehouse, locs = place
    _post(app, _line(MoveType.RECEIPT, product, warehouse, locs["A-01"], "1", "1"))
    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(sa.text("UPDATE stock_moves SET quantity = 100"))
        db.session.rollback()
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(sa.text("DELETE FROM stock_moves"))
        db.session.rollback()
