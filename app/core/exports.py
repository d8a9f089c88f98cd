"""xlsx and csv downloads in constant memory.

CSV is streamed row by row with a UTF-8 byte-order mark, so Excel on a Chinese Windows opens it
as UTF-8. xlsx is written by app.core.xlsx (one row in memory at a time, straight into the zip in a
temporary file), then the file is streamed out and removed. Numbers are written as
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

from flask import Response, stream_with_context
from flask_babel import get_timezone
from flask_babel import gettext as _

from app.core import listview as lv
from app.core import xlsx

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


class _Cells:
    """Turns exported values into cells, with what every cell needs looked up once per export
    (the words for yes and no, the user's time zone): a 100,000-row export has millions of cells."""

    def __init__(self) -> None:
        self.yes, self.no = _("Yes"), _("No")
        self.zone = get_timezone()

    def local(self, value: datetime) -> datetime:
        """Excel has no time zones: write the time the user sees, without an offset."""
        return value.astimezone(self.zone).replace(tzinfo=None)

    def text(self, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if value is True:
            return self.yes
        if value is False:
            return self.no
        if isinstance(value, datetime):
            return self.local(value).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
        return str(value)

    def number(self, value: object) -> object:
        if value is None or (isinstance(value, (Decimal, int, float)) and not isinstance(value, bool)):
            return value
        return self.text(value)

    def day(self, value: object) -> object:
        if isinstance(value, datetime):
            return self.local(value)
        return value if value is None or isinstance(value, date) else self.text(value)


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
        text = _Cells().text
        for n, row in enumerate(rows, 1):
            writer.writerow([text(v) for v in row])
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
    """Write an xlsx file in constant memory (app.core.xlsx); return the number of data rows."""
    cells = _Cells()
    sheet_columns = []
    converters = []
    for column in columns:
        width = _WIDTHS.get(column.kind, 18 if column.kind != lv.TEXT else 28)
        if column.numeric:
            sheet_columns.append(xlsx.SheetColumn(str(column.label), width, _FORMATS[column.kind]))
            converters.append(cells.number)
        elif column.kind in (lv.DATE, lv.DATETIME):
            sheet_columns.append(xlsx.SheetColumn(str(column.label), width, _FORMATS[column.kind], is_date=True))
            converters.append(cells.day)
        else:
            sheet_columns.append(xlsx.SheetColumn(str(column.label), width))
            converters.append(cells.text)
    pairs = list(enumerate(converters))
    return xlsx.write(path, sheet_columns, ([convert(row[i]) for i, convert in pairs] for row in rows), sheet_name)


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
