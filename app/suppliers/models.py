"""Suppliers (供应商) and their contacts (联系人)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.audit import Audited
from app.core.contacts import CONTACT_LABELS, ContactMixin, summaries
from app.core.db import AuthorMixin, SoftDeleteMixin, TimestampMixin, VersionMixin, key_string
from app.core.text import digits, name_key
from app.extensions import db

DOC_LANGUAGES = {"zh": _l("Chinese"), "en": _l("English")}
CODE_PREFIX = "S"


class Supplier(Audited, TimestampMixin, AuthorMixin, SoftDeleteMixin, VersionMixin, db.Model):
    __tablename__ = "suppliers"
    __audit_type__ = "supplier"
    __audit_type_label__ = _l("Supplier")
    __audit_exclude__ = frozenset({"name_key", "phone_key", "search_text"})
    __audit_labels__ = {
        "code": _l("Code"),
        "name": _l("Name"),
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
        "note": _l("Note"),
        "deleted_at": _l("Deleted"),
        "contacts_summary": _l("Contacts"),
    }
    __table_args__ = (
        sa.Index("ix_suppliers_name", "name"),
        sa.Index("ix_suppliers_phone_key", "phone_key"),
        sa.CheckConstraint("doc_language IN ('zh', 'en')", name="doc_language_known"),
        sa.CheckConstraint("payment_terms_days >= 0", name="payment_terms_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(key_string(20), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # core.text.name_key(name): unique, so "洛阳 轴承 厂" and "洛阳轴承厂" cannot both exist.
    name_key: Mapped[str] = mapped_column(key_string(200), nullable=False, unique=True)
    # Name and contact names, folded like name_key: what "contains" searches (full-text index).
    search_text: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
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
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    contacts: Mapped[list[SupplierContact]] = relationship(
        back_populates="supplier", order_by="SupplierContact.position", cascade="all, delete-orphan"
    )
    primary_contact: Mapped[SupplierContact | None] = relationship(
        primaryjoin="and_(SupplierContact.supplier_id == Supplier.id, SupplierContact.is_primary == True)",
        viewonly=True,
        uselist=False,
        lazy="selectin",
    )

    def audit_label(self) -> str:
        return f"{self.code} {self.name}"

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


class SupplierContact(ContactMixin, Audited, TimestampMixin, AuthorMixin, db.Model):
    __tablename__ = "supplier_contacts"
    __audit_type__ = "supplier_contact"
    __audit_type_label__ = _l("Contact")
    __audit_labels__ = CONTACT_LABELS
    __audit_exclude__ = frozenset({"position", "supplier_id"})

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("suppliers.id", ondelete="CASCADE"), nullable=False, index=True
    )

    supplier: Mapped[Supplier] = relationship(back_populates="contacts")

    def audit_parent(self) -> tuple[str, int] | None:
        return ("supplier", self.supplier_id)
