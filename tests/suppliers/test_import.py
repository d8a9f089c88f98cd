"""Supplier import: template, upload, row-numbered problems, all-or-nothing commit, updates by code."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from tests.customers.test_import import Importer, count, counts, csv_bytes, flashed, issues, xls_bytes, xlsx
from tests.support import html

EN_HEADERS = [
    "Code",
    "Name",
    "Document language",
    "Phone",
    "Address",
    "Fax",
    "E-mail",
    "Website",
    "Tax ID",
    "Bank",
    "Bank account",
    "Invoice address",
    "Invoice phone",
    "Payment terms (days)",
    "Note",
    "Contact name",
    "Contact title",
    "Contact department",
    "Contact mobile",
    "Contact phone",
    "Contact e-mail",
]
ZH_HEADERS = [
    "代码",
    "名称",
    "单据语言",
    "电话",
    "地址",
    "传真",
    "电子邮件",
    "网站",
    "税号",
    "开户银行",
    "银行账号",
    "开票地址",
    "开票电话",
    "付款期限（天）",
    "备注",
    "联系人姓名",
    "联系人职务",
    "联系人部门",
    "联系人手机",
    "联系人电话",
    "联系人邮箱",
]
SHORT = ["Code", "Name", "Document language", "Phone", "Payment terms (days)", "Contact name", "Contact mobile"]
ROWS = [
    ["", "洛阳轴承厂", "中文", "0379-6", 30, "刘强", "13700000001"],
    [None, "Schaeffler Trading (Shanghai)", "English", None, None, "Anna Meyer", None],
    ["SUP-9", "瓦房店 轴承 集团", "zh", None, "", None, None],
]
IMPORT = Importer("/suppliers/import")


@pytest.fixture
def purchaser(login):
    return login("purchaser")


def suppliers(app) -> dict[str, object]:
    from app.extensions import db
    from app.suppliers.models import Supplier

    with app.app_context():
        rows = db.session.scalars(sa.select(Supplier).order_by(Supplier.id)).all()
        for s in rows:
            _ = s.contacts
        db.session.expunge_all()
        return {s.name: s for s in rows}


def operation_log(app, **where) -> list:
    from app.core.audit import OperationLog
    from app.extensions import db

    with app.app_context():
        query = sa.select(OperationLog).filter_by(**where).order_by(OperationLog.id)
        return [(e.action, e.object_label, e.event, e.changes, e.actor_id) for e in db.session.scalars(query)]


def contacts(supplier) -> list[tuple[str, str, bool]]:
    return [(c.name, c.mobile, c.is_primary) for c in supplier.contacts]


# --- template, upload page, list button -------------------------------------------------------------


@pytest.mark.parametrize(("locale", "headers"), [("en", EN_HEADERS), ("zh", ZH_HEADERS)])
def test_template_headers_are_in_the_users_language(login, locale, headers):
    client = login("purchaser", locale=locale)
    response = client.get("/suppliers/import/template.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    data = workbook.worksheets[0]
    assert [c.value for c in data[1]] == headers
    assert data.max_row == 1
    allowed = workbook.worksheets[2]
    assert [c.value for c in next(allowed.iter_cols(min_col=1, max_col=1))] == [
        headers[2],
        *(["中文", "英文"] if locale == "zh" else ["Chinese", "English"]),
    ]


def test_the_template_has_the_columns_of_the_export(purchaser, create_supplier):
    create_supplier("Export Co")
    exported = openpyxl.load_workbook(io.BytesIO(purchaser.get("/suppliers/export.xlsx").data))
    template = openpyxl.load_workbook(io.BytesIO(purchaser.get("/suppliers/import/template.xlsx").data))
    assert [c.value for c in exported.worksheets[0][1]] == [c.value for c in template.worksheets[0][1]]


def test_upload_page_and_list_button(purchaser, login):
    page = html(purchaser.get("/suppliers/import"))
    assert 'href="/suppliers/import/template.xlsx"' in page and 'name="update"' in page
    assert 'id="supplier-import"' in html(purchaser.get("/suppliers/"))
    assert 'id="supplier-import"' not in html(login("finance").get("/suppliers/"))


# --- creating ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "make"),
    [
        ("s.xlsx", lambda: xlsx(ROWS, SHORT)),
        ("s.csv", lambda: csv_bytes(ROWS, SHORT)),
        ("s.xls", lambda: xls_bytes(ROWS, SHORT)),
    ],
    ids=["xlsx", "csv", "xls"],
)
def test_happy_path(app, purchaser, filename, make):
    token, page = IMPORT.preview(purchaser, make(), filename)
    assert counts(page) == (3, 3, 0, 0)
    assert suppliers(app) == {}, "nothing is written by the preview"
    response = IMPORT.commit(purchaser, token)
    assert response.status_code == 302 and response.headers["Location"].endswith("/suppliers/")
    assert "Import finished: 3 created, 0 updated, 0 unchanged." in flashed(purchaser, "/suppliers/")
    found = suppliers(app)
    luoyang = found["洛阳轴承厂"]
    assert (luoyang.code, luoyang.doc_language, luoyang.phone, luoyang.payment_terms_days) == (
        "S000001",
        "zh",
        "0379-6",
        30,
    )
    assert contacts(luoyang) == [("刘强", "13700000001", True)]
    schaeffler = found["Schaeffler Trading (Shanghai)"]
    assert (schaeffler.code, schaeffler.doc_language) == ("S000002", "en")
    assert contacts(schaeffler) == [("Anna Meyer", "", True)]
    assert found["瓦房店 轴承 集团"].code == "SUP-9" and found["瓦房店 轴承 集团"].contacts == []
    created = [e for e in operation_log(app, object_type="supplier") if e[0] == "create"]
    assert len(created) == 3 and {e[4] for e in created} == {purchaser.user.id}, "logged as a manual edit"
    assert len(operation_log(app, object_type="supplier_contact", action="create")) == 2
    assert len(operation_log(app, event="import", object_type="supplier")) == 1


def test_every_column_is_stored(app, purchaser):
    row = [
        "S-77",
        "Full Columns Supply",
        "English",
        "0379-1",
        "1 Factory Road",
        "0379-2",
        "sales@supply.example",
        "https://supply.example",
        "91410300MA1234567X",
        "Bank of Luoyang",
        "6222000011112222",
        "2 Invoice Road",
        "0379-3",
        60,
        "first line\nsecond line",
        "Liu Qiang",
        "Sales manager",
        "Sales",
        "13700000000",
        "0379-4",
        "liu@supply.example",
    ]
    token, page = IMPORT.preview(purchaser, xlsx([row], EN_HEADERS))
    assert issues(page) == []
    IMPORT.commit(purchaser, token)
    s = suppliers(app)["Full Columns Supply"]
    stored = [
        s.code,
        s.name,
        s.doc_language,
        s.phone,
        s.address,
        s.fax,
        s.email,
        s.website,
        s.tax_id,
        s.bank_name,
        s.bank_account,
        s.invoice_address,
        s.invoice_phone,
        s.payment_terms_days,
        s.note,
    ]
    assert stored == [*row[:2], "en", *row[3:15]]
    c = s.contacts[0]
    assert [c.name, c.title, c.department, c.mobile, c.phone, c.email, c.is_primary] == [*row[15:], True]


# --- checking every row -----------------------------------------------------------------------------


def test_required_cells_types_and_rules(app, purchaser):
    headers = ["Code", "Name", "Document language", "E-mail", "Payment terms (days)", "Contact name", "Contact phone"]
    rows = [
        ["", "", "zh", None, None, None, None],
        ["", "Bad Cells Supply", "de", "x@y", -1, None, "0379-5"],
        ["S 1!", "Bad Code Supply", None, None, "thirty", None, None],
    ]
    token, page = IMPORT.preview(purchaser, xlsx(rows, headers))
    assert issues(page) == [
        (2, "Name", "Required: enter a value."),
        (3, "Document language", "“de” is not allowed. Use one of: Chinese, English."),
        (3, "E-mail", "Enter a valid e-mail address, e.g. name@example.com."),
        (3, "Payment terms (days)", "Enter a whole number of days from 0 to 3650."),
        (3, "Contact name", "Enter the contact's name: this row has other contact details."),
        (4, "Code", "A code is up to 20 letters, digits and - _ . / (e.g. S000123); leave it empty to number it."),
        (4, "Payment terms (days)", "Enter a whole number of days from 0 to 3650."),
    ]
    IMPORT.commit(purchaser, token)
    assert suppliers(app) == {}


def test_duplicates_inside_the_file(purchaser):
    rows = [["S100", "洛阳轴承"], ["s100", "Other"], ["", "洛阳 轴承"], ["", "NSK  China"], ["", "nsk china"]]
    _token, page = IMPORT.preview(purchaser, xlsx(rows, ["Code", "Name"]))
    assert issues(page) == [
        (3, "Code", "Same code as row 2."),
        (4, "Name", "Same name as row 2."),
        (6, "Name", "Same name as row 5."),
    ]


def test_duplicates_against_the_database(app, purchaser, create_supplier):
    from app.extensions import db
    from app.suppliers import services
    from app.suppliers.models import Supplier

    create_supplier("洛阳轴承厂")
    gone = create_supplier("Gone Supply")
    with app.app_context():
        services.delete_supplier(db.session.get(Supplier, gone.id))
        db.session.commit()
    rows = [["", "洛阳 轴承 厂"], ["", "GONE supply"], ["S000001", "Same Code Supply"]]
    _token, page = IMPORT.preview(purchaser, xlsx(rows, ["Code", "Name"]))
    assert issues(page) == [
        (2, "Name", "A supplier named 洛阳轴承厂 already exists (S000001)."),
        (3, "Name", "A deleted supplier is named Gone Supply (S000002). Restore it instead of importing it again."),
        (4, "Code", "S000001 洛阳轴承厂 already exists."),
    ]


# --- updating ---------------------------------------------------------------------------------------


def test_update_option_changes_matched_suppliers_and_keeps_blank_cells(app, purchaser, create_supplier):
    old = create_supplier("Old Supply", phone="0379-1", note="keep me", contacts=[{"name": "刘强", "mobile": "137"}])
    headers = ["Code", "Name", "Document language", "Phone", "Note", "Contact name", "Contact e-mail"]
    rows = [["s000001", "New Supply", "en", None, None, "刘强", "liu@new.example"], ["S-NEW", "Brand New Supply"]]
    token, page = IMPORT.preview(purchaser, xlsx(rows, headers), update=True)
    assert counts(page) == (2, 1, 1, 0)
    IMPORT.commit(purchaser, token)
    assert "Import finished: 1 created, 1 updated, 0 unchanged." in flashed(purchaser, "/suppliers/")
    found = suppliers(app)
    changed = found["New Supply"]
    assert (changed.id, changed.code, changed.doc_language) == (old.id, "S000001", "en")
    assert (changed.phone, changed.note) == ("0379-1", "keep me")
    assert [(c.name, c.mobile, c.email, c.is_primary) for c in changed.contacts] == [
        ("刘强", "137", "liu@new.example", True)
    ]
    assert found["Brand New Supply"].code == "S-NEW"
    updates = operation_log(app, object_type="supplier", action="update")
    assert len(updates) == 1 and updates[0][3]["name"] == ["Old Supply", "New Supply"]


def test_existing_codes_are_refused_without_the_update_option(purchaser, create_supplier):
    create_supplier("Old Supply")
    _token, page = IMPORT.preview(purchaser, xlsx([["S000001", "New Supply"]], ["Code", "Name"]))
    assert issues(page) == [(2, "Code", "S000001 Old Supply already exists.")]


def test_reimporting_an_export_changes_nothing(app, purchaser, create_supplier):
    for n in range(3):
        create_supplier(f"Round Trip Supply {n}", payment_terms_days=n, contacts=[{"name": f"P{n}", "email": "a@b.cn"}])
    token, page = IMPORT.preview(purchaser, purchaser.get("/suppliers/export.xlsx").data, "s.xlsx", update=True)
    assert counts(page) == (3, 0, 3, 0)
    IMPORT.commit(purchaser, token)
    assert "Import finished: 0 created, 0 updated, 3 unchanged." in flashed(purchaser, "/suppliers/")
    assert operation_log(app, object_type="supplier", action="update") == []


def test_a_supplier_changed_since_the_preview_is_not_overwritten(app, purchaser, create_supplier):
    from app.extensions import db
    from app.suppliers import services
    from app.suppliers.models import Supplier

    existing = create_supplier("Busy Supply")
    content = xlsx([["S000001", "Busy Supply", "0379-8"]], ["Code", "Name", "Phone"])
    token, _page = IMPORT.preview(purchaser, content, update=True)
    with app.app_context():
        supplier = db.session.get(Supplier, existing.id)
        data = services.SupplierData(name="Busy Supply", note="changed by a colleague")
        services.update_supplier(supplier, data, expected_version=supplier.version_id)
        db.session.commit()
    IMPORT.commit(purchaser, token)
    assert "someone else after the preview" in flashed(purchaser, f"/suppliers/import/{token}")
    assert suppliers(app)["Busy Supply"].phone == ""


def test_commit_checks_again_and_writes_nothing_when_the_database_changed(app, purchaser, create_supplier):
    token, _page = IMPORT.preview(purchaser, xlsx(ROWS, SHORT))
    create_supplier("洛阳轴承厂")
    IMPORT.commit(purchaser, token)
    assert set(suppliers(app)) == {"洛阳轴承厂"}
    page = flashed(purchaser, f"/suppliers/import/{token}")
    assert "Nothing was imported" in page
    assert issues(page) == [(2, "Name", "A supplier named 洛阳轴承厂 already exists (S000001).")]


def test_messages_in_chinese(login, create_supplier):
    client = login("purchaser", locale="zh")
    create_supplier("洛阳轴承厂")
    rows = [["", "洛阳轴承厂", "fr"], ["", "Ｎｅｗ", ""], ["", "new", ""]]
    _token, page = IMPORT.preview(client, xlsx(rows, ["代码", "名称", "单据语言"]))
    assert issues(page) == [
        (2, "名称", "供应商“洛阳轴承厂”已存在（S000001）。"),
        (2, "单据语言", "不允许“fr”。请使用以下之一：中文, 英文。"),
        (4, "名称", "名称与第 3 行重复。"),
    ]


# --- permissions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales", "finance", "warehouse"])
@pytest.mark.parametrize("url", ["/suppliers/import", "/suppliers/import/template.xlsx"])
def test_roles_without_suppliers_import_are_refused(login, role, url):
    assert login(role).get(url).status_code == 403


@pytest.mark.parametrize("role", ["admin", "manager", "purchaser"])
def test_roles_with_suppliers_import(login, role):
    assert login(role).get("/suppliers/import").status_code == 200


def test_updating_needs_suppliers_edit(login, create_role, create_supplier):
    create_supplier("Old Supply")
    role = create_role("supplier_import_only", ["suppliers.view", "suppliers.import"])
    client = login(role.name)
    assert 'name="update"' not in html(client.get("/suppliers/import"))
    assert IMPORT.upload(client, xlsx(ROWS, SHORT), update=True).status_code == 403
    _token, page = IMPORT.preview(client, xlsx(ROWS, SHORT))
    assert count(page, "create") == 3


def test_suppliers_keep_money_out(purchaser):
    """Suppliers have no credit limit: a customer export's credit column is not a supplier column."""
    response = IMPORT.upload(purchaser, xlsx([["X", Decimal("1")]], ["Name", "Credit limit"]))
    assert "Unknown column “Credit limit” (column B)." in html(response)
