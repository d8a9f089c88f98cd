"""The list-export xlsx writer: what a person opening the file in a spreadsheet sees."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl

from app.core import xlsx


def _book(columns, rows, name="Products"):
    buffer = io.BytesIO()
    count = xlsx.write(buffer, columns, rows, name)
    buffer.seek(0)
    return count, openpyxl.load_workbook(buffer), buffer


COLUMNS = [
    xlsx.SheetColumn("型号 Model", 28),
    xlsx.SheetColumn("Price", 14, "#,##0.00##"),
    xlsx.SheetColumn("Qty", 12, "#,##0.###"),
    xlsx.SheetColumn("Day", 12, "yyyy-mm-dd", is_date=True),
    xlsx.SheetColumn("Changed", 17, "yyyy-mm-dd hh:mm", is_date=True),
]


def test_values_keep_their_types_and_formats():
    rows = [
        ["6204-2RS", Decimal("35.1800"), 1200, date(2026, 12, 4), datetime(2026, 12, 4, 9, 30)],
        ['深沟球轴承 <&> "x"', 0.5, Decimal("-3"), None, None],
        [" padded ", None, None, date(1999, 1, 1), datetime(2026, 1, 31, 23, 59, 59)],
    ]
    count, book, _ = _book(COLUMNS, rows)
    sheet = book.active
    assert count == 3
    assert sheet.title == "Products"
    assert [c.value for c in sheet[1]] == ["型号 Model", "Price", "Qty", "Day", "Changed"]
    assert sheet["A1"].font.b
    assert sheet["B2"].value == 35.18 and sheet["B2"].number_format == "#,##0.00##"
    assert sheet["C2"].value == 1200 and sheet["C2"].number_format == "#,##0.###"
    assert sheet["D2"].value == datetime(2026, 12, 4) and sheet["D2"].number_format == "yyyy-mm-dd"
    assert sheet["E2"].value == datetime(2026, 12, 4, 9, 30)
    assert sheet["A3"].value == '深沟球轴承 <&> "x"'
    assert sheet["B3"].value == 0.5 and sheet["C3"].value == -3
    assert sheet["D3"].value is None and sheet["E3"].value is None
    assert sheet["A4"].value == " padded "
    assert sheet["B4"].value is None
    assert sheet["E4"].value == datetime(2026, 1, 31, 23, 59, 59)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E4"
    assert sheet.column_dimensions["A"].width == 28
    assert sheet.column_dimensions["C"].width == 12


def test_control_characters_are_dropped_not_a_broken_file():
    count, book, _ = _book([xlsx.SheetColumn("Note")], [["bell\x07 and\x00 nul\ttab"]])
    assert count == 1
    assert book.active["A2"].value == "bell and nul\ttab"


def test_text_in_a_number_column_stays_text():
    # A value the column cannot write as a number (a label) is written as text, not dropped.
    _, book, _ = _book([xlsx.SheetColumn("Qty", 12, "0")], [["n/a"], [True], [7]])
    sheet = book.active
    assert sheet["A2"].value == "n/a"
    assert sheet["A3"].value == "True"
    assert sheet["A4"].value == 7


def test_empty_export_has_the_header_and_no_filter():
    count, book, _ = _book(COLUMNS, [])
    sheet = book.active
    assert count == 0
    assert sheet.max_row == 1
    assert sheet["A1"].value == "型号 Model"
    assert not sheet.auto_filter.ref


def test_sheet_name_is_made_legal_for_excel():
    _, book, buffer = _book([xlsx.SheetColumn("A")], [["x"]], name="Quote lines: 2026/12 [all] and more than 31 chars")
    assert book.sheetnames == ["Quote lines  2026 12  all  and"]
    # The filter range names the sheet, so Excel's filter buttons work.
    workbook_xml = zipfile.ZipFile(buffer).read("xl/workbook.xml").decode()
    assert "_xlnm._FilterDatabase" in workbook_xml and "$A$1:$A$2" in workbook_xml


def test_many_columns_get_two_letter_references():
    columns = [xlsx.SheetColumn(f"C{i}", 8, "0") for i in range(30)]
    _, book, _ = _book(columns, [list(range(30))])
    sheet = book.active
    assert sheet["Z2"].value == 25 and sheet["AA2"].value == 26 and sheet["AD2"].value == 29
