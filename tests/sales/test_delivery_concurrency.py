"""Deliveries under concurrency, through the pages, on a database whose transactions really commit:
two warehouse keepers post deliveries of the same scarce stock at the same moment — one succeeds,
the other is told why not, and every balance still equals its ledger."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.inventory import verify
from app.inventory.models import StockLevel
from app.sales.models import Delivery, DeliveryStatus
from tests import support

D = Decimal


@pytest.fixture(scope="module")
def race(committed_app):
    """Two confirmed orders of 5 × RACE-1 each, a draft delivery of 5 for each, and 5 in stock —
    received after both orders were confirmed, so neither holds a reservation."""
    from app.auth.models import Role, User
    from app.core.contacts import ContactData
    from app.core.db import acting_as
    from app.customers import services as customers
    from app.inventory import posting
    from app.inventory import services as inventory
    from app.inventory.models import MoveType
    from app.products import services as products
    from app.sales import deliveries, orders

    app = committed_app
    with app.test_request_context("/?lang=en"):
        roles = {r.name: r for r in db.session.scalars(sa.select(Role))}
        people = {}
        for name, role in (("boss1", "manager"), ("keeper1", "warehouse"), ("keeper2", "warehouse")):
            user = User(
                username=name,
                display_name=name,
                password_hash=support.password_hash(),
                roles=[roles[role]],
                locale="en",
            )
            db.session.add(user)
            db.session.flush()
            people[name] = user.id
        with acting_as(people["boss1"]):
            brand = products.save_brand(None, name="RACEB", name_zh="", note="")
            product = products.create_product(
                products.ProductData(brand_id=brand.id, model="RACE-1", name_en="Race bearing", list_price=D(10))
            )
            warehouse = inventory.create_warehouse(inventory.WarehouseData(code="RW", name="Race warehouse"))
            inventory.add_locations(warehouse, "R-01")
            customer = customers.create_customer(
                customers.CustomerData(name="Race customer", contacts=[ContactData(name="赵")]),
                actor_id=None,
                may_assign_owner=True,
            )
            db.session.flush()
            location_id = warehouse.locations[0].id
            made = []
            for _ in range(2):
                order = orders.create_order(
                    orders.OrderHeader(
                        customer_id=customer.id, warehouse_id=warehouse.id, salesperson_id=people["boss1"]
                    ),
                    [orders.OrderLineData(product.id, D(5), D(10))],
                    actor_id=people["boss1"],
                )
                orders.confirm_order(order, actor_id=people["boss1"])
                delivery = deliveries.create_delivery(
                    order,
                    deliveries.DeliveryHeader(),
                    [deliveries.DeliveryLineData(order.lines[0].id, location_id, D(5))],
                )
                made.append(delivery.id)
            posting.post_moves(
                [posting.MoveLine(MoveType.RECEIPT, product.id, warehouse.id, location_id, D(5), D(6))],
                posting.Source("receipt_test"),
            )
        db.session.commit()
        return {"deliveries": made, "product": product.id, "warehouse": warehouse.id}


def _client(app, username):
    app.test_client_class = support.Client
    client = app.test_client()
    assert client.login(username).status_code == 302
    return client


def test_two_keepers_posting_the_same_scarce_stock_at_once(committed_app, race):
    app = committed_app
    clients = [_client(app, "keeper1"), _client(app, "keeper2")]
    tokens = [
        (client, delivery_id, client.csrf_token(f"/deliveries/{delivery_id}"))
        for client, delivery_id in zip(clients, race["deliveries"], strict=True)
    ]
    start = threading.Barrier(2)
    results: dict[int, str] = {}

    def post(client, delivery_id, csrf):
        start.wait()
        response = client.post(
            f"/deliveries/{delivery_id}/post",
            data={"csrf_token": csrf, "_once": support.new_once(app.secret_key), "version_id": ""},
        )
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        results[delivery_id] = page

    threads = [threading.Thread(target=post, args=args) for args in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    with app.app_context():
        statuses = {
            d.id: d.status for d in db.session.scalars(sa.select(Delivery).where(Delivery.id.in_(race["deliveries"])))
        }
        level = db.session.scalar(
            sa.select(StockLevel).where(
                StockLevel.product_id == race["product"], StockLevel.warehouse_id == race["warehouse"]
            )
        )
        assert sorted(statuses.values()) == [DeliveryStatus.DRAFT, DeliveryStatus.POSTED]
        assert level.on_hand == 0 and level.reserved == 0
        assert verify.find_differences() == []
    loser = next(d for d, status in statuses.items() if status == DeliveryStatus.DRAFT)
    winner = next(d for d, status in statuses.items() if status == DeliveryStatus.POSTED)
    assert "posted: the goods left the warehouse" in results[winner]
    # The other keeper is told what is missing, in words: product, place and quantities.
    assert "RACE-1" in results[loser] and "R-01" in results[loser]
