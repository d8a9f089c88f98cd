"""Customer import (导入检测): the columns of the customer export, matched by code.

The machinery is ``app.core.imports``, the parts shared with suppliers ``app.core.company_imports``;
this module says what a customer row is and registers the pages on the customers blueprint:
/customers/import (upload), /customers/import/template.xlsx, /customers/import/<token> (preview),
/customers/import/<token>/commit and /customers/import/<token>/errors.csv.

Scope: rows are matched only to customers the importer may see (``scope``), so a salesperson's
row naming another salesperson's code is refused as a taken code, without the customer's name or
owner. The owner column exists only for users who may assign owners (``customers.view_all`` and
``customers.edit``); anyone else becomes the owner of the customers they import, as when creating
one by hand, and an owner column in their file is ignored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.auth.access import can, require
from app.auth.models import User
from app.core import company_imports as company
from app.core import imports
from app.core.text import name_key
from app.customers import scope, services
from app.customers.lists import CUSTOMER_LIST
from app.customers.models import CUSTOMER_TYPES, DOC_LANGUAGES, Customer
from app.customers.search import code_key
from app.customers.views import bp
from app.extensions import db

COMPANY_TEXT = (
    "phone",
    "address",
    "fax",
    "email",
    "website",
    "tax_id",
    "bank_name",
    "bank_account",
    "invoice_address",
    "invoice_phone",
)
CONTACT_TEXT = tuple(company.CONTACT_COLUMNS)


def _label(key: str) -> Any:
    """The customer export's header for ``key``, so a template and an export read alike."""
    return CUSTOMER_LIST.column(key).label


@dataclass
class Lookups:
    existing: company.Lookups
    may_assign: bool
    user_id: int
    users: dict[str, User]  # by username
    users_folded: dict[str, list[User]]  # by case-folded username, for a username typed in another case
    candidates: set[int]  # who may own customers (active, with customers.edit)

    def user(self, username: str) -> User | None:
        user = self.users.get(username)
        if user is None:
            matches = self.users_folded.get(username.casefold(), [])
            user = matches[0] if len(matches) == 1 else None
        return user


def _prepare(rows: list[dict[str, Any]]) -> Lookups:
    may_assign = scope.may_assign_owner()
    user_id = int(current_user.get_id())
    view_all = scope.may_view_all()
    existing = company.find_existing(
        Customer,
        rows,
        code_key=code_key,
        visible=lambda row: view_all or row.owner_id == user_id,
        extra=(Customer.owner_id,),
    )
    users: dict[str, User] = {}
    folded: dict[str, list[User]] = {}
    candidates: set[int] = set()
    if may_assign and any(v.get("owner_username") for v in rows):
        for user in db.session.scalars(sa.select(User)):
            users[user.username] = user
            folded.setdefault(user.username.casefold(), []).append(user)
        candidates = {u.id for u in services.owner_candidates()}
    return Lookups(
        existing=existing,
        may_assign=may_assign,
        user_id=user_id,
        users=users,
        users_folded=folded,
        candidates=candidates,
    )


def _key(values: dict[str, Any], lookups: Lookups) -> Hashable | None:
    return code_key(values["code"]) if values.get("code") else None


def _find(keys: set[Hashable], lookups: Lookups) -> dict[Hashable, Customer]:
    # Only customers the importer may see: another salesperson's code is then "taken" (see _build).
    query = scope.visible_customers().options(selectinload(Customer.contacts))
    return company.find_records(query, Customer.code, keys)


def data_of(customer: Customer) -> services.CustomerData:
    """A stored customer as the service takes it, contacts included."""
    return services.CustomerData(
        name=customer.name,
        code=customer.code,
        type=customer.type,
        owner_id=customer.owner_id,
        doc_language=customer.doc_language,
        address=customer.address,
        phone=customer.phone,
        fax=customer.fax,
        email=customer.email,
        website=customer.website,
        tax_id=customer.tax_id,
        bank_name=customer.bank_name,
        bank_account=customer.bank_account,
        invoice_address=customer.invoice_address,
        invoice_phone=customer.invoice_phone,
        payment_terms_days=customer.payment_terms_days,
        credit_limit=customer.credit_limit,
        note=customer.note,
        contacts=company.contacts_of(customer.contacts),
    )


def _name_taken(existing: company.Existing) -> str:
    if not existing.is_visible:
        # The create form's words: that the name is taken, never whose customer it is.
        if existing.is_deleted:
            return _(
                "A deleted customer is named %(name)s. Ask someone who may see it to restore it "
                "instead of creating it again.",
                name=existing.name,
            )
        return _("A customer named %(name)s already exists.", name=existing.name)
    if existing.is_deleted:
        return _(
            "A deleted customer is named %(name)s (%(code)s). Restore it instead of importing it again.",
            name=existing.name,
            code=existing.code,
        )
    return _("A customer named %(name)s already exists (%(code)s).", name=existing.name, code=existing.code)


def _owner(values: dict[str, Any], lookups: Lookups, customer: Customer | None) -> tuple[int | None, company.Problems]:
    """The owner a row asks for (only for who may assign owners); None when it asks for none."""
    username = values.get("owner_username")
    if not username:
        return None, []
    user = lookups.user(username)
    if user is None:
        return None, [("owner_username", _("No user has the username “%(name)s”.", name=username))]
    if not user.is_active:
        return None, [("owner_username", _("%(name)s is deactivated and cannot own customers.", name=username))]
    if user.id not in lookups.candidates and (customer is None or customer.owner_id != user.id):
        message = _("%(name)s cannot own customers: their roles do not allow editing customers.", name=username)
        return None, [("owner_username", message)]
    return user.id, []


def _build(
    values: dict[str, Any], lookups: Lookups, customer: Customer | None
) -> tuple[services.CustomerData, company.Problems]:
    problems: company.Problems = []
    data = data_of(customer) if customer is not None else services.CustomerData(name="")
    if values.get("code"):
        data.code = code_key(values["code"])
        problems += company.check_code(
            data.code,
            customer,
            lookups.existing,
            shape=services.CODE_SHAPE,
            shape_message=_(
                "A code is up to 20 letters, digits and - _ . / (e.g. C000123); leave it empty to number it."
            ),
            taken_message=_("The code %(code)s is already taken by a customer you cannot see.", code=data.code),
        )
    if values.get("name"):
        data.name = values["name"]
        problems += company.check_name(data.name, customer, lookups.existing, _name_taken)
    for key in ("type", "doc_language", "payment_terms_days", "credit_limit", "note"):
        if values.get(key) is not None:
            setattr(data, key, values[key])
    problems += company.apply_text(values, data, COMPANY_TEXT)
    problems += company.apply_contact(values, data.contacts)
    if lookups.may_assign:
        owner_id, owner_problems = _owner(values, lookups, customer)
        problems += owner_problems
        if owner_id is not None:
            data.owner_id = owner_id
        elif customer is None and not values.get("owner_username"):
            data.owner_id = lookups.user_id  # as on the create form: the one creating it, unless chosen
    return data, problems


def _save(planned: list[imports.Planned]) -> imports.SaveResult:
    actor_id = int(current_user.get_id())
    may_assign = scope.may_assign_owner()
    return company.save_rows(
        planned,
        create=lambda data: services.create_customer(data, actor_id=actor_id, may_assign_owner=may_assign),
        update=lambda customer, data, version: services.update_customer(
            customer, data, expected_version=version, may_assign_owner=may_assign
        ),
    )


def _owner_usernames() -> list[str]:
    return [u.username for u in services.owner_candidates()]


_TEXT_HELP = {
    "email": company.EMAIL_HELP,
    "tax_id": _l("The taxpayer ID for invoices, e.g. an 18-character unified social credit code."),
    "contact_name": company.CONTACT_NAME_HELP,
    "contact_email": company.EMAIL_HELP,
}

_OWNER_COLUMN = imports.ImportColumn(
    "owner_username",
    _label("owner_username"),
    imports.text(64),
    help=_l(
        "The username of the salesperson who owns the customer. Empty: you, for a new customer; "
        "unchanged, for an existing one."
    ),
    choices=_owner_usernames,
    width=16,
    text_format=True,
)

_COLUMNS = (
    imports.ImportColumn(
        "code",
        _label("code"),
        imports.text(20),
        help=_l(
            "Leave empty to number it automatically (C000123). With “Update existing records”, a row whose "
            "code exists changes that customer."
        ),
        width=12,
        text_format=True,
    ),
    imports.ImportColumn(
        "name",
        _label("name"),
        imports.text(200),
        required=True,
        help=_l("The company name. No two customers may have the same name (case, width and spaces do not matter)."),
        width=30,
        text_format=True,
    ),
    imports.ImportColumn(
        "type",
        _label("type"),
        imports.choice(CUSTOMER_TYPES),
        help=_l("Middleman or End user, in Chinese or English. Default: End user."),
        choices=lambda: [str(label) for label in CUSTOMER_TYPES.values()],
        width=10,
    ),
    _OWNER_COLUMN,
    imports.ImportColumn(
        "doc_language",
        _label("doc_language"),
        imports.choice(DOC_LANGUAGES),
        help=_l(
            "Chinese or English (zh, en): the language of the customer's quotations and documents. Default: Chinese."
        ),
        choices=lambda: [str(label) for label in DOC_LANGUAGES.values()],
        width=10,
    ),
    *company.text_columns(_label, COMPANY_TEXT, _TEXT_HELP),
    imports.ImportColumn(
        "payment_terms_days",
        _label("payment_terms_days"),
        company.days(),
        help=_l("Whole days from 0 to 3650. Default: 0."),
        width=10,
    ),
    imports.ImportColumn(
        "credit_limit",
        _label("credit_limit"),
        imports.number(2, max_digits=14),
        help=_l("CNY, at most 2 decimal places. Default: 0."),
        width=12,
    ),
    imports.ImportColumn("note", _label("note"), company.multiline(2000), width=30, text_format=True),
    *company.text_columns(_label, CONTACT_TEXT, _TEXT_HELP),
)

CUSTOMER_IMPORT = imports.ImportSpec(
    name="customers",
    title=_l("Import customers"),
    sheet_name=_l("Customers"),
    columns=_COLUMNS,
    key_columns=("code",),
    key_label=_l("code"),
    unique=(imports.UniqueColumn("name", _l("name"), name_key),),
    prepare=_prepare,
    key=_key,
    find=_find,
    build=_build,
    describe=lambda customer: customer.audit_label(),
    save=_save,
    permission="customers.import",
    update_permission="customers.edit",
    endpoint="customers.customer_import",
    done_endpoint="customers.customer_list",
    audit_type=Customer.__audit_type__,
    notes=(company.CONTACT_NOTE,),
)

# For who may not assign owners: no owner column (one in the file is ignored); they own what they import.
# Its own name keeps its previews apart, so a preview made under the other set of columns is never committed.
CUSTOMER_IMPORT_OWN = dataclasses.replace(
    CUSTOMER_IMPORT,
    name="customers_own",
    columns=tuple(c for c in _COLUMNS if c is not _OWNER_COLUMN),
    ignore_headers=(_label("owner_username"),),
    notes=(_l("You become the owner of the customers you import."), company.CONTACT_NOTE),
)


def import_spec() -> imports.ImportSpec:
    """The import the signed-in user gets: with the owner column only if they may assign owners."""
    return CUSTOMER_IMPORT if scope.may_assign_owner() else CUSTOMER_IMPORT_OWN


imports.guard_uploads(bp)


@bp.route("/customers/import", methods=["GET", "POST"])
@require("customers.view", "customers.import")
@imports.upload_limit(CUSTOMER_IMPORT.max_bytes)
def customer_import():
    return imports.upload_view(import_spec(), can)


@bp.get("/customers/import/template.xlsx")
@require("customers.view", "customers.import")
def customer_import_template():
    return imports.template_response(import_spec())


@bp.get("/customers/import/<token>")
@require("customers.view", "customers.import")
def customer_import_preview(token: str):
    return imports.preview_view(import_spec(), token)


@bp.post("/customers/import/<token>/commit")
@require("customers.view", "customers.import")
def customer_import_commit(token: str):
    return imports.commit_view(import_spec(), token, can)


@bp.get("/customers/import/<token>/errors.csv")
@require("customers.view", "customers.import")
def customer_import_errors(token: str):
    return imports.errors_response(import_spec(), token)
