"""Exports hold what the list shows (scope, filters, search), in the columns an import template uses."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from tests import support

HEADERS = [
    "Code", "Name", "Type", "Owner (username)", "Document language", "Phone", "Address", "Fax", "E-mail",
    "Website", "Tax ID", "Bank", "Bank account", "Invoice address", "Invoice phone", "Payment terms (days)",
    "Credit limit", "Note", "Contact name", "Contact title", "Contact department", "Contact mobile",
    "Contact phone", "Contact e-mail",
]  # fmt: skip


@pytest.fixture
def customers(create_customer, create_user):
    seller = create_user("export_seller", roles=["sales"])
    return [
        create_customer(
            "上海恒通轴承有限公司",
            type="middleman",
            owner=seller.id,
            phone="021-58881234",
            payment_terms_days=30,
            credit_limit=Decimal("150000.50"),
            tax_id="91310000123456789X",
            contacts=[
                {"name": "王伟", "mobile": "13800000001"},
                {"name": "李娜", "is_primary": True, "title": "采购经理"},
            ],
        ),
        create_customer("Gulf Bearing Trading LLC", type="end_user", doc_language="en"),
    ]


def _xlsx(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    return list(sheet.iter_rows(values_only=True))


def test_the_xlsx_export_has_translated_headers_and_real_numbers(login, customers):
    manager = login("manager")
    rows = _xlsx(manager.get("/customers/export.xlsx?sort=code"))
    assert list(rows[0]) == HEADERS
    data = {row[0]: dict(zip(HEADERS, row, strict=True)) for row in rows[1:]}
    hengtong = data[customers[0].code]
    assert hengtong["Name"] == "上海恒通轴承有限公司"
    assert hengtong["Type"] == "Middleman"
    assert hengtong["Owner (username)"] == "export_seller"
    assert hengtong["Payment terms (days)"] == 30 and isinstance(hengtong["Payment terms (days)"], int | float)
    assert hengtong["Credit limit"] == pytest.approx(150000.50) and isinstance(hengtong["Credit limit"], float)
    assert hengtong["Tax ID"] == "91310000123456789X"
    # The primary contact, which is the second row here.
    assert (hengtong["Contact name"], hengtong["Contact title"]) == ("李娜", "采购经理")
    gulf = data[customers[1].code]
    assert gulf["Document language"] == "English" and gulf["Owner (username)"] is None and gulf["Contact name"] is None


def test_the_csv_export_starts_with_a_bom_and_holds_the_same_rows(login, customers):
    manager = login("manager")
    response = manager.get("/customers/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert {r[0] for r in rows[1:]} == {c.code for c in customers}
    hengtong = next(r for r in rows if r[0] == customers[0].code)
    assert hengtong[HEADERS.index("Credit limit")] == "150000.50"


def test_exports_apply_the_filters_and_the_search_of_the_list(login, customers):
    manager = login("manager")
    rows = _xlsx(manager.get("/customers/export.xlsx?type=end_user"))
    assert [r[0] for r in rows[1:]] == [customers[1].code]
    rows = _xlsx(manager.get("/customers/export.xlsx?q=恒通"))
    assert [r[0] for r in rows[1:]] == [customers[0].code]
    rows = _xlsx(manager.get("/customers/export.xlsx?status=deleted"))
    assert rows[1:] == []


def test_headers_follow_the_users_language(login, customers):
    manager = login("manager", locale="zh")
    text = manager.get("/customers/export.csv?lang=zh").get_data().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header[:2] == ["代码", "名称"]


def test_without_view_all_the_owner_column_is_left_out(login, create_customer):
    sales = login("sales")
    create_customer("Own Export Co", owner=sales.user.id)
    rows = _xlsx(sales.get("/customers/export.xlsx"))
    assert "Owner (username)" not in rows[0]
    assert [r[1] for r in rows[1:]] == ["Own Export Co"]


def test_export_needs_the_export_permission(login):
    finance = login("finance")  # customers.view and view_all, no export
    assert finance.get("/customers/").status_code == 200
    assert finance.get("/customers/export.xlsx").status_code == 403
    assert "data-export" not in support.html(finance.get("/customers/"))


def test_an_unknown_format_is_not_found(login):
    assert login("manager").get("/customers/export.pdf").status_code == 404
