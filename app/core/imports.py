"""Imports (导入检测): template download → upload → preview that checks every row → all-or-nothing commit.

A domain describes its import once, as an ``ImportSpec``: the columns (translated header labels,
how each cell is parsed), the key that matches a row to an existing record, how a row becomes the
data its service takes, and which service writes it. This module does the rest the same way for
every domain:

- the xlsx template, headers in the user's language, with the allowed values listed;
- reading the upload (``app.core.sheets``) after refusing files over the endpoint's size limit
  before anything is parsed (``guard_uploads``), then matching headers in Chinese or English
  whatever their case, spacing or width;
- a preview that checks every row — required cells, numbers, duplicates inside the file, records
  that already exist, unknown references — and lists each problem with its row and column;
- the preview lives in Redis under the user and a random token with a lifetime, so it survives
  across requests and processes; nothing is written until the user commits a clean preview;
- the commit checks every row again against the database, refuses rows whose record changed since
  the preview, and writes everything in one transaction (any problem: nothing is written). A
  one-time form token and a per-preview lock make a double click import once.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import time
import unicodedata
import zlib
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import xlsxwriter
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField

from app.core import audit, exports, sheets
from app.core import listview as lv
from app.core.errors import DomainError
from app.core.money import to_decimal
from app.core.sheets import SheetError, column_letter
from app.core.templating import register_audit_event
from app.core.text import clean
from app.extensions import db, redis_store

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 50_000
PREVIEW_TTL = 3600  # seconds; IMPORT_PREVIEW_TTL in the config overrides it
PREVIEW_ROWS = 50  # rows shown on the preview page
ERRORS_SHOWN = 1000  # problems listed on the page; the download has all of them
LOCK_TTL = 900
_FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the other fields around the file
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
IMPORT_EVENT = "import"
CREATE, UPDATE = "create", "update"

register_audit_event(IMPORT_EVENT, _l("Imported from a file"))


# --- parsing cells ------------------------------------------------------------------------------


class CellError(Exception):
    """A cell's value cannot be used; the message says why, translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


Parser = Callable[[Any], Any]
_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d+)?$")


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def text(max_length: int | None = None) -> Parser:
    """Free text, tidied (full-width folded, spacing collapsed); numbers become their digits ("6204")."""

    def parse(value: Any) -> str:
        if isinstance(value, bool):
            value = _("Yes") if value else _("No")
        elif isinstance(value, float):
            value = _number_text(value)
        result = clean(str(value))
        if max_length is not None and len(result) > max_length:
            raise CellError(_("Too long: at most %(n)d characters.", n=max_length))
        return result

    return parse


def number(places: int, *, max_digits: int, minimum: Decimal | None = Decimal(0)) -> Parser:
    """A Decimal typed as people type it ("1,234.50", "１２", "¥12.5"); never through float arithmetic."""

    def parse(value: Any) -> Decimal:
        if isinstance(value, bool):
            raise CellError(_("Enter a number, e.g. 1234.50."))
        raw = value
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip().lstrip("¥$").strip().replace(" ", "")
            # Commas only as thousands separators: "1.234,5" must not silently become 1.2345.
            if not _NUMBER_TEXT.match(value):
                raise CellError(_("“%(value)s” is not a number. Enter a number, e.g. 1234.50.", value=raw))
        try:
            result = to_decimal(value)
        except (ValueError, InvalidOperation):
            raise CellError(_("“%(value)s” is not a number. Enter a number, e.g. 1234.50.", value=raw)) from None
        if minimum is not None and result < minimum:
            if minimum == 0:
                raise CellError(_("Cannot be negative."))
            raise CellError(_("Enter a number of at least %(min)s.", min=minimum))
        if abs(result) >= Decimal(10) ** (max_digits - places):
            raise CellError(_("Too large: at most %(n)d digits before the decimal point.", n=max_digits - places))
        if result != round(result, places):
            raise CellError(_("Use at most %(n)d decimal places.", n=places))
        return result.quantize(Decimal(1).scaleb(-places))

    return parse


_TRUE = {"yes", "y", "true", "t", "1", "是", "对", "启用", "有效", "active", "on", "√", "✓", "✔"}
_FALSE = {"no", "n", "false", "f", "0", "否", "不", "停用", "无效", "inactive", "off", "×", "✗", "x"}


def boolean() -> Parser:
    """Yes or no, in Chinese or English (是/否, yes/no, true/false, 1/0, 启用/停用)."""
    yes, no = LabelKeys(_l("Yes")), LabelKeys(_l("No"))

    def parse(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).casefold()
        if key in _TRUE or key in yes.keys:
            return True
        if key in _FALSE or key in no.keys:
            return False
        raise CellError(_("Enter Yes or No."))

    return parse


def choice(options: dict[str, Any]) -> Parser:
    """One of ``options`` (stored code → translatable label), given as the code or its label in any language."""
    labels = {code: LabelKeys(label) for code, label in options.items()}

    def parse(value: Any) -> str:
        key = header_key(text()(value))
        for code, label in labels.items():
            if key == header_key(code) or key in label.keys:
                return code
        allowed = ", ".join(str(label) for label in options.values())
        raise CellError(_("“%(value)s” is not allowed. Use one of: %(allowed)s.", value=value, allowed=allowed))

    return parse


def header_key(value: Any) -> str:
    """How headers and labels are compared: width, case, spaces and required-markers do not matter."""
    folded = unicodedata.normalize("NFKC", str(value)).casefold()
    return re.sub(r"[\s*:]+", "", folded)


def _labels_in_all_languages(label: Any) -> set[str]:
    keys = set()
    for language in current_app.config.get("LANGUAGES", ("zh", "en")):
        with force_locale(language):
            keys.add(header_key(str(label)))
    return keys


class LabelKeys:
    """A translatable label's header keys in every language, worked out once (cells are many)."""

    def __init__(self, label: Any) -> None:
        self.label = label
        self._keys: set[str] | None = None

    @property
    def keys(self) -> set[str]:
        if self._keys is None:
            self._keys = _labels_in_all_languages(self.label)
        return self._keys


# --- the spec -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportColumn:
    key: str
    label: Any  # translatable header
    parse: Parser = field(default_factory=text)
    required: bool = False
    help: Any = None  # what to enter: shown on the upload page and in the template
    choices: Callable[[], list[str]] | None = None  # offered in the template's drop-down list
    aliases: tuple[str, ...] = ()  # more header spellings accepted (e.g. the field name)
    width: int = 16
    text_format: bool = False  # template cells formatted as text, so Excel keeps "6204" or "00123" as typed


@dataclass(frozen=True)
class UniqueColumn:
    """A column besides the key whose values must differ between the rows of a file (a name unique in the database)."""

    column: str
    label: Any  # in messages: "name"
    key: Callable[[Any], Hashable]  # a parsed value's comparison key (e.g. core.text.name_key); empty: none


@dataclass
class Planned:
    """A checked row, ready for its service."""

    row: int
    data: Any
    record: Any = None  # the existing record to change, None to create one
    version: int | None = None  # its version when the user saw the preview


@dataclass
class SaveResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class ImportSpec:
    """What one domain's import is; see the module docstring."""

    name: str  # "products": Redis keys, file names, the operation log
    title: Any  # "Import products"
    sheet_name: Any  # the template's data sheet: "Products"
    columns: tuple[ImportColumn, ...]
    key_columns: tuple[str, ...]  # the columns that identify a record (problems are shown on the last one)
    key_label: Any  # those columns in words, for messages: "brand and model"
    # Lookups for the whole file at once (e.g. every brand and category): passed to key and build.
    prepare: Callable[[list[dict[str, Any]]], Any]
    # A row's match key from its parsed values, or None when it has none (a required part missing).
    key: Callable[[dict[str, Any], Any], Hashable | None]
    # The existing records with these keys, deleted ones included.
    find: Callable[[set[Hashable], Any], dict[Hashable, Any]]
    # The service data for a row (over the existing record's values when updating), and the
    # problems found as (column key or None, message).
    build: Callable[[dict[str, Any], Any, Any], tuple[Any, list[tuple[str | None, str]]]]
    describe: Callable[[Any], str]  # a record's name in messages: "SKF 6204-2RS"
    permission: str  # needed for every step (checked by the views' @require too)
    endpoint: str  # "products.product_import"; the other endpoints add _template, _preview, _commit, _errors
    done_endpoint: str  # where the user lands after a successful import
    audit_type: str  # the operation-log type of the imported records
    # Writing: either ``save`` (all planned rows at once, e.g. a bulk service) or ``create`` and
    # ``update`` (one service call per row).
    save: Callable[[list[Planned]], SaveResult] | None = None
    create: Callable[[Any], Any] | None = None
    update: Callable[[Any, Any, int | None], Any] | None = None
    update_permission: str | None = None  # needed to update existing records
    is_deleted: Callable[[Any], bool] = lambda record: getattr(record, "deleted_at", None) is not None
    version_of: Callable[[Any], int | None] = lambda record: getattr(record, "version_id", None)
    id_of: Callable[[Any], Any] = lambda record: record.id
    ignore_headers: tuple[Any, ...] = ()  # recognised and skipped (e.g. cost columns of an export)
    notes: tuple[Any, ...] = ()  # extra lines for the upload page and the template's instructions
    max_rows: int = DEFAULT_MAX_ROWS
    max_bytes: int = DEFAULT_MAX_BYTES
    unique: tuple[UniqueColumn, ...] = ()  # duplicates inside the file are reported like duplicate keys

    def column(self, key: str | None) -> ImportColumn | None:
        return next((c for c in self.columns if c.key == key), None)

    def label(self, key: str | None) -> str:
        column = self.column(key)
        return str(column.label) if column is not None else ""

    def url(self, step: str = "", **values: Any) -> str:
        return url_for(self.endpoint + (f"_{step}" if step else ""), **values)


# --- headers ------------------------------------------------------------------------------------


@dataclass
class HeaderMatch:
    columns: list[str | None]  # column key per position in the file (None: blank or ignored)
    headers: list[str]  # the header texts as written
    ignored: list[str]
    problems: list[str]


def match_headers(spec: ImportSpec, header: list[Any], header_row: int) -> HeaderMatch:
    """Map the file's header cells to the spec's columns (zh or en labels, aliases or keys)."""
    known: dict[str, str] = {}
    for column in spec.columns:
        for key in (*_labels_in_all_languages(column.label), header_key(column.key), *map(header_key, column.aliases)):
            known.setdefault(key, column.key)
    ignored_keys = set()
    for label in spec.ignore_headers:
        ignored_keys |= _labels_in_all_languages(label)
    columns: list[str | None] = []
    headers: list[str] = []
    ignored: list[str] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(header):
        title = "" if cell is None else str(cell).strip()
        headers.append(title)
        key = header_key(title) if title else ""
        column = known.get(key) if key else None
        if not title:
            columns.append(None)
        elif key in ignored_keys:
            ignored.append(title)
            columns.append(None)
        elif column is None:
            problems.append(
                _(
                    "Unknown column “%(name)s” (column %(col)s). Use the headers of the template.",
                    name=title,
                    col=column_letter(index),
                )
            )
            columns.append(None)
        elif column in seen:
            problems.append(
                _(
                    "The column “%(name)s” appears twice (columns %(first)s and %(second)s). Keep one.",
                    name=spec.label(column),
                    first=column_letter(seen[column]),
                    second=column_letter(index),
                )
            )
            columns.append(None)
        else:
            seen[column] = index
            columns.append(column)
    if not seen:
        problems.append(
            _(
                "Row %(row)d must hold the column headers of the template, e.g. %(example)s.",
                row=header_row,
                example=", ".join(str(c.label) for c in spec.columns[:3]),
            )
        )
    else:
        for column in spec.columns:
            if column.required and column.key not in seen:
                problems.append(_("The required column “%(name)s” is missing.", name=str(column.label)))
    return HeaderMatch(columns=columns, headers=headers, ignored=ignored, problems=problems)


# --- the preview --------------------------------------------------------------------------------


@dataclass
class Issue:
    row: int
    column: str | None
    message: str


@dataclass
class Preview:
    token: str
    spec: str
    user_id: int
    filename: str
    update: bool
    created_at: float
    columns: list[str | None]
    headers: list[str]
    ignored: list[str]
    rows: list[list[Any]]  # [row number, cell, cell, ...] in the file's column order
    issues: list[Issue]
    plan: dict[int, list[Any]]  # row number -> [action, record id, version]
    existing: int = 0  # rows refused because their record exists (the update option would take them)
    done: dict[str, int] | None = None  # set once committed: the counts

    @property
    def error_rows(self) -> int:
        return len({i.row for i in self.issues})

    @property
    def creates(self) -> int:
        return sum(1 for p in self.plan.values() if p[0] == CREATE)

    @property
    def updates(self) -> int:
        return sum(1 for p in self.plan.values() if p[0] == UPDATE)

    @property
    def clean(self) -> bool:
        return not self.issues and bool(self.rows)

    def to_json(self) -> bytes:
        data = {
            "v": 1,
            "token": self.token,
            "spec": self.spec,
            "user_id": self.user_id,
            "filename": self.filename,
            "update": self.update,
            "created_at": self.created_at,
            "columns": self.columns,
            "headers": self.headers,
            "ignored": self.ignored,
            "rows": self.rows,
            "issues": [[i.row, i.column, i.message] for i in self.issues],
            "plan": {str(k): v for k, v in self.plan.items()},
            "existing": self.existing,
            "done": self.done,
        }
        return zlib.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), 6)

    @classmethod
    def from_json(cls, blob: bytes) -> Preview:
        data = json.loads(zlib.decompress(blob))
        return cls(
            token=data["token"],
            spec=data["spec"],
            user_id=data["user_id"],
            filename=data["filename"],
            update=data["update"],
            created_at=data["created_at"],
            columns=data["columns"],
            headers=data["headers"],
            ignored=data["ignored"],
            rows=data["rows"],
            issues=[Issue(*i) for i in data["issues"]],
            plan={int(k): v for k, v in data["plan"].items()},
            existing=data.get("existing", 0),
            done=data.get("done"),
        )


@dataclass
class Evaluation:
    issues: list[Issue]
    planned: list[Planned]
    plan: dict[int, list[Any]]
    existing: int


def evaluate(
    spec: ImportSpec,
    columns: list[str | None],
    rows: Sequence[Sequence[Any]],
    *,
    update: bool,
    unusable: set[tuple[int, str]] = frozenset(),
) -> Evaluation:
    """Check every row (cells, duplicates, the database) and plan what the commit would do.

    ``unusable`` names cells already reported (formulas, merged cells), which are not reported again.
    """
    issues: list[Issue] = []
    parsed: list[tuple[int, dict[str, Any], set[str]]] = []
    parsers = [(key, spec.column(key).parse) for key in columns if key is not None]
    positions = [i for i, key in enumerate(columns) if key is not None]
    reported: dict[int, set[str]] = {}
    for number, key in unusable:
        reported.setdefault(number, set()).add(key)
    for number, *cells in rows:
        values: dict[str, Any] = {}
        bad = set(reported.get(number, ()))
        for i, (key, parse) in zip(positions, parsers, strict=True):
            raw = cells[i] if i < len(cells) else None
            if sheets.is_blank(raw):
                continue
            try:
                values[key] = parse(raw)
            except CellError as exc:
                issues.append(Issue(number, key, exc.message))
                bad.add(key)
        for column in spec.columns:
            if column.required and values.get(column.key) in (None, "") and column.key not in bad:
                issues.append(Issue(number, column.key, _("Required: enter a value.")))
                bad.add(column.key)
        parsed.append((number, values, bad))

    context = spec.prepare([values for _n, values, _b in parsed])
    key_column = spec.key_columns[-1]
    keys: dict[int, Hashable] = {}
    first_row: dict[Hashable, int] = {}
    for number, values, bad in parsed:
        if bad & set(spec.key_columns):
            continue
        key = spec.key(values, context)
        if key is None:
            continue
        if key in first_row:
            issues.append(
                Issue(number, key_column, _("Same %(key)s as row %(row)d.", key=spec.key_label, row=first_row[key]))
            )
            continue
        first_row[key] = number
        keys[number] = key
    for unique in spec.unique:
        first_seen: dict[Hashable, int] = {}
        for number, values, bad in parsed:
            value = values.get(unique.column)
            other = unique.key(value) if value is not None and unique.column not in bad else None
            if not other:
                continue
            if other in first_seen:
                message = _("Same %(key)s as row %(row)d.", key=unique.label, row=first_seen[other])
                issues.append(Issue(number, unique.column, message))
            else:
                first_seen[other] = number

    found = spec.find(set(keys.values()), context) if keys else {}
    planned: list[Planned] = []
    plan: dict[int, list[Any]] = {}
    existing = 0
    for number, values, bad in parsed:
        record = found.get(keys.get(number)) if number in keys else None
        if record is not None:
            if spec.is_deleted(record):
                message = _("%(name)s was deleted. Restore it before importing it again.", name=spec.describe(record))
                issues.append(Issue(number, key_column, message))
                continue
            if not update:
                issues.append(Issue(number, key_column, _("%(name)s already exists.", name=spec.describe(record))))
                existing += 1
                continue
        data, problems = spec.build(values, context, record)
        # A cell already reported (unreadable, required) is not reported again by the service's rules.
        issues.extend(Issue(number, column, message) for column, message in problems if column not in bad)
        version = spec.version_of(record) if record is not None else None
        planned.append(Planned(row=number, data=data, record=record, version=version))
        plan[number] = [UPDATE, spec.id_of(record), version] if record is not None else [CREATE, None, None]
    issues.sort(key=lambda i: (i.row, _column_position(spec, i.column)))
    error_rows = {i.row for i in issues}
    for number in error_rows:
        plan.pop(number, None)
    planned = [p for p in planned if p.row not in error_rows]
    return Evaluation(issues=issues, planned=planned, plan=plan, existing=existing)


def _column_position(spec: ImportSpec, key: str | None) -> int:
    return next((i for i, c in enumerate(spec.columns) if c.key == key), -1)


def _sheet_issues(
    raw: sheets.RawSheet, columns: list[str | None], header_row: int, row_numbers: set[int]
) -> tuple[list[Issue], set[tuple[int, str]]]:
    """Formulas, error values and merged cells in the data: a problem on every row they touch.

    Also returns the cells concerned, which the row checks then leave alone (a merged cell's
    blank neighbours are not "required" problems of their own).
    """
    issues = []
    cells: set[tuple[int, str]] = set()
    for note in raw.notes:
        if note.row > header_row and note.col < len(columns) and columns[note.col] is not None:
            issues.append(Issue(note.row, columns[note.col], note.message))
            cells.add((note.row, columns[note.col]))
    last_row = max(row_numbers, default=0)
    for merge in raw.merges:
        if merge.first_row <= header_row:
            continue
        keys = [columns[c] for c in range(merge.first_col, min(merge.last_col + 1, len(columns))) if columns[c]]
        message = _("Cells %(ref)s are merged. Unmerge them and fill in every cell.", ref=merge.ref)
        for row in range(merge.first_row, min(merge.last_row, last_row) + 1):
            if row in row_numbers or row == merge.first_row:
                issues.append(Issue(row, keys[0] if keys else None, message))
                cells.update((row, key) for key in keys)
    return issues, cells


def read_upload(spec: ImportSpec, filename: str, data: bytes, *, update: bool) -> Preview:
    """Read and check an uploaded file; raise SheetError when it cannot be read as the spec's table."""
    if len(data) > spec.max_bytes:
        raise SheetError(_too_large_message(spec, len(data)))
    raw = sheets.read_sheet(filename, data, max_rows=spec.max_rows)
    if not raw.rows:
        raise SheetError(_("The file is empty."))
    header_row, header = raw.rows[0]
    problems = []
    merged_header = [m.ref for m in raw.merges if m.first_row <= header_row <= m.last_row]
    if merged_header:
        problems.append(
            _(
                "The header row has merged cells (%(refs)s). Unmerge them so that each column has a header of its own.",
                refs=", ".join(merged_header),
            )
        )
    match = match_headers(spec, header, header_row)
    problems.extend(match.problems)
    for note in raw.notes:
        if note.row == header_row:
            problems.append(
                _("The header in column %(col)s is a formula. Type the header.", col=column_letter(note.col))
            )
    data_rows = raw.rows[1:]
    named = [bool(h) for h in match.headers]
    for merge in raw.merges:
        if merge.first_row <= header_row <= merge.last_row:
            # Reported as a merged header already.
            named.extend([True] * (merge.last_col + 1 - len(named)))
            for col in range(merge.first_col, merge.last_col + 1):
                named[col] = True
    unnamed = sorted(
        {
            i
            for _n, cells in data_rows
            for i, v in enumerate(cells)
            if v is not None and not (i < len(named) and named[i])
        }
    )
    if unnamed:
        problems.append(
            _(
                "Column %(cols)s holds values but has no header. Add the header or delete the column.",
                cols=", ".join(column_letter(i) for i in unnamed[:5]),
            )
        )
    if problems:
        raise SheetError(*problems)
    if not data_rows:
        raise SheetError(_("The file has a header row but no data rows under it."))
    columns = match.columns
    rows = [[number, *cells[: len(columns)]] for number, cells in data_rows]
    sheet_issues, unusable = _sheet_issues(raw, columns, header_row, {row[0] for row in rows})
    evaluation = evaluate(spec, columns, rows, update=update, unusable=unusable)
    issues = sheet_issues + evaluation.issues
    issues.sort(key=lambda i: (i.row, _column_position(spec, i.column)))
    plan = {k: v for k, v in evaluation.plan.items() if k not in {i.row for i in issues}}
    return Preview(
        token=secrets.token_urlsafe(18),
        spec=spec.name,
        user_id=int(current_user.get_id()),
        filename=filename,
        update=update,
        created_at=time.time(),
        columns=columns,
        headers=match.headers,
        ignored=match.ignored,
        rows=rows,
        issues=issues,
        plan=plan,
        existing=evaluation.existing,
    )


# --- storage in Redis ---------------------------------------------------------------------------


def _ttl() -> int:
    return int(current_app.config.get("IMPORT_PREVIEW_TTL", PREVIEW_TTL))


def preview_key(spec: ImportSpec, user_id: int, token: str) -> str:
    return redis_store.key("import", spec.name, user_id, token)


def store_preview(spec: ImportSpec, preview: Preview) -> None:
    redis_store.set(preview_key(spec, preview.user_id, preview.token), preview.to_json(), ex=_ttl())


def load_preview(spec: ImportSpec, token: str) -> Preview | None:
    """The current user's preview under ``token``, or None (expired, someone else's, or never made)."""
    if not _TOKEN_RE.match(token or ""):
        return None
    blob = redis_store.get(preview_key(spec, int(current_user.get_id()), token))
    if blob is None:
        return None
    preview = Preview.from_json(blob)
    return preview if preview.spec == spec.name else None


class _Lock:
    def __init__(self, key: str) -> None:
        self.key = key
        self.held = False

    def __enter__(self) -> _Lock:
        self.held = bool(redis_store.set(self.key, b"1", nx=True, ex=LOCK_TTL))
        return self

    def __exit__(self, *exc) -> None:
        if self.held:
            redis_store.delete(self.key)


def commit_lock(spec: ImportSpec, preview: Preview) -> _Lock:
    """Held while a preview is being committed, so two tabs cannot commit it twice."""
    return _Lock(redis_store.key("import-lock", spec.name, preview.user_id, preview.token))


# --- committing ---------------------------------------------------------------------------------


class PreviewOutdated(DomainError):
    """Checked again at commit, some rows no longer pass; ``preview`` holds the new problems."""

    def __init__(self, message: str, preview: Preview) -> None:
        super().__init__(message)
        self.preview = preview


def commit_preview(spec: ImportSpec, preview: Preview) -> SaveResult:
    """Check every row of a clean preview again and write them all; the caller commits."""
    evaluation = evaluate(spec, preview.columns, preview.rows, update=preview.update)
    issues = list(evaluation.issues)
    rows_with_issues = {i.row for i in issues}
    for planned in evaluation.planned:
        seen = preview.plan.get(planned.row)
        now = evaluation.plan.get(planned.row)
        if seen != now:
            issues.append(
                Issue(
                    planned.row,
                    spec.key_columns[-1],
                    _("This record was created or changed by someone else after the preview. Upload the file again."),
                )
            )
            rows_with_issues.add(planned.row)
    if issues:
        issues.sort(key=lambda i: (i.row, _column_position(spec, i.column)))
        preview.issues = issues
        preview.plan = {k: v for k, v in evaluation.plan.items() if k not in rows_with_issues}
        raise PreviewOutdated(
            _(
                "Nothing was imported: the data changed since the preview, and %(n)d row(s) no longer pass the checks.",
                n=len(rows_with_issues),
            ),
            preview,
        )
    result = _save(spec, evaluation.planned)
    audit.record(
        db.session,
        event_name=IMPORT_EVENT,
        object_type=spec.audit_type,
        label=preview.filename[:200],
        changes={
            "file": [None, preview.filename],
            "created": [None, result.created],
            "updated": [None, result.updated],
        },
    )
    db.session.flush()
    log.info(
        "import %s from %r: %d created, %d updated, %d unchanged",
        spec.name,
        preview.filename,
        result.created,
        result.updated,
        result.unchanged,
    )
    return result


def _save(spec: ImportSpec, planned: list[Planned]) -> SaveResult:
    if spec.save is not None:
        return spec.save(planned)
    result = SaveResult()
    for item in planned:
        try:
            if item.record is None:
                spec.create(item.data)
                result.created += 1
            else:
                spec.update(item.record, item.data, item.version)
                result.updated += 1
        except DomainError as exc:
            raise DomainError(_("Row %(row)d: %(message)s", row=item.row, message=str(exc))) from None
    return result


def mark_done(spec: ImportSpec, preview: Preview, result: SaveResult) -> None:
    """Keep only the outcome under the token, so a late second commit says what happened."""
    done = Preview(
        token=preview.token,
        spec=preview.spec,
        user_id=preview.user_id,
        filename=preview.filename,
        update=preview.update,
        created_at=preview.created_at,
        columns=[],
        headers=[],
        ignored=[],
        rows=[],
        issues=[],
        plan={},
        done={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    store_preview(spec, done)


# --- the template -------------------------------------------------------------------------------


def _template_bytes(spec: ImportSpec) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    header = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    required = workbook.add_format({"bold": True, "bg_color": "#FDE68A", "border": 1})
    as_text = workbook.add_format({"num_format": "@"})
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    data = workbook.add_worksheet(str(spec.sheet_name)[:31])
    guide = workbook.add_worksheet(_("Instructions")[:31])
    lists = workbook.add_worksheet(_("Allowed values")[:31])
    last_row = spec.max_rows
    list_col = 0
    for i, column in enumerate(spec.columns):
        data.set_column(i, i, column.width, as_text if column.text_format else None)
        data.write_string(0, i, str(column.label), required if column.required else header)
        if column.help:
            data.write_comment(0, i, str(column.help), {"x_scale": 2, "y_scale": 1.2})
        if column.choices is not None:
            values = column.choices()
            lists.write_string(0, list_col, str(column.label), bold)
            lists.set_column(list_col, list_col, max(column.width, 14))
            for r, value in enumerate(values, 1):
                lists.write_string(r, list_col, str(value))
            if values:
                letter = column_letter(list_col)
                data.data_validation(
                    1,
                    i,
                    last_row,
                    i,
                    {
                        "validate": "list",
                        "source": f"='{_sheet_ref(lists.name)}'!${letter}$2:${letter}${len(values) + 1}",
                        "error_type": "warning",
                        "ignore_blank": True,
                    },
                )
            list_col += 1
    data.freeze_panes(1, 0)
    data.activate()
    guide.set_column(0, 0, 24)
    guide.set_column(1, 1, 10)
    guide.set_column(2, 2, 90, wrap)
    guide.write_row(0, 0, [_("Column"), _("Required"), _("What to enter")], bold)
    for r, column in enumerate(spec.columns, 1):
        guide.write_string(r, 0, str(column.label))
        guide.write_string(r, 1, _("Yes") if column.required else "")
        guide.write_string(r, 2, str(column.help or ""))
    r = len(spec.columns) + 2
    for line in general_notes(spec):
        guide.write_string(r, 0, line)
        r += 1
    workbook.close()
    return buffer.getvalue()


def _sheet_ref(name: str) -> str:
    return name.replace("'", "''")


def general_notes(spec: ImportSpec) -> list[str]:
    return [
        *(str(n) for n in spec.notes),
        _("Keep the header row; columns may be in any order, and optional columns may be left out."),
        _("Empty cells: a new record gets the default value, an existing record keeps its current value."),
        _("Formulas and merged cells are refused: paste values, one value per cell."),
        _(
            "At most %(rows)s rows and %(mb)s MB per file (.xlsx, .xls or .csv).",
            rows=f"{spec.max_rows:,}",
            mb=spec.max_bytes // (1024 * 1024),
        ),
    ]


def template_response(spec: ImportSpec) -> Response:
    """The xlsx template: headers in the user's language, allowed values, instructions."""
    content = _template_bytes(spec)
    response = Response(content, mimetype=exports.XLSX_MIME)
    response.headers["Content-Disposition"] = exports._disposition(
        _("%(name)s import template.xlsx", name=spec.sheet_name)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- refusing large uploads before they are parsed ----------------------------------------------


def upload_limit(max_bytes: int) -> Callable[[Callable], Callable]:
    """Declare a view's upload limit; ``guard_uploads`` enforces it before the body is read."""

    def decorator(view: Callable) -> Callable:
        view.upload_limit = max_bytes
        return view

    return decorator


def _too_large_message(spec_or_limit: ImportSpec | int, size: int) -> str:
    limit = spec_or_limit if isinstance(spec_or_limit, int) else spec_or_limit.max_bytes
    return _(
        "The file is %(size)s MB; imports take files of at most %(max)s MB. Split it into smaller files.",
        size=f"{size / (1024 * 1024):.1f}",
        max=limit // (1024 * 1024),
    )


def _check_upload_size(endpoint: str | None, values: dict | None) -> None:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    limit = getattr(view, "upload_limit", None)
    if limit is None or request.method != "POST":
        return
    # URL preprocessors run before every before_request hook, the first of which (CSRF, NUL
    # check, one-time token) parse the form — so this is the last moment before the body is read.
    allowed = limit + _FORM_OVERHEAD
    length = request.content_length
    if length is not None and length > allowed:
        log.info("upload of %d bytes to %s refused (limit %d)", length, endpoint, limit)
        raise RequestEntityTooLarge(description=_too_large_message(limit, length))
    request.max_content_length = allowed  # a body without Content-Length is cut off while read


def guard_uploads(bp: Blueprint) -> None:
    """Enforce ``upload_limit`` on the blueprint's views, before anything parses the request body."""
    bp.url_value_preprocessor(_check_upload_size)


# --- the pages ----------------------------------------------------------------------------------


class UploadForm(FlaskForm):
    file = FileField(
        _l("File"),
        validators=[FileRequired(_l("Choose the file to upload."))],
        render_kw={"accept": ".xlsx,.xls,.csv"},
    )
    update = BooleanField(_l("Update existing records"))

    def __init__(self, spec: ImportSpec, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.file.render_kw = {
            **self.file.render_kw,
            "data-max-bytes": spec.max_bytes,
            "data-too-large": _(
                "The file is larger than %(max)s MB. Split it into smaller files.", max=spec.max_bytes // (1024 * 1024)
            ),
        }


def _read_file(spec: ImportSpec, storage) -> tuple[str, bytes]:
    filename = (storage.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"
    data = storage.stream.read(spec.max_bytes + 1)
    if len(data) > spec.max_bytes:
        raise SheetError(_too_large_message(spec, len(data)))
    return filename, data


def upload_view(spec: ImportSpec, can: Callable[[str], bool]):
    """GET: the upload page. POST: read and check the file, keep the preview, show it."""
    form = UploadForm(spec)
    may_update = spec.update_permission is None or can(spec.update_permission)
    problems: list[str] = []
    if form.validate_on_submit():
        if form.update.data and not may_update:
            abort(403)
        try:
            filename, data = _read_file(spec, form.file.data)
            preview = read_upload(spec, filename, data, update=bool(form.update.data))
        except SheetError as exc:
            problems = exc.messages
        else:
            store_preview(spec, preview)
            return redirect(spec.url("preview", token=preview.token), code=303)
    return render_template(
        "core/import_upload.html",
        spec=spec,
        form=form,
        problems=problems,
        may_update=may_update,
        notes=general_notes(spec),
    )


def _missing(spec: ImportSpec):
    flash(_("This import preview has expired or does not exist. Upload the file again."), "warning")
    return redirect(spec.url())


def _already_done(spec: ImportSpec, preview: Preview):
    done = preview.done or {}
    flash(
        _(
            "This file was already imported: %(created)s created, %(updated)s updated.",
            created=format_decimal(done.get("created", 0)),
            updated=format_decimal(done.get("updated", 0)),
        ),
        "info",
    )
    return redirect(url_for(spec.done_endpoint))


@dataclass
class SampleRow:
    number: int
    status: str  # create, update or error
    cells: list[tuple[str, bool]]  # (shown value, has a problem)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, float):
        return _number_text(value)
    return str(value)


def preview_context(spec: ImportSpec, preview: Preview) -> dict[str, Any]:
    positions = [i for i, key in enumerate(preview.columns) if key is not None]
    problem_cells = {(i.row, i.column) for i in preview.issues}
    problem_rows = {i.row for i in preview.issues}
    sample = []
    for number, *cells in preview.rows[:PREVIEW_ROWS]:
        status = "error" if number in problem_rows else preview.plan.get(number, [CREATE])[0]
        shown = [
            (_shown(cells[i] if i < len(cells) else None), (number, preview.columns[i]) in problem_cells)
            for i in positions
        ]
        sample.append(SampleRow(number=number, status=status, cells=shown))
    return {
        "spec": spec,
        "preview": preview,
        "headers": [spec.label(preview.columns[i]) for i in positions],
        "sample": sample,
        "issues": preview.issues[:ERRORS_SHOWN],
        "more_issues": max(0, len(preview.issues) - ERRORS_SHOWN),
        "preview_rows": PREVIEW_ROWS,
    }


def preview_view(spec: ImportSpec, token: str):
    """The checked file: counts, every problem with its row and column, the first rows."""
    preview = load_preview(spec, token)
    if preview is None:
        return _missing(spec)
    if preview.done is not None:
        return _already_done(spec, preview)
    return render_template("core/import_preview.html", **preview_context(spec, preview))


def commit_view(spec: ImportSpec, token: str, can: Callable[[str], bool]):
    """Write a clean preview in one transaction, after checking every row again."""
    preview = load_preview(spec, token)
    if preview is None:
        return _missing(spec)
    if preview.done is not None:
        return _already_done(spec, preview)
    if preview.update and spec.update_permission and not can(spec.update_permission):
        abort(403)
    if not preview.clean:
        flash(_("Fix the problems in the file and upload it again; nothing was imported."), "danger")
        return redirect(spec.url("preview", token=token))
    with commit_lock(spec, preview) as lock:
        if not lock.held:
            flash(_("This file is being imported right now."), "warning")
            return redirect(spec.url("preview", token=token))
        try:
            result = commit_preview(spec, preview)
        except PreviewOutdated as exc:
            db.session.rollback()
            store_preview(spec, exc.preview)
            flash(str(exc), "danger")
            return redirect(spec.url("preview", token=token))
        except DomainError as exc:
            db.session.rollback()
            flash(_("Nothing was imported: %(reason)s", reason=str(exc)), "danger")
            return redirect(spec.url("preview", token=token))
        db.session.commit()
        mark_done(spec, preview, result)
    flash(
        _(
            "Import finished: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
            created=format_decimal(result.created),
            updated=format_decimal(result.updated),
            unchanged=format_decimal(result.unchanged),
        ),
        "success",
    )
    return redirect(url_for(spec.done_endpoint))


def errors_response(spec: ImportSpec, token: str):
    """Every problem of a preview as CSV (row, column, problem), for fixing the file in Excel."""
    preview = load_preview(spec, token)
    if preview is None:
        return _missing(spec)
    columns = [
        lv.Column("row", _l("Row"), kind=lv.NUMBER),
        lv.Column("column", _l("Column")),
        lv.Column("problem", _l("Problem")),
    ]

    def rows() -> Iterator[tuple]:
        for issue in preview.issues:
            yield issue.row, spec.label(issue.column), issue.message

    return exports.csv_response(columns, rows(), _("%(name)s import problems.csv", name=spec.sheet_name))
