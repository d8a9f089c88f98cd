"""Company settings: the letterhead printed on documents, quotation defaults and approval limits.

One row (id 1) holds the company-wide settings; approval limits may also be set per role, and a
salesperson gets the most generous limit among their roles, or the company default when none of
their roles has one.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.mysql import MEDIUMBLOB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.audit import Audited, refs_by
from app.core.db import AuthorMixin, TimestampMixin, VersionMixin
from app.extensions import db

SETTINGS_ID = 1
PERCENT = sa.Numeric(5, 2)


class CompanySettings(Audited, TimestampMixin, AuthorMixin, VersionMixin, db.Model):
    __tablename__ = "company_settings"
    __audit_type__ = "company_settings"
    __audit_type_label__ = _l("Company settings")
    __audit_labels__ = {
        "name_zh": _l("Company name (Chinese)"),
        "name_en": _l("Company name (English)"),
        "address_zh": _l("Address (Chinese)"),
        "address_en": _l("Address (English)"),
        "phone": _l("Phone"),
        "fax": _l("Fax"),
        "email": _l("E-mail"),
        "website": _l("Website"),
        "bank_zh": _l("Bank details (Chinese)"),
        "bank_en": _l("Bank details (English)"),
        "quotation_terms_zh": _l("Quotation terms (Chinese)"),
        "quotation_terms_en": _l("Quotation terms (English)"),
        "quotation_valid_days": _l("Quotations valid for (days)"),
        "tax_rate": _l("Tax rate %"),
        "max_discount_percent": _l("Largest discount without approval %"),
        "min_margin_percent": _l("Smallest margin without approval %"),
        "logo_type": _l("Logo"),
    }
    __audit_exclude__ = frozenset({"logo"})
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint("quotation_valid_days BETWEEN 1 AND 365", name="valid_days_range"),
        sa.CheckConstraint("tax_rate >= 0 AND tax_rate < 100", name="tax_rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=SETTINGS_ID)
    name_zh: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    name_en: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    address_zh: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    address_en: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    phone: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    fax: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    email: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    website: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    bank_zh: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    bank_en: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    quotation_terms_zh: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    quotation_terms_en: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    quotation_valid_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=7)
    tax_rate: Mapped[Decimal] = mapped_column(PERCENT, nullable=False, default=Decimal("13"))
    # Company-wide approval limits; None: no limit of that kind.
    max_discount_percent: Mapped[Decimal | None] = mapped_column(PERCENT, default=Decimal("10"))
    min_margin_percent: Mapped[Decimal | None] = mapped_column(PERCENT, default=Decimal("10"))
    # The letterhead logo, kept in the database so every instance prints the same one.
    logo: Mapped[bytes | None] = mapped_column(sa.LargeBinary().with_variant(MEDIUMBLOB(), "mysql"))
    logo_type: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")

    def audit_label(self) -> str:
        return str(_l("Company settings"))

    def name(self, lang: str) -> str:
        return (self.name_en if lang == "en" else self.name_zh) or self.name_zh or self.name_en

    def address(self, lang: str) -> str:
        return (self.address_en if lang == "en" else self.address_zh) or self.address_zh or self.address_en

    def bank(self, lang: str) -> str:
        return (self.bank_en if lang == "en" else self.bank_zh) or self.bank_zh or self.bank_en

    def quotation_terms(self, lang: str) -> str:
        return self.quotation_terms_en if lang == "en" else self.quotation_terms_zh


class RoleApprovalLimit(Audited, db.Model):
    """Approval limits of one role, overriding the company default for its holders."""

    __tablename__ = "role_approval_limits"
    __audit_type__ = "role_approval_limit"
    __audit_type_label__ = _l("Approval limit")
    __audit_labels__ = {
        "role_id": _l("Role"),
        "max_discount_percent": _l("Largest discount without approval %"),
        "min_margin_percent": _l("Smallest margin without approval %"),
    }
    __audit_refs__ = {"role_id": refs_by("roles", "name")}

    role_id: Mapped[int] = mapped_column(sa.ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    max_discount_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    min_margin_percent: Mapped[Decimal | None] = mapped_column(PERCENT)

    def audit_label(self) -> str:
        return str(self.role_id)
