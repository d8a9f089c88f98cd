"""Use cases for suppliers and their contacts. Services flush; the caller commits."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import records
from app.core.codes import next_code
from app.core.contacts import ContactData, clean_contacts, summaries, sync_contacts
from app.core.db import utcnow
from app.core.errors import DomainError, StaleEditError
from app.core.locking import check_version
from app.core.text import clean, name_key
from app.extensions import db
from app.suppliers.models import CODE_PREFIX, DOC_LANGUAGES, Supplier, SupplierContact
from app.suppliers.search import code_key

log = logging.getLogger(__name__)

ENTITY = "supplier"
CODE_SHAPE = re.compile(r"[A-Z0-9][A-Z0-9._/\-]{0,19}")
MAX_TERMS_DAYS = 3650
TEXT_FIELDS = (
    "name",
    "address",
    "phone",
    "fax",
    "email",
    "website",
    "tax_id",
    "bank_name",
    "bank_account",
    "invoice_address",
    "invoice_phone",
)


@dataclass
class SupplierData:
    name: str
    code: str = ""
    doc_language: str = "zh"
    address: str = ""
    phone: str = ""
    fax: str = ""
    email: str = ""
    website: str = ""
    tax_id: str = ""
    bank_name: str = ""
    bank_account: str = ""
    invoice_address: str = ""
    invoice_phone: str = ""
    payment_terms_days: int = 0
    note: str = ""
    contacts: list[ContactData] = field(default_factory=list)


def _clean(data: SupplierData) -> None:
    for name in TEXT_FIELDS:
        setattr(data, name, clean(getattr(data, name)))
    data.note = (data.note or "").strip()
    data.code = code_key(data.code)
    data.payment_terms_days = data.payment_terms_days or 0
    data.contacts = clean_contacts(data.contacts)


def _validate(data: SupplierData, supplier: Supplier | None) -> None:
    key = name_key(data.name)
    if not key:
        raise DomainError(_("Enter the supplier's name."))
    if data.code and not CODE_SHAPE.fullmatch(data.code):
        raise DomainError(
            _("A code is up to 20 letters, digits and - _ . / (e.g. S000123); leave it empty to number it.")
        )
    if data.doc_language not in DOC_LANGUAGES:
        raise DomainError(_("Choose the document language."))
    if data.payment_terms_days < 0:
        raise DomainError(_("Numbers here cannot be negative."))
    if data.payment_terms_days > MAX_TERMS_DAYS:
        raise DomainError(_("A number here is too large."))
    clash = db.session.scalar(sa.select(Supplier).where(Supplier.name_key == key))
    if clash is not None and clash is not supplier:
        if clash.deleted_at is not None:
            raise DomainError(
                _(
                    "A deleted supplier is named %(name)s. Restore it instead of creating it again.",
                    name=clash.name,
                )
            )
        raise DomainError(_("A supplier named %(name)s already exists.", name=clash.name))
    if data.code:
        taken = db.session.scalar(sa.select(Supplier.id).where(Supplier.code == data.code))
        if taken is not None and (supplier is None or taken != supplier.id):
            raise DomainError(_("The code %(code)s is already taken.", code=data.code))


def _apply(supplier: Supplier, data: SupplierData) -> None:
    for name, value in asdict(data).items():
        if name not in ("contacts", "code"):
            setattr(supplier, name, value)


def _insert(supplier: Supplier, *, numbered: bool) -> None:
    """Add and write a new supplier; an automatic code someone took meanwhile is replaced by the next one."""
    for _attempt in range(5):
        try:
            # Added inside the savepoint: a failed write then leaves the session usable.
            with db.session.begin_nested():
                db.session.add(supplier)
                db.session.flush()
            return
        except sa.exc.IntegrityError:
            if not numbered:
                break
            if db.session.scalar(sa.select(Supplier.id).where(Supplier.name_key == supplier.name_key)):
                break
            supplier.code = next_code(Supplier.code, CODE_PREFIX)
    # Someone saved the same name or code between our check and our write.
    raise DomainError(_("A supplier with this name or code was saved meanwhile. Check the list, then try again."))


def _save(supplier: Supplier) -> None:
    """Write the changes; a save that lost a race at the database is a stale edit."""
    try:
        db.session.flush()
    except sa.orm.exc.StaleDataError:
        raise StaleEditError(
            _("Someone else saved this record at the same moment. Reload it, then make your change again."),
            changed_by=None,
            changed_at=None,
        ) from None
    except sa.exc.IntegrityError:
        raise DomainError(
            _("A supplier with this name or code was saved meanwhile. Check the list, then try again.")
        ) from None


def supplier_fields(data: SupplierData) -> dict[str, object]:
    """The values a user is saving, by field, as compared with the stored ones on a conflict."""
    values = {k: v for k, v in asdict(data).items() if k != "contacts"}
    if not data.code:
        values.pop("code")
    values["contacts_summary"] = "\n".join(summaries(data.contacts))
    return values


def create_supplier(data: SupplierData) -> Supplier:
    """Create a supplier with its contacts."""
    _clean(data)
    _validate(data, None)
    supplier = Supplier(code=data.code or next_code(Supplier.code, CODE_PREFIX))
    _apply(supplier, data)
    sync_contacts(supplier.contacts, data.contacts, SupplierContact)
    supplier.refresh_keys()
    _insert(supplier, numbered=not data.code)
    log.info("supplier %s created", supplier.code)
    return supplier


def update_supplier(supplier: Supplier, data: SupplierData, *, expected_version: int | None) -> Supplier:
    """Change a supplier and its contacts."""
    _clean(data)
    check_version(supplier, expected_version, supplier_fields(data))
    _validate(data, supplier)
    contacts_changed = sync_contacts(supplier.contacts, data.contacts, SupplierContact)
    if data.code:
        supplier.code = data.code
    _apply(supplier, data)
    supplier.refresh_keys()
    if contacts_changed:
        # A contact change moves the supplier's version, like a change of its own fields.
        supplier.updated_at = utcnow()
    _save(supplier)
    return supplier


def delete_supplier(supplier: Supplier) -> None:
    """Soft-delete a supplier nothing uses."""
    records.soft_delete(ENTITY, supplier, supplier.audit_label())
    db.session.flush()


def restore_supplier(supplier: Supplier) -> None:
    """Restore a soft-deleted supplier."""
    records.restore(supplier)
    db.session.flush()


def delete_suppliers(suppliers: Iterable[Supplier]) -> tuple[list[str], list[str]]:
    """Soft-delete each supplier that nothing uses; return (deleted labels, refusal messages)."""
    deleted, refused = [], []
    for supplier in suppliers:
        try:
            with db.session.begin_nested():
                delete_supplier(supplier)
        except DomainError as exc:
            refused.append(str(exc))
        else:
            deleted.append(supplier.audit_label())
    return deleted, refused
