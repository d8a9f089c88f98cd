"""Supplier import (导入检测): the columns of the supplier export, matched by code.

The machinery is ``app.core.imports``, the parts shared with customers ``app.core.company_imports``;
this module says what a supplier row is and registers the pages on the suppliers blueprint:
/suppliers/import (upload), /suppliers/import/template.xlsx, /suppliers/import/<token> (preview),
/suppliers/import/<token>/commit and /suppliers/import/<token>/errors.csv.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.auth.access import can, require
from app.core import company_imports as company
from app.core import imports
from app.core.text import name_key
from app.suppliers import services
from app.suppliers.lists import SUPPLIER_LIST
from app.suppliers.models import DOC_LANGUAGES, Supplier
from app.suppliers.search import code_key
from app.suppliers.views import bp

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
    """The supplier export's header for ``key``, so a template and an export read alike."""
    return SUPPLIER_LIST.column(key).label


def _prepare(rows: list[dict[str, Any]]) -> company.Lookups:
    return company.find_existing(Supplier, rows, code_key=code_key)


def _key(values: dict[str, Any], lookups: company.Lookups) -> Hashable | None:
    return code_key(values["code"]) if values.get("code") else None


def _find(keys: set[Hashable], lookups: company.Lookups) -> dict[Hashable, Supplier]:
    query = sa.select(Supplier).options(selectinload(Supplier.contacts))
    return company.find_records(query, Supplier.code, keys)


def data_of(supplier: Supplier) -> services.SupplierData:
    """A stored supplier as the service takes it, contacts included."""
    return services.SupplierData(
        name=supplier.name,
        code=supplier.code,
        doc_language=supplier.doc_language,
        address=supplier.address,
        phone=supplier.phone,
        fax=supplier.fax,
        email=supplier.email,
        website=supplier.website,
        tax_id=supplier.tax_id,
        bank_name=supplier.bank_name,
        bank_account=supplier.bank_account,
        invoice_address=supplier.invoice_address,
        invoice_phone=supplier.invoice_phone,
        payment_terms_days=supplier.payment_terms_days,
        note=supplier.note,
        contacts=company.contacts_of(supplier.contacts),
    )


def _name_taken(existing: company.Existing) -> str:
    if existing.is_deleted:
        return _(
            "A deleted supplier is named %(name)s (%(code)s). Restore it instead of importing it again.",
            name=existing.name,
            code=existing.code,
        )
    return _("A supplier named %(name)s already exists (%(code)s).", name=existing.name, code=existing.code)


def _build(
    values: dict[str, Any], lookups: company.Lookups, supplier: Supplier | None
) -> tuple[services.SupplierData, company.Problems]:
    problems: company.Problems = []
    data = data_of(supplier) if supplier is not None else services.SupplierData(name="")
    if values.get("code"):
        data.code = code_key(values["code"])
        problems += company.check_code(
            data.code,
            supplier,
            lookups,
            shape=services.CODE_SHAPE,
            shape_message=_(
                "A code is up to 20 letters, digits and - _ . / (e.g. S000123); leave it empty to number it."
            ),
            taken_message=_("The code %(code)s is already taken.", code=data.code),
        )
    if values.get("name"):
        data.name = values["name"]
        problems += company.check_name(data.name, supplier, lookups, _name_taken)
    for key in ("doc_language", "payment_terms_days", "note"):
        if values.get(key) is not None:
            setattr(data, key, values[key])
    problems += company.apply_text(values, data, COMPANY_TEXT)
    problems += company.apply_contact(values, data.contacts)
    return data, problems


def _save(planned: list[imports.Planned]) -> imports.SaveResult:
    return company.save_rows(
        planned,
        create=services.create_supplier,
        update=lambda supplier, data, version: services.update_supplier(supplier, data, expected_version=version),
    )


_TEXT_HELP = {
    "email": company.EMAIL_HELP,
    "tax_id": _l("The taxpayer ID for invoices, e.g. an 18-character unified social credit code."),
    "contact_name": company.CONTACT_NAME_HELP,
    "contact_email": company.EMAIL_HELP,
}

SUPPLIER_IMPORT = imports.ImportSpec(
    name="suppliers",
    title=_l("Import suppliers"),
    sheet_name=_l("Suppliers"),
    columns=(
        imports.ImportColumn(
            "code",
            _label("code"),
            imports.text(20),
            help=_l(
                "Leave empty to number it automatically (S000123). With “Update existing records”, a row whose "
                "code exists changes that supplier."
            ),
            width=12,
            text_format=True,
        ),
        imports.ImportColumn(
            "name",
            _label("name"),
            imports.text(200),
            required=True,
            help=_l(
                "The company name. No two suppliers may have the same name (case, width and spaces do not matter)."
            ),
            width=30,
            text_format=True,
        ),
        imports.ImportColumn(
            "doc_language",
            _label("doc_language"),
            imports.choice(DOC_LANGUAGES),
            help=_l("Chinese or English (zh, en): the language of enquiries and purchase orders. Default: Chinese."),
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
        imports.ImportColumn("note", _label("note"), company.multiline(2000), width=30, text_format=True),
        *company.text_columns(_label, CONTACT_TEXT, _TEXT_HELP),
    ),
    key_columns=("code",),
    key_label=_l("code"),
    unique=(imports.UniqueColumn("name", _l("name"), name_key),),
    prepare=_prepare,
    key=_key,
    find=_find,
    build=_build,
    describe=lambda supplier: supplier.audit_label(),
    save=_save,
    permission="suppliers.import",
    update_permission="suppliers.edit",
    endpoint="suppliers.supplier_import",
    done_endpoint="suppliers.supplier_list",
    audit_type=Supplier.__audit_type__,
    notes=(company.CONTACT_NOTE,),
)

imports.guard_uploads(bp)


@bp.route("/suppliers/import", methods=["GET", "POST"])
@require("suppliers.view", "suppliers.import")
@imports.upload_limit(SUPPLIER_IMPORT.max_bytes)
def supplier_import():
    return imports.upload_view(SUPPLIER_IMPORT, can)


@bp.get("/suppliers/import/template.xlsx")
@require("suppliers.view", "suppliers.import")
def supplier_import_template():
    return imports.template_response(SUPPLIER_IMPORT)


@bp.get("/suppliers/import/<token>")
@require("suppliers.view", "suppliers.import")
def supplier_import_preview(token: str):
    return imports.preview_view(SUPPLIER_IMPORT, token)


@bp.post("/suppliers/import/<token>/commit")
@require("suppliers.view", "suppliers.import")
def supplier_import_commit(token: str):
    return imports.commit_view(SUPPLIER_IMPORT, token, can)


@bp.get("/suppliers/import/<token>/errors.csv")
@require("suppliers.view", "suppliers.import")
def supplier_import_errors(token: str):
    return imports.errors_response(SUPPLIER_IMPORT, token)
