"""Contact people of a company record (customers, suppliers): their columns, the one-primary rule,
the rows edited inline on the record's form, and how those rows are saved.

Rule: a record with contacts has exactly one primary contact. The service enforces it (no tick:
the first row becomes primary; two ticks: refused, naming the rows); the database guards "at most
one" with the index of ``core.partial_unique``, made by the migration of each contacts table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.i18n import translations as wtforms_translations
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import BooleanField, EmailField, Form, HiddenField, StringField
from wtforms.validators import Email, Length, Optional

from app.core.errors import DomainError
from app.core.text import clean
from app.extensions import db

CONTACT_LABELS = {
    "name": _l("Full name"),
    "title": _l("Title"),
    "department": _l("Department"),
    "mobile": _l("Mobile"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "is_primary": _l("Primary contact"),
}
TEXT_FIELDS = ("name", "title", "department", "mobile", "phone", "email")
MAX_CONTACTS = 100


class ContactMixin:
    """The columns of a contact row; the model adds the foreign key to its record."""

    name: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    department: Mapped[str] = mapped_column(sa.String(60), nullable=False, default="")
    mobile: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    phone: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    email: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    is_primary: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # The order of the rows on the form; not part of the history.
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    def audit_label(self) -> str:
        return self.name

    @property
    def summary(self) -> str:
        return contact_summary(self)


def contact_summary(contact: Any) -> str:
    """One line per contact, as compared side by side when two people edit the same record."""
    name = _("%(name)s (primary)", name=contact.name) if contact.is_primary else contact.name
    parts = [name, contact.title, contact.department, contact.mobile, contact.phone, contact.email]
    return " · ".join(p for p in parts if p)


@dataclass
class ContactData:
    id: int | None = None
    name: str = ""
    title: str = ""
    department: str = ""
    mobile: str = ""
    phone: str = ""
    email: str = ""
    is_primary: bool = False
    row: int = 0  # the row number the user sees, for messages

    def is_blank(self) -> bool:
        return not any(clean(getattr(self, name)) for name in TEXT_FIELDS)


def clean_contacts(rows: Iterable[ContactData]) -> list[ContactData]:
    """Drop empty rows, tidy the text and apply the rule: exactly one primary contact when there are any."""
    kept: list[ContactData] = []
    seen_ids: set[int] = set()
    for number, row in enumerate(rows, 1):
        row.row = row.row or number
        if row.is_blank():
            continue
        for name in TEXT_FIELDS:
            setattr(row, name, clean(getattr(row, name)))
        if not row.name:
            raise DomainError(_("Contact row %(row)d: enter the contact's name.", row=row.row))
        if row.id is not None and row.id in seen_ids:
            row.id = None
        if row.id is not None:
            seen_ids.add(row.id)
        kept.append(row)
    if len(kept) > MAX_CONTACTS:
        raise DomainError(_("A record can have at most %(n)d contacts.", n=MAX_CONTACTS))
    primaries = [r.row for r in kept if r.is_primary]
    if len(primaries) > 1:
        raise DomainError(
            _(
                "Only one contact can be the primary contact, but rows %(rows)s are ticked. Untick all but one.",
                rows=", ".join(str(n) for n in primaries),
            )
        )
    if kept and not primaries:
        kept[0].is_primary = True
    return kept


def summaries(rows: Iterable[Any]) -> list[str]:
    return [contact_summary(r) for r in rows]


def sync_contacts(collection: list, rows: list[ContactData], new: Callable[[], Any]) -> bool:
    """Make ``collection`` hold exactly ``rows`` (matched by id, in their order); True if anything changed.

    Rows leaving and contacts losing the primary tick are flushed before any contact gains it, so
    the database's one-primary index never sees two primary contacts at once.
    """
    by_id = {c.id: c for c in collection if c.id is not None}
    kept = {r.id for r in rows if r.id in by_id}
    changed = False
    for contact in list(collection):
        if contact.id not in kept:
            collection.remove(contact)
            changed = True
    for row in rows:
        contact = by_id.get(row.id) if row.id in kept else None
        if contact is not None and contact.is_primary and not row.is_primary:
            contact.is_primary = False
            changed = True
    if changed:
        db.session.flush()
    for position, row in enumerate(rows):
        contact = by_id.get(row.id) if row.id in kept else None
        if contact is None:
            contact = new()
            collection.append(contact)
            changed = True
        for name in (*TEXT_FIELDS, "is_primary"):
            value = getattr(row, name)
            if getattr(contact, name, None) != value:
                setattr(contact, name, value)
                changed = True
        if contact.position != position:
            contact.position = position
            changed = True
    return changed


# --- the form row ------------------------------------------------------------------------------


class ContactForm(Form):
    """One contact row inside the record's form: ``FieldList(FormField(ContactForm))`` (a plain
    wtforms Form, so rows carry no CSRF token of their own)."""

    class Meta:
        def get_translations(self, form):
            return wtforms_translations

    id = HiddenField()
    name = StringField(_l("Full name"), validators=[Optional(), Length(max=60)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=60)])
    department = StringField(_l("Department"), validators=[Optional(), Length(max=60)])
    mobile = StringField(_l("Mobile"), validators=[Optional(), Length(max=40)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=120)])
    is_primary = BooleanField(_l("Primary"))


def contacts_from_form(entries: Iterable[Any]) -> list[ContactData]:
    """The rows of a ``FieldList(FormField(ContactForm))`` as ContactData, numbered as shown."""
    rows = []
    for number, entry in enumerate(entries, 1):
        form = entry.form
        raw_id = (form.id.data or "").strip()
        rows.append(
            ContactData(
                id=int(raw_id) if raw_id.isdigit() else None,
                is_primary=bool(form.is_primary.data),
                row=number,
                **{name: getattr(form, name).data or "" for name in TEXT_FIELDS},
            )
        )
    return rows
