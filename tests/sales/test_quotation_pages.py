"""Quotation pages as the sales team uses them: the editor, its errors by row, the workflow
buttons, the approval queue, revisions compared, copies, and own/all scope."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.support import html

D = Decimal


@pytest.fixture
def world(create_customer, create_product, create_user):
    seller = create_user("seller", ["sales"])
    rival = create_user("rival", ["sales"])
    customer = create_customer("上海恒通轴承", owner=seller.id, contacts=[{"name": "王伟"}])
    foreign = create_customer("别人的客户", owner=rival.id)
    p = create_product("6204-2RS", list_price=D("20"))
    q = create_product("NU2208", list_price=D("100"))
    return {"seller": seller, "rival": rival, "customer": customer.id, "foreign": foreign.id, "p": p.id, "q": q.id}


def _lines(*lines) -> dict:
    data = {}
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    return data


def _header(world, **extra) -> dict:
    return {"customer_id": world["customer"], "tax_rate": "13", "prices_include_tax": "y", "valid_until": ""} | extra


def _created(response) -> int:
    assert response.status_code == 302, re.findall(r"invalid-feedback d-block\">(.*?)<", html(response))
    match = re.search(r"/quotations/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _client(app, user):
    client = app.test_client()
    assert client.login(user.username).status_code == 302
    client.user = user
    return client


def test_a_quotation_typed_in_the_editor_is_saved_with_amounts_computed_by_the_server(app, world):
    seller = _client(app, world["seller"])
    data = (
        _header(world)
        | _lines(
            {
                "requested_model": "6204RS",
                "requested_quantity": "100个",
                "product_id": world["p"],
                "quantity": "100",
                "unit_price": "19.5",
                "discount_percent": "",
                "lead_time": "现货",
            },
            {"product_id": world["q"], "quantity": "2", "unit_price": "100", "discount_percent": "5"},
        )
        | {"total_gross": "1.00", "lines-0-amount": "1.00"}
    )  # posted totals are ignored
    qid = _created(seller.submit("/quotations/new", data, token_from="/quotations/new"))
    page = html(seller.get(f"/quotations/{qid}"))
    assert "上海恒通轴承" in page and "6204RS × 100个" in page and "现货" in page
    assert re.search(r"data-total-gross>\s*\D*2,140\.00", page), page  # 1,950.00 + 190.00
    assert "Margin %" not in page  # no products.view_cost for sales


def test_bad_lines_are_marked_by_row_and_everything_typed_stays(app, world):
    seller = _client(app, world["seller"])
    data = _header(world) | _lines(
        {"product_id": world["p"], "quantity": "abc", "unit_price": "10", "note": "keep me"},
        {"product_id": world["q"], "quantity": "1", "unit_price": "-5"},
    )
    response = seller.submit("/quotations/new", data, token_from="/quotations/new")
    page = html(response)
    assert response.status_code == 200 and "Please correct the marked fields." in page
    assert 'name="lines-0-quantity" id="lines-0-quantity" value="abc"' in page
    assert 'value="keep me"' in page and 'value="-5"' in page
    assert page.count("invalid-feedback d-block") >= 2


def test_a_line_without_a_product_is_marked_together_with_the_forms_own_errors(app, world):
    seller = _client(app, world["seller"])
    data = _header(world) | _lines(
        {"product_id": world["p"], "quantity": "1", "unit_price": "-5"},
        {"product_id": "", "quantity": "3", "unit_price": "10"},
    )
    page = html(seller.submit("/quotations/new", data, token_from="/quotations/new"))
    # One save shows both: the negative price and the product missing on the other line.
    assert 'name="lines-0-unit_price" id="lines-0-unit_price" value="-5"' in page
    assert re.search(r'name="lines-1-product_id"[^>]*is-invalid|is-invalid[^>]*name="lines-1-product_id"', page)
    assert "Choose a product." in page
    assert page.count("invalid-feedback d-block") == 2


def test_a_new_quotation_can_start_from_a_product(app, world):
    seller = _client(app, world["seller"])
    response = seller.get(f"/quotations/new?product_id={world['q']}")
    page = html(response)
    assert response.status_code == 200
    assert f'<option value="{world["q"]}" selected>' in page
    assert 'id="lines-0-quantity" value="1"' in page and 'id="lines-0-unit_price" value="100"' in page


def test_five_hundred_lines_are_accepted_in_one_post(app, world):
    seller = _client(app, world["seller"])
    rows = [{"product_id": world["p"], "quantity": "1", "unit_price": "20", "lead_time": "", "note": ""}] * 500
    qid = _created(seller.submit("/quotations/new", _header(world) | _lines(*rows), token_from="/quotations/new"))
    from app.extensions import db
    from app.sales.models import QuotationLine

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(QuotationLine.quotation_id == qid)) == 500


def test_the_salesperson_is_locked_to_yourself_without_view_all(app, world):
    seller = _client(app, world["seller"])
    data = _header(world, salesperson_id=world["rival"].id) | _lines(
        {"product_id": world["p"], "quantity": "1", "unit_price": "20"}
    )
    qid = _created(seller.submit("/quotations/new", data, token_from="/quotations/new"))
    from app.extensions import db
    from app.sales.models import Quotation

    with app.app_context():
        assert db.session.get(Quotation, qid).salesperson_id == world["seller"].id


def test_another_salespersons_quotations_and_customers_are_out_of_reach(app, world, create_quotation, login):
    theirs = create_quotation(world["foreign"], world["rival"].id, [(world["p"], 1, 20)])
    seller = _client(app, world["seller"])
    assert seller.get(f"/quotations/{theirs}").status_code == 404
    assert seller.get(f"/quotations/{theirs}/edit").status_code == 404
    assert "别人的客户" not in html(seller.get("/quotations/"))
    # Nor may a quotation be made for their customer by posting its id.
    data = _header(world, customer_id=world["foreign"]) | _lines(
        {"product_id": world["p"], "quantity": "1", "unit_price": "20"}
    )
    response = seller.submit("/quotations/new", data, token_from="/quotations/new")
    assert response.status_code == 200 and "Choose a customer." in html(response)
    manager = login("manager")
    assert "别人的客户" in html(manager.get("/quotations/"))


def test_submit_approve_send_accept_through_the_pages(app, world, create_quotation, login):
    qid = create_quotation(world["customer"], world["seller"].id, [(world["q"], 1, 100, 20)])
    seller = _client(app, world["seller"])
    detail = f"/quotations/{qid}"
    version = re.search(r'name="version_id" value="(\d+)"', html(seller.get(detail))).group(1)
    seller.submit(f"/quotations/{qid}/submit", {"version_id": version}, token_from=detail)
    page = html(seller.get(detail))
    assert 'data-status="pending_approval"' in page and "Discount above 10 % on: #1 NU2208" in page
    assert "quotation-approve" not in page  # not their own

    boss = login("manager")
    queue = html(boss.get("/quotations/approvals?status=pending_approval"))
    assert f'href="/quotations/{qid}"' in queue
    boss.submit(f"/quotations/{qid}/approve", {"comment": "ok"}, token_from=detail)
    assert 'data-status="approved"' in html(boss.get(detail))

    seller.submit(f"/quotations/{qid}/send", {}, token_from=detail)
    seller.submit(f"/quotations/{qid}/accept", {}, token_from=detail)
    page = html(seller.get(detail))
    assert 'data-status="accepted"' in page and "quotation-edit" not in page
    # Whatever the browser posts, an accepted quotation is not edited.
    response = seller.get(f"/quotations/{qid}/edit")
    assert response.status_code == 302
    assert "only drafts can be changed" in html(seller.get(response.headers["Location"]))


def test_an_edit_conflict_shows_both_versions_and_saves_nothing(app, world, create_quotation):
    qid = create_quotation(world["customer"], world["seller"].id, [(world["p"], 1, 20)], note="first")
    seller = _client(app, world["seller"])
    form_page = html(seller.get(f"/quotations/{qid}/edit"))
    version = re.search(r'name="version_id"[^>]*value="(\d+)"', form_page).group(1)
    line = _lines({"product_id": world["p"], "quantity": "1", "unit_price": "20"})
    seller.submit(
        f"/quotations/{qid}/edit",
        _header(world, note="theirs", version_id=version) | line,
        token_from=f"/quotations/{qid}/edit",
    )
    response = seller.submit(
        f"/quotations/{qid}/edit",
        _header(world, note="mine", version_id=version) | line,
        token_from=f"/quotations/{qid}/edit",
    )
    page = html(response)
    assert response.status_code == 200 and "data-conflict" in page and "theirs" in page and "mine" in page


def test_revisions_are_listed_and_compared_line_by_line(app, world, create_quotation, service_as):
    from app.sales import quotations as qs

    qid = create_quotation(world["customer"], world["seller"].id, [(world["p"], 10, 20), (world["q"], 1, 100)])
    service_as(world["seller"].id, qid, lambda q: qs.submit_quotation(q, actor_id=world["seller"].id))
    service_as(world["seller"].id, qid, qs.mark_sent)
    seller = _client(app, world["seller"])
    response = seller.submit(f"/quotations/{qid}/revise", {}, token_from=f"/quotations/{qid}")
    new_id = int(re.search(r"/quotations/(\d+)$", response.headers["Location"]).group(1))
    assert new_id != qid
    data = _header(world) | _lines({"product_id": world["p"], "quantity": "10", "unit_price": "18"})
    seller.submit(f"/quotations/{new_id}/edit", data, token_from=f"/quotations/{new_id}/edit")
    diff = html(seller.get(f"/quotations/{new_id}/diff?against={qid}"))
    assert 'data-diff="changed"' in diff and 'data-diff="removed"' in diff
    assert "Unit price: 18" in diff
    # Amounts read as money, as on the quotation's own page: 200.00 before, 180.00 now.
    assert re.search(r"Amount: [^<\d]*200\.00<", diff) and re.search(r"Amount: [^<\d]*180\.00<", diff)
    old_page = html(seller.get(f"/quotations/{qid}"))
    assert "data-old-revision" in old_page and "quotation-revise" not in old_page


def test_a_copy_for_another_customer_is_a_new_draft(app, world, create_quotation, create_customer):
    other = create_customer("苏州精工", owner=world["seller"].id)
    qid = create_quotation(world["customer"], world["seller"].id, [(world["p"], 3, 20)])
    seller = _client(app, world["seller"])
    response = seller.submit(f"/quotations/{qid}/copy", {"customer_id": other.id}, token_from=f"/quotations/{qid}")
    copy_id = int(re.search(r"/quotations/(\d+)$", response.headers["Location"]).group(1))
    page = html(seller.get(f"/quotations/{copy_id}"))
    assert "苏州精工" in page and 'data-status="draft"' in page
    # A customer out of scope is refused.
    response = seller.submit(
        f"/quotations/{qid}/copy", {"customer_id": world["foreign"]}, token_from=f"/quotations/{qid}"
    )
    assert "Choose a customer." in html(seller.get(response.headers["Location"]))


def test_pages_speak_chinese(app, world, create_quotation, create_user):
    create_quotation(world["customer"], world["seller"].id, [(world["p"], 1, 20)])
    zh_user = create_user("xiaowang", ["sales"], locale="zh")
    client = _client(app, zh_user)
    assert "报价单" in html(client.get("/quotations/")) and "新建报价单" in html(client.get("/quotations/"))


def test_the_history_shows_numbers_as_the_page_does(app, world, create_quotation):
    qid = create_quotation(world["customer"], world["seller"].id, [(world["p"], 1200, "35.18")])
    page = html(_client(app, world["seller"]).get(f"/quotations/{qid}?lang=en"))
    history = page.split("data-history", 1)[1]
    assert "35.18" in history and "35.1800" not in history
    assert "1,200" in history and "1200.000" not in history
