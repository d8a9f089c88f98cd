"""Use cases for customers and their contacts. Services flush; the caller commits."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
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


def _validate(data: CustomerData, customer: Customer | None) -> None:
    key = name_key(data.name)
    if not key:
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
    clash = db.session.scalar(sa.select(Customer).where(Customer.name_key == key))
    if clash is not None and clash is not customer:
        if clash.deleted_at is not None:
            raise DomainError(
                _(
                    "A deleted customer is named %(name)s. Ask someone who may see it to restore it "
                    "instead of creating it again.",
                    name=clash.name,
                )
            )
        raise DomainError(_("A customer named %(name)s already exists.", name=clash.name))
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
