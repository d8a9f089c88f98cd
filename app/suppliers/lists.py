"""The supplier list: columns, filters and search, shared by the page and its exports.

The export columns are those of the import template: the supplier's fields, then its primary
contact's.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from app.core import listview as lv
from app.suppliers.models import DOC_LANGUAGES, Supplier, SupplierContact
from app.suppliers.search import apply_search

STATUS_CHOICES = [("current", _l("Not deleted")), ("deleted", _l("Deleted"))]

Primary = aliased(SupplierContact, name="primary_contact")


def _status(query: sa.Select, value: str) -> sa.Select:
    if value == "deleted":
        return query.where(Supplier.deleted_at.is_not(None))
    return query.where(Supplier.deleted_at.is_(None))


def base_query() -> sa.Select:
    return sa.select(Supplier).outerjoin(
        Primary, sa.and_(Primary.supplier_id == Supplier.id, Primary.is_primary.is_(True))
    )


def _contact(attr: str):
    return lambda s: getattr(s.primary_contact, attr) if s.primary_contact is not None else ""


SUPPLIER_LIST = lv.ListSpec(
    name="suppliers",
    base_query=base_query,
    id_column=Supplier.id,
    default_sort="-id",
    columns=[
        lv.Column("code", _l("Code"), expr=Supplier.code, kind=lv.CODE, link=True),
        lv.Column("name", _l("Name"), expr=Supplier.name, link=True),
        lv.Column(
            "doc_language",
            _l("Document language"),
            expr=Supplier.doc_language,
            kind=lv.CHOICE,
            choices=DOC_LANGUAGES,
            in_list=False,
        ),
        lv.Column("contact_list", _l("Primary contact"), value=_contact("name"), in_export=False),
        lv.Column("mobile_list", _l("Mobile"), value=_contact("mobile"), in_export=False),
        lv.Column("phone", _l("Phone"), expr=Supplier.phone, sortable=False),
        lv.Column("address", _l("Address"), expr=Supplier.address, sortable=False),
        lv.Column("fax", _l("Fax"), expr=Supplier.fax, in_list=False),
        lv.Column("email", _l("E-mail"), expr=Supplier.email, in_list=False),
        lv.Column("website", _l("Website"), expr=Supplier.website, in_list=False),
        lv.Column("tax_id", _l("Tax ID"), expr=Supplier.tax_id, in_list=False),
        lv.Column("bank_name", _l("Bank"), expr=Supplier.bank_name, in_list=False),
        lv.Column("bank_account", _l("Bank account"), expr=Supplier.bank_account, in_list=False),
        lv.Column("invoice_address", _l("Invoice address"), expr=Supplier.invoice_address, in_list=False),
        lv.Column("invoice_phone", _l("Invoice phone"), expr=Supplier.invoice_phone, in_list=False),
        lv.Column(
            "payment_terms_days",
            _l("Payment terms (days)"),
            expr=Supplier.payment_terms_days,
            kind=lv.NUMBER,
            sortable=False,
        ),
        lv.Column("note", _l("Note"), expr=Supplier.note, in_list=False),
        lv.Column("contact_name", _l("Contact name"), expr=Primary.name, in_list=False),
        lv.Column("contact_title", _l("Contact title"), expr=Primary.title, in_list=False),
        lv.Column("contact_department", _l("Contact department"), expr=Primary.department, in_list=False),
        lv.Column("contact_mobile", _l("Contact mobile"), expr=Primary.mobile, in_list=False),
        lv.Column("contact_phone", _l("Contact phone"), expr=Primary.phone, in_list=False),
        lv.Column("contact_email", _l("Contact e-mail"), expr=Primary.email, in_list=False),
    ],
    filters=[lv.Filter("status", _l("Status"), _status, choices=lambda: STATUS_CHOICES, default="current")],
    search=apply_search,
    search_placeholder=_l("Code, name or phone, e.g. S000012, 洛阳 or 0379-6"),
    row_url=lambda s: url_for("suppliers.supplier_detail", supplier_id=s.id),
    cached_by=(Supplier.__tablename__, SupplierContact.__tablename__),
)
