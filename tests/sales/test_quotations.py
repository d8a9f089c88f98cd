"""Quotation services: amounts computed by the server, numbering, the approval rules, the customer's
answer, revisions with their diff, copies, and refusals of anything but a draft being changed."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.core.errors import DomainError

D = Decimal


@pytest.fixture
def world(app, create_user, create_customer, create_product):
    seller = create_user("seller", ["sales"])
    boss = create_user("boss", ["manager"])
    customer = create_customer("上海恒通轴承", owner=seller.id, contacts=[{"name": "王伟"}])
    other = create_customer("苏州精工", owner=seller.id)
    cheap = create_product("6204-2RS", list_price=D("20.00"))
    dear = create_product("NU2208", list_price=D("100.00"))
    with app.app_context():
        from app.extensions import db
        from app.products.models import Product

        # Costs are set directly: receipts (which keep them) belong to purchasing.
        db.session.execute(sa.update(Product).where(Product.id == cheap.id).values(avg_cost=D("15")))
        db.session.execute(sa.update(Product).where(Product.id == dear.id).values(avg_cost=D("60")))
        db.session.commit()
    return {
        "seller": seller.id,
        "boss": boss.id,
        "customer": customer.id,
        "contact": customer.contacts[0].id,
        "other": other.id,
        "cheap": cheap.id,
        "dear": dear.id,
    }


@pytest.fixture
def service(app):
    """Run a service call as ``actor`` inside a request, commit, and hand back the fresh quotation."""
    from app.core.db import acting_as
    from app.extensions import db
    from app.sales.models import Quotation

    class Runner:
        def __call__(self, actor: int, quotation_id: int, fn, **kwargs):
            with app.test_request_context("/?lang=en"), acting_as(actor):
                quotation = db.session.get(Quotation, quotation_id)
                result = fn(quotation, **kwargs)
                db.session.commit()
                return result

        def get(self, quotation_id: int):
            with app.app_context():
                quotation = db.session.get(Quotation, quotation_id)
                _ = [(line.product, line.amount) for line in quotation.lines]
                db.session.expunge_all()
                return quotation

    return Runner()


def test_amounts_are_computed_by_the_server_in_decimal(world, create_quotation, service):
    qid = create_quotation(
        world["customer"], world["seller"], [(world["cheap"], 3, "19.995", 0), (world["dear"], 2, "100", "7.5")]
    )
    q = service.get(qid)
    assert [line.amount for line in q.lines] == [D("59.99"), D("185.00")]  # 59.985 rounds half up
    # Prices include tax by default (13 %): the gross is the sum, the net is split out of it.
    assert (q.total_gross, q.total_net, q.total_tax) == (D("244.99"), D("216.81"), D("28.18"))
    assert re.fullmatch(r"QT\d{4}-000001", q.number) and q.revision == 1 and q.is_current
    second = service.get(create_quotation(world["customer"], world["seller"], [(world["cheap"], 1, 20)]))
    assert second.number.endswith("-000002")


def test_prices_without_tax_add_the_tax_on_top(world, create_quotation, service):
    qid = create_quotation(
        world["customer"], world["seller"], [(world["dear"], 1, 100)], prices_include_tax=False, tax_rate=D("13")
    )
    q = service.get(qid)
    assert (q.total_net, q.total_tax, q.total_gross) == (D("100.00"), D("13.00"), D("113.00"))


def test_within_the_limits_a_submission_is_approved_at_once(world, create_quotation, service):
    from app.sales import quotations as qs

    qid = create_quotation(world["customer"], world["seller"], [(world["dear"], 1, 100)])
    status = service(world["seller"], qid, qs.submit_quotation, actor_id=world["seller"])
    assert status == qs.QuotationStatus.APPROVED
    assert service.get(qid).approved_at is not None


def test_a_big_discount_waits_for_an_approver_who_is_told_and_is_not_the_salesperson(
    app, world, create_quotation, service
):
    from app.extensions import db
    from app.notifications.models import Notification
    from app.sales import quotations as qs

    qid = create_quotation(world["customer"], world["seller"], [(world["dear"], 1, 100, 15)])
    status = service(world["seller"], qid, qs.submit_quotation, actor_id=world["seller"])
    assert status == qs.QuotationStatus.PENDING
    q = service.get(qid)
    assert "Discount above 10 % on: #1 NU2208" in q.needs_approval_reason
    with app.app_context():
        told = list(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "quotation")))
    assert world["boss"] in told and world["seller"] not in told

    # Only a draft changes.
    with pytest.raises(DomainError, match="pending approval"):
        service(
            world["seller"],
            qid,
            qs.update_quotation,
            header=qs.HeaderData(customer_id=world["customer"]),
            lines=[qs.LineData(world["dear"], D(1), D(100))],
            expected_version=None,
        )
    with pytest.raises(DomainError, match="your own"):
        service(world["seller"], qid, qs.approve_quotation, actor_id=world["seller"])
    service(world["boss"], qid, qs.approve_quotation, actor_id=world["boss"], comment="OK this once")
    q = service.get(qid)
    assert q.status == "approved" and q.approved_by_id == world["boss"] and q.approval_comment == "OK this once"


def test_a_price_below_list_counts_as_a_discount(world, create_quotation, service):
    from app.sales import quotations as qs

    # 85 for a product listed at 100: 15 % below list with no discount typed.
    qid = create_quotation(world["customer"], world["seller"], [(world["dear"], 1, 85)])
    assert service(world["seller"], qid, qs.submit_quotation, actor_id=world["seller"]) == qs.QuotationStatus.PENDING


def test_a_thin_margin_needs_approval_without_telling_the_cost(world, create_quotation, service):
    from app.sales import quotations as qs

    # 6204-2RS costs 15; 17.50 incl. 13 % tax is 15.49 net: margin 3 %, below the 10 % default.
    qid = create_quotation(world["customer"], world["seller"], [(world["cheap"], 10, "17.50")])
    assert service(world["seller"], qid, qs.submit_quotation, actor_id=world["seller"]) == qs.QuotationStatus.PENDING
    reason = service.get(qid).needs_approval_reason
    assert "Margin below 10 % on: #1 6204-2RS" in reason
    assert "15" not in reason.replace("6204", "")


def test_role_limits_override_the_company_default(app, world, create_quotation, service):
    from app.auth.models import Role
    from app.extensions import db
    from app.sales import quotations as qs
    from app.system.models import RoleApprovalLimit

    with app.app_context():
        sales_role = db.session.scalar(sa.select(Role.id).where(Role.name == "sales"))
        db.session.add(RoleApprovalLimit(role_id=sales_role, max_discount_percent=D(20), min_margin_percent=None))
        db.session.commit()
    qid = create_quotation(world["customer"], world["seller"], [(world["dear"], 1, 100, 15)])
    assert service(world["seller"], qid, qs.submit_quotation, actor_id=world["seller"]) == qs.QuotationStatus.APPROVED


def test_an_approver_returns_it_with_a_comment_and_it_is_a_draft_again(world, create_quotation, service):
    from app.sales import quotations as qs

    qid = create_quotation(world["customer"], world["seller"], [(world["dear"], 1, 100, 30)])
    service(world["seller"], qid, qs.submit_quotation, actor_id=world["seller"])
    with pytest.raises(DomainError, match="Say why"):
        service(world["boss"], qid, qs.return_quotation, actor_id=world["boss"], comment="  ")
    service(world["boss"], qid, qs.return_quotation, actor_id=world["boss"], comment="30 % is too much")
    q = service.get(qid)
    assert q.status == "draft" and q.approval_comment == "30 % is too much"


def _sent(world, create_quotation, service, **header) -> int:
    from app.sales import quotations as qs

    qid = create_quotation(
        world["customer"], world["seller"], [(world["dear"], 2, 100), (world["cheap"], 5, 20)], **header
    )
    service(world["seller"], qid, qs.submit_quotation, actor_id=world["seller"])
    service(world["seller"], qid, qs.mark_sent)
    return qid


def test_a_sent_quotation_is_accepted_or_rejected_with_a_reason(world, create_quotation, service):
    from app.sales import quotations as qs

    first = _sent(world, create_quotation, service)
    service(world["seller"], first, qs.mark_accepted)
    assert service.get(first).status == "accepted"
    with pytest.raises(DomainError):
        service(world["seller"], first, qs.cancel_quotation)

    second = _sent(world, create_quotation, service)
    with pytest.raises(DomainError, match="reason"):
        service(world["seller"], second, qs.mark_rejected, reason="")
    service(world["seller"], second, qs.mark_rejected, reason="价格太高")
    assert (service.get(second).status, service.get(second).rejection_reason) == ("rejected", "价格太高")


def test_expiry_is_computed_from_the_validity_date(app, world, create_quotation, service):
    from app.extensions import db
    from app.sales import quotations as qs
    from app.sales.models import Quotation, QuotationStatus

    qid = _sent(world, create_quotation, service)
    with app.test_request_context("/?lang=en"):
        yesterday = qs.company_today() - timedelta(days=1)
        db.session.execute(sa.update(Quotation).where(Quotation.id == qid).values(valid_until=yesterday))
        db.session.commit()
        q = db.session.get(Quotation, qid)
        assert qs.effective_status(q) == QuotationStatus.EXPIRED
        expired = db.session.scalars(sa.select(Quotation.id).where(qs.status_condition(QuotationStatus.EXPIRED)))
        assert list(expired) == [qid]
        assert not list(db.session.scalars(sa.select(Quotation.id).where(qs.status_condition(QuotationStatus.SENT))))
    with pytest.raises(DomainError, match="expired"):
        service(world["seller"], qid, qs.mark_accepted)


def test_a_revision_is_a_new_current_draft_and_the_old_one_stays_readable(app, world, create_quotation, service):
    from app.sales import quotations as qs

    qid = _sent(world, create_quotation, service)
    new_id = service(world["seller"], qid, lambda q, **kw: qs.revise_quotation(q, **kw).id, actor_id=world["seller"])
    old, new = service.get(qid), service.get(new_id)
    assert (old.is_current, new.is_current) == (False, True)
    assert (new.number, new.revision, new.status) == (old.number, 2, "draft")
    with pytest.raises(DomainError, match="old revision"):
        service(world["seller"], qid, qs.revise_quotation, actor_id=world["seller"])

    # Change the second revision: one price, one line removed, one added.
    service(
        world["seller"],
        new_id,
        qs.update_quotation,
        header=qs.HeaderData(customer_id=world["customer"]),
        lines=[
            qs.LineData(world["dear"], D(2), D(95)),
            qs.LineData(world["cheap"], D(5), D(20)),
            qs.LineData(world["cheap"], D(1), D(20)),
        ],
        expected_version=None,
    )
    with app.test_request_context("/?lang=en"):
        from app.extensions import db
        from app.sales.models import Quotation

        diff = qs.diff_lines(db.session.get(Quotation, qid), db.session.get(Quotation, new_id))
        assert [(d.kind, d.changed) for d in diff] == [
            ("changed", ("unit_price", "amount")),
            ("same", ()),
            ("added", ()),
        ]

    # Deleting the draft revision makes the first one current again.
    service(world["seller"], new_id, qs.delete_quotation)
    assert service.get(qid).is_current


def test_only_one_revision_of_a_number_is_current_in_the_database(app, world, create_quotation, service):
    from app.extensions import db
    from app.sales.models import Quotation

    qid = _sent(world, create_quotation, service)
    with app.app_context():
        old = db.session.get(Quotation, qid)
        twin = Quotation(
            number=old.number,
            revision=2,
            is_current=True,
            status="draft",
            customer_id=old.customer_id,
            salesperson_id=old.salesperson_id,
            valid_until=old.valid_until,
        )
        db.session.add(twin)
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_a_copy_gets_a_new_number_and_may_go_to_another_customer(world, create_quotation, service):
    from app.sales import quotations as qs

    qid = create_quotation(world["customer"], world["seller"], [(world["dear"], 2, 100)], contact_id=world["contact"])
    copy_id = service(
        world["seller"],
        qid,
        lambda q, **kw: qs.copy_quotation(q, **kw).id,
        customer_id=world["other"],
        actor_id=world["seller"],
        salesperson_id=world["seller"],
    )
    original, copy = service.get(qid), service.get(copy_id)
    assert copy.number != original.number and copy.revision == 1 and copy.status == "draft"
    assert copy.customer_id == world["other"] and copy.contact_id is None  # the contact was the other customer's
    assert [(line.product_id, line.quantity, line.unit_price) for line in copy.lines] == [(world["dear"], D(2), D(100))]
    assert copy.copied_from_id == original.id


def test_bad_lines_are_reported_by_row(world, create_quotation):
    from app.sales import quotations as qs

    with pytest.raises(qs.LinesInvalid) as caught:
        create_quotation(world["customer"], world["seller"], [(world["dear"], 0, 100), (world["cheap"], 1, -1, 120)])
    assert [(i.index, i.field) for i in caught.value.issues] == [
        (0, "quantity"),
        (1, "unit_price"),
        (1, "discount_percent"),
    ]
