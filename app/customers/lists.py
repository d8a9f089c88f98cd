"""The customer list: columns, filters and search, shared by the page and its exports.

The export columns are those of the import template: the customer's fields, then its primary
contact's.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from app.auth.models import User
from app.core import listview as lv
from app.customers.models import CUSTOMER_TYPES, DOC_LANGUAGES, Customer, CustomerContact
from app.customers.scope import VIEW_ALL, visible_customers_filter
from app.customers.search import apply_search
from app.extensions import db

STATUS_CHOICES = [("current", _l("Not deleted")), ("deleted", _l("Deleted"))]
NO_OWNER = "none"

Owner = aliased(User, name="owner_user")
Primary = aliased(CustomerContact, name="primary_contact")


def _status(query: sa.Select, value: str) -> sa.Select:
    if value == "deleted":
        return query.where(Customer.deleted_at.is_not(None))
    return query.where(Customer.deleted_at.is_(None))


def _type(query: sa.Select, value: str) -> sa.Select:
    return query.where(Customer.type == value) if value in CUSTOMER_TYPES else query


def _owner(query: sa.Select, value: str) -> sa.Select:
    if value == NO_OWNER:
        return query.where(Customer.owner_id.is_(None))
    return query.where(Customer.owner_id == int(value)) if value.isdigit() else query


def _type_choices() -> list[tuple[str, object]]:
    return [("", _l("All types")), *CUSTOMER_TYPES.items()]


def _owner_choices() -> list[tuple[str, object]]:
    users = db.session.execute(sa.select(User.id, User.display_name).order_by(User.display_name, User.id)).all()
    return [("", _l("All owners")), (NO_OWNER, _l("No owner")), *((str(i), n) for i, n in users)]


def base_query() -> sa.Select:
    return (
        sa.select(Customer)
        .outerjoin(Owner, Owner.id == Customer.owner_id)
        .outerjoin(Primary, sa.and_(Primary.customer_id == Customer.id, Primary.is_primary.is_(True)))
        .where(visible_customers_filter())
    )


def _contact(attr: str):
    return lambda c: getattr(c.primary_contact, attr) if c.primary_contact is not None else ""


CUSTOMER_LIST = lv.ListSpec(
    name="customers",
    base_query=base_query,
    id_column=Customer.id,
    default_sort="-id",
    columns=[
        lv.Column("code", _l("Code"), expr=Customer.code, kind=lv.CODE, link=True),
        lv.Column("name", _l("Name"), expr=Customer.name, link=True),
        lv.Column("type", _l("Type"), expr=Customer.type, kind=lv.CHOICE, choices=CUSTOMER_TYPES, sortable=False),
        lv.Column(
            "owner",
            _l("Owner"),
            value=lambda c: c.owner.display_name if c.owner else "",
            permission=VIEW_ALL,
            in_export=False,
        ),
        lv.Column("owner_username", _l("Owner (username)"), expr=Owner.username, permission=VIEW_ALL, in_list=False),
        lv.Column(
            "doc_language",
            _l("Document language"),
            expr=Customer.doc_language,
            kind=lv.CHOICE,
            choices=DOC_LANGUAGES,
            in_list=False,
        ),
        lv.Column("contact_list", _l("Primary contact"), value=_contact("name"), in_export=False),
        lv.Column("mobile_list", _l("Mobile"), value=_contact("mobile"), in_export=False),
        lv.Column("phone", _l("Phone"), expr=Customer.phone, sortable=False),
        lv.Column("address", _l("Address"), expr=Customer.address, in_list=False),
        lv.Column("fax", _l("Fax"), expr=Customer.fax, in_list=False),
        lv.Column("email", _l("E-mail"), expr=Customer.email, in_list=False),
        lv.Column("website", _l("Website"), expr=Customer.website, in_list=False),
        lv.Column("tax_id", _l("Tax ID"), expr=Customer.tax_id, in_list=False),
        lv.Column("bank_name", _l("Bank"), expr=Customer.bank_name, in_list=False),
        lv.Column("bank_account", _l("Bank account"), expr=Customer.bank_account, in_list=False),
        lv.Column("invoice_address", _l("Invoice address"), expr=Customer.invoice_address, in_list=False),
        lv.Column("invoice_phone", _l("Invoice phone"), expr=Customer.invoice_phone, in_list=False),
        lv.Column(
            "payment_terms_days",
            _l("Payment terms (days)"),
            expr=Customer.payment_terms_days,
            kind=lv.NUMBER,
            sortable=False,
            in_list=False,
        ),
        lv.Column("credit_limit", _l("Credit limit"), expr=Customer.credit_limit, kind=lv.MONEY, sortable=False),
        lv.Column("note", _l("Note"), expr=Customer.note, in_list=False),
        lv.Column("contact_name", _l("Contact name"), expr=Primary.name, in_list=False),
        lv.Column("contact_title", _l("Contact title"), expr=Primary.title, in_list=False),
        lv.Column("contact_department", _l("Contact department"), expr=Primary.department, in_list=False),
        lv.Column("contact_mobile", _l("Contact mobile"), expr=Primary.mobile, in_list=False),
        lv.Column("contact_phone", _l("Contact phone"), expr=Primary.phone, in_list=False),
        lv.Column("contact_email", _l("Contact e-mail"), expr=Primary.email, in_list=False),
    ],
    filters=[
        lv.Filter("type", _l("Type"), _type, choices=_type_choices),
        lv.Filter("owner", _l("Owner"), _owner, choices=_owner_choices, permission=VIEW_ALL),
        lv.Filter("status", _l("Status"), _status, choices=lambda: STATUS_CHOICES, default="current"),
    ],
    search=apply_search,
    search_placeholder=_l("Code, name or phone, e.g. C000123, 恒通 or 021-5888"),
    row_url=lambda c: url_for("customers.customer_detail", customer_id=c.id),
    cached_by=(Customer.__tablename__, CustomerContact.__tablename__, User.__tablename__),
    per_user=True,  # the scope: own customers
)
