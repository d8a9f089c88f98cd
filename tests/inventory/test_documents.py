"""Stock documents: drafts, posting, cancelling by reversing moves, counts, document numbers."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.core.errors import DomainError
from app.inventory import documents as docs
from app.inventory.models import DocStatus, DocType

D = Decimal


@pytest.fixture
def setup(create_warehouse, create_product):
    sh, sh_locs = create_warehouse("SH1", "A-01\nA-02")
    wx, wx_locs = create_warehouse("WX1", "R-01")
    p = create_product("6204-2RS").id
    q = create_product("6205-2Z").id
    return {"sh": sh, "wx": wx, "a1": sh_locs["A-01"], "a2": sh_locs["A-02"], "r1": wx_locs["R-01"], "p": p, "q": q}


def _in_request(app, fn):
    from app.extensions import db

    with app.test_request_context("/?lang=en"):
        try:
            result = fn()
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise


def _opening(app, s, qty="10", cost="20"):
    def work():
        doc = docs.create_document(
            DocType.OPENING,
            docs.HeaderData(warehouse_id=s["sh"]),
            [docs.LineData(s["p"], s["a1"], D(qty), unit_cost=D(cost))],
        )
        docs.post_document(doc)
        return doc.id

    return _in_request(app, work)


def test_numbers_are_per_type_and_year(app, setup):
    from app.extensions import db
    from app.inventory.models import StockDocument

    first = _opening(app, setup)
    second = _opening(app, setup)
    with app.app_context():
        a, b = db.session.get(StockDocument, first).number, db.session.get(StockDocument, second).number
    assert re.fullmatch(r"OPN20\d\d-000001", a) and re.fullmatch(r"OPN20\d\d-000002", b)


def test_opening_stock_posts_moves_and_sets_the_cost(app, setup, stock):
    from app.extensions import db
    from app.products.models import Product

    _opening(app, setup, "10", "20")
    assert stock.on_hand(setup["p"], setup["sh"], setup["a1"]) == 10
    with app.app_context():
        assert db.session.get(Product, setup["p"]).avg_cost == D("20.0000")


def test_adjustment_needs_a_reason_and_posts_signed_quantities(app, setup, stock):
    _opening(app, setup, "10")
    with pytest.raises(DomainError, match="Choose a reason"):
        _in_request(
            app,
            lambda: docs.create_document(
                DocType.ADJUSTMENT, docs.HeaderData(setup["sh"]), [docs.LineData(setup["p"], setup["a1"], D(-1))]
            ),
        )
    with pytest.raises(DomainError, match="Describe the reason"):
        _in_request(
            app,
            lambda: docs.create_document(
                DocType.ADJUSTMENT,
                docs.HeaderData(setup["sh"], reason_code="other"),
                [docs.LineData(setup["p"], setup["a1"], D(-1))],
            ),
        )

    def work():
        doc = docs.create_document(
            DocType.ADJUSTMENT,
            docs.HeaderData(setup["sh"], reason_code="damaged", reason="water"),
            [docs.LineData(setup["p"], setup["a1"], D(-2)), docs.LineData(setup["p"], setup["a2"], D(1))],
        )
        docs.post_document(doc)

    _in_request(app, work)
    assert stock.on_hand(setup["p"], setup["sh"], setup["a1"]) == 8
    assert stock.on_hand(setup["p"], setup["sh"], setup["a2"]) == 1


def test_line_errors_name_the_row(app, setup):
    with pytest.raises(docs.LineError) as info:
        _in_request(
            app,
            lambda: docs.create_document(
                DocType.TRANSFER,
                docs.HeaderData(setup["sh"], to_warehouse_id=setup["wx"]),
                [
                    docs.LineData(setup["p"], setup["a1"], D(1), to_location_id=setup["r1"]),
                    docs.LineData(setup["p"], setup["a1"], D(0), to_location_id=setup["r1"]),
                ],
            ),
        )
    assert (info.value.index, info.value.field) == (1, "quantity")
    assert str(info.value).startswith("Line 2:")


def test_transfer_between_warehouses_and_cancel_reverses_it(app, setup, stock):
    _opening(app, setup, "10")

    def make():
        doc = docs.create_document(
            DocType.TRANSFER,
            docs.HeaderData(setup["sh"], to_warehouse_id=setup["wx"]),
            [docs.LineData(setup["p"], setup["a1"], D(4), to_location_id=setup["r1"])],
        )
        docs.post_document(doc)
        return doc.id

    doc_id = _in_request(app, make)
    assert stock.on_hand(setup["p"], setup["sh"]) == 6
    assert stock.on_hand(setup["p"], setup["wx"], setup["r1"]) == 4
    from app.extensions import db
    from app.inventory.models import StockDocument, StockMove

    _in_request(app, lambda: docs.cancel_document(db.session.get(StockDocument, doc_id)))
    assert stock.on_hand(setup["p"], setup["sh"]) == 10
    assert stock.on_hand(setup["p"], setup["wx"]) == 0
    with app.app_context():
        document = db.session.get(StockDocument, doc_id)
        assert document.status == DocStatus.CANCELLED
        reversing = db.session.scalars(sa.select(StockMove).where(StockMove.reverses_id.is_not(None))).all()
        assert len(reversing) == 2 and all(m.source_id == doc_id for m in reversing)
    with pytest.raises(DomainError, match="Only a posted document can be cancelled"):
        _in_request(app, lambda: docs.cancel_document(db.session.get(StockDocument, doc_id)))


def test_cancel_is_refused_when_the_stock_has_moved_on(app, setup):
    from app.extensions import db
    from app.inventory.models import StockDocument

    doc_id = _opening(app, setup, "5")

    def take_all():
        doc = docs.create_document(
            DocType.ADJUSTMENT,
            docs.HeaderData(setup["sh"], reason_code="lost"),
            [docs.LineData(setup["p"], setup["a1"], D(-5))],
        )
        docs.post_document(doc)

    _in_request(app, take_all)
    with pytest.raises(DomainError, match="Not enough"):
        _in_request(app, lambda: docs.cancel_document(db.session.get(StockDocument, doc_id)))


def test_posted_documents_cannot_be_edited_or_deleted(app, setup):
    from app.extensions import db
    from app.inventory.models import StockDocument

    doc_id = _opening(app, setup)
    with pytest.raises(DomainError, match="cannot be changed"):
        _in_request(
            app,
            lambda: docs.update_document(
                db.session.get(StockDocument, doc_id),
                docs.HeaderData(setup["sh"]),
                [docs.LineData(setup["p"], setup["a1"], D(1), unit_cost=D(1))],
                expected_version=None,
            ),
        )
    with pytest.raises(DomainError, match="cannot be changed"):
        _in_request(app, lambda: docs.delete_draft(db.session.get(StockDocument, doc_id)))


def test_a_count_posts_its_variances_and_is_refused_while_the_book_moved_under_it(app, setup, stock):
    from app.extensions import db
    from app.inventory.models import StockDocument

    _opening(app, setup, "10")
    count_id = _in_request(app, lambda: docs.start_count(setup["sh"], set()).id)
    with app.app_context():
        count = db.session.get(StockDocument, count_id)
        assert [(line.product_id, line.expected_qty) for line in count.lines] == [(setup["p"], 10)]
        line_id = count.lines[0].id

    # Two units leave while the count is under way; the count found 7 before that happened.
    def move_two():
        doc = docs.create_document(
            DocType.ADJUSTMENT,
            docs.HeaderData(setup["sh"], reason_code="sample"),
            [docs.LineData(setup["p"], setup["a1"], D(-2))],
        )
        docs.post_document(doc)

    _in_request(app, move_two)
    with pytest.raises(DomainError, match="Enter a counted quantity on every line"):
        _in_request(app, lambda: docs.post_document(db.session.get(StockDocument, count_id)))
    _in_request(
        app,
        lambda: docs.enter_counts(
            db.session.get(StockDocument, count_id),
            {line_id: D(7)},
            [docs.LineData(setup["q"], setup["a2"], counted_qty=D(3))],  # found, not on the books
            expected_version=None,
        ),
    )
    # Stock moved at a counted place after the count began: posting the old book quantity would
    # count those two units twice, so it is refused until the book quantities are taken again.
    with pytest.raises(DomainError, match="1 stock move changed the counted places"):
        _in_request(app, lambda: docs.post_document(db.session.get(StockDocument, count_id)))
    changed = _in_request(
        app,
        lambda: docs.refresh_book_quantities(db.session.get(StockDocument, count_id), expected_version=None),
    )
    assert changed == 1
    _in_request(app, lambda: docs.post_document(db.session.get(StockDocument, count_id)))
    # Book now 8 (10 − 2), counted 7: a loss of 1 → 7 on hand; the found line gains 3.
    assert stock.on_hand(setup["p"], setup["sh"], setup["a1"]) == 7
    assert stock.on_hand(setup["q"], setup["sh"], setup["a2"]) == 3
