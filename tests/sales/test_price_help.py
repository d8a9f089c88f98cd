"""Price help for quotation lines (GET /api/sales/price-help): the last five prices quoted to one
customer for one product, from quotations the user may see; cost and margins only with
products.view_cost; 404 for a customer outside the user's scope or a missing product; and the
partial the quotation editor includes."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from app.core.money import margin_percent
from tests.sales.test_lookup import client_for, offer, receive  # noqa: F401  (offer is a fixture)

D = Decimal
COST_KEYS = {"avg_cost", "avg_cost_text", "last_purchase_price", "last_purchase_price_text", "margin_percent"}


@pytest.fixture
def help_world(app, create_user, create_customer, create_product, create_warehouse, offer):  # noqa: F811
    alice = create_user("alice", ["sales"])
    bob = create_user("bob", ["sales"])
    manager = create_user("boss", ["manager"])
    cust_a = create_customer("Alpha Trading", owner=alice.id)
    cust_a2 = create_customer("Alpha Two", owner=alice.id)
    cust_b = create_customer("Beta Machinery", owner=bob.id)
    bearing = create_product("6204-2RS", list_price=D("40.00"))
    other = create_product("6205", list_price=D("50.00"))
    warehouse, locations = create_warehouse("SH1", "A-01")
    receive(app, bearing.id, warehouse, locations["A-01"], "10", "20")
    p = bearing.id
    prices = ["30.01", "30.02", "30.03", "30.04", "30.05", "30.06"]
    for price in prices:
        offer(cust_a.id, alice.id, [(p, 5, price, 2)])
    offer(cust_a.id, alice.id, [(p, 5, "29.99")], status="draft")
    offer(cust_a.id, alice.id, [(p, 5, "28.88")], status="cancelled")
    offer(cust_a.id, alice.id, [(other.id, 5, "45.45")])  # another product
    offer(cust_a2.id, alice.id, [(p, 5, "35.35")])  # another customer
    offer(cust_a.id, bob.id, [(p, 5, "27.77")])  # Bob's, to Alice's customer
    offer(cust_b.id, bob.id, [(p, 5, "26.66")])
    return {
        "alice": alice,
        "bob": bob,
        "manager": manager,
        "cust_a": cust_a,
        "cust_b": cust_b,
        "bearing": bearing,
    }


def help_for(client, product_id, customer_id):
    return client.get(f"/api/sales/price-help?product_id={product_id}&customer_id={customer_id}")


def test_the_last_five_prices_for_this_customer_and_product(app, help_world):
    w = help_world
    response = help_for(client_for(app, w["alice"]), w["bearing"].id, w["cust_a"].id)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    data = response.get_json()
    assert data["list_price"] == "40"
    assert data["customer"]["name"] == "Alpha Trading"
    assert [row["unit_price"] for row in data["history"]] == ["30.06", "30.05", "30.04", "30.03", "30.02"]
    row = data["history"][0]
    assert row["discount_percent"] == "2"
    assert row["quantity"] == "5"
    # 30.06 less 2 % = 29.4588 incl. 13 % tax → 26.0697 net.
    assert row["net_unit_price"] == "26.0697"
    assert row["number"].startswith("QT")
    assert row["url"] == f"/quotations/{row['url'].rsplit('/', 1)[1]}"
    assert row["status"] == "sent"


def test_only_offered_quotations_the_user_may_see(app, help_world):
    w = help_world
    text = help_for(client_for(app, w["alice"]), w["bearing"].id, w["cust_a"].id).get_data(as_text=True)
    for hidden in ("29.99", "28.88", "45.45", "35.35", "27.77", "26.66"):
        assert hidden not in text, hidden
    # A manager sees Bob's quotation to Alice's customer too, but never drafts or cancelled ones.
    text = help_for(client_for(app, w["manager"]), w["bearing"].id, w["cust_a"].id).get_data(as_text=True)
    assert "27.77" in text
    assert "29.99" not in text and "28.88" not in text


def test_no_cost_field_without_view_cost(app, help_world):
    w = help_world
    data = help_for(client_for(app, w["alice"]), w["bearing"].id, w["cust_a"].id).get_json()
    assert data["history"]
    assert not COST_KEYS & set(data)
    for row in data["history"]:
        assert not COST_KEYS & set(row)
    text = json.dumps(data)
    assert "cost" not in text and "margin" not in text and "purchase" not in text


def test_cost_and_margin_of_each_price_with_view_cost(app, help_world):
    w = help_world
    data = help_for(client_for(app, w["manager"]), w["bearing"].id, w["cust_a"].id).get_json()
    assert data["avg_cost"] == "20"
    assert data["last_purchase_price"] == "20"
    assert data["history"]
    for row in data["history"]:
        assert D(row["margin_percent"]) == margin_percent(D(row["net_unit_price"]), D("20"))


def test_a_customer_outside_the_scope_is_404(app, help_world):
    w = help_world
    client = client_for(app, w["alice"])
    assert help_for(client, w["bearing"].id, w["cust_b"].id).status_code == 404
    assert help_for(client, w["bearing"].id, 999999).status_code == 404
    assert client.get(f"/api/sales/price-help?product_id={w['bearing'].id}").status_code == 404
    # Bob may ask about his own customer.
    assert help_for(client_for(app, w["bob"]), w["bearing"].id, w["cust_b"].id).status_code == 200


def test_a_missing_product_is_404(app, help_world):
    w = help_world
    client = client_for(app, w["alice"])
    assert help_for(client, 999999, w["cust_a"].id).status_code == 404
    assert client.get(f"/api/sales/price-help?customer_id={w['cust_a'].id}").status_code == 404
    assert help_for(client, "abc", w["cust_a"].id).status_code == 404


@pytest.mark.parametrize("roles", [["warehouse"], ["purchaser"], ["finance"]])
def test_without_quotations_edit_it_is_forbidden(app, help_world, create_user, roles):
    w = help_world
    client = client_for(app, create_user(None, roles))
    assert help_for(client, w["bearing"].id, w["cust_a"].id).status_code == 403


def test_never_quoted_gives_an_empty_history(app, help_world, create_product):
    w = help_world
    fresh = create_product("6206")
    data = help_for(client_for(app, w["alice"]), fresh.id, w["cust_a"].id).get_json()
    assert data["history"] == []
    assert data["list_price"] == "12.5"


def _render_partial(app, user_id):
    from flask import render_template_string
    from flask_login import login_user

    from app.auth.models import User
    from app.extensions import db

    with app.test_request_context("/?lang=en"):
        login_user(db.session.get(User, user_id))
        return render_template_string('{% include "sales/_price_help.html" %}')


def test_the_editor_partial_carries_the_url_and_the_texts(app, help_world, create_user):
    text = _render_partial(app, help_world["alice"].id)
    assert 'data-url="/api/sales/price-help"' in text
    assert "js/price_help.js" in text
    texts = json.loads(text.split("data-texts='", 1)[1].split("'", 1)[0])
    assert texts["never"] == "Never quoted to this customer."
    assert texts["discount"] == "Discount %"
    # Nothing for someone who cannot edit quotations.
    assert _render_partial(app, create_user("keeper", ["warehouse"]).id).strip() == ""
