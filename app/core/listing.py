"""List pages: page arguments from the query string and pagination with a capped count.

Counting a million rows on every page view is what makes admin lists slow, so the count stops at
``COUNT_CAP`` ("more than 1,000": past that, people narrow the list rather than read the number;
counting to 10,000 cost the unfiltered product list a millisecond of index walk on every view);
whether a next page exists is learnt by fetching one row more than the page shows, so deep pages
stay reachable past the cap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import request, url_for

from app.extensions import db

PER_PAGE_CHOICES = (20, 50, 100)
COUNT_CAP = 1_000


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int
    total_capped: bool
    has_more: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.has_more

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)


def page_args(default_per_page: int = 20) -> tuple[int, int]:
    """Read ``page`` and ``per_page`` from the query string, clamped to sane values."""
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    try:
        per_page = int(request.args.get("per_page", default_per_page))
    except ValueError:
        per_page = default_per_page
    if per_page not in PER_PAGE_CHOICES:
        per_page = default_per_page
    return page, per_page


def paginate(
    query: sa.Select,
    page: int,
    per_page: int,
    count_cap: int = COUNT_CAP,
    count_query: sa.Select | None = None,
    load: Callable[[list[Any]], list[Any]] | None = None,
) -> Page:
    """Run ``query`` for one page; count at most ``count_cap`` rows so deep tables stay fast.

    ``count_query`` (the same rows, selecting only their ids) keeps the count from reading whole rows.
    With ``load`` (ids -> their rows in that order), the page is found on ``count_query`` and only
    its rows are read whole.
    """
    counted = (count_query if count_query is not None else query).order_by(None).limit(count_cap + 1)
    capped = sa.select(sa.func.count()).select_from(counted.subquery())
    total = db.session.scalar(capped) or 0
    total_capped = total > count_cap
    total = min(total, count_cap)
    if not total_capped:
        page = min(page, max(1, math.ceil(total / per_page)))
    if load is not None and count_query is not None:
        ids = list(db.session.scalars(count_query.limit(per_page + 1).offset((page - 1) * per_page)))
        rows = load(ids)
    else:
        result = db.session.execute(query.limit(per_page + 1).offset((page - 1) * per_page))
        # One entity (or column) per row: the objects themselves; several: Row objects (r.name).
        rows = list((result.scalars() if len(query.column_descriptions) == 1 else result).unique())
    return _page(rows, page, per_page, total, total_capped)


def _page(rows: list[Any], page: int, per_page: int, total: int, total_capped: bool) -> Page:
    """The page of ``rows`` (one more than the page holds when there is a next page)."""
    return Page(
        items=rows[:per_page],
        page=page,
        per_page=per_page,
        total=total,
        total_capped=total_capped,
        has_more=len(rows) > per_page,
    )


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's wildcards escaped (use escape="\\")."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def url_with(**changes: Any) -> str:
    """The current page's URL with some query-string arguments changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)
