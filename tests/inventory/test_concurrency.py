"""Stock under concurrency, on connections that really commit (threads racing each other).

PostgreSQL and MariaDB serialise postings on row locks taken in a fixed order; SQLite on its
single write lock (BEGIN IMMEDIATE). Either way: never more reserved than there is, and every
balance equals the sum of its ledger.
"""

import random
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.core.db import run_with_retry
from app.core.errors import DomainError
from app.extensions import db
from app.inventory import posting
from app.inventory.models import Location, MoveType, StockBalance, StockLevel, StockMove, StockReservation

D = Decimal


@pytest.fixture(scope="module")
def world(committed_app):
    """Two warehouses with locations and three products, committed."""
    from app.inventory import services as inventory
    from app.products import services as products

    app = committed_app
    with app.test_request_context("/?lang=en"):
        brand = products.save_brand(None, name="RACE", name_zh="", note="")
        ids = [
            products.create_product(
                products.ProductData(brand_id=brand.id, model=f"R{i}", name_en="Race", list_price=D(1))
            ).id
            for i in range(3)
        ]
        w1 = inventory.create_warehouse(inventory.WarehouseData(code="RC1", name="Race one"))
        w2 = inventory.create_warehouse(inventory.WarehouseData(code="RC2", name="Race two"))
        inventory.add_locations(w1, "L1\nL2\nL3")
        inventory.add_locations(w2, "M1\nM2")
        db.session.commit()
        places = {
            w.id: [loc.id for loc in db.session.scalars(sa.select(Location).where(Location.warehouse_id == w.id))]
            for w in (w1, w2)
        }
        return {"products": ids, "places": places}


def _in_threads(app, jobs):
    errors = []
    start = threading.Barrier(len(jobs))

    def run(job):
        with app.test_request_context("/?lang=en"):
            start.wait()
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - collected and examined by the test
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def test_fifty_parallel_reservations_of_one_unit_with_ten_available_give_ten(committed_app, world):
    app = committed_app
    product = world["products"][0]
    warehouse = next(iter(world["places"]))
    location = world["places"][warehouse][0]
    with app.test_request_context("/?lang=en"):
        posting.post_moves(
            [posting.MoveLine(MoveType.RECEIPT, product, warehouse, location, D(10), D(5))], posting.Source("seed")
        )
        db.session.commit()

    successes = []

    def reserve(n):
        def job():
            run_with_retry(
                db.session,
                lambda: posting.reserve(
                    posting.Source("race", n), [posting.ReserveLine(product, warehouse, 1000 + n, D(1))]
                ),
            )
            successes.append(n)

        return job

    errors = _in_threads(app, [reserve(n) for n in range(50)])
    assert len(successes) == 10
    assert len(errors) == 40 and all(isinstance(e, DomainError) for e in errors), errors[:3]
    with app.app_context():
        level = db.session.scalar(
            sa.select(StockLevel).where(StockLevel.product_id == product, StockLevel.warehouse_id == warehouse)
        )
        assert (level.on_hand, level.reserved) == (10, 10)
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(StockReservation).where(StockReservation.product_id == product)
        )
        assert count == 10


def _random_job(world, rng: random.Random, n: int):
    warehouses = list(world["places"])
    product = rng.choice(world["products"])
    kind = rng.choice(["receipt", "delivery", "transfer", "adjust", "reserve", "release"])
    w = rng.choice(warehouses)
    loc = rng.choice(world["places"][w])
    qty = D(rng.randint(1, 6))

    def job():
        if kind == "receipt":
            lines = [posting.MoveLine(MoveType.RECEIPT, product, w, loc, qty, D(rng.randint(5, 15)))]
            run_with_retry(db.session, lambda: posting.post_moves(lines, posting.Source("rand", n)))
        elif kind == "delivery":
            lines = [posting.MoveLine(MoveType.DELIVERY, product, w, loc, -qty)]
            run_with_retry(db.session, lambda: posting.post_moves(lines, posting.Source("rand", n)))
        elif kind == "adjust":
            lines = [posting.MoveLine(MoveType.ADJUSTMENT, product, w, loc, qty if rng.random() < 0.5 else -qty)]
            run_with_retry(db.session, lambda: posting.post_moves(lines, posting.Source("rand", n)))
        elif kind == "transfer":
            w2 = rng.choice(warehouses)
            loc2 = rng.choice(world["places"][w2])
            lines = [
                posting.MoveLine(MoveType.TRANSFER_OUT, product, w, loc, -qty),
                posting.MoveLine(MoveType.TRANSFER_IN, product, w2, loc2, qty),
            ]
            run_with_retry(db.session, lambda: posting.post_moves(lines, posting.Source("rand", n)))
        elif kind == "reserve":
            lines = [posting.ReserveLine(product, w, 5000 + n % 7, qty)]
            run_with_retry(db.session, lambda: posting.reserve(posting.Source("rand-res"), lines, partial=True))
        else:
            run_with_retry(db.session, lambda: posting.release("rand-res", [5000 + n % 7]))

    return job


def test_a_random_concurrent_workload_keeps_every_balance_equal_to_its_ledger(committed_app, world):
    app = committed_app
    rng = random.Random(20261121)
    for round_ in range(4):
        jobs = [_random_job(world, rng, round_ * 100 + i) for i in range(24)]
        errors = _in_threads(app, jobs)
        assert all(isinstance(e, DomainError) for e in errors), [
            repr(e) for e in errors if not isinstance(e, DomainError)
        ]
    with app.app_context():
        ledger = {
            (p, w, loc): q
            for p, w, loc, q in db.session.execute(
                sa.select(
                    StockMove.product_id, StockMove.warehouse_id, StockMove.location_id, sa.func.sum(StockMove.quantity)
                ).group_by(StockMove.product_id, StockMove.warehouse_id, StockMove.location_id)
            )
        }
        balances = {
            (b.product_id, b.warehouse_id, b.location_id): b.on_hand
            for b in db.session.scalars(sa.select(StockBalance))
        }
        for key, on_hand in balances.items():
            assert on_hand == ledger.get(key, 0), key
            assert on_hand >= 0, key  # no warehouse here allows negative stock
        reserved = {
            (p, w): q
            for p, w, q in db.session.execute(
                sa.select(
                    StockReservation.product_id, StockReservation.warehouse_id, sa.func.sum(StockReservation.quantity)
                ).group_by(StockReservation.product_id, StockReservation.warehouse_id)
            )
        }
        for level in db.session.scalars(sa.select(StockLevel)):
            located = sum(v for (p, w, _l), v in balances.items() if (p, w) == (level.product_id, level.warehouse_id))
            assert level.on_hand == located
            assert level.reserved == reserved.get((level.product_id, level.warehouse_id), 0)
            assert level.reserved <= level.on_hand


def test_a_draft_posted_by_several_people_at_once_is_posted_once(committed_app, world):
    from app.inventory import documents
    from app.inventory.models import DocStatus, DocType, StockDocument

    app = committed_app
    product = world["products"][1]
    warehouse = next(iter(world["places"]))
    location = world["places"][warehouse][1]
    with app.test_request_context("/?lang=en"):
        draft = documents.create_document(
            DocType.ADJUSTMENT,
            documents.HeaderData(warehouse, reason_code="found"),
            [documents.LineData(product, location, D(4))],
        )
        db.session.commit()
        draft_id = draft.id
    posted = []

    def post():
        def work():
            return documents.post_document(documents.lock_document(draft_id))

        run_with_retry(db.session, work)
        posted.append(1)

    errors = _in_threads(app, [post for _ in range(8)])
    assert len(posted) == 1
    assert len(errors) == 7 and all("is Posted and cannot be changed" in str(e) for e in errors), errors[:2]
    with app.app_context():
        assert db.session.get(StockDocument, draft_id).status == DocStatus.POSTED
        moves = db.session.scalar(
            sa.select(sa.func.count()).where(StockMove.source_type == "stock_document", StockMove.source_id == draft_id)
        )
        assert moves == 1
