"""The list machinery every domain's list page and export is built from.

A ``ListSpec`` says once what a list is: its scoped base query, its columns (label, value, SQL
expression for sorting and exporting, format, the permission needed to see it), its filters and
its search. The list page and the xlsx/csv exports read the same query-string arguments through
the same spec, so an export always holds exactly what the page shows (filters, search, sort and
scope), and a column hidden from a user (cost) is hidden in both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from app.core import once, registry
from app.core.i18n import day_end, day_start, format_day, format_dt, grouped, language, parse_day, user_zone
from app.core.listing import Page, page_args, paginate
from app.core.refcache import VersionedCache
from app.core.templating import fill_slots, slot_marker
from app.extensions import db

Checker = Callable[[str], bool]

# How a value is shown and exported.
TEXT, CODE, NUMBER, QUANTITY, MONEY, PRICE, DATE, DATETIME, BOOL, CHOICE = (
    "text",
    "code",
    "number",
    "quantity",
    "money",
    "price",
    "date",
    "datetime",
    "bool",
    "choice",
)
NUMERIC_KINDS = frozenset({NUMBER, QUANTITY, MONEY, PRICE})


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    expr: Any = None  # SQL expression: sorting, exports (None: not sortable, taken from the row)
    value: Callable[[Any], Any] | None = None  # value from an ORM row (default: attribute ``key``)
    kind: str = TEXT
    permission: str | None = None
    sortable: bool = True
    total: bool = False  # sum shown under the page
    link: bool = False  # links to the row's detail page
    in_list: bool = True
    in_export: bool = True
    choices: dict[str, Any] | None = None  # stored code -> label, for CHOICE columns
    # Adds the table ``expr`` reads from, for the queries that sort or export by it. A list page
    # reads such values through the row's eager-loaded relationships, so counting and paging a
    # million rows never pays for a join it does not need.
    join: Callable[[sa.Select], sa.Select] | None = None
    sort_expr: Any = None  # what sorting by this column orders by, when not ``expr`` (an indexed key)

    def get(self, row: Any) -> Any:
        return self.value(row) if self.value else getattr(row, self.key)

    def display(self, value: Any) -> Any:
        if self.kind == CHOICE and self.choices is not None:
            return self.choices.get(value, value)
        return value

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass(frozen=True)
class Filter:
    key: str
    label: Any
    apply: Callable[[sa.Select, str], sa.Select]
    choices: Callable[[], list[tuple[str, Any]]] | None = None  # a select; None: a text box
    permission: str | None = None
    placeholder: Any = None
    default: str = ""  # applied when the query string does not name the filter
    input_type: str = "text"  # a text box's type; "date" shows a date picker labelled with ``label``
    hidden: bool = False  # applied from the query string (links from other pages), not shown as a box


def date_range_filters(expr: Any, *, from_key: str = "from", to_key: str = "to") -> list[Filter]:
    """Two date boxes, "from" and "to" (both days included, in the user's time zone), on ``expr``
    (a timestamp or a date column)."""
    is_date = isinstance(getattr(expr, "type", None), sa.Date)

    def since(query: sa.Select, value: str) -> sa.Select:
        day = parse_day(value)
        return query if day is None else query.where(expr >= (day if is_date else day_start(day)))

    def until(query: sa.Select, value: str) -> sa.Select:
        day = parse_day(value)
        return query if day is None else query.where(expr <= day if is_date else expr < day_end(day))

    return [Filter(from_key, _l("From"), since, input_type="date"), Filter(to_key, _l("To"), until, input_type="date")]


@dataclass
class ListSpec:
    name: str
    base_query: Callable[[], sa.Select]
    columns: list[Column]
    id_column: Any
    default_sort: str
    filters: list[Filter] = field(default_factory=list)
    search: Callable[[sa.Select, str], sa.Select] | None = None
    search_placeholder: Any = None
    row_url: Callable[[Any], str] | None = None
    per_page: int = 20
    # What orders rows like ``id_column`` in a given query, when the engine needs another name for
    # it to use an index's order (a full-text table's rowid that the search joined).
    id_order: Callable[[sa.Select], Any] | None = None
    # The tables whose rows the page shows (the base table, and those its columns and filter
    # choices name): with them, ``render_page`` keeps the rendered list per process until one of
    # them changes. ``per_user``: what the base query returns depends on who asks (a scope).
    cached_by: tuple[str, ...] = ()
    per_user: bool = False
    _cache: VersionedCache[Markup] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.cached_by:
            self._cache = VersionedCache(self.cached_by)

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


@dataclass
class ListState:
    q: str
    sort: str  # column key, "-" in front for descending
    filters: dict[str, str]
    page: int
    per_page: int
    defaults: dict[str, str] = field(default_factory=dict)

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def active(self) -> bool:
        """Whether the user narrowed the list (searched, or moved a filter off its default)."""
        return bool(self.q or any(v != self.defaults.get(k, "") for k, v in self.filters.items()))


@dataclass
class ListResult:
    spec: ListSpec
    state: ListState
    columns: list[Column]
    filters: list[Filter]
    page: Page
    totals: dict[str, Decimal]

    @property
    def rows(self) -> list[RenderedRow]:
        try:
            return render_rows(self)
        except AttributeError as exc:
            # Jinja reads an AttributeError from a property as "undefined" and would show an
            # empty table; a column reading a missing attribute is a bug, so say so.
            raise RuntimeError(f"list {self.spec.name}: {exc}") from exc

    def sort_link_value(self, column: Column) -> str:
        """The ``sort`` argument a click on this column's header asks for."""
        if self.state.sort_key == column.key and not self.state.descending:
            return "-" + column.key
        return column.key


def visible_columns(spec: ListSpec, can: Checker, *, export: bool = False) -> list[Column]:
    return [
        c
        for c in spec.columns
        if (c.in_export if export else c.in_list) and (c.permission is None or can(c.permission))
    ]


def read_state(spec: ListSpec, can: Checker, args=None) -> ListState:
    args = request.args if args is None else args
    columns = {c.key: c for c in visible_columns(spec, can) + visible_columns(spec, can, export=True)}
    sort = args.get("sort", spec.default_sort)
    key = sort.lstrip("-")
    column = columns.get(key)
    if column is None or not column.sortable or column.expr is None:
        sort = spec.default_sort
    filters, defaults = {}, {}
    for f in spec.filters:
        if f.permission is None or can(f.permission):
            filters[f.key] = args.get(f.key, f.default).strip()
            defaults[f.key] = f.default
    page, per_page = page_args(spec.per_page) if args is request.args else (1, spec.per_page)
    return ListState(
        q=args.get("q", "").strip()[:100], sort=sort, filters=filters, page=page, per_page=per_page, defaults=defaults
    )


def build_query(
    spec: ListSpec, state: ListState, *, select: sa.Select | None = None, columns: list[Column] | None = None
) -> sa.Select:
    """The filtered, searched and sorted query; ``select`` replaces the selected columns (exports),
    ``columns`` are the columns it reads (their joins are added)."""
    query = spec.base_query()
    sort_column = spec.column(state.sort_key)
    joins: list[Callable[[sa.Select], sa.Select]] = []
    for column in [*(columns or []), sort_column]:
        if column is not None and column.join is not None and column.join not in joins:
            joins.append(column.join)
    for join in joins:
        query = join(query)
    if select is not None:
        query = query.with_only_columns(*select, maintain_column_froms=True)
    if state.q and spec.search is not None:
        query = spec.search(query, state.q)
    for f in spec.filters:
        value = state.filters.get(f.key)
        if value:
            query = f.apply(query, value)
    column = sort_column
    if column is not None and column.expr is not None:
        order = column.sort_expr if column.sort_expr is not None else column.expr
    else:
        order = spec.id_column
    id_order = spec.id_order(query) if spec.id_order is not None else spec.id_column
    if order is spec.id_column:
        order = id_order
    ordering = [order.desc() if state.descending else order.asc()]
    if order is not id_order:
        # A tie-breaker keeps pages stable when many rows share the sorted value.
        ordering.append(id_order.desc() if state.descending else id_order.asc())
    return query.order_by(*ordering)


def run(spec: ListSpec, can: Checker) -> ListResult:
    """Run the list page for the current request."""
    state = read_state(spec, can)
    columns = visible_columns(spec, can)
    query = build_query(spec, state)
    ids = query.with_only_columns(spec.id_column, maintain_column_froms=True)
    load = _loader(spec) if len(query.column_descriptions) == 1 else None
    page = paginate(query, state.page, state.per_page, count_query=ids, load=load)
    totals: dict[str, Decimal] = {}
    for column in columns:
        if column.total:
            totals[column.key] = sum((Decimal(column.get(row) or 0) for row in page.items), Decimal(0))
    filters = [f for f in spec.filters if f.permission is None or can(f.permission)]
    return ListResult(spec=spec, state=state, columns=columns, filters=filters, page=page, totals=totals)


_SLOTS: dict[str, Callable[[], str]] = {
    "csrf": generate_csrf,
    "once": once.new_token,
    "next": lambda: request.full_path.rstrip("?"),
}
_MARKERS = {name: slot_marker(name) for name in _SLOTS}


def render_page(spec: ListSpec, can: Checker, template: str, title: Any) -> str:
    """A list page: ``template`` (what the list shows, given ``result``) inside the layout.

    A spec with ``cached_by`` keeps what ``template`` rendered per process, under the versions of
    those tables, the URL, the language, the time zone and the viewer's permissions (and the viewer
    when ``per_user``): a page asked for again shows the same rows without a query until one of the
    tables changes. The CSRF token, the one-time form token and the current URL are printed as
    ``slots`` (markers replaced by each request's own values). Debug mode renders every time."""

    def build() -> Markup:
        result = run(spec, can)
        return Markup(render_template(template, result=result, slots=_MARKERS))

    if spec._cache is None or current_app.debug:
        html = build()
    else:
        key = (
            spec.name,
            request.script_root,
            request.path,
            tuple(request.args.items(multi=True)),
            language(),
            str(user_zone()),
            registry.viewer_permissions(),
            current_user.get_id() if spec.per_user else None,
        )
        html = spec._cache.get(key, build)
    return render_template("_list_page.html", title=title, content=fill_slots(html, _SLOTS))


def _loader(spec: ListSpec) -> Callable[[list[Any]], list[Any]]:
    """Rows of one page by their ids, in the ids' order. The page's ids come from the query over the
    id column alone (an index walk, also for a deep page); only these rows are then read whole,
    with their eager-loaded relationships."""

    def load(ids: list[Any]) -> list[Any]:
        if not ids:
            return []
        query = spec.base_query().where(spec.id_column.in_(ids))
        by_id = {getattr(row, spec.id_column.key): row for row in db.session.scalars(query).unique()}
        return [by_id[i] for i in ids if i in by_id]

    return load


def count(spec: ListSpec, can: Checker, args: dict[str, str], cap: int) -> int:
    """How many rows the list shows for the query string ``args``, counted up to ``cap`` + 1 (a
    dashboard count that agrees with the list it links to)."""
    state = read_state(spec, can, args)
    ids = (
        build_query(spec, state)
        .with_only_columns(spec.id_column, maintain_column_froms=True)
        .order_by(None)
        .limit(cap + 1)
        .subquery()
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(ids)) or 0


def export_rows(spec: ListSpec, can: Checker, batch: int = 2000) -> tuple[list[Column], Iterator[tuple]]:
    """The exported columns and an iterator over every matching row (as tuples, in batches)."""
    state = read_state(spec, can)
    columns = [c for c in visible_columns(spec, can, export=True) if c.expr is not None]
    query = build_query(spec, state, select=[c.expr for c in columns], columns=columns)

    labelled = [(i, c) for i, c in enumerate(columns) if c.kind == CHOICE and c.choices is not None]

    def rows() -> Iterator[tuple]:
        result = db.session.execute(query.execution_options(yield_per=batch))
        if not labelled:
            yield from (tuple(row) for row in result)
            return
        labels: dict[tuple[int, Any], Any] = {}  # translated once per export, not once per row
        for row in result:
            values = list(row)
            for i, column in labelled:
                key = (i, values[i])
                if key not in labels:
                    label = column.display(values[i])
                    labels[key] = label if label is None or isinstance(label, (int, Decimal)) else str(label)
                values[i] = labels[key]
            yield tuple(values)

    return columns, rows()


# --- rendering rows in Python ------------------------------------------------------------------
# A list page shows hundreds of cells; rendering each through a Jinja macro costs more than the
# query. Cells are formatted here once, with per-request constants, and the template prints them.


@dataclass
class RenderedRow:
    row: Any
    cells: Markup
    deleted: bool


def render_rows(result: ListResult) -> list[RenderedRow]:
    # Plain string building with markupsafe.escape: Markup.format runs string.Formatter per
    # cell, which alone cost more than the SQL on a 20-row page.
    yes = f'<i class="bi bi-check-lg text-success" aria-label="{escape(_("Yes"))}"></i>'
    no = f'<span class="text-secondary" aria-label="{escape(_("No"))}">–</span>'
    choice_labels: dict[tuple[str, Any], str] = {}
    url = result.spec.row_url
    rendered = []
    for row in result.page.items:
        parts = []
        for column in result.columns:
            value = column.get(row)
            kind = column.kind
            if value is None:
                text = ""
            elif kind == MONEY:
                text = grouped(value, 2, 2)
            elif kind == PRICE:
                text = grouped(value, 2, 4)
            elif kind in (QUANTITY, NUMBER):
                text = grouped(value, 0, 3)
            elif kind == BOOL:
                text = yes if value else no
            elif kind == CHOICE:
                key = (column.key, value)
                if key not in choice_labels:
                    choice_labels[key] = str(escape(str(column.display(value))))
                text = choice_labels[key]
            elif kind == DATETIME:
                text = str(escape(format_dt(value)))
            elif kind == DATE:
                text = str(escape(format_day(value)))
            elif kind == CODE:
                text = f"<code>{escape(value)}</code>"
            else:
                text = str(escape(value))
            if column.link and url is not None:
                text = f'<a href="{escape(url(row))}">{text}</a>'
            if column.numeric:
                parts.append(f'<td class="text-end app-num">{text}</td>')
            elif kind in (DATE, DATETIME) or column.link:
                # Dates and document numbers read badly broken over two lines.
                parts.append(f'<td class="text-nowrap">{text}</td>')
            else:
                parts.append(f"<td>{text}</td>")
        deleted = getattr(row, "deleted_at", None) is not None
        rendered.append(RenderedRow(row=row, cells=Markup("".join(parts)), deleted=deleted))
    return rendered
