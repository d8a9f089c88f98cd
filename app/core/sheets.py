"""Reading an uploaded spreadsheet (xlsx, xls, csv) into rows of plain values, for imports.

The file type is told by its content, not its name, so a picture renamed ``.xlsx`` is refused
with a clear message instead of a parser's traceback. Each format has the reader that suits it:

- **xlsx**: openpyxl in read-only mode with ``data_only=False``, in one pass. A cell holding a
  formula is reported with its row and column and never replaced by the value Excel cached for it.
  (pyexcel-xlsx reads through openpyxl with ``data_only=True`` — the cached values — and took
  6.6 s for 20,000 rows × 14 columns where one read-only pass takes 1.7 s.) Merged cells, which
  read-only mode does not expose, are found in the sheet's XML. The archive is checked first, so a
  small file that unpacks to gigabytes is refused before anything is parsed.
- **xls**: pyexcel (pyexcel-xls), hidden rows included so row numbers match what the user sees;
  merged cells through xlrd. Formulas cannot be told apart from values in xls.
- **csv**: pyexcel without type guessing (``00123`` stays text), in UTF-8 (with or without BOM),
  UTF-16 or GB18030 — what Excel on a Chinese Windows writes — with the delimiter sniffed.

Rows keep their number in the sheet (1-based, blank rows counted), so every message points at the
row the user sees. Values are JSON-friendly: str, int, float, bool or None (dates as ISO text).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from app.core.errors import DomainError

log = logging.getLogger(__name__)

XLSX, XLS, CSV = "xlsx", "xls", "csv"
EXTENSIONS = (XLSX, XLS, CSV)
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_COLUMNS = 200
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]+)(?::([A-Z]{1,3}[0-9]+))?"')
_CELL_RE = re.compile(r"^([A-Z]{1,3})([0-9]+)$")


class SheetError(DomainError):
    """The file cannot be read as a table; the messages say why, in the user's language."""

    def __init__(self, *messages: str) -> None:
        super().__init__(messages[0])
        self.messages = list(messages)


@dataclass
class CellNote:
    """Something about one cell that makes its value unusable (a formula, an error, a merge)."""

    row: int
    col: int  # 0-based column index
    message: str


@dataclass(frozen=True)
class Merge:
    first_row: int
    first_col: int  # 0-based
    last_row: int
    last_col: int
    ref: str


@dataclass
class RawSheet:
    kind: str
    rows: list[tuple[int, list[Any]]]  # (row number, values) for every row that is not blank
    notes: list[CellNote] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def plain(value: Any) -> Any:
    """A cell value as JSON can hold it."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def wrong_type(filename: str) -> SheetError:
    return SheetError(
        _(
            "%(name)s is not a readable Excel or CSV file. Open it in Excel and save it as an Excel workbook "
            "(.xlsx), then upload it again.",
            name=filename,
        )
    )


def extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def detect_kind(filename: str, data: bytes) -> str:
    """The file's real format, told by its first bytes; refuse names and contents we do not read."""
    if extension(filename) not in EXTENSIONS:
        raise SheetError(_("Upload an Excel file (.xlsx or .xls) or a CSV file."))
    if not data.strip():
        raise SheetError(_("The file is empty."))
    if data.startswith(_ZIP_MAGIC):
        return XLSX
    if data.startswith(_OLE_MAGIC):
        return XLS
    if _looks_like_text(data):
        if data.lstrip()[:1] == b"<":
            # What many web systems save as ".xls": an HTML or XML page.
            raise wrong_type(filename)
        return CSV
    raise wrong_type(filename)


def _looks_like_text(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return b"\x00" not in head


def read_sheet(filename: str, data: bytes, *, max_rows: int) -> RawSheet:
    """Read the first worksheet of an uploaded file; ``max_rows`` counts the non-blank rows after the header."""
    kind = detect_kind(filename, data)
    reader = {XLSX: _read_xlsx, XLS: _read_xls, CSV: _read_csv}[kind]
    try:
        sheet = reader(data, max_rows + 1)
    except SheetError:
        raise
    except Exception:
        # A parser fed an untrusted file may raise anything; the user gets one clear message.
        log.info("could not read uploaded %s file %r", kind, filename, exc_info=True)
        raise wrong_type(filename) from None
    sheet.kind = kind
    return sheet


def _too_many_rows(limit: int) -> SheetError:
    return SheetError(
        _(
            "The file has more than %(n)s data rows. Split it into files of at most %(n)s rows each.",
            n=f"{limit - 1:,}",
        )
    )


def _collect(rows, limit: int) -> list[tuple[int, list[Any]]]:
    """Number the rows, drop the blank ones and trailing blank cells, stop beyond ``limit``."""
    kept: list[tuple[int, list[Any]]] = []
    for number, values in rows:
        values = [None if is_blank(v) else plain(v) for v in values]
        while values and values[-1] is None:
            values.pop()
        if not values:
            continue
        if len(values) > MAX_COLUMNS:
            raise SheetError(_("The file has more than %(n)d columns. Use the columns of the template.", n=MAX_COLUMNS))
        kept.append((number, values))
        if len(kept) > limit:
            raise _too_many_rows(limit)
    return kept


# --- xlsx ---------------------------------------------------------------------------------------


def _check_archive(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            raise SheetError(_("The file is not an Excel workbook. Save it from Excel as .xlsx and try again."))
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise SheetError(_("The workbook is too large once unpacked. Split it into smaller files."))


def _read_xlsx(data: bytes, limit: int) -> RawSheet:
    import openpyxl

    try:
        _check_archive(data)
    except zipfile.BadZipFile:
        raise SheetError(
            _("The file is damaged or not an Excel workbook. Save it from Excel as .xlsx and try again.")
        ) from None
    with warnings.catch_warnings():
        # openpyxl warns about workbook features it drops (data validation extensions, styles).
        warnings.simplefilter("ignore")
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        if not workbook.worksheets:
            raise SheetError(_("The workbook has no worksheet."))
        sheet = workbook.worksheets[0]
        # Trust the rows in the file, not the stored dimension (often A1:XFD1048576).
        sheet.reset_dimensions()
        notes: list[CellNote] = []

        def rows():
            for number, cells in enumerate(sheet.iter_rows(), 1):
                values = []
                for col, cell in enumerate(cells):
                    value = cell.value
                    if cell.data_type == "f":
                        notes.append(CellNote(number, col, _formula_message(value)))
                        value = None
                    elif cell.data_type == "e":
                        notes.append(CellNote(number, col, _("The cell shows the error %(value)s.", value=value)))
                        value = None
                    values.append(value)
                yield number, values

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kept = _collect(rows(), limit)
        merges = _xlsx_merges(sheet)
    finally:
        workbook.close()
    return RawSheet(kind=XLSX, rows=kept, notes=notes, merges=merges)


def _formula_message(formula: Any) -> str:
    text = str(formula)
    if len(text) > 60:
        text = text[:57] + "…"
    return _(
        "The cell holds a formula (%(formula)s). Formulas are not imported: copy the cells and paste them as values.",
        formula=text,
    )


def _xlsx_merges(sheet) -> list[Merge]:
    """Merged ranges from the sheet's XML (read-only worksheets do not parse them)."""
    refs: set[tuple[bytes, bytes | None]] = set()
    tail = b""
    # openpyxl 3.1 (pinned): a read-only worksheet opens its XML part with _get_source().
    with sheet._get_source() as source:
        while chunk := source.read(1 << 20):
            buffer = tail + chunk
            refs.update(m.groups() for m in _MERGE_RE.finditer(buffer))
            tail = buffer[-256:]
    merges = []
    for first, last in refs:
        a = _CELL_RE.match(first.decode())
        b = _CELL_RE.match((last or first).decode())
        if not a or not b:
            continue
        merges.append(
            Merge(
                first_row=int(a.group(2)),
                first_col=_column_index(a.group(1)),
                last_row=int(b.group(2)),
                last_col=_column_index(b.group(1)),
                ref=f"{first.decode()}:{(last or first).decode()}",
            )
        )
    return sorted(merges, key=lambda m: (m.first_row, m.first_col))


# --- xls ----------------------------------------------------------------------------------------


def _read_xls(data: bytes, limit: int) -> RawSheet:
    import pyexcel
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except (xlrd.XLRDError, xlrd.compdoc.CompDocError):
        raise SheetError(
            _("The file could not be opened: it may be password-protected or damaged. Save it again as .xlsx.")
        ) from None
    try:
        if book.nsheets == 0:
            raise SheetError(_("The workbook has no worksheet."))
        first = book.sheet_by_index(0)
        merges = [
            Merge(r0 + 1, c0, r1, c1 - 1, f"{column_letter(c0)}{r0 + 1}:{column_letter(c1 - 1)}{r1}")
            for r0, r1, c0, c1 in first.merged_cells
        ]
    finally:
        book.release_resources()
    try:
        records = pyexcel.iget_array(
            file_type=XLS,
            file_content=data,
            skip_hidden_sheets=False,
            skip_hidden_row_and_column=False,
            skip_empty_rows=False,
        )
        kept = _collect(enumerate(records, 1), limit)
    finally:
        pyexcel.free_resources()
    return RawSheet(kind=XLS, rows=kept, merges=merges)


# --- csv ----------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError(_("The CSV file's text encoding is not recognised. Save it from Excel as “CSV UTF-8”."))


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes, limit: int) -> RawSheet:
    import pyexcel

    text = _decode(data)
    if "\x00" in text:
        raise SheetError(_("The file is not a text (CSV) file."))
    try:
        records = pyexcel.iget_array(
            file_type=CSV,
            file_content=text,
            delimiter=_delimiter(text),
            auto_detect_int=False,
            auto_detect_float=False,
            auto_detect_datetime=False,
            skip_empty_rows=False,
        )
        kept = _collect(enumerate(records, 1), limit)
    except csv.Error:
        raise SheetError(_("The CSV file is malformed (for example a quote that is never closed).")) from None
    finally:
        pyexcel.free_resources()
    return RawSheet(kind=CSV, rows=kept)
