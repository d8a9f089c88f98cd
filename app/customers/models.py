"""Customers (客户) and their contacts (联系人)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.core.audit import Audited
from app.core.contacts import CONTACT_LABELS, ContactMixin, summaries
from app.core.db import AuthorMixin, SoftDeleteMixin, TimestampMixin, VersionMixin, key_string, money_column
from app.core.text import digits, name_key
from app.extensions import db

CUSTOMER_TYPES = {"middleman": _l("Middleman"), "end_user": _l("End user")}
DOC_LANGUAGES = {"zh": _l("Chinese"), "en": _l("English")}
CODE_PREFIX = "C"


class Customer(Audited, TimestampMixin, AuthorMixin, SoftDeleteMixin, VersionMixin, db.Model):
    __tablename__ = "customers"
    __audit_type__ = "customer"
    __audit_type_label__ = _l("Customer")
    # The owner is logged as an "owner changed" event with names (services.py), not as a user id.
    __audit_exclude__ = frozenset({"name_key", "phone_key", "search_text", "owner_id"})
    __audit_labels__ = {
        "code": _l("Code"),
        "name": _l("Name"),
        "type": _l("Type"),
        "owner_id": _l("Owner"),
        "owner_label": _l("Owner"),
        "doc_language": _l("Document language"),
        "address": _l("Address"),
        "phone": _l("Phone"),
        "fax": _l("Fax"),
        "email": _l("E-mail"),
        "website": _l("Website"),
        "tax_id": _l("Tax ID"),
        "bank_name": _l("Bank"),
        "bank_account": _l("Bank account"),
        "invoice_address": _l("Invoice address"),
        "invoice_phone": _l("Invoice phone"),
        "payment_terms_days": _l("Payment terms (days)"),
        "credit_limit": _l("Credit limit"),
        "note": _l("Note"),
        "deleted_at": _l("Deleted"),
        "contacts_summary": _l("Contacts"),
    }
    __table_args__ = (
        sa.Index("ix_customers_name", "name"),
        sa.Index("ix_customers_phone_key", "phone_key"),
        sa.CheckConstraint("type IN ('middleman', 'end_user')", name="type_known"),
        sa.CheckConstraint("doc_language IN ('zh', 'en')", name="doc_language_known"),
        sa.CheckConstraint("payment_terms_days >= 0", name="payment_terms_not_negative"),
        sa.CheckConstraint("credit_limit >= 0", name="credit_limit_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(key_string(20), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # core.text.name_key(name): unique, so "上海 恒通 轴承" and "上海恒通轴承" cannot both exist.
    name_key: Mapped[str] = mapped_column(key_string(200), nullable=False, unique=True)
    # Name and contact names, folded like name_key: what "contains" searches (full-text index).
    search_text: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    type: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="end_user", index=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    doc_language: Mapped[str] = mapped_column(sa.String(2), nullable=False, default="zh")
    address: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    phone: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    phone_key: Mapped[str] = mapped_column(key_string(40), nullable=False, default="")
    fax: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    email: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    website: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    tax_id: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="")
    bank_name: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    bank_account: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    invoice_address: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    invoice_phone: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    payment_terms_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    credit_limit: Mapped[Decimal] = mapped_column(money_column(), nullable=False, default=Decimal(0))
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    contacts: Mapped[list[CustomerContact]] = relationship(
        back_populates="customer", order_by="CustomerContact.position", cascade="all, delete-orphan"
    )
    primary_contact: Mapped[CustomerContact | None] = relationship(
        primaryjoin="and_(CustomerContact.customer_id == Customer.id, CustomerContact.is_primary == True)",
        viewonly=True,
        uselist=False,
        lazy="selectin",
    )

    def audit_label(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def owner_label(self) -> str | None:
        return owner_label(self.owner)

    @property
    def contacts_summary(self) -> str:
        return "\n".join(summaries(self.contacts))

    def refresh_keys(self) -> None:
        """Recompute the stored search keys from the fields people type."""
        self.name_key = name_key(self.name)
        self.phone_key = digits(self.phone)[:40]
        self.search_text = search_text(self.name, [c.name for c in self.contacts])


def search_text(name: str, contact_names: list[str]) -> str:
    # "|" keeps a word from running on from the name into a contact's name.
    return name_key(" | ".join([name, *contact_names]))[:500]


def owner_label(user: User | None) -> str | None:
    return f"{user.display_name} · {user.username}" if user is not None else None


class CustomerContact(ContactMixin, Audited, TimestampMixin, AuthorMixin, db.Model):
    __tablename__ = "customer_contacts"
    __audit_type__ = "customer_contact"
    __audit_type_label__ = _l("Contact")
    __audit_labels__ = CONTACT_LABELS
    __audit_exclude__ = frozenset({"position", "customer_id"})

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )

    customer: Mapped[Customer] = relationship(back_populates="contacts")

    def audit_parent(self) -> tuple[str, int] | None:
        return ("customer", self.customer_id)
