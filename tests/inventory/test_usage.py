"""Products, warehouses and locations holding stock, reserved for orders or named by a draft stock
document are not deleted; once the stock has gone they may be (their ledger stays)."""

from decimal import Decimal

import pytest

from app.core.errors import DomainError

D = Decimal


@pytest.fixture
def held(app, create_warehouse, create_product):
    from app.extensions import db
    from app.inventory import posting
    from app.inventory.models import MoveType

    sh, locs = create_warehouse("SH1", "A-01\nA-02")
    product = create_product("6204-2RS")
    with app.test_request_context("/?lang=en"):
        posting.post_moves(
            [posting.MoveLine(MoveType.OPENING, product.id, sh, locs["A-01"], D(5), D(10))], posting.Source("test")
        )
        db.session.commit()
    return {"sh": sh, "locs": locs, "product": product.id}


def _delete(app, fn):
    from app.extensions import db

    with app.test_request_context("/?lang=en"):
        try:
            fn()
            db.session.commit()
        finally:
            db.session.rollback()


def test_a_product_warehouse_or_location_holding_stock_is_not_deleted(app, held):
    from app.extensions import db
    from app.inventory import services
    from app.inventory.models import Location, Warehouse
    from app.products import services as products
    from app.products.models import Product

    with pytest.raises(
        DomainError, match=r"SKF 6204-2RS cannot be deleted: it is used by 1 locations holding its stock\."
    ):
        _delete(app, lambda: products.delete_product(db.session.get(Product, held["product"])))
    with pytest.raises(DomainError, match=r"used by 1 products in stock"):
        _delete(app, lambda: services.delete_warehouse(db.session.get(Warehouse, held["sh"])))
    with pytest.raises(DomainError, match=r"A-01 cannot be deleted: it is used by 1 products in stock"):
        _delete(app, lambda: services.delete_location(db.session.get(Location, held["locs"]["A-01"])))
    _delete(app, lambda: services.delete_location(db.session.get(Location, held["locs"]["A-02"])))  # empty: fine


def test_reserved_stock_and_draft_documents_also_keep_records(app, held):
    from app.extensions import db
    from app.inventory import documents, posting, services
    from app.inventory.models import DocType, Location, MoveType
    from app.products import services as products
    from app.products.models import Product

    with app.test_request_context("/?lang=en"):
        posting.reserve(posting.Source("order", 1), [posting.ReserveLine(held["product"], held["sh"], 77, D(2))])
        posting.post_moves(
            [posting.MoveLine(MoveType.ADJUSTMENT, held["product"], held["sh"], held["locs"]["A-01"], D(-3))],
            posting.Source("test"),
        )
        documents.create_document(
            DocType.ADJUSTMENT,
            documents.HeaderData(held["sh"], reason_code="found"),
            [documents.LineData(held["product"], held["locs"]["A-02"], D(1))],
        )
        db.session.commit()
    message = r"used by 1 locations holding its stock, 1 stock reservations, 1 draft stock documents"
    with pytest.raises(DomainError, match=message):
        _delete(app, lambda: products.delete_product(db.session.get(Product, held["product"])))
    with pytest.raises(DomainError, match=r"A-02 cannot be deleted: it is used by 1 draft stock documents"):
        _delete(app, lambda: services.delete_location(db.session.get(Location, held["locs"]["A-02"])))


def test_once_the_stock_has_gone_the_product_may_be_deleted_and_its_ledger_stays(app, held):
    import sqlalchemy as sa

    from app.extensions import db
    from app.inventory import posting
    from app.inventory.models import MoveType, StockMove
    from app.products import services as products
    from app.products.models import Product

    with app.test_request_context("/?lang=en"):
        posting.post_moves(
            [posting.MoveLine(MoveType.ADJUSTMENT, held["product"], held["sh"], held["locs"]["A-01"], D(-5))],
            posting.Source("test"),
        )
        db.session.commit()
    _delete(app, lambda: products.delete_product(db.session.get(Product, held["product"])))
    with app.app_context():
        assert db.session.get(Product, held["product"]).deleted_at is not None
        moves = db.session.scalar(sa.select(sa.func.count()).where(StockMove.product_id == held["product"]))
        assert moves == 2
