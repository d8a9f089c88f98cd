"""Low-stock alerts: one notification per crossing of the reorder level, to the active holders of
inventory.adjust or purchase_orders.edit, written in the posting's transaction under its locks;
warehouse-limited users are alerted about their own warehouses' stock only."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.core.db import run_with_retry
from app.core.errors import DomainError
from app.extensions import db
from app.inventory import lowstock, posting
from app.inventory.models import LowStockAlert, MoveType
from app.notifications.models import Notification

D = Decimal
RECEIPT, DELIVERY, ADJUST = MoveType.RECEIPT, MoveType.DELIVERY, MoveType.ADJUSTMENT


def post(app, *lines, source=posting.Source("test", 1, "T-1")):
    with app.test_request_context("/?lang=en"):
        posting.post_moves([posting.MoveLine(k, p, w, loc, D(q), D(1)) for k, p, w, loc, q in lines], source)
        db.session.commit()


def alerts(app, user_id=None) -> list[Notification]:
    with app.app_context():
        query = sa.select(Notification).where(Notification.kind == lowstock.KIND).order_by(Notification.id)
        if user_id is not None:
            query = query.where(Notification.user_id == user_id)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def alert_state(app) -> set[tuple[int, str]]:
    with app.app_context():
        return {(p, s) for p, s in db.session.execute(sa.select(LowStockAlert.product_id, LowStockAlert.scope))}


@pytest.fixture
def world(app, create_warehouse, create_product, create_user):
    sh1, sh1_locs = create_warehouse("SH1", "A-01\nA-02")
    wx1, wx1_locs = create_warehouse("WX1", "R-01")
    product = create_product("6204-2RS", reorder_level=D(10))
    keeper = create_user("keeper", ["warehouse"])
    buyer = create_user("buyer", ["purchaser"])
    seller = create_user("seller", ["sales"])
    post(app, (RECEIPT, product.id, sh1, sh1_locs["A-01"], "15"))
    return {
        "app": app,
        "p": product.id,
        "sh1": sh1,
        "a01": sh1_locs["A-01"],
        "a02": sh1_locs["A-02"],
        "wx1": wx1,
        "r01": wx1_locs["R-01"],
        "keeper": keeper.id,
        "buyer": buyer.id,
        "seller": seller.id,
    }


def out(w, qty, warehouse="sh1", location="a01"):
    return (DELIVERY, w["p"], w[warehouse], w[location], f"-{qty}")


def test_falling_below_the_level_notifies_each_recipient_once(app, world):
    assert alerts(app) == []
    post(app, out(world, 5))  # 10 left: at the level is not below it
    assert alerts(app) == []
    post(app, out(world, 1))  # 9 < 10
    got = alerts(app)
    assert sorted(n.user_id for n in got) == sorted([world["keeper"], world["buyer"]])
    first = got[0]
    assert first.title == "Low stock: SKF 6204-2RS"
    assert first.body == "9 available across all warehouses, below the reorder level of 10."
    assert first.link == f"/products/{world['p']}"
    assert alert_state(app) == {(world["p"], "")}


def test_further_moves_while_low_notify_nobody(app, world):
    post(app, out(world, 6))
    assert len(alerts(app)) == 2
    post(app, out(world, 2))
    post(app, (ADJUST, world["p"], world["sh1"], world["a01"], "1"))  # still below: 8
    post(app, (RECEIPT, world["p"], world["wx1"], world["r01"], "1"))  # 9
    assert len(alerts(app)) == 2


def test_recovering_then_falling_again_alerts_again(app, world):
    post(app, out(world, 6))
    post(app, (RECEIPT, world["p"], world["wx1"], world["r01"], "1"))  # 10: back at the level
    assert alert_state(app) == set()
    post(app, out(world, 1, "wx1", "r01"))  # 9 again
    assert [n.user_id for n in alerts(app, world["buyer"])] == [world["buyer"]] * 2


def test_a_reservation_can_make_stock_low_and_a_release_clears_it(app, world):
    with app.test_request_context("/?lang=en"):
        posting.reserve(
            posting.Source("sales_order", 7, "SO-7"), [posting.ReserveLine(world["p"], world["sh1"], 70, D(6))]
        )
        db.session.commit()
    got = alerts(app, world["keeper"])
    assert len(got) == 1 and got[0].body.startswith("9 available")
    with app.test_request_context("/?lang=en"):
        posting.release("sales_order", [70])
        db.session.commit()
    assert alert_state(app) == set()


def test_recipients_are_exactly_the_active_holders_of_the_two_permissions(app, world, create_user, create_role):
    only_adjust = create_role("only_adjust", ["inventory.adjust"])
    only_buy = create_role("only_buy", ["purchase_orders.edit"])
    viewer = create_role("stock_viewer", ["inventory.view", "purchase_orders.view"])
    expected = {
        world["keeper"],
        world["buyer"],
        create_user("boss", ["admin"]).id,
        create_user("mgr", ["manager"]).id,
        create_user("adjuster", [only_adjust]).id,
        create_user("orderer", [only_buy]).id,
    }
    create_user("looker", [viewer])
    create_user("accountant", ["finance"])
    create_user("left_company", ["warehouse"], is_active=False)
    post(app, out(world, 6))
    assert {n.user_id for n in alerts(app)} == expected
    assert len(alerts(app)) == len(expected)


def test_a_rolled_back_posting_notifies_nobody(app, world):
    with app.test_request_context("/?lang=en"):
        posting.post_moves(
            [posting.MoveLine(DELIVERY, world["p"], world["sh1"], world["a01"], D(-6))], posting.Source("t")
        )
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 2  # written in it
        db.session.rollback()
    assert alerts(app) == [] and alert_state(app) == set()
    post(app, out(world, 6))  # so the crossing is still ahead, and alerts when it does happen
    assert len(alerts(app)) == 2


def test_a_refused_posting_notifies_nobody(app, world):
    with app.test_request_context("/?lang=en"), pytest.raises(DomainError):
        posting.post_moves(
            [posting.MoveLine(DELIVERY, world["p"], world["sh1"], world["a01"], D(-16))], posting.Source("t")
        )
    assert alerts(app) == []


def test_products_without_a_reorder_level_never_alert(app, world, create_product):
    plain = create_product("6000", reorder_level=D(0))
    post(
        app,
        (RECEIPT, plain.id, world["sh1"], world["a01"], "3"),
        (DELIVERY, plain.id, world["sh1"], world["a01"], "-3"),
    )
    assert alerts(app) == [] and alert_state(app) == set()


def test_a_level_set_to_zero_while_low_clears_the_state_on_the_next_move(app, world):
    post(app, out(world, 6))
    with app.app_context():
        db.session.execute(sa.text("UPDATE products SET reorder_level = 0 WHERE id = :id"), {"id": world["p"]})
        db.session.commit()
    post(app, out(world, 1))
    assert alert_state(app) == set()


def test_one_posting_taking_several_products_low_sends_one_notification(app, world, create_product):
    other = create_product("6205", reorder_level=D(5))
    post(app, (RECEIPT, other.id, world["sh1"], world["a02"], "5"))
    post(app, out(world, 7), (DELIVERY, other.id, world["sh1"], world["a02"], "-2"))
    (mine,) = alerts(app, world["keeper"])
    assert mine.title == "Low stock: 2 products"
    assert mine.body.splitlines() == [
        "Available stock fell below the reorder level across all warehouses:",
        "SKF 6204-2RS: 8 available, reorder level 10",
        "SKF 6205: 3 available, reorder level 5",
    ]
    assert mine.link == ""
    assert len(alert_state(app)) == 2


def test_a_user_limited_to_some_warehouses_is_alerted_about_their_own_stock_only(app, world):
    from app.inventory.scope import set_user_warehouses

    with app.app_context():
        set_user_warehouses(world["keeper"], {world["wx1"]})
        db.session.commit()
    post(app, (RECEIPT, world["p"], world["wx1"], world["r01"], "12"))  # SH1 15, WX1 12: 27 in all
    post(app, out(world, 5, "wx1", "r01"))  # WX1 7 < 10; 22 in all
    (mine,) = alerts(app, world["keeper"])
    assert mine.body == "7 available in your warehouses (WX1), below the reorder level of 10."
    assert "22" not in mine.body and "SH1" not in mine.body
    assert alerts(app, world["buyer"]) == []  # the company as a whole is not low
    post(app, out(world, 13))  # SH1 2, WX1 7: 9 in all
    (theirs,) = alerts(app, world["buyer"])
    assert theirs.body.startswith("9 available across all warehouses")
    assert len(alerts(app, world["keeper"])) == 1  # their warehouses were low already
    assert alert_state(app) == {(world["p"], ""), (world["p"], str(world["wx1"]))}


def test_stock_in_a_warehouse_outside_a_limited_users_scope_never_alerts_them(app, world):
    from app.inventory.scope import set_user_warehouses

    with app.app_context():
        set_user_warehouses(world["keeper"], {world["wx1"]})
        db.session.commit()
    post(app, (RECEIPT, world["p"], world["wx1"], world["r01"], "20"))
    post(app, out(world, 15))  # SH1 empties; WX1 untouched at 20
    assert alerts(app, world["keeper"]) == []


# --- concurrency ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def race(committed_app):
    """A product stocked in two warehouses, 12 in all against a reorder level of 10, and two
    recipients, committed."""
    from app.auth.models import Role, User
    from app.inventory import services as inventory
    from app.products import services as products
    from tests import support

    app = committed_app
    with app.test_request_context("/?lang=en"):
        brand = products.save_brand(None, name="LOWRACE", name_zh="", note="")
        product = products.create_product(
            products.ProductData(brand_id=brand.id, model="L1", name_en="Race", list_price=D(1), reorder_level=D(10))
        )
        w1 = inventory.create_warehouse(inventory.WarehouseData(code="LR1", name="Low race one"))
        w2 = inventory.create_warehouse(inventory.WarehouseData(code="LR2", name="Low race two"))
        inventory.add_locations(w1, "L1")
        inventory.add_locations(w2, "M1")
        roles = {r.name: r for r in db.session.scalars(sa.select(Role))}
        users = [
            User(
                username=name,
                display_name=name,
                password_hash=support.password_hash(),
                locale="en",
                roles=[roles[role]],
            )
            for name, role in (("race_keeper", "warehouse"), ("race_buyer", "purchaser"))
        ]
        db.session.add_all(users)
        db.session.commit()
        l1, m1 = w1.locations[0].id, w2.locations[0].id
        posting.post_moves(
            [
                posting.MoveLine(RECEIPT, product.id, w1.id, l1, D(6), D(1)),
                posting.MoveLine(RECEIPT, product.id, w2.id, m1, D(6), D(1)),
            ],
            posting.Source("seed"),
        )
        db.session.commit()
        return {"p": product.id, "places": [(w1.id, l1), (w2.id, m1)], "users": [u.id for u in users]}


def test_parallel_deliveries_crossing_the_level_at_once_alert_once(committed_app, race):
    app = committed_app
    start = threading.Barrier(12)
    errors = []

    def deliver(warehouse_id, location_id, n):
        with app.test_request_context("/?lang=en"):
            start.wait()
            line = posting.MoveLine(DELIVERY, race["p"], warehouse_id, location_id, D(-1))
            try:
                run_with_retry(db.session, lambda: posting.post_moves([line], posting.Source("race", n)))
            except Exception as exc:  # noqa: BLE001 - examined below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=deliver, args=(*race["places"][n % 2], n)) for n in range(12)
    ]  # six from each warehouse: 12 → 0, crossing 10 → 9 exactly once
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    with app.app_context():
        got = db.session.execute(
            sa.select(Notification.user_id, Notification.body).where(Notification.kind == lowstock.KIND)
        ).all()
        state = db.session.scalars(sa.select(LowStockAlert).where(LowStockAlert.product_id == race["p"])).all()
    assert sorted(uid for uid, _body in got) == sorted(race["users"])
    assert {body for _uid, body in got} == {"9 available across all warehouses, below the reorder level of 10."}
    assert [(a.scope, a.available) for a in state] == [("", D(9))]
