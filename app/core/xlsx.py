"""A one-sheet xlsx writer for list exports: rows go straight into the zip as XML.

A list export is one sheet of typed cells: a bold header, text, numbers with a number format,
dates. XlsxWriter, even in ``constant_memory`` mode, builds each cell through several Python calls
and rewrites the sheet into the zip at the end, which made a 100,000-row export take well over ten
seconds. Here each row becomes one XML string written to the deflate stream of the open zip entry:
memory holds one row, the sheet is compressed once, and the file is finished as soon as the last
row is written. Strings are inline (no shared-string table to keep in memory); cells carry their
reference, so empty cells are simply left out.

The workbook has what people use in an export: frozen header row, column widths, an autofilter
over the data, numbers as numbers with formats, dates as dates. It opens in Excel, LibreOffice and
openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from app.core.sheets import column_letter

_EPOCH = date(1899, 12, 30)
# Characters XML 1.0 does not allow (control characters other than tab and newlines).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_NEEDS_WORK = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|^\\s|\\s$")


@dataclass(frozen=True)
class SheetColumn:
    label: str
    width: float = 18
    num_format: str | None = None  # a number, date or datetime column: its Excel number format
    is_date: bool = False  # values are dates or datetimes (written as Excel serial numbers)


def _text(value: str) -> str:
    if _NEEDS_WORK.search(value) is None:
        return f"<is><t>{value}</t></is>"
    value = _ILLEGAL.sub("", value).translate(_ESCAPES)
    return f'<is><t xml:space="preserve">{value}</t></is>'


def _serial(value: date) -> str:
    if isinstance(value, datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return repr((value.date() - _EPOCH).days + seconds / 86400)
    return str((value - _EPOCH).days)


def _number(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else ""
    return repr(value)


def _styles(columns: Sequence[SheetColumn]) -> tuple[str, list[int]]:
    """styles.xml and each column's cell style index (0 = plain, 1 = header)."""
    formats: dict[str, int] = {}
    for column in columns:
        if column.num_format and column.num_format not in formats:
            formats[column.num_format] = 164 + len(formats)
    xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']
    xfs.append(
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>'
    )
    style_of_format = {}
    for fmt, fmt_id in formats.items():
        style_of_format[fmt] = len(xfs)
        xfs.append(f'<xf numFmtId="{fmt_id}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>')
    num_fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{_attr(f)}"/>' for f, i in formats.items())
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill>'
        '<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF7"/><bgColor indexed="64"/></patternFill></fill>'
        "</fills>"
        '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
        '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
        '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>'
        "</borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )
    return xml, [style_of_format.get(c.num_format, 0) if c.num_format else 0 for c in columns]


def _attr(value: str) -> str:
    return value.translate(_ESCAPES).replace('"', "&quot;")


def write(target, columns: Sequence[SheetColumn], rows: Iterable[Sequence[object]], sheet_name: str) -> int:
    """Write a one-sheet workbook to ``target`` (a path or a binary file); return the data rows.

    A row's values are, per column: None (empty), str, bool, int/float/Decimal (a number column),
    date/datetime (a date column; datetimes as the reader should see them, without a zone).
    """
    sheet_name = re.sub(r"[\[\]:*?/\\]", " ", sheet_name)[:31].strip(" '") or "Sheet1"
    letters = [column_letter(i) for i in range(len(columns))]
    styles_xml, styles = _styles(columns)
    last = letters[-1] if letters else "A"
    count = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
            cols = "".join(
                f'<col min="{i + 1}" max="{i + 1}" width="{c.width}" customWidth="1"/>' for i, c in enumerate(columns)
            )
            header = "".join(
                f'<c r="{letters[i]}1" s="1" t="inlineStr">{_text(str(c.label))}</c>' for i, c in enumerate(columns)
            )
            raw.write(
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                    '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
                    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                    f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
                    f'<row r="1">{header}</row>'
                ).encode()
            )
            kinds = [(letters[i], styles[i], c.is_date, c.num_format is not None) for i, c in enumerate(columns)]
            chunk: list[str] = []
            for r, row in enumerate(rows, 2):
                cells = [f'<row r="{r}">']
                for (letter, style, is_date, is_number), value in zip(kinds, row, strict=True):
                    if value is None or value == "":
                        continue
                    if is_date and isinstance(value, date):
                        cells.append(f'<c r="{letter}{r}" s="{style}"><v>{_serial(value)}</v></c>')
                    elif is_number and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                        cells.append(f'<c r="{letter}{r}" s="{style}"><v>{_number(value)}</v></c>')
                    else:
                        cells.append(f'<c r="{letter}{r}" t="inlineStr">{_text(str(value))}</c>')
                cells.append("</row>")
                chunk.append("".join(cells))
                count = r - 1
                if len(chunk) == 500:
                    raw.write("".join(chunk).encode())
                    chunk.clear()
            raw.write("".join(chunk).encode())
            tail = "</sheetData>"
            if count:
                tail += f'<autoFilter ref="A1:{last}{count + 1}"/>'
            raw.write(
                (
                    tail + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
                    "</worksheet>"
                ).encode()
            )
        defined = (
            f'<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
            f"'{_attr(sheet_name.replace(chr(39), chr(39) * 2))}'!$A$1:${last}${count + 1}</definedName></definedNames>"
            if count
            else ""
        )
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>",
        )
        book.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            "<bookViews><workbookView/></bookViews>"
            f'<sheets><sheet name="{_attr(sheet_name)}" sheetId="1" r:id="rId1"/></sheets>{defined}</workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            'Target="styles.xml"/></Relationships>',
        )
        book.writestr("xl/styles.xml", styles_xml)
    return count
