"""Fixtures for quotations: made through the service, as the editor would."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa


@pytest.fixture
def create_quotation(app):
    """Create a draft quotation for ``customer_id`` by ``salesperson_id`` with ``lines``
    (tuples of product id, quantity, unit price[, discount %]); returns its id."""
    from app.core.db import acting_as
    from app.extensions import db
    from app.sales import quotations as q

    def factory(customer_id: int, salesperson_id: int, lines, **header) -> int:
        rows = [
            q.LineData(
                product_id=p,
                quantity=Decimal(str(qty)),
                unit_price=Decimal(str(price)),
                discount_percent=Decimal(str(rest[0])) if rest else Decimal(0),
            )
            for p, qty, price, *rest in lines
        ]
        with app.test_request_context("/?lang=en"), acting_as(salesperson_id):
            quotation = q.create_quotation(
                q.HeaderData(customer_id=customer_id, salesperson_id=salesperson_id, **header),
                rows,
                actor_id=salesperson_id,
            )
            db.session.commit()
            return quotation.id

    return factory


@pytest.fixture
def service_as(app):
    """Run ``fn(quotation)`` as ``actor`` inside a request and commit."""
    from app.core.db import acting_as
    from app.extensions import db
    from app.sales.models import Quotation

    def run(actor: int, quotation_id: int, fn):
        with app.test_request_context("/?lang=en"), acting_as(actor):
            result = fn(db.session.get(Quotation, quotation_id))
            db.session.commit()
            return result

    return run


@pytest.fixture
def shop(app, create_user, create_customer, create_product):
    """A small trading company: a warehouse SH with four locations and stock, two salespeople, a
    keeper, a manager, and a customer of the first salesperson."""
    from app.core.db import acting_as
    from app.extensions import db
    from app.inventory import posting
    from app.inventory import services as inventory
    from app.inventory.models import Location, MoveType

    seller = create_user("seller", ["sales"])
    rival = create_user("rival", ["sales"])
    keeper = create_user("keeper", ["warehouse"])
    boss = create_user("boss", ["manager"])
    customer = create_customer("宁波甬达机电设备有限公司", owner=seller.id, contacts=[{"name": "王伟"}])
    p6204 = create_product("6204-2RS", brand="SKF", list_price=Decimal("20"))
    p22220 = create_product("22220E", brand="FAG", list_price=Decimal("900"))
    pnu = create_product("NU2208ECP", brand="NSK", list_price=Decimal("300"))
    with app.test_request_context("/?lang=en"), acting_as(boss.id):
        warehouse = inventory.create_warehouse(inventory.WarehouseData(code="SH", name="上海总仓"))
        inventory.add_locations(warehouse, "A-01\nA-02\nB-01\nC-01")
        db.session.flush()
        loc = {
            x.code: x.id for x in db.session.scalars(sa.select(Location).where(Location.warehouse_id == warehouse.id))
        }
        stock = [(p6204.id, "A-01", 30), (p6204.id, "B-01", 100), (p22220.id, "A-02", 4)]
        posting.post_moves(
            [
                posting.MoveLine(MoveType.OPENING, p, warehouse.id, loc[c], Decimal(q), Decimal("10"))
                for p, c, q in stock
            ],
            posting.Source("opening", None, "OPN-TEST"),
        )
        db.session.commit()
        warehouse_id = warehouse.id
    return {
        "seller": seller,
        "rival": rival,
        "keeper": keeper,
        "boss": boss,
        "customer": customer.id,
        "warehouse": warehouse_id,
        "loc": loc,
        "p6204": p6204.id,
        "p22220": p22220.id,
        "pnu": pnu.id,
    }


@pytest.fixture
def as_user(app):
    """Run ``fn()`` as user ``user_id`` inside a request and commit; return its result."""
    from app.core.db import acting_as
    from app.extensions import db

    def run(user_id: int, fn):
        from flask_login import login_user

        from app.auth.models import User

        with app.test_request_context("/?lang=en"), acting_as(user_id):
            login_user(db.session.get(User, user_id))
            result = fn()
            db.session.commit()
            return result

    return run
