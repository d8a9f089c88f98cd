"""Quotations on live pages: approval requests and decisions pushed to who may see them, and the
dashboard's "my work" counts (approvals waiting, my quotations expiring within 3 days) that agree
with the lists they link to and are recounted when they move."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.support import html

D = Decimal


@pytest.fixture
def connect(app):
    opened = []

    def factory(client):
        sio = app.extensions["socketio"].test_client(app, flask_test_client=client)
        assert sio.is_connected()
        sio.get_received()
        opened.append(sio)
        return sio

    yield factory
    for sio in opened:
        if sio.is_connected():
            sio.disconnect()


def _events(sio, name: str) -> list:
    return [m["args"][0] for m in sio.get_received() if m["name"] == name]


@pytest.fixture
def people(login, create_customer, create_product):
    seller, other_seller, boss = login("sales"), login("sales"), login("manager", locale="zh")
    customer = create_customer(owner=seller.user.id)
    product = create_product(list_price=D("100.00"))
    return {"seller": seller, "other": other_seller, "boss": boss, "customer": customer.id, "product": product.id}


def _run(app, actor: int, quotation_id: int, fn, **kwargs):
    from app.core.db import acting_as
    from app.extensions import db
    from app.sales.models import Quotation

    with app.test_request_context("/?lang=en"), acting_as(actor):
        result = fn(db.session.get(Quotation, quotation_id), **kwargs)
        db.session.commit()
        return result


def _work(client) -> dict[str, tuple[int, str]]:
    """The "my work" items on the user's dashboard: key -> (count shown, link)."""
    page = html(client.get("/"))
    found = re.findall(r'href="([^"]+)" data-work-item="(\w+)" data-count="(\d+)"', page)
    return {key: (int(count), link.replace("&amp;", "&")) for link, key, count in found}


def _listed(client, link: str) -> set[int]:
    """The quotations the list at ``link`` shows."""
    return {int(i) for i in re.findall(r'href="/quotations/(\d+)"', html(client.get(link)))}


def test_an_approval_request_reaches_the_approver_live_and_nobody_else(app, people, create_quotation, connect):
    from app.sales import quotations as qs

    seller, boss, other = people["seller"], people["boss"], people["other"]
    boss_page, other_page, seller_page = connect(boss), connect(other), connect(seller)
    qid = create_quotation(people["customer"], seller.user.id, [(people["product"], 1, 100, 30)])

    assert _run(app, seller.user.id, qid, qs.submit_quotation, actor_id=seller.user.id) == qs.QuotationStatus.PENDING

    boss_events = boss_page.get_received()
    (pushed,) = [m["args"][0]["notification"] for m in boss_events if m["name"] == "notification"]
    assert re.fullmatch(r"请审核：QT\d{4}-\d{6}", pushed["title"])  # in the approver's language
    assert pushed["link"] == f"/quotations/{qid}"
    assert {"items": ["approvals_waiting"]} in [m["args"][0] for m in boss_events if m["name"] == "work"]
    # Another salesperson neither sees this quotation nor approves: told nothing at all.
    assert other_page.get_received() == []
    # The salesperson is not asked to approve their own.
    assert _events(seller_page, "notification") == []

    _run(app, boss.user.id, qid, qs.approve_quotation, actor_id=boss.user.id, comment="ok")
    (decision,) = _events(seller_page, "notification")
    assert decision["notification"]["title"].endswith("approved")
    assert {"items": ["approvals_waiting"]} in _events(boss_page, "work")
    assert other_page.get_received() == []


def test_approvals_waiting_counts_what_the_approval_queue_lists(app, people, create_quotation):
    from app.sales import quotations as qs

    seller, boss = people["seller"], people["boss"]
    assert "approvals_waiting" not in _work(seller)  # salespeople do not approve
    assert _work(boss)["approvals_waiting"][0] == 0

    pending = set()
    for discount in (30, 25):
        qid = create_quotation(people["customer"], seller.user.id, [(people["product"], 1, 100, discount)])
        _run(app, seller.user.id, qid, qs.submit_quotation, actor_id=seller.user.id)
        pending.add(qid)
    within = create_quotation(people["customer"], seller.user.id, [(people["product"], 1, 100)])
    _run(app, seller.user.id, within, qs.submit_quotation, actor_id=seller.user.id)

    count, link = _work(boss)["approvals_waiting"]
    assert count == 2
    assert link == "/quotations/approvals?status=pending_approval"
    assert _listed(boss, link) == pending


def test_my_quotations_expiring_within_3_days_are_counted_for_their_salesperson_only(
    app, people, create_quotation, create_customer, login
):
    from app.extensions import db
    from app.sales import quotations as qs
    from app.sales.models import Quotation

    seller, other = people["seller"], people["other"]
    their_customer = create_customer(owner=other.user.id).id

    def sent(salesperson, customer, days: int) -> int:
        qid = create_quotation(customer, salesperson.user.id, [(people["product"], 1, 100)])
        _run(app, salesperson.user.id, qid, qs.submit_quotation, actor_id=salesperson.user.id)
        _run(app, salesperson.user.id, qid, qs.mark_sent)
        with app.test_request_context():
            valid = qs.company_today() + timedelta(days=days)
            db.session.execute(sa.update(Quotation).where(Quotation.id == qid).values(valid_until=valid))
            db.session.commit()
        return qid

    soon = sent(seller, people["customer"], 2)
    sent(seller, people["customer"], 3)
    sent(seller, people["customer"], 5)  # later than 3 days
    sent(other, their_customer, 1)  # someone else's
    expired = sent(seller, people["customer"], -1)

    count, link = _work(seller)["quotations_expiring"]
    assert count == 2
    listed = _listed(seller, link)
    assert soon in listed and expired not in listed and len(listed) == 2
    assert _work(other)["quotations_expiring"][0] == 1
    assert "quotations_expiring" not in _work(login("finance"))  # reads every quotation, makes none


def test_sending_a_quotation_tells_its_salespersons_dashboard_to_recount(app, people, create_quotation, connect):
    from app.sales import quotations as qs

    seller = people["seller"]
    page = connect(seller)
    with app.test_request_context():
        soon = qs.company_today() + timedelta(days=1)
    qid = create_quotation(people["customer"], seller.user.id, [(people["product"], 1, 100)], valid_until=soon)
    _run(app, seller.user.id, qid, qs.submit_quotation, actor_id=seller.user.id)
    page.get_received()
    _run(app, seller.user.id, qid, qs.mark_sent)
    assert _events(page, "work") == [{"items": ["quotations_expiring"]}]
    counts = page.emit("sync", {"work": True}, callback=True)["work"]
    assert counts["quotations_expiring"] == 1 and "approvals_waiting" not in counts
