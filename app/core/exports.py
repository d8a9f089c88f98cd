"""xlsx and csv downloads in constant memory.

CSV is streamed row by row with a UTF-8 byte-order mark, so Excel on a Chinese Windows opens it
as UTF-8. xlsx is written by XlsxWriter in ``constant_memory`` mode (one row in memory at a time,
flushed to a temporary file), then the file is streamed out and removed. Numbers are written as
numbers with a number format, dates as dates, so the sheet can be summed and sorted.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

import xlsxwriter
from flask import Response, stream_with_context
from flask_babel import get_timezone
from flask_babel import gettext as _

from app.core import listview as lv

CSV_BOM = "\ufeff"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMATS = {
    lv.MONEY: "#,##0.00",
    lv.PRICE: "#,##0.00##",
    lv.QUANTITY: "#,##0.###",
    lv.NUMBER: "#,##0.###",
    lv.DATE: "yyyy-mm-dd",
    lv.DATETIME: "yyyy-mm-dd hh:mm",
}
_WIDTHS = {lv.MONEY: 14, lv.PRICE: 14, lv.QUANTITY: 12, lv.NUMBER: 12, lv.DATE: 12, lv.DATETIME: 17, lv.BOOL: 8}


def _local(value: datetime) -> datetime:
    """Excel has no time zones: write the time the user sees, without an offset."""
    return value.astimezone(get_timezone()).replace(tzinfo=None)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return str(value)


def _disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "ignore").decode() or "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def csv_response(columns: list[lv.Column], rows: Iterable[tuple], filename: str) -> Response:
    """Stream ``rows`` as CSV (UTF-8 with BOM) under translated headers."""

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write(CSV_BOM)
        writer.writerow([str(c.label) for c in columns])
        for n, row in enumerate(rows, 1):
            writer.writerow([_cell_text(v) for v in row])
            if n % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = _disposition(filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def write_xlsx(path: str, columns: list[lv.Column], rows: Iterable[tuple], sheet_name: str) -> int:
    """Write an xlsx file in constant memory; return the number of data rows."""
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": tempfile.gettempdir()})
    sheet = workbook.add_worksheet(sheet_name[:31])
    header = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    formats = {kind: workbook.add_format({"num_format": fmt}) for kind, fmt in _FORMATS.items()}
    for i, column in enumerate(columns):
        sheet.set_column(i, i, _WIDTHS.get(column.kind, 18 if column.kind != lv.TEXT else 28))
        sheet.write_string(0, i, str(column.label), header)
    sheet.freeze_panes(1, 0)
    count = 0
    for r, row in enumerate(rows, 1):
        for i, (column, value) in enumerate(zip(columns, row, strict=True)):
            if value is None:
                continue
            fmt = formats.get(column.kind)
            if column.numeric and isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
                sheet.write_number(r, i, float(value), fmt)
            elif isinstance(value, datetime):
                sheet.write_datetime(r, i, _local(value), formats[lv.DATETIME])
            elif isinstance(value, date):
                sheet.write_datetime(r, i, datetime(value.year, value.month, value.day), formats[lv.DATE])
            else:
                sheet.write_string(r, i, _cell_text(value))
        count = r
    if count:
        sheet.autofilter(0, 0, count, len(columns) - 1)
    workbook.close()
    return count


def xlsx_response(columns: list[lv.Column], rows: Iterable[tuple], filename: str, sheet_name: str) -> Response:
    """Write the workbook to a temporary file in constant memory, then stream it and remove it."""
    fd, path = tempfile.mkstemp(prefix="erp-export-", suffix=".xlsx")
    os.close(fd)
    try:
        write_xlsx(path, columns, rows, sheet_name)
    except BaseException:
        os.unlink(path)
        raise

    def stream() -> Iterator[bytes]:
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(256 * 1024):
                    yield chunk
        finally:
            os.unlink(path)

    response = Response(stream(), mimetype=XLSX_MIME)
    response.headers["Content-Disposition"] = _disposition(filename)
    response.headers["Content-Length"] = str(os.path.getsize(path))
    response.headers["Cache-Control"] = "no-store"
    return response
