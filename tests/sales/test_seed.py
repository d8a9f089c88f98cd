"""The demo quotations tell the sales team's story: every status for both salespeople, a 150-line
quotation, one revised twice, and a letterhead to print them on."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.sales.models import Quotation, QuotationLine, QuotationStatus
from app.sales.quotations import effective_status
from app.system.models import CompanySettings


def test_the_demo_has_quotations_in_every_status_for_both_salespeople(app, ctx):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    names = dict(db.session.execute(sa.select(User.id, User.username)).all())
    seen: dict[str, set[QuotationStatus]] = {"sales": set(), "sales2": set()}
    for quotation in db.session.scalars(sa.select(Quotation).where(Quotation.is_current.is_(True))):
        seen[names[quotation.salesperson_id]].add(effective_status(quotation))
    assert seen["sales"] == set(QuotationStatus) and seen["sales2"] == set(QuotationStatus)

    line_counts = db.session.execute(
        sa.select(QuotationLine.quotation_id, sa.func.count()).group_by(QuotationLine.quotation_id)
    ).all()
    assert max(n for _q, n in line_counts) == 150
    revisions = db.session.execute(sa.select(Quotation.number, sa.func.count()).group_by(Quotation.number)).all()
    assert max(n for _number, n in revisions) == 3
    settings = db.session.get(CompanySettings, 1)
    assert settings.name_zh and settings.name_en and settings.logo

    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "demo quotations already there" in again.output
