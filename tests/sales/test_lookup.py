"""Model lookup (价格查询): finding a model as people type it, stock in the user's warehouses only,
the prices last quoted — only offered quotations, only those the user may see, cost and margin
only with products.view_cost — and the way in from the menu and the navbar's quick find."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from app.inventory import posting
from app.inventory.models import MoveType
from tests.support import html

D = Decimal


def receive(app, product_id, warehouse_id, location_id, qty, cost):
    from app.extensions import db

    with app.test_request_context("/?lang=en"):
        posting.post_moves(
            [posting.MoveLine(MoveType.RECEIPT, product_id, warehouse_id, location_id, D(qty), D(cost))],
            posting.Source("test", 1, "T-1"),
        )
        db.session.commit()


def reserve(app, product_id, warehouse_id, qty):
    from app.extensions import db

    with app.test_request_context("/?lang=en"):
        posting.reserve(
            posting.Source("sales_order", 1, "SO-1"), [posting.ReserveLine(product_id, warehouse_id, 1, D(qty))]
        )
        db.session.commit()


def limit_to(app, user_id, *warehouse_ids):
    from app.extensions import db
    from app.inventory.scope import set_user_warehouses

    with app.app_context():
        set_user_warehouses(user_id, set(warehouse_ids))
        db.session.commit()


@pytest.fixture
def offer(app, create_quotation, create_user):
    """Create a quotation and move it to ``status`` through the services (approved by someone else
    when the salesperson's limits ask for it); returns its id."""
    from app.core.db import acting_as
    from app.extensions import db
    from app.sales import quotations as q
    from app.sales.models import Quotation, QuotationStatus

    approver = create_user("approver", ["manager"])

    def factory(customer_id, salesperson_id, lines, status="sent", **header) -> int:
        quotation_id = create_quotation(customer_id, salesperson_id, lines, **header)
        if status == "draft":
            return quotation_id
        with app.test_request_context("/?lang=en"), acting_as(salesperson_id):
            quotation = db.session.get(Quotation, quotation_id)
            if status == "pending_approval":
                quotation.status = QuotationStatus.PENDING.value  # whatever the limits say
            elif q.submit_quotation(quotation, actor_id=salesperson_id) == QuotationStatus.PENDING:
                with acting_as(approver.id):
                    q.approve_quotation(quotation, actor_id=approver.id)
            if status in ("sent", "accepted", "rejected", "expired"):
                q.mark_sent(quotation)
            if status == "accepted":
                q.mark_accepted(quotation)
            elif status == "rejected":
                q.mark_rejected(quotation, reason="Too dear")
            elif status == "cancelled":
                q.cancel_quotation(quotation)
            elif status == "expired":
                quotation.valid_until = q.company_today() - timedelta(days=1)
            db.session.commit()
        return quotation_id

    return factory


@pytest.fixture
def world(app, create_user, create_customer, create_product, create_warehouse, offer):
    """Two salespeople with a customer each, a manager, SKF 6204-2RS in two warehouses, and
    quotations whose unit prices tell them apart in the page."""
    alice = create_user("alice", ["sales"])
    bob = create_user("bob", ["sales"])
    manager = create_user("boss", ["manager"])
    cust_a = create_customer("Alpha Trading", owner=alice.id)
    cust_b = create_customer("Beta Machinery", owner=bob.id)
    bearing = create_product("6204-2RS", list_price=D("40.00"))
    other = create_product("6204-ZZ", list_price=D("35.00"))
    sh1, sh1_locs = create_warehouse("SH1", "A-01\nA-02")
    wx1, wx1_locs = create_warehouse("WX1", "R-01")
    receive(app, bearing.id, sh1, sh1_locs["A-01"], "10", "20")
    receive(app, bearing.id, wx1, wx1_locs["R-01"], "5", "30")
    reserve(app, bearing.id, sh1, "4")
    p = bearing.id
    quotes = {
        "alice_sent": offer(cust_a.id, alice.id, [(p, 10, "31.11")]),
        "alice_draft": offer(cust_a.id, alice.id, [(p, 10, "29.99")], status="draft"),
        "alice_cancelled": offer(cust_a.id, alice.id, [(p, 10, "28.88")], status="cancelled"),
        "alice_pending": offer(cust_a.id, alice.id, [(p, 10, "25.55")], status="pending_approval"),
        "bob_sent": offer(cust_b.id, bob.id, [(p, 20, "27.77")]),
        # Alice's own quotation, to a customer she may not see: hidden from her all the same.
        "alice_to_bobs_customer": offer(cust_b.id, alice.id, [(p, 30, "26.66")]),
        # Bob's quotation to Alice's customer: hidden from Alice, whose scope is her own quotations.
        "bob_to_alices_customer": offer(cust_a.id, bob.id, [(p, 40, "24.44")]),
    }
    return {
        "alice": alice,
        "bob": bob,
        "manager": manager,
        "cust_a": cust_a,
        "cust_b": cust_b,
        "bearing": bearing,
        "other": other,
        "sh1": sh1,
        "wx1": wx1,
        "quotes": quotes,
    }


def client_for(app, user):
    client = app.test_client()
    assert client.login(user.username).status_code == 302
    client.user = user
    return client


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return html(response)


def chosen_product(text) -> int | None:
    match = re.search(r'id="lookup-product" data-product="(\d+)"', text)
    return int(match.group(1)) if match else None


# --- finding the model --------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["62042rs", "6204 2RS", "6204-2rs", "ＳＫＦ ６２０４－２ＲＳ", "skf 62042RS"])
def test_lookup_finds_the_model_however_it_is_typed(app, world, typed):
    text = page(client_for(app, world["alice"]), f"/sales/lookup?q={typed}")
    assert chosen_product(text) == world["bearing"].id
    assert "6204-2RS" in text
    # The exact model is chosen; the longer ones it starts are offered beside it.
    assert "data-matches" not in text


def test_a_model_prefix_lists_the_products_to_choose_from(app, world):
    text = page(client_for(app, world["alice"]), "/sales/lookup?q=6204")
    assert chosen_product(text) is None
    assert f'data-match="{world["bearing"].id}"' in text
    assert f'data-match="{world["other"].id}"' in text
    assert f"/sales/lookup/{world['bearing'].id}?q=6204" in text


def test_the_same_model_of_two_brands_lists_both(app, world, create_product):
    nsk = create_product("6204-2RS", brand="NSK")
    text = page(client_for(app, world["alice"]), "/sales/lookup?q=62042rs")
    assert chosen_product(text) is None
    assert f'data-match="{world["bearing"].id}"' in text
    assert f'data-match="{nsk.id}"' in text
    # Naming the brand decides.
    assert chosen_product(page(client_for(app, world["alice"]), "/sales/lookup?q=NSK 6204-2RS")) == nsk.id


def test_one_match_opens_its_page(app, world):
    text = page(client_for(app, world["alice"]), "/sales/lookup?q=6204Z")
    assert chosen_product(text) == world["other"].id


def test_no_match_and_no_query_show_empty_states(app, world):
    client = client_for(app, world["alice"])
    text = page(client, "/sales/lookup?q=XYZ99999")
    assert "No product matches XYZ99999." in text and "data-empty-state" in text
    text = page(client, "/sales/lookup")
    assert "Type a model to see its stock" in text
    assert 'name="q"' in text


def test_unknown_product_id_is_404(app, world):
    assert client_for(app, world["alice"]).get("/sales/lookup/999999").status_code == 404


def test_product_page_shows_the_facts(app, world):
    text = page(client_for(app, world["alice"]), f"/sales/lookup/{world['bearing'].id}")
    assert "SKF" in text and "Deep groove ball bearing" in text and "深沟球轴承" in text
    assert re.search(r"data-list-price><strong>40\.00</strong>", text)


# --- stock --------------------------------------------------------------------------------------


def _stock_rows(text):
    return dict(re.findall(r'data-warehouse="(\w+)">.*?<strong>([\d.,]+)</strong>', text, re.S))


def test_stock_covers_only_the_users_warehouses(app, world):
    limit_to(app, world["alice"].id, world["sh1"])
    text = page(client_for(app, world["alice"]), f"/sales/lookup/{world['bearing'].id}")
    assert _stock_rows(text) == {"SH1": "10"}
    assert 'data-location="SH1/A-01"' in text
    assert "WX1" not in text
    # Reserved and available of SH1: 4 and 6.
    row = re.search(r'data-warehouse="SH1">(.*?)</tr>', text, re.S).group(1)
    assert re.findall(r'app-num">(?:<strong>)?([\d.,]+)', row) == ["10", "4", "6"]


def test_stock_of_every_warehouse_for_an_unlimited_user(app, world):
    text = page(client_for(app, world["manager"]), f"/sales/lookup/{world['bearing'].id}")
    assert _stock_rows(text) == {"SH1": "10", "WX1": "5"}


def test_no_stock_panel_without_inventory_view(app, world, create_role, create_user):
    role = create_role(permissions=["products.view", "quotations.view"])
    user = create_user("viewer", [role])
    text = page(client_for(app, user), f"/sales/lookup/{world['bearing'].id}")
    assert 'data-panel="stock"' not in text
    assert 'data-panel="price-history"' in text


# --- the prices last quoted ---------------------------------------------------------------------


def test_a_salesperson_sees_only_own_quotations_to_own_customers(app, world):
    text = page(client_for(app, world["alice"]), f"/sales/lookup/{world['bearing'].id}")
    assert "31.11" in text and "Alpha Trading" in text
    for hidden in ("27.77", "26.66", "24.44", "Beta Machinery"):
        assert hidden not in text, hidden


def test_a_manager_sees_every_customer_and_quotation(app, world):
    text = page(client_for(app, world["manager"]), f"/sales/lookup/{world['bearing'].id}")
    for shown in ("31.11", "27.77", "26.66", "24.44", "Alpha Trading", "Beta Machinery"):
        assert shown in text, shown


def test_drafts_pending_and_cancelled_quotations_never_appear(app, world):
    for user in (world["alice"], world["manager"]):
        text = page(client_for(app, user), f"/sales/lookup/{world['bearing'].id}")
        for hidden in ("29.99", "28.88", "25.55"):
            assert hidden not in text, hidden


def test_each_row_links_to_its_quotation(app, world):
    from app.extensions import db
    from app.sales.models import Quotation

    with app.app_context():
        number = db.session.get(Quotation, world["quotes"]["alice_sent"]).number
    text = page(client_for(app, world["alice"]), f"/sales/lookup/{world['bearing'].id}")
    assert f'data-document="{number}"' in text
    assert f'href="/quotations/{world["quotes"]["alice_sent"]}">{number}</a>' in text


def test_accepted_rejected_and_expired_quotations_count(app, world, offer):
    a, p = world["cust_a"].id, world["bearing"].id
    offer(a, world["alice"].id, [(p, 1, "33.01")], status="accepted")
    offer(a, world["alice"].id, [(p, 1, "33.02")], status="rejected")
    offer(a, world["alice"].id, [(p, 1, "33.03")], status="expired")
    text = page(client_for(app, world["alice"]), f"/sales/lookup/{world['bearing'].id}")
    for shown in ("33.01", "33.02", "33.03", "Accepted", "Rejected", "Expired"):
        assert shown in text, shown


def test_only_the_latest_prices_of_each_customer(app, world, offer):
    a, p = world["cust_a"].id, world["bearing"].id
    for price in ("32.01", "32.02", "32.03"):
        offer(a, world["alice"].id, [(p, 1, price)])
    text = page(client_for(app, world["alice"]), f"/sales/lookup/{world['bearing'].id}")
    assert text.count("data-price-point") == 3
    assert "31.11" not in text  # the oldest of Alice's four
    assert text.index("32.03") < text.index("32.02") < text.index("32.01")


def test_never_quoted(app, world):
    text = page(client_for(app, world["alice"]), f"/sales/lookup/{world['other'].id}")
    assert "data-never-quoted" in text and "Never quoted to your customers." in text


def test_no_price_history_without_quotations_view(app, world, create_user):
    text = page(client_for(app, create_user("keeper", ["warehouse"])), f"/sales/lookup/{world['bearing'].id}")
    assert 'data-panel="price-history"' not in text
    assert "31.11" not in text
    assert 'data-panel="stock"' in text


# --- cost and margin ----------------------------------------------------------------------------


def test_cost_and_margin_only_with_view_cost(app, world):
    url = f"/sales/lookup/{world['bearing'].id}"
    text = page(client_for(app, world["alice"]), url)
    for secret in ("data-cost", "data-margin", "Margin", "Moving average cost", "Last purchase price", "23.33"):
        assert secret not in text, secret

    text = page(client_for(app, world["manager"]), url)
    # (10 × 20 + 5 × 30) / 15 = 23.3333; last purchase 30.
    assert "Moving average cost" in text and "23.3333" in text
    assert "Last purchase price" in text and "30.00" in text
    # 31.11 incl. 13 % tax → 27.5310 net; (27.5310 − 23.3333) / 27.5310 = 15.25 %.
    row = re.search(r"31\.11.*?</tr>", text, re.S).group(0)
    assert "27.531" in row
    assert re.search(r"data-margin>15\.25 %", row)


def test_margin_needs_a_known_cost(app, world):
    from app.sales.prices import margin_for

    assert margin_for(D("10"), D("0")) is None
    assert margin_for(D("10"), None) is None
    assert margin_for(D("10"), D("8")) == D("20.00")


# --- buttons, menu, navbar, access ---------------------------------------------------------------


def test_add_to_new_quotation_for_those_who_edit_quotations(app, world, create_user):
    url = f"/sales/lookup/{world['bearing'].id}"
    text = page(client_for(app, world["alice"]), url)
    assert f'href="/quotations/new?product_id={world["bearing"].id}" id="lookup-new-quotation"' in text
    text = page(client_for(app, create_user("keeper", ["warehouse"])), url)
    assert "lookup-new-quotation" not in text


def test_the_button_disappears_while_the_editor_does_not_exist(app):
    from app.sales.lookup_views import optional_url

    with app.test_request_context("/"):
        assert optional_url("sales.no_such_page", product_id=1) is None
        assert optional_url("sales.price_lookup", product_id=1) == "/sales/lookup/1"


def test_menu_and_navbar_lead_to_the_lookup(app, world):
    text = page(client_for(app, world["alice"]), "/sales/lookup")
    assert re.search(r'href="/sales/lookup"[^>]*>\s*<i class="bi bi-search"></i><span>Model lookup</span>', text)
    assert 'data-typeahead-go="/sales/lookup/{id}"' in text
    assert 'data-typeahead-enter="/sales/lookup?q={q}"' in text


@pytest.mark.parametrize("role", ["sales", "warehouse", "purchaser", "finance", "manager"])
def test_every_role_with_products_view_may_look_up(app, world, create_user, role):
    response = client_for(app, create_user(None, [role])).get("/sales/lookup?q=6204-2RS")
    assert response.status_code == 200
    assert f'data-product="{world["bearing"].id}"' in html(response)


def test_without_products_view_the_lookup_is_forbidden(app, world, create_role, create_user):
    role = create_role(permissions=["quotations.view", "quotations.edit", "customers.view"])
    client = client_for(app, create_user("nobody", [role]))
    assert client.get("/sales/lookup?q=6204").status_code == 403
    assert client.get(f"/sales/lookup/{world['bearing'].id}").status_code == 403
    assert "Model lookup" not in page(client, "/account/")


def test_visitors_are_sent_to_sign_in(app, client):
    response = client.get("/sales/lookup?q=6204")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_many_quotations_stay_within_the_shown_rows(app, world, offer, create_customer):
    """Sixty customers quoted: fifty are shown, newest first, with a note; the query returns only them."""
    p = world["bearing"].id
    customers = [create_customer(f"Bulk {i:02d}", owner=world["alice"].id) for i in range(60)]
    for customer in customers:
        offer(customer.id, world["alice"].id, [(p, 1, "30.50")])
    text = page(client_for(app, world["alice"]), f"/sales/lookup/{p}")
    assert text.count('class="table-light" data-customer=') == 50
    assert "data-more-customers" in text
    assert "Bulk 59" in text and "Bulk 09" not in text and "Alpha Trading" not in text


def test_history_of_one_customer_counts_sources_through_the_registry(app, world):
    from app.sales import prices

    assert "quotation" in prices._sources
    with app.test_request_context("/?lang=en"):
        from flask_login import login_user

        from app.auth.models import User
        from app.extensions import db

        login_user(db.session.get(User, world["manager"].id))
        history = prices.price_history(
            prices.PriceQuery(world["bearing"].id, customer_id=world["cust_a"].id, per_customer=5, max_customers=1)
        )
        assert [c.customer_name for c in history.customers] == ["Alpha Trading"]
        assert {p.unit_price for p in history.points} == {D("31.11"), D("24.44")}
