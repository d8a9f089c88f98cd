"""Reading the company settings and the approval limits that apply to a user."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from app.auth.models import user_roles
from app.extensions import db
from app.system.models import SETTINGS_ID, CompanySettings, RoleApprovalLimit

DEFAULTS = {
    "quotation_valid_days": 7,
    "tax_rate": Decimal("13"),
    "max_discount_percent": Decimal("10"),
    "min_margin_percent": Decimal("10"),
}


def company_settings() -> CompanySettings:
    """The saved settings, or unsaved defaults before anyone has saved them."""
    row = db.session.get(CompanySettings, SETTINGS_ID)
    if row is not None:
        return row
    return CompanySettings(
        id=SETTINGS_ID,
        **{
            c.key: ""
            for c in CompanySettings.__table__.columns
            if isinstance(c.type, sa.String | sa.Text) and c.key != "logo_type"
        },
        logo_type="",
        logo=None,
        **DEFAULTS,
    )


@dataclass(frozen=True)
class ApprovalLimits:
    """None: no limit of that kind."""

    max_discount_percent: Decimal | None
    min_margin_percent: Decimal | None


def approval_limits(user_id: int) -> ApprovalLimits:
    """The most generous limits among the user's roles. A role with limits of its own uses them
    (an empty one meaning no limit); a role without, and a user without roles, the company's."""
    company = company_settings()
    role_ids = list(db.session.scalars(sa.select(user_roles.c.role_id).where(user_roles.c.user_id == user_id)))
    rows = {
        r.role_id: r
        for r in db.session.scalars(sa.select(RoleApprovalLimit).where(RoleApprovalLimit.role_id.in_(role_ids)))
    }
    discounts: list[Decimal | None] = []
    margins: list[Decimal | None] = []
    for role_id in role_ids or [None]:
        row = rows.get(role_id)
        discounts.append(row.max_discount_percent if row else company.max_discount_percent)
        margins.append(row.min_margin_percent if row else company.min_margin_percent)
    max_discount = None if any(d is None for d in discounts) else max(discounts)
    min_margin = None if any(m is None for m in margins) else min(margins)
    return ApprovalLimits(max_discount, min_margin)
