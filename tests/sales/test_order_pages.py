"""Sales order and delivery pages as people use them: converting an accepted quotation, typing an
order, confirming it, delivering from the suggested locations, posting once however often the
button is pressed, cancelling, the backorder list, the printed documents, and nobody reaching an
order or delivery outside their scope — by any URL."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.inventory.models import StockLevel
from app.sales import quotations as qs
from app.sales.models import Delivery, DeliveryStatus, OrderStatus, Quotation, SalesOrder
from tests.sales.test_quotation_pdf import pdf_text
from tests.support import html, new_once

D = Decimal


def _client(app, user):
    client = app.test_client()
    assert client.login(user.username).status_code == 302
    client.user = user
    return client


@pytest.fixture
def people(app, shop):
    return {name: _client(app, shop[name]) for name in ("seller", "rival", "keeper", "boss")}


@pytest.fixture
def accepted(shop, create_quotation, service_as):
    seller = shop["seller"].id
    qid = create_quotation(shop["customer"], seller, [(shop["p6204"], 50, 19.5), (shop["p22220"], 6, 880)])
    for step in (lambda q: qs.submit_quotation(q, actor_id=seller), qs.mark_sent, qs.mark_accepted):
        service_as(seller, qid, step)
    return qid


def _redirect_id(response, pattern: str) -> int:
    assert response.status_code in (302, 303), (
        response.status_code,
        re.findall(r"invalid-feedback d-block\">(.*?)<", html(response)),
    )
    match = re.search(pattern, response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _convert_form(app, quotation_id, quantities, warehouse_id):
    with app.app_context():
        lines = db.session.get(Quotation, quotation_id).lines
        data = {"warehouse_id": str(warehouse_id), "customer_reference": "PO-991", "delivery_date": ""}
        for i, (line, qty) in enumerate(zip(lines, quantities, strict=True)):
            data[f"lines-{i}-quotation_line_id"] = str(line.id)
            data[f"lines-{i}-quantity"] = qty
        return data


def _order_from(app, people, shop, accepted, quantities=("50", "6")) -> int:
    seller = people["seller"]
    url = f"/quotations/{accepted}/order"
    response = seller.submit(url, _convert_form(app, accepted, quantities, shop["warehouse"]), token_from=url)
    return _redirect_id(response, r"/sales-orders/(\d+)$")


def _confirm(people, order_id):
    return people["boss"].submit(
        f"/sales-orders/{order_id}/confirm", {"version_id": ""}, token_from=f"/sales-orders/{order_id}"
    )


def test_an_accepted_quotation_is_ordered_line_by_line_from_its_page(app, shop, people, accepted):
    seller = people["seller"]
    page = html(seller.get(f"/quotations/{accepted}"))
    assert 'id="quotation-order"' in page
    form = html(seller.get(f"/quotations/{accepted}/order"))
    assert "data-convert-lines" in form and "6204-2RS" in form
    # Asking for more than was quoted is marked on that line, and the typed values stay.
    url = f"/quotations/{accepted}/order"
    response = seller.submit(url, _convert_form(app, accepted, ("70", "6"), shop["warehouse"]), token_from=url)
    page = html(response)
    assert response.status_code == 200 and "At most 50 is left to order of this line." in page
    assert 'value="70"' in page and 'value="PO-991"' in page
    order_id = _order_from(app, people, shop, accepted, ("30", ""))
    detail = html(seller.get(f"/sales-orders/{order_id}"))
    assert "PO-991" in detail and "data-quotation-link" in detail
    assert detail.count("data-order-line=") == 1  # only the line given a quantity
    # The quotation lists its order.
    assert "data-quotation-orders" in html(seller.get(f"/quotations/{accepted}"))


def test_an_order_typed_in_is_saved_with_the_salesperson_locked_to_yourself(app, shop, people):
    seller = people["seller"]
    data = {
        "customer_id": str(shop["customer"]),
        "warehouse_id": str(shop["warehouse"]),
        "salesperson_id": str(shop["rival"].id),  # ignored: the seller may not sell for others
        "tax_rate": "13",
        "prices_include_tax": "y",
        "lines-0-product_id": str(shop["p6204"]),
        "lines-0-customer_part_no": "ZC-001",
        "lines-0-quantity": "12",
        "lines-0-unit_price": "20",
        "lines-1-product_id": "",
        "lines-1-quantity": "-3",
        "lines-1-unit_price": "",
    }
    bad = seller.submit("/sales-orders/new", data, token_from="/sales-orders/new")
    assert bad.status_code == 200 and "Enter a number of at least 0" in html(bad)
    del data["lines-1-quantity"]
    order_id = _redirect_id(
        seller.submit("/sales-orders/new", data, token_from="/sales-orders/new"), r"/sales-orders/(\d+)$"
    )
    with app.app_context():
        order = db.session.get(SalesOrder, order_id)
        assert order.salesperson_id == shop["seller"].id and order.status == OrderStatus.DRAFT
        assert order.lines[0].customer_part_no == "ZC-001" and order.total_gross == D("240.00")


def test_confirming_shows_what_is_reserved_and_short(app, shop, people, accepted):
    order_id = _order_from(app, people, shop, accepted)
    response = _confirm(people, order_id)
    assert response.status_code == 302
    page = html(people["boss"].get(f"/sales-orders/{order_id}"))
    assert "some lines are short of stock" in page
    assert "data-shortages" in page and "2 short" in page  # 22220E: 6 ordered, 4 in stock


class _FormReader(HTMLParser):
    """The fields of the page's delivery form with the values the page put in them."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name") or ""
        if tag == "input" and name.startswith("lines-"):
            self.data[name] = a.get("value") or ""
        elif tag == "select" and name.startswith("lines-"):
            self._select = name
            self.data[name] = ""
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _delivery_form(page: str) -> dict:
    """The delivery form as the page fills it: every field with its suggested value."""
    reader = _FormReader()
    reader.feed(page.split('id="delivery-form"', 1)[1])
    return reader.data | {"carrier": "顺丰", "tracking_no": "SF123", "note": ""}


def _new_delivery(people, order_id, change=None) -> int:
    keeper = people["keeper"]
    url = f"/sales-orders/{order_id}/deliveries/new"
    page = html(keeper.get(url))
    data = _delivery_form(page)
    if change:
        change(data)
    return _redirect_id(keeper.submit(url, data, token_from=url), r"/deliveries/(\d+)$")


def _post(client, delivery_id, once=None):
    return client.submit(
        f"/deliveries/{delivery_id}/post", {"version_id": ""}, once=once, token_from=f"/deliveries/{delivery_id}"
    )


def _level(app, product_id, warehouse_id):
    with app.app_context():
        row = db.session.scalar(
            sa.select(StockLevel).where(StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id)
        )
        return row.on_hand, row.reserved


def test_a_delivery_is_prefilled_posted_once_and_leaves_a_backorder(app, shop, people, accepted):
    order_id = _order_from(app, people, shop, accepted)
    _confirm(people, order_id)
    page = html(people["keeper"].get(f"/sales-orders/{order_id}/deliveries/new"))
    assert "B-01" in page and "(100 here)" in page  # a location holding enough 6204-2RS
    delivery_id = _new_delivery(people, order_id)
    once = new_once()
    first = _post(people["keeper"], delivery_id, once)
    again = _post(people["keeper"], delivery_id, once)  # a double click: the same form twice
    assert first.status_code == 302 and again.status_code in (302, 303)
    assert again.headers["Location"] == first.headers["Location"]
    assert _level(app, shop["p6204"], shop["warehouse"]) == (D(80), D(0))
    assert _level(app, shop["p22220"], shop["warehouse"]) == (D(0), D(0))
    with app.app_context():
        assert db.session.get(SalesOrder, order_id).status == OrderStatus.PARTIAL
    backorders = html(people["seller"].get("/sales-orders/backorders"))
    assert "22220E" in backorders and "6204-2RS" not in backorders
    detail = html(people["keeper"].get(f"/deliveries/{delivery_id}"))
    assert 'data-status="posted"' in detail and 'id="delivery-cancel"' not in detail  # keeper may not cancel
    # The ledger links the moves to the delivery.
    ledger = html(people["boss"].get(f"/inventory/products/{shop['p6204']}/ledger"))
    assert f'href="/deliveries/{delivery_id}"' in ledger


def test_a_second_post_of_the_same_delivery_is_refused_with_a_message(app, shop, people, accepted):
    order_id = _order_from(app, people, shop, accepted)
    _confirm(people, order_id)
    delivery_id = _new_delivery(people, order_id)
    _post(people["keeper"], delivery_id)
    second = _post(people["boss"], delivery_id)  # someone else, from a page opened before
    assert second.status_code == 302
    page = html(people["boss"].get(second.headers["Location"]))
    assert "is posted already" in page
    assert _level(app, shop["p6204"], shop["warehouse"]) == (D(80), D(0))


def test_cancelling_a_delivery_from_its_page_restores_stock_and_reservations(app, shop, people, accepted):
    order_id = _order_from(app, people, shop, accepted)
    _confirm(people, order_id)
    delivery_id = _new_delivery(people, order_id)
    _post(people["keeper"], delivery_id)
    boss = people["boss"]
    response = boss.submit(
        f"/deliveries/{delivery_id}/cancel", {"version_id": ""}, token_from=f"/deliveries/{delivery_id}"
    )
    assert response.status_code == 302
    assert _level(app, shop["p6204"], shop["warehouse"]) == (D(130), D(50))
    with app.app_context():
        assert db.session.get(Delivery, delivery_id).status == DeliveryStatus.CANCELLED
        assert db.session.get(SalesOrder, order_id).status == OrderStatus.CONFIRMED


def test_quantities_above_what_is_left_are_marked_on_the_line(app, shop, people, accepted):
    order_id = _order_from(app, people, shop, accepted)
    _confirm(people, order_id)
    url = f"/sales-orders/{order_id}/deliveries/new"
    data = _delivery_form(html(people["keeper"].get(url)))
    data["lines-0-quantity"] = "51"
    response = people["keeper"].submit(url, data, token_from=url)
    page = html(response)
    assert response.status_code == 200 and "More than is left to deliver of SKF 6204-2RS: 50." in page
    assert 'value="51"' in page


def test_orders_and_deliveries_of_others_are_not_found_by_any_url(
    app, shop, people, accepted, create_user, create_role
):
    order_id = _order_from(app, people, shop, accepted)
    _confirm(people, order_id)
    delivery_id = _new_delivery(people, order_id)
    rival = people["rival"]
    for url in (
        f"/sales-orders/{order_id}",
        f"/sales-orders/{order_id}.pdf",
        f"/sales-orders/{order_id}/print",
        f"/deliveries/{delivery_id}",
        f"/deliveries/{delivery_id}.pdf",
        f"/deliveries/{delivery_id}/print",
        f"/deliveries/{delivery_id}/picking.pdf",
    ):
        assert rival.get(url).status_code == 404, url
    assert 'data-list="sales_orders"' not in html(rival.get("/sales-orders/"))  # nothing listed
    exporter = create_role(
        "own_order_exporter", ["sales_orders.view", "sales_orders.export", "deliveries.view", "deliveries.export"]
    )
    other = _client(app, create_user("exporter", [exporter]))
    assert other.get("/sales-orders/export.csv").get_data(as_text=True).count("\n") == 1  # the header only
    assert other.get("/deliveries/export.csv").get_data(as_text=True).count("\n") == 1
    # A keeper limited to another warehouse does not see this warehouse's delivery.
    from app.inventory import scope as inventory_scope
    from app.inventory import services as inventory

    other_keeper = create_user("keeper_wx", ["warehouse"])
    with app.app_context():
        elsewhere = inventory.create_warehouse(inventory.WarehouseData(code="WX", name="无锡"))
        db.session.flush()
        inventory_scope.set_user_warehouses(other_keeper.id, {elsewhere.id})
        db.session.commit()
    limited = _client(app, other_keeper)
    assert limited.get(f"/deliveries/{delivery_id}").status_code == 404
    assert limited.get(f"/sales-orders/{order_id}/deliveries/new").status_code == 404


@pytest.mark.once
def test_the_printed_documents_speak_the_customers_language(app, shop, people, accepted):
    order_id = _order_from(app, people, shop, accepted)
    _confirm(people, order_id)
    delivery_id = _new_delivery(people, order_id)
    seller, keeper = people["seller"], people["keeper"]
    confirmation = pdf_text(seller.get(f"/sales-orders/{order_id}.pdf").data)
    assert "订单确认书" in confirmation and "宁波甬达机电设备有限公司" in confirmation and "PO-991" in confirmation
    english = pdf_text(seller.get(f"/sales-orders/{order_id}.pdf?doc_lang=en").data)
    assert "Orderconfirmation" in english.replace(" ", "") and "Your order no." in english
    note = pdf_text(keeper.get(f"/deliveries/{delivery_id}.pdf").data)
    assert "送货单" in note and "SKF 6204-2RS" in note and "签收" in note
    picking = pdf_text(keeper.get(f"/deliveries/{delivery_id}/picking.pdf?doc_lang=en").data)
    assert "Pickinglist" in picking.replace(" ", "")
    # Lines in walking order: A-02 (22220E) before B-01 (6204-2RS).
    assert picking.index("A-02") < picking.index("B-01")
    print_page = html(keeper.get(f"/deliveries/{delivery_id}/print"))
    assert "data-print" in print_page and "送货单" in print_page


def test_the_customer_page_lists_its_orders_and_deliveries(app, shop, people, accepted):
    order_id = _order_from(app, people, shop, accepted)
    _confirm(people, order_id)
    _new_delivery(people, order_id)
    page = html(people["seller"].get(f"/customers/{shop['customer']}"))
    assert (
        'data-panel="quotations"' in page and 'data-panel="sales_orders"' in page and 'data-panel="deliveries"' in page
    )
    assert "SO2026-" in page and "DN2026-" in page


def test_a_customer_with_an_open_order_is_not_deleted(app, shop, people, accepted):
    order_id = _order_from(app, people, shop, accepted)
    _confirm(people, order_id)
    boss = people["boss"]
    response = boss.submit(f"/customers/{shop['customer']}/delete", {}, token_from=f"/customers/{shop['customer']}")
    page = html(boss.get(response.headers["Location"])) if response.status_code == 302 else html(response)
    assert "open sales orders" in page


def test_the_order_list_filters_by_backorder_and_exports(app, shop, people, accepted):
    order_id = _order_from(app, people, shop, accepted)
    _confirm(people, order_id)
    seller = people["seller"]
    assert 'data-list="sales_orders"' not in html(seller.get("/sales-orders/?backorder=yes"))  # the empty state
    delivery_id = _new_delivery(people, order_id)
    _post(people["keeper"], delivery_id)
    assert 'data-list="sales_orders"' in html(seller.get("/sales-orders/?backorder=yes"))
    export = people["boss"].get("/sales-orders/export.csv?status=partially_delivered&lang=en").get_data(as_text=True)
    assert "PO-991" in export and "Partially delivered" in export


def test_two_people_editing_one_draft_order_do_not_overwrite_each_other(app, shop, people, accepted):
    order_id = _order_from(app, people, shop, accepted)
    url = f"/sales-orders/{order_id}/edit"
    seller, boss = people["seller"], people["boss"]
    mine = _FormReader()
    mine.feed(html(seller.get(url)))
    version = re.search(r'name="version_id" type="hidden" value="(\d+)"', html(seller.get(url))).group(1)
    with app.app_context():
        order = db.session.get(SalesOrder, order_id)
        base = {
            "customer_id": str(order.customer_id),
            "warehouse_id": str(order.warehouse_id),
            "tax_rate": "13",
            "prices_include_tax": "y",
            "version_id": version,
        }
    lines = {k: v for k, v in mine.data.items() if k.startswith("lines-")}
    first = boss.submit(url, base | lines | {"note": "boss was here"}, token_from=url)
    assert first.status_code == 302
    second = seller.submit(url, base | lines | {"note": "mine"}, token_from=url)
    page = html(second)
    assert second.status_code == 200 and "data-conflict" in page and "boss was here" in page
    with app.app_context():
        assert db.session.get(SalesOrder, order_id).note == "boss was here"


# --- live: the keeper hears of an order to deliver, and the dashboards count it ------------------


def test_a_confirmed_order_reaches_the_keepers_page_and_dashboard_at_once(app, shop, people, accepted):
    keeper = people["keeper"]
    sio = app.extensions["socketio"].test_client(app, flask_test_client=keeper)
    try:
        sio.get_received()
        before = sio.emit("sync", {"work": True}, callback=True)["work"]
        assert before.get("orders_to_deliver", 0) == 0
        order_id = _order_from(app, people, shop, accepted)
        _confirm(people, order_id)
        received = sio.get_received()
        notes = [m["args"][0] for m in received if m["name"] == "notification"]
        assert notes and "to deliver from SH" in notes[0]["notification"]["title"]
        assert {"items": ["backorders", "orders_to_deliver"]} in [m["args"][0] for m in received if m["name"] == "work"]
        after = sio.emit("sync", {"work": True}, callback=True)["work"]
        assert after["orders_to_deliver"] == 1
    finally:
        sio.disconnect()
    # The count is the list it links to.
    dashboard = html(keeper.get("/?lang=en"))
    link = re.search(r'href="(/sales-orders/\?[^"]*deliverable[^"]*)"', dashboard).group(1).replace("&amp;", "&")
    listed = html(keeper.get(link))
    assert listed.count('data-list="sales_orders"') == 1 and f'href="/sales-orders/{order_id}"' in listed


def test_a_posted_delivery_tells_the_salesperson(app, shop, people, accepted):
    from tests.notifications.test_live import _events

    order_id = _order_from(app, people, shop, accepted)
    _confirm(people, order_id)
    sio = app.extensions["socketio"].test_client(app, flask_test_client=people["seller"])
    try:
        sio.get_received()
        delivery_id = _new_delivery(people, order_id)
        _post(people["keeper"], delivery_id)
        titles = [n["notification"]["title"] for n in _events(sio, "notification")]
        assert any("shipped to 宁波甬达机电设备有限公司" in t for t in titles)
        work = sio.emit("sync", {"work": True}, callback=True)["work"]
        assert work["backorders"] == 1  # 22220E: 2 still to deliver
    finally:
        sio.disconnect()
