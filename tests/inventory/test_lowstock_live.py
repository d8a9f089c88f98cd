"""Low stock on live pages: the dashboard's count of products below their reorder level is the
stock list's "below reorder level" view counted (within the user's warehouses), and open dashboards
of everyone who sees stock are told to recount when a product crosses its level."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from app.extensions import db
from app.inventory import posting
from app.inventory.models import MoveType
from tests.support import html

D = Decimal


def post(app, *lines):
    with app.test_request_context("/?lang=en"):
        posting.post_moves(
            [posting.MoveLine(k, p, w, loc, D(q), D(1)) for k, p, w, loc, q in lines],
            posting.Source("test", 1, "T-1"),
        )
        db.session.commit()


def low_count(client) -> tuple[int, str]:
    page = html(client.get("/"))
    match = re.search(r'href="([^"]+)" data-work-item="low_stock" data-count="(\d+)"', page)
    assert match, "no low-stock count on the dashboard"
    return int(match.group(2)), match.group(1).replace("&amp;", "&")


@pytest.fixture
def world(app, create_warehouse, create_product, login):
    sh1, sh1_locs = create_warehouse("SH1", "A-01")
    wx1, wx1_locs = create_warehouse("WX1", "R-01")
    bearing = create_product("NU2208", reorder_level=D(10))
    seal = create_product("6205-ZZ", reorder_level=D(5))
    post(
        app,
        (MoveType.RECEIPT, bearing.id, sh1, sh1_locs["A-01"], "15"),
        (MoveType.RECEIPT, seal.id, sh1, sh1_locs["A-01"], "8"),
        (MoveType.RECEIPT, seal.id, wx1, wx1_locs["R-01"], "3"),  # low in WX1 alone, not in all
    )
    return {"sh1": sh1, "a01": sh1_locs["A-01"], "wx1": wx1, "bearing": bearing.id, "seal": seal.id}


def test_the_count_is_what_the_below_reorder_level_list_shows(app, world, login):
    keeper = login("warehouse")
    assert low_count(keeper) == (0, "/inventory/?show=low")
    post(app, (MoveType.DELIVERY, world["bearing"], world["sh1"], world["a01"], "-6"))  # 9 < 10
    count, link = low_count(keeper)
    listed = html(keeper.get(link))
    assert count == 1 and "NU2208" in listed and "6205-ZZ" not in listed
    assert "low_stock" not in html(login("finance").get("/"))  # no stock figures, no count


def test_a_user_limited_to_some_warehouses_counts_their_own_stock_only(app, world, login):
    from app.inventory.scope import set_user_warehouses

    keeper = login("warehouse")
    with app.app_context():
        set_user_warehouses(keeper.user.id, {world["wx1"]})
        db.session.commit()
    # In WX1 the seal has 3 (level 5) and the bearing none (level 10); the company has enough of both.
    assert low_count(keeper)[0] == 2
    assert low_count(login("warehouse"))[0] == 0


def test_a_crossing_tells_open_dashboards_of_stock_viewers_to_recount(app, world, login):
    keeper, seller, finance = login("warehouse"), login("sales"), login("finance")
    pages = {}
    for name, client in (("keeper", keeper), ("seller", seller), ("finance", finance)):
        pages[name] = app.extensions["socketio"].test_client(app, flask_test_client=client)
        pages[name].get_received()

    post(app, (MoveType.DELIVERY, world["bearing"], world["sh1"], world["a01"], "-2"))  # 13 left: no crossing
    assert all(not [m for m in p.get_received() if m["name"] == "work"] for p in pages.values())

    post(app, (MoveType.DELIVERY, world["bearing"], world["sh1"], world["a01"], "-4"))  # 9 < 10
    for name in ("keeper", "seller"):  # both see stock (inventory.view)
        work = [m["args"][0] for m in pages[name].get_received() if m["name"] == "work"]
        assert work == [{"items": ["low_stock"]}], name
        assert pages[name].emit("sync", {"work": True}, callback=True)["work"]["low_stock"] == 1
    assert [m for m in pages["finance"].get_received() if m["name"] == "work"] == []
    for page in pages.values():
        page.disconnect()
