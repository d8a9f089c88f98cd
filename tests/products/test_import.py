"""Product import: template, upload of xlsx/xls/csv, row-numbered problems, all-or-nothing commit."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
import xlsxwriter

from tests.support import html, new_once

ROOT = Path(__file__).resolve().parents[2]
EN_HEADERS = [
    "Brand",
    "Model",
    "Name (Chinese)",
    "Name (English)",
    "Category",
    "Unit",
    "Bore d (mm)",
    "Outer D (mm)",
    "Width B (mm)",
    "Weight (kg)",
    "List price",
    "Reorder level",
    "Active",
    "Note",
]
ZH_HEADERS = [
    "品牌",
    "型号",
    "名称（中文）",
    "名称（英文）",
    "分类",
    "单位",
    "内径 d (mm)",
    "外径 D (mm)",
    "宽度 B (mm)",
    "重量 (kg)",
    "标价",
    "补货点",
    "启用",
    "备注",
]
ROWS = [
    ["SKF", "6204-2RS", "深沟球轴承", "Deep groove ball bearing", "DGBB", "pcs", 20, 47, 14, 0.11, 12.5, 10, "Yes", ""],
    ["NSK", "6205ZZ", "深沟球轴承 防尘盖", "", "dgbb", "个", 25, 52, 15, 0.128, "1,234.50", 0, "否", "import test"],
    ["SKF", "NU2208ECP", "", "Cylindrical roller bearing", "CRB", "set", 40, 80, 23, None, 380, None, None, None],
]


# --- files ------------------------------------------------------------------------------------------


def xlsx(rows, headers=EN_HEADERS, *, edit=None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    if edit:
        edit(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, headers=EN_HEADERS, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode(encoding)


def xls_bytes(rows, headers=EN_HEADERS) -> bytes:
    import pyexcel

    buffer = io.BytesIO()
    pyexcel.save_as(
        array=[headers, *[["" if v is None else v for v in row] for row in rows]],
        dest_file_type="xls",
        dest_file_stream=buffer,
    )
    return buffer.getvalue()


def post_in_memory(client, url: str, fields: dict):
    """POST multipart encoded in memory (the test client spools big bodies to a file it never closes)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    values = {
        k: FileStorage(stream=v[0], filename=v[1], content_type="application/octet-stream")
        if isinstance(v, tuple)
        else v
        for k, v in fields.items()
    }
    boundary, body = encode_multipart(values)
    assert len(body) > sum(len(v[0].getvalue()) for v in fields.values() if isinstance(v, tuple))
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def upload(client, content: bytes, filename: str = "products.xlsx", *, update: bool = False, once: str | None = None):
    data = {"file": (io.BytesIO(content), filename)}
    if update:
        data["update"] = "y"
    return client.submit("/products/import", data, once=once, content_type="multipart/form-data")


def token_of(response) -> str:
    assert response.status_code == 303, html(response)[:2000]
    location = response.headers["Location"]
    assert location.startswith("/products/import/"), location
    return location.rsplit("/", 1)[-1]


def preview(client, content: bytes, filename: str = "products.xlsx", *, update: bool = False) -> tuple[str, str]:
    token = token_of(upload(client, content, filename, update=update))
    page = client.get(f"/products/import/{token}")
    assert page.status_code == 200
    return token, html(page)


def commit(client, token: str, once: str | None = None):
    return client.submit(f"/products/import/{token}/commit", {}, once=once)


def count(page: str, key: str) -> int:
    import re

    match = re.search(rf'data-count="{key}">([\d,]+)<', page)
    assert match, f"no {key} count on the page"
    return int(match.group(1).replace(",", ""))


def issues(page: str) -> list[tuple[int, str, str]]:
    """(row, column label, message) of every problem listed on the preview page."""
    import re

    found = re.findall(
        r'<tr data-issue-row="(\d+)"[^>]*>\s*<td[^>]*>\d+</td>\s*<td[^>]*>([^<]*)</td>\s*<td>([^<]*)</td>', page
    )
    from html import unescape

    return [(int(r), unescape(c), unescape(m)) for r, c, m in found]


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture
def refs(app, create_brand):
    """Brands SKF, NSK, FAG and categories DGBB, CRB."""
    from app.extensions import db
    from app.products import services
    from app.products.models import Category

    brands = {name: create_brand(name) for name in ("SKF", "NSK", "FAG")}
    with app.app_context():
        categories = {}
        for code, zh, en in (
            ("DGBB", "深沟球轴承", "Deep groove ball bearings"),
            ("CRB", "圆柱滚子轴承", "Cylindrical"),
        ):
            category = db.session.scalar(sa.select(Category).where(Category.code == code))
            category = category or services.save_category(None, code=code, name_zh=zh, name_en=en)
            categories[code] = category.id
        db.session.commit()
    return {"brands": brands, "categories": categories}


@pytest.fixture
def purchaser(login, refs):
    return login("purchaser")


def products(app) -> dict[str, object]:
    from app.extensions import db
    from app.products.models import Product

    with app.app_context():
        rows = db.session.scalars(sa.select(Product)).all()
        result = {f"{p.brand.name} {p.model}": p for p in rows}
        for p in rows:
            db.session.expunge(p)
        return result


def operation_log(app, **where) -> list:
    from app.core.audit import OperationLog
    from app.extensions import db

    with app.app_context():
        query = sa.select(OperationLog).filter_by(**where).order_by(OperationLog.id)
        return [(e.action, e.object_label, e.event, e.changes) for e in db.session.scalars(query)]


# --- template ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "headers"), [("en", EN_HEADERS), ("zh", ZH_HEADERS)])
def test_template_has_the_headers_in_the_users_language(login, refs, locale, headers):
    client = login("purchaser", locale=locale)
    response = client.get("/products/import/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    data = workbook.worksheets[0]
    assert [c.value for c in data[1]] == headers
    assert data.max_row == 1  # no example rows that would be imported by mistake
    assert len(workbook.worksheets) == 3  # data, instructions, allowed values
    allowed = workbook.worksheets[2]
    brand_list = [c.value for c in next(allowed.iter_cols(min_col=1, max_col=1))]
    assert brand_list[0] == headers[0]
    assert {"SKF", "NSK", "FAG"} <= set(brand_list[1:])
    assert data.data_validations.dataValidation, "brands, categories, units and yes/no offered as lists"


def test_the_empty_template_is_read_back_and_refused_only_for_having_no_rows(purchaser):
    template = purchaser.get("/products/import/template.xlsx").data
    response = upload(purchaser, template)
    assert response.status_code == 200
    assert "The file has a header row but no data rows under it." in html(response)


def test_upload_page_and_list_button(purchaser, login):
    page = html(purchaser.get("/products/import"))
    assert 'href="/products/import/template.xlsx"' in page
    assert 'name="update"' in page
    assert 'id="product-import"' in html(purchaser.get("/products/"))
    assert 'id="product-import"' not in html(login("sales").get("/products/"))


# --- the happy paths --------------------------------------------------------------------------------


def _assert_imported(app):
    found = products(app)
    assert set(found) == {"SKF 6204-2RS", "NSK 6205ZZ", "SKF NU2208ECP"}
    skf = found["SKF 6204-2RS"]
    assert skf.bore_d == Decimal("20.00") and skf.weight_kg == Decimal("0.110")
    assert skf.list_price == Decimal("12.5000") and skf.reorder_level == Decimal("10.000")
    assert skf.unit == "pcs" and skf.is_active is True
    assert skf.model_key == "62042RS" and "deep groove" in skf.search_text
    nsk = found["NSK 6205ZZ"]
    assert nsk.unit == "pcs" and nsk.is_active is False and nsk.list_price == Decimal("1234.5000")
    assert nsk.note == "import test"
    nu = found["SKF NU2208ECP"]
    assert nu.unit == "set" and nu.weight_kg is None and nu.reorder_level == 0 and nu.is_active is True
    assert nu.category_id is not None


@pytest.mark.parametrize(
    ("filename", "make"),
    [
        ("products.xlsx", lambda: xlsx(ROWS)),
        ("products.csv", lambda: csv_bytes(ROWS)),
        ("products.xls", lambda: xls_bytes(ROWS)),
    ],
    ids=["xlsx", "csv", "xls"],
)
def test_happy_path(app, purchaser, filename, make):
    token, page = preview(purchaser, make(), filename)
    assert (count(page, "rows"), count(page, "create"), count(page, "update"), count(page, "errors")) == (3, 3, 0, 0)
    assert 'id="import-commit-form"' in page
    assert products(app) == {}, "nothing is written by the preview"
    response = commit(purchaser, token)
    assert response.status_code == 302 and response.headers["Location"].endswith("/products/")
    assert "Import finished: 3 created, 0 updated, 0 unchanged." in html(purchaser.get("/products/"))
    _assert_imported(app)
    created = [e for e in operation_log(app, object_type="product") if e[0] == "create"]
    assert len(created) == 3, "each product is in the operation log, as for a manual edit"
    event = operation_log(app, event="import")
    assert len(event) == 1 and event[0][3]["created"] == [None, 3] and event[0][1] == filename


def test_the_import_is_in_the_operation_log(purchaser, login):
    token, _page = preview(purchaser, xlsx(ROWS), "年度产品.xlsx")
    commit(purchaser, token)
    page = html(login("admin").get("/admin/audit/"))
    assert "Imported from a file" in page and "年度产品.xlsx" in page


def test_upload_without_a_file(purchaser):
    response = purchaser.submit("/products/import", {}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Choose the file to upload." in html(response)


def test_search_finds_imported_products(purchaser, app):
    token, _page = preview(purchaser, xlsx(ROWS))
    commit(purchaser, token)
    import re

    def listed(q: str) -> list[str]:
        return re.findall(r'href="/products/\d+">\s*([^<\s]+)\s*</a>', html(purchaser.get(f"/products/?q={q}")))

    assert listed("62042rs") == ["6204-2RS"]
    assert listed("cylindrical") == ["NU2208ECP"]


def test_chinese_headers_gb18030_csv_and_loose_spelling(app, login, refs):
    client = login("purchaser", locale="en")
    headers = ["  品 牌 ", "型号", "名称(中文)", "NAME (ENGLISH)", "分类", "单位", "内径d(mm)"]
    rows = [["ＳＫＦ", "６２０６－２ＲＳ", "深沟球轴承", "", "深沟球轴承", "对", "３０"]]
    _token, page = preview(client, csv_bytes(rows, headers, encoding="gb18030"), "产品.csv")
    assert issues(page) == []
    assert count(page, "create") == 1


def test_semicolon_csv_and_a_decimal_comma_is_not_misread(app, purchaser):
    content = b'Brand;Model;Name (English);List price\nSKF;6300;Ball bearing;"1.234,5"\n'
    _token, page = preview(purchaser, content, "p.csv")
    assert issues(page) == [(2, "List price", "“1.234,5” is not a number. Enter a number, e.g. 1234.50.")]


# --- all or nothing ---------------------------------------------------------------------------------


def test_one_bad_row_blocks_the_whole_file(app, purchaser):
    rows = [list(r) for r in ROWS]
    rows[2][10] = -5
    token, page = preview(purchaser, xlsx(rows))
    assert issues(page) == [(4, "List price", "Cannot be negative.")]
    assert (count(page, "create"), count(page, "errors")) == (2, 1)
    assert 'id="import-commit-form"' not in page
    response = commit(purchaser, token)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/products/import/{token}")
    assert products(app) == {}


def test_commit_checks_again_and_writes_nothing_when_the_database_changed(app, purchaser, create_product):
    token, page = preview(purchaser, xlsx(ROWS))
    assert count(page, "create") == 3
    create_product("6205-ZZ", "NSK")  # someone creates the second row's product meanwhile
    response = commit(purchaser, token)
    assert response.headers["Location"].endswith(f"/products/import/{token}")
    assert set(products(app)) == {"NSK 6205-ZZ"}, "the other two rows were not written either"
    page = html(purchaser.get(f"/products/import/{token}"))
    assert "Nothing was imported" in page
    assert issues(page) == [(3, "Model", "NSK 6205-ZZ already exists.")]


def test_commit_refuses_a_record_changed_since_the_preview(app, purchaser, create_product):
    from app.extensions import db
    from app.products import services
    from app.products.models import Product

    existing = create_product("6204-2RS", "SKF", list_price=Decimal("10"))
    token, page = preview(purchaser, xlsx(ROWS[:1]), update=True)
    assert count(page, "update") == 1
    with app.app_context():
        product = db.session.get(Product, existing.id)
        data = services.data_of(product)
        data.note = "changed by a colleague"
        services.update_product(product, data, expected_version=product.version_id)
        db.session.commit()
    commit(purchaser, token)
    page = html(purchaser.get(f"/products/import/{token}"))
    assert "someone else after the preview" in page
    assert products(app)["SKF 6204-2RS"].list_price == Decimal("10.0000")


# --- update option ----------------------------------------------------------------------------------


def test_existing_records_are_refused_without_the_update_option(app, purchaser, create_product):
    create_product("6204-2RS", "SKF")
    _token, page = preview(purchaser, xlsx(ROWS))
    assert issues(page) == [(2, "Model", "SKF 6204-2RS already exists.")]
    assert "To update those records, upload the file again" in page


def test_update_option_changes_matched_records_and_keeps_blank_cells(app, purchaser, create_product):
    old = create_product("6204 2rs", "SKF", list_price=Decimal("10"), note="keep me", weight_kg=Decimal("0.5"))
    rows = [["skf", "6204-2RS", "新名称", None, None, None, None, None, None, None, 15, None, None, None]]
    token, page = preview(purchaser, xlsx(rows), update=True)
    assert (count(page, "create"), count(page, "update")) == (0, 1)
    commit(purchaser, token)
    product = products(app)["SKF 6204-2RS"]
    assert product.id == old.id
    assert product.name_zh == "新名称" and product.list_price == Decimal("15.0000")
    assert product.note == "keep me" and product.weight_kg == Decimal("0.500"), "blank cells keep their values"
    assert product.version_id == old.version_id + 1
    updates = [e for e in operation_log(app, object_type="product", object_id=old.id) if e[0] == "update"]
    assert updates and updates[-1][3]["list_price"] == ["10.0000", "15.0000"]


def test_updating_needs_products_edit(login, create_role, refs, create_product):
    create_product("6204-2RS", "SKF")
    role = create_role(permissions=["products.view", "products.import"])
    client = login(role.name)
    assert 'name="update"' not in html(client.get("/products/import"))
    assert upload(client, xlsx(ROWS), update=True).status_code == 403
    token, page = preview(client, xlsx(ROWS[1:]))
    assert count(page, "create") == 2
    assert commit(client, token).status_code == 302


def test_unchanged_rows_are_counted_not_rewritten(app, purchaser):
    token, _page = preview(purchaser, xlsx(ROWS))
    commit(purchaser, token)
    versions = {k: p.version_id for k, p in products(app).items()}
    token, page = preview(purchaser, xlsx(ROWS), update=True)
    assert count(page, "update") == 3
    commit(purchaser, token)
    assert "Import finished: 0 created, 0 updated, 3 unchanged." in html(purchaser.get("/products/"))
    assert {k: p.version_id for k, p in products(app).items()} == versions


def test_export_imports_back_with_cost_columns_ignored(app, login, refs, create_product):
    create_product("6204-2RS", "SKF", list_price=Decimal("12.34"))
    client = login("manager")  # sees costs: the export has the cost columns
    exported = client.get("/products/export.xlsx").data
    token, page = preview(client, exported, "products.xlsx", update=True)
    assert "were ignored: Moving average cost, Last purchase price." in page
    assert issues(page) == []
    commit(client, token)
    assert "0 updated, 1 unchanged" in html(client.get("/products/"))


# --- problems inside the file -----------------------------------------------------------------------


def test_duplicates_inside_the_file(purchaser):
    rows = [ROWS[0], ROWS[1], ["skf", "6204 2rs", "重复", "", "", "", None, None, None, None, 1, None, None, None]]
    _token, page = preview(purchaser, xlsx(rows))
    assert issues(page) == [(4, "Model", "Same brand and model as row 2.")]


def test_unknown_brand_and_category(purchaser):
    rows = [["ACME", "X-1", "名称", "", "DGBB", "", None, None, None, None, 1, None, None, None],
            ["SKF", "X-2", "名称", "", "NOPE", "箱", None, None, None, None, 1, None, None, None]]  # fmt: skip
    _token, page = preview(purchaser, xlsx(rows))
    assert issues(page) == [
        (2, "Brand", "Unknown brand “ACME”. Add it on the Brands page first, or correct the spelling."),
        (3, "Category", "Unknown category “NOPE”. Use a category code from the Product categories page."),
        (3, "Unit", "“箱” is not allowed. Use one of: pcs, pair, set."),
    ]


def test_required_cells_types_and_rules(purchaser):
    rows = [
        ["SKF", None, "名称", "", "", "", None, None, None, None, 1, None, None, None],
        ["SKF", "A-1", "", "", "", "", "abc", None, None, None, 1.234567, None, "maybe", None],
        ["SKF", "---", "名称", "", "", "", None, None, None, None, 1e20, None, None, None],
    ]
    _token, page = preview(purchaser, xlsx(rows))
    assert issues(page) == [
        (2, "Model", "Required: enter a value."),
        (3, "Name (Chinese)", "Enter the product name in Chinese or in English."),
        (3, "Bore d (mm)", "“abc” is not a number. Enter a number, e.g. 1234.50."),
        (3, "List price", "Use at most 4 decimal places."),
        (3, "Active", "Enter Yes or No."),
        (4, "Model", "Enter the model, e.g. 6204-2RS."),
        (4, "List price", "Too large: at most 10 digits before the decimal point."),
    ]


def test_deleted_products_must_be_restored_first(app, purchaser, create_product):
    from app.extensions import db
    from app.products import services
    from app.products.models import Product

    product = create_product("6204-2RS", "SKF")
    with app.app_context():
        services.delete_product(db.session.get(Product, product.id))
        db.session.commit()
    _token, page = preview(purchaser, xlsx(ROWS[:1]), update=True)
    assert issues(page) == [(2, "Model", "SKF 6204-2RS was deleted. Restore it before importing it again.")]


def test_formulas_are_reported_never_their_cached_values(app, purchaser):
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["Brand", "Model", "Name (English)", "List price"])
    sheet.write_row(1, 0, ["SKF", "6204", "Ball bearing"])
    sheet.write_formula(1, 3, "=10*2", None, 20)  # Excel would show the cached 20
    sheet.write_row(2, 0, ["SKF", "6205", "Ball bearing", 5])
    workbook.close()
    token, page = preview(purchaser, buffer.getvalue())
    assert issues(page) == [
        (
            2,
            "List price",
            "The cell holds a formula (=10*2). Formulas are not imported: copy the cells and paste them as values.",
        )
    ]
    commit(purchaser, token)
    assert products(app) == {}


def test_merged_header_cells_are_refused(purchaser):
    content = xlsx(ROWS, edit=lambda sheet: sheet.merge_cells("C1:D1"))
    response = upload(purchaser, content)
    assert response.status_code == 200
    page = html(response)
    assert "The header row has merged cells (C1:D1)." in page
    assert "has no header" not in page, "column D is covered by the merged header message"
    assert "data-import-problems" in page


def test_merged_data_cells_are_reported_on_their_row(purchaser):
    content = xlsx(ROWS, edit=lambda sheet: sheet.merge_cells("A2:A3"))
    _token, page = preview(purchaser, content)
    message = "Cells A2:A3 are merged. Unmerge them and fill in every cell."
    assert issues(page) == [(2, "Brand", message), (3, "Brand", message)], "no extra “required” for row 3"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (["Brand", "Model", "Colour"], "Unknown column “Colour” (column C). Use the headers of the template."),
        (["Brand", "Name (English)"], "The required column “Model” is missing."),
        (
            ["Brand", "Model", "型号"],
            "The column “Model” appears twice (columns B and C). Keep one.",
        ),
        (["a", "b", "c"], "Row 1 must hold the column headers of the template, e.g. Brand, Model, Name (Chinese)."),
    ],
    ids=["unknown", "missing", "duplicated", "no-header"],
)
def test_header_problems(purchaser, headers, message):
    response = upload(purchaser, xlsx([["SKF", "6204", "x"]], headers))
    assert response.status_code == 200
    assert message in html(response).replace("&#34;", '"')


def test_values_without_a_header(purchaser):
    response = upload(purchaser, xlsx([["SKF", "6204", "Ball", "stray"]], ["Brand", "Model", "Name (English)"]))
    assert "Column D holds values but has no header." in html(response)


# --- files that are not tables ----------------------------------------------------------------------


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "products.xlsx", "The file is empty."),
        (b"\n\n  \n", "products.csv", "The file is empty."),
        (PNG, "products.xlsx", "products.xlsx is not a readable Excel or CSV file."),
        (PNG, "photo.png", "Upload an Excel file (.xlsx or .xls) or a CSV file."),
        (b"<html><table><tr><td>Brand</td></tr></table></html>", "export.xls", "export.xls is not a readable"),
        (b"PK\x03\x04garbage", "broken.xlsx", "The file is damaged or not an Excel workbook."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "locked.xls", "it may be password-protected or damaged"),
    ],
    ids=["empty", "blank-csv", "png-as-xlsx", "png", "html-as-xls", "broken-zip", "broken-ole"],
)
def test_files_that_are_not_tables(purchaser, content, filename, message):
    response = upload(purchaser, content, filename)
    assert response.status_code == 200
    assert message in html(response)


def test_a_zip_that_is_not_a_workbook(purchaser):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    response = upload(purchaser, buffer.getvalue(), "letter.xlsx")
    assert "The file is not an Excel workbook." in html(response)


def test_an_xlsx_without_rows(purchaser):
    workbook = openpyxl.Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "The file is empty." in html(upload(purchaser, buffer.getvalue()))


def test_too_many_rows(purchaser, monkeypatch):
    from app.products import imports as product_imports

    monkeypatch.setattr(
        product_imports, "PRODUCT_IMPORT", dataclasses.replace(product_imports.PRODUCT_IMPORT, max_rows=2)
    )
    response = upload(purchaser, xlsx(ROWS))
    assert "The file has more than 2 data rows." in html(response)
    _token, page = preview(purchaser, xlsx(ROWS[:2]))
    assert count(page, "create") == 2


def test_oversize_is_refused_before_the_body_is_parsed(purchaser, monkeypatch):
    from werkzeug.wrappers import Request

    def parse(*args, **kwargs):
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(Request, "_load_form_data", parse)
    big = b"x" * (10 * 1024 * 1024 + 100 * 1024)
    response = post_in_memory(
        purchaser, "/products/import", {"file": (io.BytesIO(big), "huge.xlsx"), "_once": new_once()}
    )
    assert response.status_code == 413
    assert "imports take files of at most 10 MB" in html(response)


def test_a_file_just_over_the_limit_is_refused_with_the_same_message(purchaser):
    content = xlsx(ROWS) + b"\x00" * (10 * 1024 * 1024)
    fields = {
        "file": (io.BytesIO(content), "p.xlsx"),
        "_once": new_once(),
        "csrf_token": purchaser.csrf_token("/account/"),
    }
    response = post_in_memory(purchaser, "/products/import", fields)
    assert response.status_code == 200
    assert "imports take files of at most 10 MB" in html(response)


# --- the preview in Redis ---------------------------------------------------------------------------


def _preview_key(app, user_id: int, token: str) -> str:
    from app.extensions import redis_store

    with app.app_context():
        return redis_store.key("import", "products", user_id, token)


def test_preview_lives_in_redis_with_a_lifetime(app, purchaser):
    from app.extensions import redis_store

    token, _page = preview(purchaser, xlsx(ROWS))
    key = _preview_key(app, purchaser.user.id, token)
    with app.app_context():
        ttl = redis_store.ttl(key)
    assert 3500 < ttl <= 3600
    for _ in range(2):
        assert count(html(purchaser.get(f"/products/import/{token}")), "create") == 3
    with app.app_context():
        redis_store.pexpire(key, 1)
    import time

    time.sleep(0.05)
    response = purchaser.get(f"/products/import/{token}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/products/import")
    assert "This import preview has expired" in html(purchaser.get("/products/import"))
    assert commit(purchaser, token).headers["Location"].endswith("/products/import")
    assert products(app) == {}


def test_preview_is_read_by_another_process(app, app_config, purchaser):
    token, _page = preview(purchaser, xlsx(ROWS))
    script = f"""
import json, sys
from app import create_app
from app.core import imports
from app.extensions import redis_store
app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    blob = redis_store.get(redis_store.key("import", "products", {purchaser.user.id}, "{token}"))
    preview = imports.Preview.from_json(blob)
    print(json.dumps([len(preview.rows), preview.creates, preview.filename]))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", script, json.dumps(app_config)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [3, 3, "products.xlsx"]


def test_a_preview_belongs_to_its_user(purchaser, login):
    token, _page = preview(purchaser, xlsx(ROWS))
    other = login("purchaser")
    assert other.get(f"/products/import/{token}").status_code == 302
    assert commit(other, token).headers["Location"].endswith("/products/import")


def test_problems_download(purchaser):
    rows = [list(r) for r in ROWS]
    rows[0][10] = "abc"
    token, _page = preview(purchaser, xlsx(rows))
    response = purchaser.get(f"/products/import/{token}/errors.csv")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert lines == [
        ["Row", "Column", "Problem"],
        ["2", "List price", "“abc” is not a number. Enter a number, e.g. 1234.50."],
    ]


# --- commit once ------------------------------------------------------------------------------------


def test_double_submit_imports_once(app, purchaser):
    token, _page = preview(purchaser, xlsx(ROWS))
    once = new_once()
    first = commit(purchaser, token, once=once)
    second = commit(purchaser, token, once=once)
    assert first.status_code == 302 and second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert len(products(app)) == 3
    third = commit(purchaser, token)  # a fresh form token, e.g. an old tab
    assert third.headers["Location"].endswith("/products/")
    assert "This file was already imported: 3 created, 0 updated." in html(purchaser.get("/products/"))
    assert len(products(app)) == 3
    assert len(operation_log(app, event="import")) == 1


def test_a_locked_preview_is_not_committed_twice(app, purchaser):
    from app.extensions import redis_store

    token, _page = preview(purchaser, xlsx(ROWS))
    with app.app_context():
        redis_store.set(redis_store.key("import-lock", "products", purchaser.user.id, token), b"1")
    response = commit(purchaser, token)
    assert response.headers["Location"].endswith(f"/products/import/{token}")
    assert "being imported right now" in html(purchaser.get(f"/products/import/{token}"))
    assert products(app) == {}


# --- permissions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method_url", ["GET /products/import", "GET /products/import/template.xlsx"])
def test_sales_may_not_import(login, method_url):
    _method, url = method_url.split()
    assert login("sales").get(url).status_code == 403


def test_sales_may_not_upload_or_commit(login, refs):
    client = login("sales")
    assert upload(client, xlsx(ROWS)).status_code == 403
    assert commit(client, "a" * 24).status_code == 403


def test_visitors_are_sent_to_sign_in(client):
    response = client.get("/products/import")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the bulk service -------------------------------------------------------------------------------


def test_save_products_keeps_the_rules_of_single_edits(app, refs, create_product):
    from app.core.errors import DomainError, StaleEditError
    from app.extensions import db
    from app.products import services
    from app.products.models import Product

    existing = create_product("6204-2RS", "SKF")
    skf = refs["brands"]["SKF"].id

    def data(model: str, **fields) -> services.ProductData:
        return services.ProductData(brand_id=fields.pop("brand_id", skf), model=model, name_en="Bearing", **fields)

    cases = [
        ([data("6300"), data("63-00")], "The product SKF 63-00 is listed twice."),
        ([data("6204 2rs")], "The product SKF 6204-2RS already exists."),
        ([data("6301", brand_id=None)], "Choose a brand."),
        ([data("6302", list_price=Decimal("-1"))], "Numbers here cannot be negative."),
        ([data("6303", category_id=999999)], "The chosen category no longer exists. Reload the page."),
    ]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        for changes, message in cases:
            with pytest.raises(DomainError, match=f"^{message}$".replace(".", r"\.")):
                services.save_products([services.ProductChange(c) for c in changes])
            db.session.rollback()
        product = db.session.get(Product, existing.id)
        with pytest.raises(StaleEditError):
            change = services.ProductChange(services.data_of(product), product, product.version_id - 1)
            services.save_products([change])
        db.session.rollback()
        product = db.session.get(Product, existing.id)
        renamed = services.data_of(product)
        renamed.model = "6204 2RS"  # same brand and model key: no clash with itself
        result = services.save_products([services.ProductChange(renamed, product, product.version_id)])
        assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
        assert product.model == "6204 2RS" and product.model_key == "62042RS"
        db.session.rollback()
