"""Customer import: template, upload of xlsx/xls/csv, row-numbered problems, all-or-nothing commit, scope.

The machinery itself (file reading, headers, Redis, locks, oversize files) is tested in
tests/core/test_imports.py and tests/products/test_import.py; these tests cover what a customer
row is: codes and names unique in the file and in the database, contacts, owners and the
salesperson's own scope.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from html import unescape

import openpyxl
import pytest
import sqlalchemy as sa

from tests.support import html, new_once

EN_HEADERS = [
    "Code",
    "Name",
    "Type",
    "Owner (username)",
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
    "Credit limit",
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
    "类型",
    "负责人（用户名）",
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
    "信用额度",
    "备注",
    "联系人姓名",
    "联系人职务",
    "联系人部门",
    "联系人手机",
    "联系人电话",
    "联系人邮箱",
]
SHORT = ["Code", "Name", "Type", "Document language", "Phone", "Credit limit", "Contact name", "Contact mobile"]
ROWS = [
    ["", "上海恒通轴承有限公司", "中间商", "中文", "021-58881234", "50,000", "王伟", "13800138000"],
    [None, "Ningbo Yongtai Bearings", "End user", "en", "0574 8765 4321", None, "Li Na", None],
    ["k-001", "广州 华南 机电", "终端", "English", None, 0, None, None],
]


# --- files and pages --------------------------------------------------------------------------------


def xlsx(rows, headers=SHORT) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, headers=SHORT, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode(encoding)


def xls_bytes(rows, headers=SHORT) -> bytes:
    import pyexcel

    buffer = io.BytesIO()
    pyexcel.save_as(
        array=[headers, *[["" if v is None else v for v in row] for row in rows]],
        dest_file_type="xls",
        dest_file_stream=buffer,
    )
    return buffer.getvalue()


class Importer:
    """Drives the import pages of one domain as a browser would."""

    def __init__(self, base: str) -> None:
        self.base = base

    def upload(self, client, content: bytes, filename: str = "file.xlsx", *, update: bool = False):
        data = {"file": (io.BytesIO(content), filename)}
        if update:
            data["update"] = "y"
        return client.submit(self.base, data, content_type="multipart/form-data")

    def token_of(self, response) -> str:
        assert response.status_code == 303, html(response)[:3000]
        location = response.headers["Location"]
        assert location.startswith(self.base + "/"), location
        return location.rsplit("/", 1)[-1]

    def preview(self, client, content: bytes, filename: str = "file.xlsx", *, update: bool = False):
        token = self.token_of(self.upload(client, content, filename, update=update))
        page = client.get(f"{self.base}/{token}")
        assert page.status_code == 200
        return token, html(page)

    def commit(self, client, token: str, once: str | None = None):
        return client.submit(f"{self.base}/{token}/commit", {}, once=once)


IMPORT = Importer("/customers/import")


def count(page: str, key: str) -> int:
    match = re.search(rf'data-count="{key}">([\d,]+)<', page)
    assert match, f"no {key} count on the page"
    return int(match.group(1).replace(",", ""))


def counts(page: str) -> tuple[int, int, int, int]:
    return count(page, "rows"), count(page, "create"), count(page, "update"), count(page, "errors")


def issues(page: str) -> list[tuple[int, str, str]]:
    """(row, column label, message) of every problem listed on the preview page."""
    found = re.findall(
        r'<tr data-issue-row="(\d+)"[^>]*>\s*<td[^>]*>\d+</td>\s*<td[^>]*>([^<]*)</td>\s*<td>([^<]*)</td>', page
    )
    return [(int(r), unescape(c), unescape(m)) for r, c, m in found]


def flashed(client, url: str) -> str:
    return unescape(html(client.get(url)))


# --- fixtures and reading back ----------------------------------------------------------------------


@pytest.fixture
def manager(login):
    return login("manager")


@pytest.fixture
def importer_role(create_role):
    """Import without view_all: added to the sales role, it makes a salesperson who may import."""
    return create_role("customer_importer", ["customers.view", "customers.import"])


@pytest.fixture
def seller(login, importer_role):
    """A salesperson who may import customers (own scope, may not assign owners)."""
    return login("sales", importer_role.name)


def customers(app) -> dict[str, object]:
    """Every customer by name, with its contacts and owner loaded."""
    from app.customers.models import Customer
    from app.extensions import db

    with app.app_context():
        rows = db.session.scalars(sa.select(Customer).order_by(Customer.id)).all()
        for c in rows:
            _ = c.contacts, c.owner
        db.session.expunge_all()
        return {c.name: c for c in rows}


def operation_log(app, **where) -> list:
    from app.core.audit import OperationLog
    from app.extensions import db

    with app.app_context():
        query = sa.select(OperationLog).filter_by(**where).order_by(OperationLog.id)
        return [(e.action, e.object_label, e.event, e.changes, e.actor_id) for e in db.session.scalars(query)]


def contacts(customer) -> list[tuple[str, str, bool]]:
    return [(c.name, c.mobile, c.is_primary) for c in customer.contacts]


# --- template, upload page, list button -------------------------------------------------------------


@pytest.mark.parametrize(("locale", "headers"), [("en", EN_HEADERS), ("zh", ZH_HEADERS)])
def test_template_headers_are_in_the_users_language(login, locale, headers):
    client = login("manager", locale=locale)
    response = client.get("/customers/import/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    data = workbook.worksheets[0]
    assert [c.value for c in data[1]] == headers
    assert data.max_row == 1, "no example rows that would be imported by mistake"
    allowed = workbook.worksheets[2]
    offered = {c.value: [x.value for x in col[1:]] for col in allowed.iter_cols() for c in col[:1]}
    assert offered[headers[2]] == (["中间商", "终端"] if locale == "zh" else ["Middleman", "End user"])
    assert offered[headers[4]] == (["中文", "英文"] if locale == "zh" else ["Chinese", "English"])
    assert client.user.username in offered[headers[3]], "owners offered: who may own customers"


def test_the_template_has_the_columns_of_the_export(manager, create_customer):
    create_customer("Export Co")
    exported = openpyxl.load_workbook(io.BytesIO(manager.get("/customers/export.xlsx").data))
    template = openpyxl.load_workbook(io.BytesIO(manager.get("/customers/import/template.xlsx").data))
    assert [c.value for c in exported.worksheets[0][1]] == [c.value for c in template.worksheets[0][1]]


def test_who_may_not_assign_owners_gets_no_owner_column(seller):
    template = openpyxl.load_workbook(io.BytesIO(seller.get("/customers/import/template.xlsx").data))
    assert [c.value for c in template.worksheets[0][1]] == [h for h in EN_HEADERS if h != "Owner (username)"]
    page = html(seller.get("/customers/import"))
    assert "Owner (username)" not in page
    assert "You become the owner of the customers you import." in page


def test_upload_page_and_list_button(manager, login, seller):
    page = html(manager.get("/customers/import"))
    assert 'href="/customers/import/template.xlsx"' in page
    assert 'name="update"' in page
    assert 'id="customer-import"' in html(manager.get("/customers/"))
    assert 'id="customer-import"' in html(seller.get("/customers/"))
    assert 'id="customer-import"' not in html(login("sales").get("/customers/"))


def test_the_empty_template_is_refused_only_for_having_no_rows(manager):
    template = manager.get("/customers/import/template.xlsx").data
    response = IMPORT.upload(manager, template)
    assert response.status_code == 200
    assert "The file has a header row but no data rows under it." in html(response)


# --- creating ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "make"),
    [("c.xlsx", lambda: xlsx(ROWS)), ("c.csv", lambda: csv_bytes(ROWS)), ("c.xls", lambda: xls_bytes(ROWS))],
    ids=["xlsx", "csv", "xls"],
)
def test_happy_path(app, manager, filename, make):
    token, page = IMPORT.preview(manager, make(), filename)
    assert counts(page) == (3, 3, 0, 0)
    assert 'id="import-commit-form"' in page
    assert customers(app) == {}, "nothing is written by the preview"
    response = IMPORT.commit(manager, token)
    assert response.status_code == 302 and response.headers["Location"].endswith("/customers/")
    assert "Import finished: 3 created, 0 updated, 0 unchanged." in flashed(manager, "/customers/")
    found = customers(app)
    assert set(found) == {"上海恒通轴承有限公司", "Ningbo Yongtai Bearings", "广州 华南 机电"}
    hengtong = found["上海恒通轴承有限公司"]
    assert (hengtong.type, hengtong.doc_language) == ("middleman", "zh")
    assert hengtong.credit_limit == Decimal("50000.00") and hengtong.phone_key == "02158881234"
    assert contacts(hengtong) == [("王伟", "13800138000", True)]
    assert hengtong.owner_id == manager.user.id, "as on the create form: the one creating it, unless chosen"
    ningbo = found["Ningbo Yongtai Bearings"]
    assert (ningbo.type, ningbo.doc_language, ningbo.credit_limit) == ("end_user", "en", Decimal("0.00"))
    assert contacts(ningbo) == [("Li Na", "", True)]
    huanan = found["广州 华南 机电"]
    assert (huanan.code, huanan.type, huanan.doc_language, huanan.contacts) == ("K-001", "end_user", "en", [])
    assert {hengtong.code, ningbo.code} == {"C000001", "C000002"}
    created = [e for e in operation_log(app, object_type="customer") if e[0] == "create"]
    assert len(created) == 3 and {e[4] for e in created} == {manager.user.id}, "logged as a manual edit"
    assert len([e for e in operation_log(app, object_type="customer_contact") if e[0] == "create"]) == 2
    event = operation_log(app, event="import")
    assert len(event) == 1 and event[0][3]["created"] == [None, 3] and event[0][1] == filename


def test_every_column_is_stored(app, manager):
    row = [
        "VIP-9",
        "Full Columns Ltd",
        "Middleman",
        manager.user.username,
        "English",
        "021-1",
        "1 Bund Road",
        "021-2",
        "info@full.example",
        "https://full.example",
        "91310000MA1FL0XX1X",
        "ICBC Shanghai",
        "6222020200112233445",
        "2 Invoice Road",
        "021-3",
        30,
        "1234.5",
        "line one\nline two",
        "Zhang San",
        "Buyer",
        "Purchasing",
        "13900000000",
        "021-4",
        "zhang@full.example",
    ]
    token, page = IMPORT.preview(manager, xlsx([row], EN_HEADERS))
    assert issues(page) == []
    IMPORT.commit(manager, token)
    c = customers(app)["Full Columns Ltd"]
    stored = [
        c.code,
        c.name,
        c.type,
        c.owner.username,
        c.doc_language,
        c.phone,
        c.address,
        c.fax,
        c.email,
        c.website,
        c.tax_id,
        c.bank_name,
        c.bank_account,
        c.invoice_address,
        c.invoice_phone,
        c.payment_terms_days,
        c.credit_limit,
        c.note,
    ]
    expected = [*row[:2], "middleman", row[3], "en", *row[5:15], 30, Decimal("1234.50"), row[17]]
    assert stored == expected, "the note keeps its line break"
    contact = c.contacts[0]
    assert [contact.name, contact.title, contact.department, contact.mobile, contact.phone, contact.email] == row[18:]
    assert contact.is_primary


def test_codes_typed_in_the_file_are_created_before_numbered_ones(app, manager, create_customer):
    create_customer("Existing One")  # C000001
    rows = [["", "Numbered A"], ["C000002", "Typed"], ["", "Numbered B"]]
    token, _page = IMPORT.preview(manager, xlsx(rows, ["Code", "Name"]))
    IMPORT.commit(manager, token)
    codes = {name: c.code for name, c in customers(app).items()}
    assert codes["Typed"] == "C000002"
    assert {codes["Numbered A"], codes["Numbered B"]} == {"C000003", "C000004"}


def test_the_import_is_in_the_operation_log(manager, login):
    token, _page = IMPORT.preview(manager, xlsx(ROWS), "客户名单.xlsx")
    IMPORT.commit(manager, token)
    page = html(login("admin").get("/admin/audit/"))
    assert "Imported from a file" in page and "客户名单.xlsx" in page


# --- checking every row -----------------------------------------------------------------------------


def test_required_cells_types_and_rules(app, manager):
    headers = ["Code", "Name", "Type", "Document language", "E-mail", "Payment terms (days)", "Credit limit"]
    rows = [
        ["", None, "Middleman", "zh", None, None, None],
        ["", "Bad Cells Ltd", "Distributor", "fr", "not-an-address", 4000, -5],
        ["C 12!", "Bad Code Ltd", "", "", "a@b.example", 1.5, "1.234"],
    ]
    token, page = IMPORT.preview(manager, xlsx(rows, headers))
    assert issues(page) == [
        (2, "Name", "Required: enter a value."),
        (3, "Type", "“Distributor” is not allowed. Use one of: Middleman, End user."),
        (3, "Document language", "“fr” is not allowed. Use one of: Chinese, English."),
        (3, "E-mail", "Enter a valid e-mail address, e.g. name@example.com."),
        (3, "Payment terms (days)", "Enter a whole number of days from 0 to 3650."),
        (3, "Credit limit", "Cannot be negative."),
        (4, "Code", "A code is up to 20 letters, digits and - _ . / (e.g. C000123); leave it empty to number it."),
        (4, "Payment terms (days)", "Enter a whole number of days from 0 to 3650."),
        (4, "Credit limit", "Use at most 2 decimal places."),
    ]
    assert counts(page) == (3, 0, 0, 3)
    assert IMPORT.commit(manager, token).headers["Location"].endswith(f"/customers/import/{token}")
    assert customers(app) == {}


def test_a_contact_without_a_name(app, manager):
    headers = ["Name", "Contact name", "Contact mobile", "Contact e-mail"]
    rows = [["No Name Contact Ltd", None, "13800000000", None], ["Bad Mail Ltd", "Wang", None, "wang@"]]
    _token, page = IMPORT.preview(manager, xlsx(rows, headers))
    assert issues(page) == [
        (2, "Contact name", "Enter the contact's name: this row has other contact details."),
        (3, "Contact e-mail", "Enter a valid e-mail address, e.g. name@example.com."),
    ]


def test_duplicates_inside_the_file(manager):
    rows = [
        ["C100", "Hengtong Bearing"],
        ["c100", "Another Name"],
        ["", "HENGTONG  bearing"],
        ["", "上海 恒通"],
        ["", "上海恒通"],
        ["", "ｈｅｎｇｔｏｎｇ bearing"],
    ]
    _token, page = IMPORT.preview(manager, xlsx(rows, ["Code", "Name"]))
    assert issues(page) == [
        (3, "Code", "Same code as row 2."),
        (4, "Name", "Same name as row 2."),
        (6, "Name", "Same name as row 5."),
        (7, "Name", "Same name as row 2."),
    ]


def test_duplicates_against_the_database(app, manager, create_customer):
    from app.customers import services
    from app.customers.models import Customer
    from app.extensions import db

    create_customer("上海恒通轴承")
    gone = create_customer("Gone Trading")
    with app.app_context():
        services.delete_customer(db.session.get(Customer, gone.id))
        db.session.commit()
    rows = [["", "上海 恒通 轴承"], ["", "GONE trading"], ["C000001", "Same Code Ltd"]]
    _token, page = IMPORT.preview(manager, xlsx(rows, ["Code", "Name"]))
    assert issues(page) == [
        (2, "Name", "A customer named 上海恒通轴承 already exists (C000001)."),
        (3, "Name", "A deleted customer is named Gone Trading (C000002). Restore it instead of importing it again."),
        (4, "Code", "C000001 上海恒通轴承 already exists."),
    ]
    assert "To update those records, upload the file again" in page


def test_unknown_deactivated_and_unsuitable_owners(app, manager, create_user):
    create_user("sales_amy", ["sales"])
    create_user("gone_bob", ["sales"], is_active=False)
    create_user("stock_carl", ["warehouse"])
    rows = [["A Ltd", "nobody"], ["B Ltd", "gone_bob"], ["C Ltd", "stock_carl"], ["D Ltd", "SALES_AMY"]]
    _token, page = IMPORT.preview(manager, xlsx(rows, ["Name", "Owner (username)"]))
    assert issues(page) == [
        (2, "Owner (username)", "No user has the username “nobody”."),
        (3, "Owner (username)", "gone_bob is deactivated and cannot own customers."),
        (4, "Owner (username)", "stock_carl cannot own customers: their roles do not allow editing customers."),
    ]
    assert count(page, "create") == 1, "a username typed in another case is still that user"


def test_owners_are_assigned_by_username(app, manager, create_user):
    amy = create_user("sales_amy", ["sales"])
    token, page = IMPORT.preview(manager, xlsx([["Owned Ltd", "sales_amy"]], ["Name", "Owner (username)"]))
    assert issues(page) == []
    IMPORT.commit(manager, token)
    assert customers(app)["Owned Ltd"].owner_id == amy.id
    changes = [e[3] for e in operation_log(app, object_type="customer", event="owner_changed")]
    assert changes == [{"owner_label": [None, "Sales_Amy · sales_amy"]}], "the owner is logged by name"


# --- updating existing customers -------------------------------------------------------------------


def test_existing_codes_are_refused_without_the_update_option(manager, create_customer):
    create_customer("Old Name Ltd")
    _token, page = IMPORT.preview(manager, xlsx([["C000001", "New Name Ltd"]], ["Code", "Name"]))
    assert issues(page) == [(2, "Code", "C000001 Old Name Ltd already exists.")]
    assert "To update those records, upload the file again" in page


def test_update_option_changes_matched_customers_and_keeps_blank_cells(app, manager, create_customer):
    old = create_customer(
        "Old Name Ltd",
        owner=manager.user.id,
        phone="021-1",
        note="keep me",
        credit_limit=Decimal("10"),
        contacts=[{"name": "王伟", "mobile": "138"}, {"name": "李娜", "mobile": "139", "is_primary": True}],
    )
    headers = ["Code", "Name", "Type", "Phone", "Note", "Credit limit", "Contact name", "Contact mobile"]
    rows = [
        ["c000001", "New Name Ltd", "Middleman", None, None, 99, "王伟", "13700000000"],
        ["C777", "Brand New Ltd", None, None, None, None, None, None],
    ]
    token, page = IMPORT.preview(manager, xlsx(rows, headers), update=True)
    assert counts(page) == (2, 1, 1, 0)
    IMPORT.commit(manager, token)
    assert "Import finished: 1 created, 1 updated, 0 unchanged." in flashed(manager, "/customers/")
    found = customers(app)
    changed = found["New Name Ltd"]
    assert changed.id == old.id and changed.code == "C000001"
    assert (changed.type, changed.credit_limit) == ("middleman", Decimal("99.00"))
    assert (changed.phone, changed.note, changed.owner_id) == ("021-1", "keep me", manager.user.id)
    assert contacts(changed) == [("王伟", "13700000000", True), ("李娜", "139", False)], "matched by name, now primary"
    assert found["Brand New Ltd"].code == "C777", "an unknown code creates a customer with it"
    updates = list(operation_log(app, object_type="customer", action="update"))
    assert len(updates) == 1 and updates[0][3]["name"] == ["Old Name Ltd", "New Name Ltd"]


def test_a_new_contact_name_becomes_the_primary_contact_and_the_others_stay(app, manager, create_customer):
    create_customer("Contacts Ltd", contacts=[{"name": "王伟", "mobile": "138"}])
    headers = ["Code", "Name", "Contact name", "Contact mobile"]
    token, _page = IMPORT.preview(manager, xlsx([["C000001", "Contacts Ltd", "赵六", "136"]], headers), update=True)
    IMPORT.commit(manager, token)
    assert contacts(customers(app)["Contacts Ltd"]) == [("王伟", "138", False), ("赵六", "136", True)]


def test_contact_cells_without_a_name_change_the_primary_contact(app, manager, create_customer):
    create_customer("Mobile Ltd", contacts=[{"name": "王伟", "mobile": "138"}])
    headers = ["Code", "Name", "Contact mobile"]
    token, page = IMPORT.preview(manager, xlsx([["C000001", "Mobile Ltd", "135"]], headers), update=True)
    assert issues(page) == []
    IMPORT.commit(manager, token)
    assert contacts(customers(app)["Mobile Ltd"]) == [("王伟", "135", True)]


def test_reimporting_an_export_changes_nothing(app, manager, create_customer):
    for n in range(3):
        create_customer(f"Round Trip {n}", owner=manager.user.id, contacts=[{"name": f"Person {n}", "mobile": "1"}])
    exported = manager.get("/customers/export.xlsx").data
    token, page = IMPORT.preview(manager, exported, "customers.xlsx", update=True)
    assert counts(page) == (3, 0, 3, 0)
    before = operation_log(app, object_type="customer")
    IMPORT.commit(manager, token)
    assert "Import finished: 0 created, 0 updated, 3 unchanged." in flashed(manager, "/customers/")
    after = operation_log(app, object_type="customer")
    assert after[: len(before)] == before and [e[2] for e in after[len(before) :]] == ["import"], "no change logged"


def test_deleted_customers_must_be_restored_first(app, manager, create_customer):
    from app.customers import services
    from app.customers.models import Customer
    from app.extensions import db

    customer = create_customer("Deleted Ltd")
    with app.app_context():
        services.delete_customer(db.session.get(Customer, customer.id))
        db.session.commit()
    _token, page = IMPORT.preview(manager, xlsx([["C000001", "Deleted Ltd"]], ["Code", "Name"]), update=True)
    assert issues(page) == [(2, "Code", "C000001 Deleted Ltd was deleted. Restore it before importing it again.")]


def test_a_name_may_not_be_taken_from_another_customer_by_an_update(manager, create_customer):
    create_customer("First Ltd")
    create_customer("Second Ltd")
    _token, page = IMPORT.preview(manager, xlsx([["C000002", "first ltd"]], ["Code", "Name"]), update=True)
    assert issues(page) == [(2, "Name", "A customer named First Ltd already exists (C000001).")]


# --- the salesperson's own scope -------------------------------------------------------------------


@pytest.fixture
def others_customer(login, create_customer):
    other = login("sales", username="sales_other")
    return create_customer("Secret Trading", owner=other.user.id, contacts=[{"name": "Hidden Person"}])


def test_a_salesperson_cannot_update_another_salespersons_customer(app, seller, others_customer):
    rows = [[others_customer.code, "Taken Over Ltd", "13800000000"]]
    for update in (True, False):
        token, page = IMPORT.preview(seller, xlsx(rows, ["Code", "Name", "Phone"]), update=update)
        assert issues(page) == [(2, "Code", "The code C000001 is already taken by a customer you cannot see.")]
        for secret in ("Secret Trading", "sales_other", "Sales_Other", "Hidden Person"):
            assert secret not in page, f"{secret} leaked"
        errors = html(seller.get(f"/customers/import/{token}/errors.csv"))
        assert "Secret Trading" not in errors and "sales_other" not in errors.lower()
        assert IMPORT.commit(seller, token).headers["Location"].endswith(f"/customers/import/{token}")
    stored = customers(app)
    assert set(stored) == {"Secret Trading"} and stored["Secret Trading"].owner.username == "sales_other"


def test_a_salesperson_is_told_a_name_is_taken_without_whose_it_is(seller, others_customer):
    _token, page = IMPORT.preview(seller, xlsx([["", "secret  TRADING"]], ["Code", "Name"]))
    assert issues(page) == [(2, "Name", "A customer named Secret Trading already exists.")]
    assert "C000001" not in page and "sales_other" not in page.lower()


def test_a_salesperson_owns_what_they_import_and_an_owner_column_is_ignored(app, seller, create_user):
    create_user("sales_amy", ["sales"])
    content = xlsx([["Mine Ltd", "sales_amy"]], ["Name", "Owner (username)"])
    token, page = IMPORT.preview(seller, content)
    assert issues(page) == []
    assert "These columns are not imported and were ignored: Owner (username)." in unescape(page)
    IMPORT.commit(seller, token)
    assert customers(app)["Mine Ltd"].owner_id == seller.user.id


def test_a_salesperson_updates_their_own_customers(app, login, importer_role, create_customer):
    seller = login("sales", importer_role.name)
    mine = create_customer("My Own Ltd", owner=seller.user.id)
    token, page = IMPORT.preview(
        seller, xlsx([[mine.code, "My Own Ltd", "021-9"]], ["Code", "Name", "Phone"]), update=True
    )
    assert counts(page) == (1, 0, 1, 0)
    IMPORT.commit(seller, token)
    stored = customers(app)["My Own Ltd"]
    assert (stored.phone, stored.owner_id) == ("021-9", seller.user.id)


def test_a_customer_reassigned_after_the_preview_is_not_updated(app, login, importer_role, create_customer):
    from app.customers import services
    from app.customers.models import Customer
    from app.extensions import db

    seller = login("sales", importer_role.name)
    other = login("sales")
    mine = create_customer("Moving Ltd", owner=seller.user.id)
    token, page = IMPORT.preview(
        seller, xlsx([[mine.code, "Moving Ltd", "021-9"]], ["Code", "Name", "Phone"]), update=True
    )
    assert counts(page) == (1, 0, 1, 0)
    with app.app_context():
        customer = db.session.get(Customer, mine.id)
        data = services.CustomerData(name=customer.name, owner_id=other.user.id)
        services.update_customer(customer, data, expected_version=customer.version_id, may_assign_owner=True)
        db.session.commit()
    IMPORT.commit(seller, token)
    page = flashed(seller, f"/customers/import/{token}")
    assert "Nothing was imported" in page
    assert issues(page) == [
        (2, "Code", "The code C000001 is already taken by a customer you cannot see."),
        (2, "Name", "A customer named Moving Ltd already exists."),
    ]
    assert customers(app)["Moving Ltd"].phone == ""


# --- all or nothing ---------------------------------------------------------------------------------


def test_one_bad_row_blocks_the_whole_file(app, manager):
    rows = [list(r) for r in ROWS]
    rows[2][3] = "Deutsch"
    token, page = IMPORT.preview(manager, xlsx(rows))
    assert issues(page) == [(4, "Document language", "“Deutsch” is not allowed. Use one of: Chinese, English.")]
    assert (count(page, "create"), count(page, "errors")) == (2, 1)
    assert 'id="import-commit-form"' not in page
    IMPORT.commit(manager, token)
    assert customers(app) == {}


def test_commit_checks_again_and_writes_nothing_when_the_database_changed(app, manager, create_customer):
    token, page = IMPORT.preview(manager, xlsx(ROWS))
    assert count(page, "create") == 3
    create_customer("ningbo yongtai bearings")  # someone creates the second row's customer meanwhile
    IMPORT.commit(manager, token)
    assert set(customers(app)) == {"ningbo yongtai bearings"}, "the other two rows were not written either"
    page = flashed(manager, f"/customers/import/{token}")
    assert "Nothing was imported" in page
    assert issues(page) == [(3, "Name", "A customer named ningbo yongtai bearings already exists (C000001).")]


def test_commit_refuses_a_customer_changed_since_the_preview(app, manager, create_customer):
    from app.customers import services
    from app.customers.models import Customer
    from app.extensions import db

    existing = create_customer("Busy Ltd", owner=manager.user.id)
    token, page = IMPORT.preview(
        manager, xlsx([["C000001", "Busy Ltd", "021-5"]], ["Code", "Name", "Phone"]), update=True
    )
    assert count(page, "update") == 1
    with app.app_context():
        customer = db.session.get(Customer, existing.id)
        data = services.CustomerData(name="Busy Ltd", owner_id=manager.user.id, note="changed by a colleague")
        services.update_customer(customer, data, expected_version=customer.version_id, may_assign_owner=True)
        db.session.commit()
    IMPORT.commit(manager, token)
    assert "someone else after the preview" in flashed(manager, f"/customers/import/{token}")
    assert customers(app)["Busy Ltd"].phone == ""


def test_a_refusal_while_saving_names_the_row_and_rolls_everything_back(app, manager, monkeypatch):
    from app.core.errors import DomainError
    from app.customers import services

    create = services.create_customer

    def refuse_the_third(data, **kwargs):
        if data.name == "广州 华南 机电":
            raise DomainError("Refused by a rule.")
        return create(data, **kwargs)

    monkeypatch.setattr(services, "create_customer", refuse_the_third)
    token, _page = IMPORT.preview(manager, xlsx(ROWS))
    IMPORT.commit(manager, token)
    assert "Nothing was imported: Row 4: Refused by a rule." in flashed(manager, f"/customers/import/{token}")
    assert customers(app) == {}
    assert operation_log(app, object_type="customer") == []


def test_double_submit_imports_once(app, manager):
    token, _page = IMPORT.preview(manager, xlsx(ROWS))
    once = new_once()
    first = IMPORT.commit(manager, token, once=once)
    second = IMPORT.commit(manager, token, once=once)
    assert first.status_code == 302 and second.status_code == 303
    assert IMPORT.commit(manager, token).headers["Location"].endswith("/customers/")
    assert "This file was already imported: 3 created, 0 updated." in flashed(manager, "/customers/")
    assert len(customers(app)) == 3 and len(operation_log(app, event="import")) == 1


def test_problems_download(manager):
    token, _page = IMPORT.preview(manager, xlsx([["", "X Ltd", "Nope"]], ["Code", "Name", "Type"]))
    response = manager.get(f"/customers/import/{token}/errors.csv")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert lines == [
        ["Row", "Column", "Problem"],
        ["2", "Type", "“Nope” is not allowed. Use one of: Middleman, End user."],
    ]


def test_chinese_headers_and_values_in_a_gb18030_csv(app, login):
    client = login("manager", locale="zh")
    headers = ["名称", "类型", "单据语言", "联系人姓名", "联系人手机"]
    rows = [["杭州 中策 机械", "中间商", "英文", "陈静", "13912345678"]]
    token, page = IMPORT.preview(client, csv_bytes(rows, headers, encoding="gb18030"), "客户.csv")
    assert issues(page) == []
    IMPORT.commit(client, token)
    stored = customers(app)["杭州 中策 机械"]
    assert (stored.type, stored.doc_language, contacts(stored)) == ("middleman", "en", [("陈静", "13912345678", True)])


def test_messages_in_chinese(login, create_customer):
    client = login("manager", locale="zh")
    create_customer("上海恒通轴承")
    rows = [["", "上海恒通轴承", "Distributor"], ["", "新客户", ""], ["", "新 客户", ""]]
    _token, page = IMPORT.preview(client, xlsx(rows, ["代码", "名称", "类型"]))
    assert issues(page) == [
        (2, "名称", "客户“上海恒通轴承”已存在（C000001）。"),
        (2, "类型", "不允许“Distributor”。请使用以下之一：中间商, 终端。"),
        (4, "名称", "名称与第 3 行重复。"),
    ]


# --- permissions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales", "finance", "warehouse", "purchaser"])
@pytest.mark.parametrize("url", ["/customers/import", "/customers/import/template.xlsx"])
def test_roles_without_customers_import_are_refused(login, role, url):
    assert login(role).get(url).status_code == 403


def test_a_refused_role_cannot_upload_or_commit(login):
    client = login("sales")
    assert IMPORT.upload(client, xlsx(ROWS)).status_code == 403
    assert IMPORT.commit(client, "a" * 24).status_code == 403


def test_updating_needs_customers_edit(login, create_role, create_customer):
    role = create_role("import_only", ["customers.view", "customers.view_all", "customers.import"])
    client = login(role.name)
    assert 'name="update"' not in html(client.get("/customers/import"))
    assert IMPORT.upload(client, xlsx(ROWS), update=True).status_code == 403
    _token, page = IMPORT.preview(client, xlsx(ROWS))
    assert count(page, "create") == 3, "creating needs customers.import only"


def test_visitors_are_sent_to_sign_in(client):
    response = client.get("/customers/import")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_preview_belongs_to_its_user(manager, login):
    token, _page = IMPORT.preview(manager, xlsx(ROWS))
    other = login("manager")
    assert other.get(f"/customers/import/{token}").status_code == 302
    assert IMPORT.commit(other, token).headers["Location"].endswith("/customers/import")


def test_a_preview_made_with_other_permissions_is_not_committed(app, login, create_role):
    """The owner column's meaning depends on the importer's permissions: a preview made before they
    changed is not committed under the new ones."""
    from app.auth import services as auth_services
    from app.auth.models import Role, User
    from app.extensions import db

    client = login("manager")
    token, _page = IMPORT.preview(client, xlsx(ROWS))
    with app.app_context():
        importer = create_role(permissions=["customers.import"])
        sales = db.session.scalar(sa.select(Role.id).where(Role.name == "sales"))
        auth_services.set_roles(db.session.get(User, client.user.id), [sales, importer.id], by=None)
        db.session.commit()
    response = IMPORT.commit(client, token)
    assert response.headers["Location"].endswith("/customers/import")
    assert customers(app) == {}
