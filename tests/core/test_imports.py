"""The import machinery: cell parsers, header matching, reading files, row checks, the preview in Redis."""

from __future__ import annotations

import dataclasses
import io
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
import xlsxwriter
from flask_babel import lazy_gettext as _l

from app.core import imports, sheets
from app.core.errors import DomainError
from app.core.imports import CellError
from app.core.sheets import SheetError

# --- a small spec over records kept in a dict ---------------------------------------------------------

RECORDS: dict[str, SimpleNamespace] = {}


def _build(values, context, record):
    problems = []
    if values.get("qty") is not None and values["qty"] > 100:
        problems.append(("qty", "too many"))
    if not values.get("name") and record is None:
        problems.append(("name", "name needed"))
    return dict(values), problems


SPEC = imports.ImportSpec(
    name="things",
    title="Import things",
    sheet_name="Things",
    columns=(
        imports.ImportColumn("code", _l("Code"), imports.text(10), required=True, aliases=("item code",)),
        imports.ImportColumn("name", _l("Name (English)"), imports.text(50)),
        imports.ImportColumn("qty", _l("Reorder level"), imports.number(0, max_digits=6)),
        imports.ImportColumn("active", _l("Active"), imports.boolean()),
    ),
    key_columns=("code",),
    key_label="code",
    prepare=lambda rows: None,
    key=lambda values, context: values["code"].upper() if values.get("code") else None,
    find=lambda keys, context: {k: RECORDS[k] for k in keys if k in RECORDS},
    build=_build,
    describe=lambda record: record.code,
    permission="products.import",
    endpoint="products.product_import",
    done_endpoint="products.product_list",
    audit_type="thing",
    ignore_headers=(_l("Moving average cost"),),
)
COLUMNS = ["code", "name", "qty", "active"]
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def en(app):
    """A request in English (outside one, messages come in the default language, Chinese)."""
    with app.test_request_context(headers=ENGLISH):
        yield


@pytest.fixture(autouse=True)
def _records():
    RECORDS.clear()
    yield
    RECORDS.clear()


# --- parsers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.50", Decimal("1234.50")),
        ("１２", Decimal("12.00")),
        ("¥12.5", Decimal("12.50")),
        (" 3 ", Decimal("3.00")),
        (12.5, Decimal("12.50")),
        (0.1, Decimal("0.10")),
        (7, Decimal("7.00")),
    ],
)
def test_numbers_as_people_type_them(en, raw, expected):
    value = imports.number(2, max_digits=8)(raw)
    assert value == expected and value.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1.234,5", "“1.234,5” is not a number."),
        ("12 pcs", "“12 pcs” is not a number."),
        ("1e5", "“1e5” is not a number."),
        (True, "Enter a number"),
        (-1, "Cannot be negative."),
        ("1.234", "Use at most 2 decimal places."),
        (1e9, "Too large: at most 6 digits before the decimal point."),
        ("1" * 40, "Too large"),
    ],
)
def test_numbers_refused(en, raw, message):
    with pytest.raises(CellError) as caught:
        imports.number(2, max_digits=8)(raw)
    assert message in caught.value.message


def test_text_keeps_part_numbers_as_typed(en):
    parse = imports.text(12)
    assert parse(6204) == "6204"
    assert parse(6204.0) == "6204"
    assert parse("ＳＫＦ  6204－2RS ") == "SKF 6204-2RS"
    with pytest.raises(CellError, match="at most 12 characters"):
        parse("x" * 13)


@pytest.mark.parametrize("raw", [True, 1, "yes", "Y", "TRUE", "是", "启用", " Yes "])
def test_yes(en, raw):
    assert imports.boolean()(raw) is True


@pytest.mark.parametrize("raw", [False, 0, "no", "N", "false", "否", "停用"])
def test_no(en, raw):
    assert imports.boolean()(raw) is False


def test_neither_yes_nor_no(en):
    with pytest.raises(CellError, match=r"Enter Yes or No\."):
        imports.boolean()("maybe")


def test_choice_by_code_or_label_in_either_language(en):
    parse = imports.choice({"pcs": _l("pcs"), "pair": _l("pair")})
    assert [parse(v) for v in ("pcs", "PCS", "个", "对", " Pair ")] == ["pcs", "pcs", "pcs", "pair", "pair"]
    with pytest.raises(CellError, match=r"Use one of: pcs, pair\."):
        parse("箱")


def test_header_keys_ignore_width_case_spaces_and_markers():
    key = imports.header_key
    assert key("  名称（中文） ") == key("名称(中文)")
    assert key("NAME (ENGLISH)") == key("name(english)")
    assert key("Model *") == key("model")
    assert key("Bore d (mm)") == key("bore d(mm)")


# --- headers ------------------------------------------------------------------------------------------


def test_headers_in_either_language_aliases_and_keys(en):
    match = imports.match_headers(SPEC, ["ITEM CODE", "名称（英文）", "qty", None, "启用"], 1)
    assert match.problems == []
    assert match.columns == ["code", "name", "qty", None, "active"]


def test_header_problems(en):
    match = imports.match_headers(SPEC, ["Name (English)", "Colour", "名称（英文）", "Moving average cost"], 1)
    assert match.ignored == ["Moving average cost"]
    assert match.problems == [
        "Unknown column “Colour” (column B). Use the headers of the template.",
        "The column “Name (English)” appears twice (columns A and C). Keep one.",
        "The required column “Code” is missing.",
    ]


def test_no_recognisable_header(en):
    match = imports.match_headers(SPEC, ["SKF", "6204"], 3)
    assert match.problems[-1].startswith("Row 3 must hold the column headers of the template")


# --- reading files ------------------------------------------------------------------------------------


def _xlsx(build) -> bytes:
    workbook = openpyxl.Workbook()
    build(workbook.active)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("a.xlsx", b"PK\x03\x04rest", "xlsx"),
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "xls"),
        ("a.csv", b"a,b\n1,2\n", "csv"),
        ("a.xls", b"PK\x03\x04rest", "xlsx"),  # the content decides, not the name
    ],
)
def test_kind_is_told_by_content(en, name, data, kind):
    assert sheets.detect_kind(name, data) == kind


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.txt", b"a,b", "Upload an Excel file"),
        ("a.xlsx", b"", "The file is empty."),
        ("a.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00", "a.xlsx is not a readable Excel or CSV file."),
        ("a.xls", b"<html><body>", "a.xls is not a readable Excel or CSV file."),
    ],
)
def test_kind_refused(en, name, data, message):
    with pytest.raises(SheetError) as caught:
        sheets.detect_kind(name, data)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "encoded",
    [
        "代码,名称\n001,轴承\n".encode("utf-8-sig"),
        "代码,名称\n001,轴承\n".encode(),
        "代码,名称\n001,轴承\n".encode("gb18030"),
        "代码\t名称\n001\t轴承\n".encode("utf-16"),  # Excel's "Unicode text"
        "代码;名称\n001;轴承\n".encode(),
    ],
    ids=["utf8-bom", "utf8", "gb18030", "utf16-tab", "semicolon"],
)
def test_csv_encodings_and_delimiters(en, encoded):
    sheet = sheets.read_sheet("a.csv", encoded, max_rows=10)
    assert sheet.rows == [(1, ["代码", "名称"]), (2, ["001", "轴承"])], "leading zeros stay"


def test_csv_rows_keep_their_numbers(en):
    data = b'a,b\n\n"two\nlines",x\n,\n\nlast,y\n'
    sheet = sheets.read_sheet("a.csv", data, max_rows=10)
    assert sheet.rows == [(1, ["a", "b"]), (3, ["two\nlines", "x"]), (6, ["last", "y"])]


def test_xlsx_formulas_and_error_cells_are_noted_without_their_cached_values(en):
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["code", "qty"])
    sheet.write_string(1, 0, "A")
    sheet.write_formula(1, 1, "=SUM(1,2)", None, 3)
    sheet.write_string(2, 0, "B")
    sheet.write_formula(2, 1, "=1/0", None, "#DIV/0!")
    workbook.close()
    read = sheets.read_sheet("a.xlsx", buffer.getvalue(), max_rows=10)
    assert read.rows == [(1, ["code", "qty"]), (2, ["A"]), (3, ["B"])]
    assert [(n.row, n.col) for n in read.notes] == [(2, 1), (3, 1)]
    assert "=SUM(1,2)" in read.notes[0].message


def test_xlsx_merges_and_numbers(en):
    def build(sheet):
        sheet.append(["code", "name", "qty"])
        sheet.append(["A", "x", 12.5])
        sheet.append([None, None, 7])
        sheet.merge_cells("A2:A3")
        sheet.merge_cells("B1:C1")

    read = sheets.read_sheet("a.xlsx", _xlsx(build), max_rows=10)
    assert read.rows[1] == (2, ["A", "x", 12.5])
    assert [(m.ref, m.first_row, m.first_col, m.last_row, m.last_col) for m in read.merges] == [
        ("B1:C1", 1, 1, 1, 2),
        ("A2:A3", 2, 0, 3, 0),
    ]


def test_xls_values_hidden_rows_and_merges(en):
    import xlwt

    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("S")
    sheet.write_merge(0, 0, 0, 1, "merged")
    sheet.write(1, 0, "hidden row")
    sheet.row(1).hidden = True
    sheet.write(2, 0, "x")
    sheet.write(2, 1, 12.5)
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = sheets.read_sheet("a.xls", buffer.getvalue(), max_rows=10)
    assert read.rows == [(1, ["merged"]), (2, ["hidden row"]), (3, ["x", 12.5])]
    assert [m.ref for m in read.merges] == ["A1:B1"]


def test_row_and_column_caps(en):
    data = ("h\n" + "x\n" * 6).encode()
    with pytest.raises(SheetError, match="more than 5 data rows"):
        sheets.read_sheet("a.csv", data, max_rows=5)
    assert len(sheets.read_sheet("a.csv", data, max_rows=6).rows) == 7
    wide = (",".join(["h"] * (sheets.MAX_COLUMNS + 1)) + "\n").encode()
    with pytest.raises(SheetError, match="more than 200 columns"):
        sheets.read_sheet("a.csv", wide, max_rows=5)


def test_workbooks_that_unpack_too_large_are_refused_before_parsing(en, monkeypatch):
    data = _xlsx(lambda sheet: sheet.append(["x" * 5000]))
    monkeypatch.setattr(sheets, "MAX_UNPACKED_BYTES", 4000)
    with pytest.raises(SheetError, match="too large once unpacked"):
        sheets.read_sheet("a.xlsx", data, max_rows=5)


# --- checking rows ------------------------------------------------------------------------------------


def _rows(*rows):
    return [[n, *cells] for n, cells in rows]


def test_every_row_is_checked_and_problems_carry_row_and_column(en):
    rows = _rows(
        (2, ["A1", "first", 5, "yes"]),
        (3, [None, "no code", "x", None]),
        (5, ["a1", "same code", 500, "maybe"]),
        (6, ["B2", None, None, None]),
    )
    evaluation = imports.evaluate(SPEC, COLUMNS, rows, update=False)
    assert [(i.row, i.column, i.message) for i in evaluation.issues] == [
        (3, "code", "Required: enter a value."),
        (3, "qty", "“x” is not a number. Enter a number, e.g. 1234.50."),
        (5, "code", "Same code as row 2."),
        (5, "qty", "too many"),
        (5, "active", "Enter Yes or No."),
        (6, "name", "name needed"),
    ]
    assert evaluation.plan == {2: ["create", None, None]}
    assert [p.row for p in evaluation.planned] == [2]


def test_existing_records_are_refused_or_updated(en):
    RECORDS["A1"] = SimpleNamespace(id=7, code="A1", version_id=3, deleted_at=None)
    RECORDS["GONE"] = SimpleNamespace(id=8, code="GONE", version_id=1, deleted_at="yesterday")
    rows = _rows((2, ["a1", None, 1, None]), (3, ["gone", "x", None, None]), (4, ["new", "x", None, None]))
    refused = imports.evaluate(SPEC, COLUMNS, rows, update=False)
    assert [(i.row, i.message) for i in refused.issues] == [
        (2, "A1 already exists."),
        (3, "GONE was deleted. Restore it before importing it again."),
    ]
    assert refused.existing == 1
    updated = imports.evaluate(SPEC, COLUMNS, rows, update=True)
    assert [i.row for i in updated.issues] == [3]
    assert updated.plan == {2: ["update", 7, 3], 4: ["create", None, None]}
    assert updated.planned[0].record is RECORDS["A1"] and updated.planned[0].version == 3


def test_cells_reported_by_the_reader_are_not_reported_twice(en):
    rows = _rows((2, [None, "x", None, None]))
    evaluation = imports.evaluate(SPEC, COLUMNS, rows, update=False, unusable={(2, "code")})
    assert evaluation.issues == []  # the reader's message (a formula, a merge) is the only one about that cell
    assert evaluation.plan == {2: ["create", None, None]}  # read_upload then drops rows with reader problems


# --- committing, one service call per row ---------------------------------------------------------


def _create(data):
    if data["name"] == "refused":
        raise DomainError("the service said no")
    RECORDS[data["code"].upper()] = SimpleNamespace(id=len(RECORDS) + 1, version_id=1, deleted_at=None, **data)


def _update(record, data, version):
    assert version == record.version_id
    record.name, record.version_id = data.get("name") or record.name, record.version_id + 1


ONE_BY_ONE = dataclasses.replace(SPEC, create=_create, update=_update)


def _checked(rows, *, update=False) -> imports.Preview:
    evaluation = imports.evaluate(ONE_BY_ONE, COLUMNS, rows, update=update)
    assert evaluation.issues == []
    return _preview(columns=COLUMNS, rows=rows, issues=[], plan=evaluation.plan, update=update)


def test_commit_calls_the_services_row_by_row(en):
    RECORDS["A1"] = SimpleNamespace(id=7, code="A1", name="old", version_id=3, deleted_at=None)
    preview = _checked(_rows((2, ["a1", "renamed"]), (3, ["B2", "new"])), update=True)
    result = imports.commit_preview(ONE_BY_ONE, preview)
    assert (result.created, result.updated) == (1, 1)
    assert RECORDS["A1"].name == "renamed" and RECORDS["A1"].version_id == 4
    assert RECORDS["B2"].name == "new"


def test_a_service_refusal_names_the_row(en):
    preview = _checked(_rows((2, ["B2", "fine"]), (3, ["C3", "refused"])))
    with pytest.raises(DomainError, match=r"^Row 3: the service said no$"):
        imports.commit_preview(ONE_BY_ONE, preview)


def test_commit_refuses_rows_whose_record_appeared_or_changed_since_the_preview(en):
    RECORDS["A1"] = SimpleNamespace(id=7, code="A1", name="old", version_id=3, deleted_at=None)
    preview = _checked(_rows((2, ["a1", "renamed"]), (3, ["B2", "new"])), update=True)
    RECORDS["A1"].version_id = 4  # someone saved it meanwhile
    RECORDS["B2"] = SimpleNamespace(id=8, code="B2", name="theirs", version_id=1, deleted_at=None)
    with pytest.raises(imports.PreviewOutdated) as caught:
        imports.commit_preview(ONE_BY_ONE, preview)
    assert [(i.row, i.message) for i in caught.value.preview.issues] == [
        (2, "This record was created or changed by someone else after the preview. Upload the file again."),
        (3, "This record was created or changed by someone else after the preview. Upload the file again."),
    ]
    assert RECORDS["A1"].name == "old" and RECORDS["B2"].name == "theirs"


# --- the preview in Redis -----------------------------------------------------------------------------


def _preview(**changes) -> imports.Preview:
    values = {
        "token": "t" * 24,
        "spec": "things",
        "user_id": 5,
        "filename": "产品.xlsx",
        "update": True,
        "created_at": 1.5,
        "columns": ["code", None, "qty"],
        "headers": ["Code", "", "Reorder level"],
        "ignored": [],
        "rows": [[2, "A", None, 1.5], [3, "B", None, None]],
        "issues": [imports.Issue(3, "qty", "problem"), imports.Issue(3, None, "whole row")],
        "plan": {2: ["update", 9, 4]},
        "existing": 1,
    }
    values.update(changes)
    return imports.Preview(**values)


def test_preview_round_trips_through_json():
    preview = _preview()
    again = imports.Preview.from_json(preview.to_json())
    assert again == preview
    assert (again.creates, again.updates, again.error_rows, again.clean) == (0, 1, 1, False)


def test_preview_is_stored_under_the_user_with_a_lifetime(app, ctx, monkeypatch):
    from app.extensions import redis_store

    monkeypatch.setitem(app.config, "IMPORT_PREVIEW_TTL", 120)
    imports.store_preview(SPEC, _preview())
    key = imports.preview_key(SPEC, 5, "t" * 24)
    assert key.startswith(redis_store.prefix) and ":5:" in key
    assert 100 < redis_store.ttl(key) <= 120
    assert imports.Preview.from_json(redis_store.get(key)).filename == "产品.xlsx"


# --- refusing large uploads before parsing ------------------------------------------------------------


def test_upload_limit_is_checked_from_the_content_length(app):
    from werkzeug.exceptions import RequestEntityTooLarge

    limit = 10 * 1024 * 1024
    big = {"CONTENT_LENGTH": "20000000"}
    with app.test_request_context("/products/import", method="POST", environ_overrides=big, headers=ENGLISH):
        with pytest.raises(RequestEntityTooLarge) as caught:
            imports._check_upload_size("products.product_import", {})
        assert "The file is 19.1 MB; imports take files of at most 10 MB." in caught.value.description
    with app.test_request_context("/products/import", method="POST", environ_overrides={"CONTENT_LENGTH": "1000"}):
        from flask import request

        imports._check_upload_size("products.product_import", {})
        assert request.max_content_length == limit + 64 * 1024, "a body longer than announced is cut off"
    with app.test_request_context("/products/", method="POST", environ_overrides={"CONTENT_LENGTH": "20000000"}):
        imports._check_upload_size("products.product_list", {})  # no limit declared: the global one applies
