"""Use cases for customers and their contacts. Services flush; the caller commits."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import User
from app.core import audit, records
from app.core.codes import next_code
from app.core.contacts import ContactData, clean_contacts, summaries, sync_contacts
from app.core.db import utcnow
from app.core.errors import DomainError, StaleEditError
from app.core.locking import check_version
from app.core.templating import register_audit_event
from app.core.text import clean, name_key
from app.customers.models import CODE_PREFIX, CUSTOMER_TYPES, DOC_LANGUAGES, Customer, CustomerContact, owner_label
from app.customers.search import code_key
from app.extensions import db

log = logging.getLogger(__name__)

ENTITY = "customer"
OWNER_CHANGED = "owner_changed"
CODE_SHAPE = re.compile(r"[A-Z0-9][A-Z0-9._/\-]{0,19}")
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

MAX_TERMS_DAYS = 3650
MAX_MONEY = Decimal(10) ** 12

register_audit_event(OWNER_CHANGED, _l("Owner changed"))


@dataclass
class CustomerData:
    name: str
    code: str = ""
    type: str = "end_user"
    owner_id: int | None = None
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
    credit_limit: Decimal = Decimal(0)
    note: str = ""
    contacts: list[ContactData] = field(default_factory=list)


def _clean(data: CustomerData) -> None:
    for name in TEXT_FIELDS:
        setattr(data, name, clean(getattr(data, name)))
    data.note = (data.note or "").strip()
    data.code = code_key(data.code)
    data.payment_terms_days = data.payment_terms_days or 0
    data.credit_limit = Decimal(data.credit_limit or 0).quantize(Decimal("0.01"))
    data.contacts = clean_contacts(data.contacts)


def _check_fields(data: CustomerData) -> None:
    """The rules a customer's own values obey, whatever else is stored."""
    if not name_key(data.name):
        raise DomainError(_("Enter the customer's name."))
    if data.code and not CODE_SHAPE.fullmatch(data.code):
        raise DomainError(
            _("A code is up to 20 letters, digits and - _ . / (e.g. C000123); leave it empty to number it.")
        )
    if data.type not in CUSTOMER_TYPES:
        raise DomainError(_("Choose the customer type."))
    if data.doc_language not in DOC_LANGUAGES:
        raise DomainError(_("Choose the document language."))
    if data.payment_terms_days < 0 or data.credit_limit < 0:
        raise DomainError(_("Numbers here cannot be negative."))
    if data.payment_terms_days > MAX_TERMS_DAYS or data.credit_limit >= MAX_MONEY:
        raise DomainError(_("A number here is too large."))


def _name_clash(name: str, deleted: bool) -> DomainError:
    if deleted:
        return DomainError(
            _(
                "A deleted customer is named %(name)s. Ask someone who may see it to restore it "
                "instead of creating it again.",
                name=name,
            )
        )
    return DomainError(_("A customer named %(name)s already exists.", name=name))


def _validate(data: CustomerData, customer: Customer | None) -> None:
    _check_fields(data)
    clash = db.session.scalar(sa.select(Customer).where(Customer.name_key == name_key(data.name)))
    if clash is not None and clash is not customer:
        raise _name_clash(clash.name, clash.deleted_at is not None)
    if data.code:
        taken = db.session.scalar(sa.select(Customer.id).where(Customer.code == data.code))
        if taken is not None and (customer is None or taken != customer.id):
            raise DomainError(_("The code %(code)s is already taken.", code=data.code))


def _check_owner(owner_id: int | None, current: int | None) -> None:
    if owner_id is None or owner_id == current:
        return
    user = db.session.get(User, owner_id)
    if user is None or not user.is_active:
        raise DomainError(_("The chosen owner is not an active user. Reload the page."))


def _apply(customer: Customer, data: CustomerData) -> None:
    for name, value in asdict(data).items():
        if name in ("contacts", "owner_id", "code"):
            continue
        setattr(customer, name, value)


def _set_owner(customer: Customer, owner_id: int | None) -> list[str | None] | None:
    """Change the owner; return [before, after] as names when it changed, for the history."""
    if customer.owner_id == owner_id and customer.id is not None:
        return None
    before = owner_label(customer.owner) if customer.id is not None else None
    customer.owner = db.session.get(User, owner_id) if owner_id is not None else None
    after = owner_label(customer.owner)
    return [before, after] if before != after else None


def _log_owner(customer: Customer, change: list[str | None] | None) -> None:
    # Logged as an event with names: a user id in the history means nothing to its reader.
    if change is not None:
        audit.record(db.session, event_name=OWNER_CHANGED, obj=customer, changes={"owner_label": change})


def _insert(customer: Customer, *, numbered: bool) -> None:
    """Add and write a new customer; an automatic code someone took meanwhile is replaced by the next one."""
    for _attempt in range(5):
        try:
            # Added inside the savepoint: a failed write then leaves the session usable.
            with db.session.begin_nested():
                db.session.add(customer)
                db.session.flush()
            return
        except sa.exc.IntegrityError:
            if not numbered:
                break
            if db.session.scalar(sa.select(Customer.id).where(Customer.name_key == customer.name_key)):
                break
            customer.code = next_code(Customer.code, CODE_PREFIX)
    # Someone saved the same name or code between our check and our write.
    raise DomainError(_("A customer with this name or code was saved meanwhile. Check the list, then try again."))


def _save(customer: Customer) -> None:
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
            _("A customer with this name or code was saved meanwhile. Check the list, then try again.")
        ) from None


def customer_fields(data: CustomerData, *, with_owner: bool) -> dict[str, object]:
    """The values a user is saving, by field, as compared with the stored ones on a conflict."""
    values = {k: v for k, v in asdict(data).items() if k not in ("contacts", "owner_id")}
    if not data.code:
        values.pop("code")
    if with_owner:
        owner = db.session.get(User, data.owner_id) if data.owner_id is not None else None
        values["owner_label"] = owner_label(owner)
    values["contacts_summary"] = "\n".join(summaries(data.contacts))
    return values


def create_customer(data: CustomerData, *, actor_id: int | None, may_assign_owner: bool) -> Customer:
    """Create a customer with its contacts; whoever may not choose the owner becomes it."""
    _clean(data)
    _validate(data, None)
    owner_id = data.owner_id if may_assign_owner else actor_id
    _check_owner(owner_id, None)
    customer = Customer(code=data.code or next_code(Customer.code, CODE_PREFIX))
    _apply(customer, data)
    owner_change = _set_owner(customer, owner_id)
    sync_contacts(customer.contacts, data.contacts, CustomerContact)
    customer.refresh_keys()
    _insert(customer, numbered=not data.code)
    _log_owner(customer, owner_change)
    log.info("customer %s created", customer.code)
    return customer


def update_customer(
    customer: Customer, data: CustomerData, *, expected_version: int | None, may_assign_owner: bool
) -> Customer:
    """Change a customer and its contacts; the owner changes only for those who may assign it."""
    _clean(data)
    check_version(customer, expected_version, customer_fields(data, with_owner=may_assign_owner))
    _validate(data, customer)
    if may_assign_owner:
        _check_owner(data.owner_id, customer.owner_id)
    contacts_changed = sync_contacts(customer.contacts, data.contacts, CustomerContact)
    if data.code:
        customer.code = data.code
    _apply(customer, data)
    owner_change = _set_owner(customer, data.owner_id) if may_assign_owner else None
    customer.refresh_keys()
    if contacts_changed:
        # A contact change is a change of the customer: it moves the version, so an editor
        # holding an older copy is refused instead of silently undoing it.
        customer.updated_at = utcnow()
    _save(customer)
    _log_owner(customer, owner_change)
    return customer


@dataclass
class CustomerChange:
    """One customer to create (``customer`` is None) or to change, for ``save_customers``."""

    data: CustomerData
    customer: Customer | None = None
    expected_version: int | None = None


@dataclass
class BulkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


SAVE_BATCH = 500  # customers per flush, and values per IN (...) when checking


def _batches(values: list, size: int = SAVE_BATCH) -> Iterable[list]:
    return (values[i : i + size] for i in range(0, len(values), size))


def _check_many(changes: Sequence[CustomerChange], owner_ids: set[int]) -> list[User]:
    """What _validate and _check_owner check one by one, with a few queries for the whole batch; return the owners."""
    names: dict[str, CustomerChange] = {}
    codes: dict[str, CustomerChange] = {}
    for change in changes:
        _check_fields(change.data)
        key = name_key(change.data.name)
        if key in names:
            raise DomainError(_("The customer %(name)s is listed twice.", name=change.data.name))
        names[key] = change
        code = change.data.code
        if code:
            if code in codes:
                raise DomainError(_("The code %(code)s is listed twice.", code=code))
            codes[code] = change
    for keys in _batches(sorted(names)):
        query = sa.select(Customer.id, Customer.name, Customer.name_key, Customer.deleted_at)
        for row in db.session.execute(query.where(Customer.name_key.in_(keys))):
            customer = names[row.name_key].customer
            if customer is None or customer.id != row.id:
                raise _name_clash(row.name, row.deleted_at is not None)
    for batch in _batches(sorted(codes)):
        for row in db.session.execute(sa.select(Customer.id, Customer.code).where(Customer.code.in_(batch))):
            customer = codes[row.code].customer
            if customer is None or customer.id != row.id:
                raise DomainError(_("The code %(code)s is already taken.", code=row.code))
    owners: list[User] = []
    for batch in _batches(sorted(owner_ids)):
        owners += db.session.scalars(sa.select(User).where(User.id.in_(batch)))
    if owner_ids - {u.id for u in owners if u.is_active}:
        raise DomainError(_("The chosen owner is not an active user. Reload the page."))
    return owners


def _numbers(changes: Sequence[CustomerChange]) -> Iterable[str]:
    """Codes for the new customers without one: after the highest in use and the highest this batch types."""
    first = next_code(Customer.code, CODE_PREFIX)
    width = len(first) - len(CODE_PREFIX)
    shape = re.compile(rf"{re.escape(CODE_PREFIX)}\d{{{width}}}")
    typed = [int(c.data.code[len(CODE_PREFIX) :]) for c in changes if shape.fullmatch(c.data.code)]
    number = max([int(first[len(CODE_PREFIX) :]), *(n + 1 for n in typed)])
    while True:
        yield f"{CODE_PREFIX}{number:0{width}d}"
        number += 1


def _flush_many() -> None:
    try:
        db.session.flush()
    except sa.orm.exc.StaleDataError:
        raise StaleEditError(
            _("Someone else saved this record at the same moment. Reload it, then make your change again."),
            changed_by=None,
            changed_at=None,
        ) from None
    except sa.exc.IntegrityError:
        # Someone saved one of these names or codes between the check and the write.
        raise DomainError(
            _("A customer with this name or code was saved meanwhile. Check the list, then try again.")
        ) from None


def save_customers(changes: Sequence[CustomerChange], *, actor_id: int | None, may_assign_owner: bool) -> BulkResult:
    """Create and change many customers in one transaction, under the rules of create_customer and update_customer.

    Everything is checked before anything is written, with a few queries for the whole batch
    instead of several per customer; customers are then flushed in batches, so the operation log
    holds exactly what single edits would write. A change that alters nothing is counted as unchanged.
    """
    owner_ids: set[int] = set()
    for change in changes:
        _clean(change.data)
        customer = change.customer
        if customer is None:
            owner_id = change.data.owner_id if may_assign_owner else actor_id
        else:
            if change.expected_version not in (None, customer.version_id):
                fields = customer_fields(change.data, with_owner=may_assign_owner)
                check_version(customer, change.expected_version, fields)
            owner_id = change.data.owner_id if may_assign_owner and change.data.owner_id != customer.owner_id else None
        if owner_id is not None:
            owner_ids.add(owner_id)
    # Held while saving: _set_owner then finds the owners in the session instead of querying one by one.
    _owners = _check_many(changes, owner_ids)
    numbers = iter(_numbers(changes)) if any(c.customer is None and not c.data.code for c in changes) else iter(())
    result = BulkResult()
    versions: list[tuple[Customer, int]] = []
    owner_changes: list[tuple[Customer, list[str | None]]] = []
    pending = 0
    for change in changes:
        data, customer = change.data, change.customer
        if customer is None:
            customer = Customer(code=data.code or next(numbers))
            _apply(customer, data)
            owner_change = _set_owner(customer, data.owner_id if may_assign_owner else actor_id)
            sync_contacts(customer.contacts, data.contacts, CustomerContact)
            customer.refresh_keys()
            db.session.add(customer)
            result.created += 1
        else:
            versions.append((customer, customer.version_id))
            contacts_changed = sync_contacts(customer.contacts, data.contacts, CustomerContact)
            if data.code:
                customer.code = data.code
            _apply(customer, data)
            owner_change = _set_owner(customer, data.owner_id) if may_assign_owner else None
            customer.refresh_keys()
            if contacts_changed:
                customer.updated_at = utcnow()
        if owner_change is not None:
            owner_changes.append((customer, owner_change))
        pending += 1
        if pending >= SAVE_BATCH:
            _flush_many()
            pending = 0
    _flush_many()
    for customer, owner_change in owner_changes:
        _log_owner(customer, owner_change)
    result.updated = sum(1 for customer, version in versions if customer.version_id != version)
    result.unchanged = len(versions) - result.updated
    log.info("customers saved in bulk: %d created, %d updated", result.created, result.updated)
    return result


def delete_customer(customer: Customer) -> None:
    """Soft-delete a customer nothing uses."""
    records.soft_delete(ENTITY, customer, customer.audit_label())
    db.session.flush()


def restore_customer(customer: Customer) -> None:
    """Restore a soft-deleted customer."""
    records.restore(customer)
    db.session.flush()


def delete_customers(customers: Iterable[Customer]) -> tuple[list[str], list[str]]:
    """Soft-delete each customer that nothing uses; return (deleted labels, refusal messages)."""
    deleted, refused = [], []
    for customer in customers:
        try:
            with db.session.begin_nested():
                delete_customer(customer)
        except DomainError as exc:
            refused.append(str(exc))
        else:
            deleted.append(customer.audit_label())
    return deleted, refused


def owner_candidates(current_owner_id: int | None = None) -> list[User]:
    """Who may own customers: active users whose roles grant customers.edit, and the current owner."""
    from app.auth.models import RolePermission, user_roles

    holders = (
        sa.select(user_roles.c.user_id)
        .join(RolePermission, RolePermission.role_id == user_roles.c.role_id)
        .where(RolePermission.permission == "customers.edit")
    )
    condition = sa.and_(User.is_active.is_(True), User.id.in_(holders))
    if current_owner_id is not None:
        condition = sa.or_(condition, User.id == current_owner_id)
    return list(db.session.scalars(sa.select(User).where(condition).order_by(User.display_name, User.id)))
