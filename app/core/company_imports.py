"""What the imports of customers and suppliers share: records with a code, a unique name and contacts.

Each row is one company with its primary contact. Rows are matched to existing records by code
(``key``); names must be unique too, so a name is checked against the other rows of the file
(``imports.UniqueColumn``) and against the database (``Existing`` records read once per file by
``find_existing``). A row's contact cells describe the primary contact: on an existing record the
contact with the same name is updated (or, with no name given, the current primary contact), a
new name is added as the new primary contact, and the other contacts are kept.

The domains (``app.customers.imports``, ``app.suppliers.imports``) say which columns they have,
who may see which record and how their messages read; saving goes through their services, row by
row, so every rule and the operation log are those of a manual edit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import imports
from app.core.contacts import TEXT_FIELDS as CONTACT_FIELDS
from app.core.contacts import ContactData
from app.core.errors import DomainError
from app.core.text import name_key
from app.extensions import db

CHUNK = 500  # values per IN (...): well inside every engine's limit on bound parameters
MAX_TERMS_DAYS = 3650
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
CONTACT_PREFIX = "contact_"
# Company fields that are plain text: column key → (max length, kept as text in the template, width).
TEXT_COLUMNS: dict[str, tuple[int, bool, int]] = {
    "phone": (40, True, 16),
    "address": (300, False, 30),
    "fax": (40, True, 14),
    "email": (120, False, 24),
    "website": (200, False, 20),
    "tax_id": (30, True, 20),
    "bank_name": (100, False, 20),
    "bank_account": (40, True, 22),
    "invoice_address": (300, False, 30),
    "invoice_phone": (40, True, 16),
}
CONTACT_COLUMNS: dict[str, tuple[int, bool, int]] = {
    "contact_name": (60, False, 12),
    "contact_title": (60, False, 12),
    "contact_department": (60, False, 12),
    "contact_mobile": (40, True, 14),
    "contact_phone": (40, True, 14),
    "contact_email": (120, False, 22),
}
EMAIL_COLUMNS = ("email", "contact_email")


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- parsing cells ------------------------------------------------------------------------------


def days() -> imports.Parser:
    """Whole days from 0 to 3650 (payment terms)."""
    parse_number = imports.number(0, max_digits=6)

    def parse(value: Any) -> int:
        try:
            result = int(parse_number(value))
        except imports.CellError:
            result = -1
        if not 0 <= result <= MAX_TERMS_DAYS:
            raise imports.CellError(_("Enter a whole number of days from 0 to %(max)d.", max=MAX_TERMS_DAYS))
        return result

    return parse


def multiline(max_length: int) -> imports.Parser:
    """Free text whose line breaks matter (a note): kept as typed, only trimmed."""
    as_text = imports.text(max_length)

    def parse(value: Any) -> str:
        if not isinstance(value, str):
            return as_text(value)
        lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        result = "\n".join(line.rstrip() for line in lines).strip()
        if len(result) > max_length:
            raise imports.CellError(_("Too long: at most %(n)d characters.", n=max_length))
        return result

    return parse


def text_columns(label: Callable[[str], Any], keys: Sequence[str], helps: dict[str, Any]) -> list[imports.ImportColumn]:
    """Plain text columns (company fields or contact fields) labelled like the list's export."""
    specs = {**TEXT_COLUMNS, **CONTACT_COLUMNS}
    columns = []
    for key in keys:
        length, as_text, width = specs[key]
        columns.append(
            imports.ImportColumn(
                key, label(key), imports.text(length), help=helps.get(key), width=width, text_format=as_text
            )
        )
    return columns


EMAIL_HELP = _l("One address, e.g. sales@example.com.")
CONTACT_NAME_HELP = _l("The primary contact's name: needed when other contact cells of the row are filled in.")
CONTACT_NOTE = _l(
    "One contact per row: the primary contact. On an existing record, the contact with the same name is "
    "updated and a new name is added as the new primary contact; other contacts are kept."
)


# --- records already in the database ------------------------------------------------------------


@dataclass
class Existing:
    """A stored record whose code or name a row of the file also has (deleted ones included)."""

    id: int
    code: str
    name: str
    is_deleted: bool
    is_visible: bool  # whether the importer may see it: only then is its code named in messages


@dataclass
class Lookups:
    codes: dict[str, Existing]
    names: dict[str, Existing]


def find_existing(
    model: type,
    rows: list[dict[str, Any]],
    *,
    code_key: Callable[[str], str],
    visible: Callable[[Any], bool] = lambda row: True,
    extra: Sequence[sa.ColumnElement] = (),
) -> Lookups:
    """The stored records having one of the codes or names of ``rows``, whoever may see them.

    ``visible`` gets the row of (id, code, name, name_key, deleted_at, *extra).
    """
    codes = {code_key(str(v["code"])) for v in rows if v.get("code")}
    names = {name_key(v["name"]) for v in rows if v.get("name")}
    columns = (model.id, model.code, model.name, model.name_key, model.deleted_at, *extra)
    result = Lookups(codes={}, names={})
    for column, wanted in ((model.code, codes), (model.name_key, names)):
        for batch in chunks(sorted(wanted - {""})):
            for row in db.session.execute(sa.select(*columns).where(column.in_(batch))):
                existing = Existing(
                    id=row.id,
                    code=row.code,
                    name=row.name,
                    is_deleted=row.deleted_at is not None,
                    is_visible=visible(row),
                )
                result.codes[row.code] = existing
                result.names[row.name_key] = existing
    return result


def find_records(query: sa.Select, code_column: sa.ColumnElement, keys: set[Any]) -> dict[Any, Any]:
    """The records of ``query`` (already limited to what the importer may see) whose code is in ``keys``."""
    found = {}
    for batch in chunks(sorted(keys)):
        for record in db.session.scalars(query.where(code_column.in_(batch))).unique():
            found[record.code] = record
    return found


# --- checking a row -----------------------------------------------------------------------------


Problems = list[tuple[str | None, str]]


def apply_text(values: dict[str, Any], data: Any, keys: Iterable[str]) -> Problems:
    """Copy the row's non-empty cells onto ``data`` (blank cells keep the record's value); check e-mails."""
    problems: Problems = []
    for key in keys:
        value = values.get(key)
        if value is None or value == "":
            continue
        if key in EMAIL_COLUMNS and not EMAIL.fullmatch(value):
            problems.append((key, _("Enter a valid e-mail address, e.g. name@example.com.")))
        setattr(data, key, value)
    return problems


def contacts_of(contacts: Iterable[Any]) -> list[ContactData]:
    """A record's stored contacts as the service takes them (kept unless the row changes them)."""
    return [
        ContactData(
            id=c.id,
            is_primary=c.is_primary,
            row=position,
            **{name: getattr(c, name) for name in CONTACT_FIELDS},
        )
        for position, c in enumerate(contacts, 1)
    ]


def apply_contact(values: dict[str, Any], contacts: list[ContactData]) -> Problems:
    """Make the row's contact cells the primary contact of ``contacts`` (see the module docstring)."""
    given = {
        name: values[CONTACT_PREFIX + name]
        for name in CONTACT_FIELDS
        if values.get(CONTACT_PREFIX + name) not in (None, "")
    }
    if not given:
        return []
    problems: Problems = []
    email = given.get("email")
    if email is not None and not EMAIL.fullmatch(email):
        problems.append(("contact_email", _("Enter a valid e-mail address, e.g. name@example.com.")))
    name = given.get("name")
    if name:
        target = next((c for c in contacts if name_key(c.name) == name_key(name)), None)
    else:
        target = next((c for c in contacts if c.is_primary), None)
        if target is None:
            problems.append(("contact_name", _("Enter the contact's name: this row has other contact details.")))
            return problems
    if target is None:
        target = ContactData(row=len(contacts) + 1)
        contacts.append(target)
    for field_name, value in given.items():
        setattr(target, field_name, value)
    for contact in contacts:
        contact.is_primary = contact is target
    return problems


def check_code(
    code: str, record: Any, lookups: Lookups, *, shape: re.Pattern, shape_message: str, taken_message: str
) -> Problems:
    """A typed code: its shape, and (for a new record) that no record the importer cannot see holds it."""
    if not shape.fullmatch(code):
        return [("code", shape_message)]
    existing = lookups.codes.get(code)
    if record is None and existing is not None:
        # A record the importer may see was matched by the machinery; this one is hidden from them.
        return [("code", taken_message)]
    return []


def check_name(name: str, record: Any, lookups: Lookups, message: Callable[[Existing], str]) -> Problems:
    """The name is nobody else's (another record, deleted or not, whether the importer sees it or not)."""
    existing = lookups.names.get(name_key(name))
    if existing is not None and (record is None or existing.id != record.id):
        return [("name", message(existing))]
    return []


# --- saving -------------------------------------------------------------------------------------


def save_rows(
    planned: list[imports.Planned],
    *,
    create: Callable[[Any], Any],
    update: Callable[[Any, Any, int | None], Any],
) -> imports.SaveResult:
    """Write the rows through the domain's services, one call per row; a refusal names its row.

    Rows with a code of their own are created first, so numbering the others cannot hand out a
    code that a later row of the file names. An update that changes nothing moves no version and
    is counted as unchanged.
    """
    result = imports.SaveResult()
    for item in sorted(planned, key=lambda p: p.record is None and not p.data.code):
        try:
            if item.record is None:
                create(item.data)
                result.created += 1
            else:
                before = item.record.version_id
                update(item.record, item.data, item.version)
                if item.record.version_id == before:
                    result.unchanged += 1
                else:
                    result.updated += 1
        except DomainError as exc:
            raise DomainError(_("Row %(row)d: %(message)s", row=item.row, message=str(exc))) from None
    return result
