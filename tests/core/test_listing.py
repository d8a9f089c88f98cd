"""List pages: page arguments, pagination with a capped count, URLs that keep filters, LIKE escaping."""

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.core.listing import contains_pattern, page_args, paginate, url_with
from app.extensions import db
from tests import support


@pytest.fixture
def listed_users(ctx, create_user):
    """25 users whose names sort as lst-01 … lst-25, and the query listing exactly them."""
    for n in range(1, 26):
        create_user(f"lst-{n:02d}")
    return sa.select(User).where(User.username.like("lst-%")).order_by(User.username)


def _names(page) -> list[str]:
    return [u.username for u in page.items]


# --- paginate --------------------------------------------------------------------------------


def test_paginate_returns_one_page_with_its_position(listed_users):
    page = paginate(listed_users, 2, 10)
    assert _names(page) == [f"lst-{n:02d}" for n in range(11, 21)]
    assert (page.page, page.per_page, page.total, page.total_capped, page.pages) == (2, 10, 25, False, 3)
    assert (page.has_prev, page.has_next) == (True, True)
    assert (page.first_index, page.last_index) == (11, 20)


def test_the_last_page_holds_the_remainder(listed_users):
    page = paginate(listed_users, 3, 10)
    assert _names(page) == [f"lst-{n:02d}" for n in range(21, 26)]
    assert (page.has_prev, page.has_next) == (True, False)
    assert (page.first_index, page.last_index) == (21, 25)


def test_a_page_beyond_the_end_is_clamped_to_the_last_page(listed_users):
    page = paginate(listed_users, 99, 10)
    assert page.page == 3
    assert _names(page)[0] == "lst-21"


def test_an_empty_result_is_a_single_empty_page(ctx):
    query = sa.select(User).where(User.username == "nobody-has-this-name")
    page = paginate(query, 5, 20)
    assert (page.items, page.page, page.pages, page.total, page.total_capped) == ([], 1, 1, 0, False)
    assert (page.has_prev, page.has_next, page.first_index, page.last_index) == (False, False, 0, 0)


def test_the_count_stops_at_the_cap_and_says_so(listed_users):
    capped = paginate(listed_users, 1, 5, count_cap=10)
    assert (capped.total, capped.total_capped, capped.pages) == (10, True, 2)
    assert len(capped.items) == 5

    exact = paginate(listed_users, 1, 5, count_cap=25)
    assert (exact.total, exact.total_capped) == (25, False)

    just_over = paginate(listed_users, 1, 5, count_cap=24)
    assert (just_over.total, just_over.total_capped) == (24, True)


def _by_ids(query):
    """paginate's arguments for finding a page on the ids and then loading its rows."""
    ids = query.with_only_columns(User.id, maintain_column_froms=True)

    def load(page_ids):
        rows = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(page_ids)))}
        return [rows[i] for i in page_ids]

    return {"count_query": ids, "load": load}


@pytest.mark.parametrize(
    ("page", "per_page", "cap", "names", "total", "capped", "has_next"),
    [
        (1, 10, 1000, range(1, 11), 25, False, True),  # within the cap: one query counts and pages
        (3, 10, 1000, range(21, 26), 25, False, False),
        (99, 10, 1000, range(21, 26), 25, False, False),  # beyond the end: the last page
        (2, 5, 12, range(6, 11), 12, True, True),  # capped count, page within it
        (4, 5, 12, range(16, 21), 12, True, True),  # a page past the cap: counted, then paged
        (5, 5, 12, range(21, 26), 12, True, False),
    ],
)
def test_pages_found_on_the_ids_hold_the_same_rows(listed_users, page, per_page, cap, names, total, capped, has_next):
    result = paginate(listed_users, page, per_page, count_cap=cap, **_by_ids(listed_users))
    assert _names(result) == [f"lst-{n:02d}" for n in names]
    assert (result.total, result.total_capped, result.has_next) == (total, capped, has_next)


# --- page_args -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", (1, 20)),
        ("page=3&per_page=50", (3, 50)),
        ("per_page=100", (1, 100)),
        ("per_page=20", (1, 20)),
        ("per_page=30", (1, 20)),
        ("per_page=1000000", (1, 20)),
        ("per_page=0", (1, 20)),
        ("per_page=-50", (1, 20)),
        ("per_page=fifty", (1, 20)),
        ("page=0", (1, 20)),
        ("page=-4", (1, 20)),
        ("page=two", (1, 20)),
        ("page=2.5", (1, 20)),
    ],
)
def test_page_args_accepts_only_sane_values(app, query, expected):
    with app.test_request_context(f"/admin/users/?{query}"):
        assert page_args() == expected


def test_page_args_uses_the_given_default_page_size(app):
    with app.test_request_context("/admin/audit/?per_page=7"):
        assert page_args(default_per_page=50) == (1, 50)


# --- url_with --------------------------------------------------------------------------------


def _args(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_url_with_changes_one_argument_and_keeps_the_others(app):
    with app.test_request_context("/admin/users/?q=ab%20c&status=all&role=3&role=5&page=2"):
        url = url_with(page=3)
    assert urlsplit(url).path == "/admin/users/"
    assert _args(url) == {"q": ["ab c"], "status": ["all"], "role": ["3", "5"], "page": ["3"]}


def test_url_with_none_removes_an_argument(app):
    with app.test_request_context("/admin/users/?q=x&page=4"):
        url = url_with(page=None, per_page=50)
    assert _args(url) == {"q": ["x"], "per_page": ["50"]}


def test_url_with_keeps_path_arguments(app):
    with app.test_request_context("/admin/users/12/edit?tab=roles"):
        url = url_with(tab="history")
    assert urlsplit(url).path == "/admin/users/12/edit"
    assert _args(url) == {"tab": ["history"]}


# --- contains_pattern ------------------------------------------------------------------------


def test_contains_pattern_escapes_like_wildcards():
    assert contains_pattern("abc") == "%abc%"
    assert contains_pattern("50%") == "%50\\%%"
    assert contains_pattern("a_b") == "%a\\_b%"
    assert contains_pattern("c:\\x") == "%c:\\\\x%"


@pytest.mark.parametrize(
    ("search", "matches"),
    [
        ("50%", {"50% rebate"}),
        ("a_b", {"a_b bearing"}),
        ("\\", {"back\\slash"}),
        ("500", {"500 units"}),
        ("rebate", {"50% rebate"}),
    ],
)
def test_a_search_matches_the_typed_text_literally_on_this_engine(ctx, create_user, search, matches):
    names = ["50% rebate", "500 units", "a_b bearing", "axb bearing", "back\\slash", "plain"]
    for n, name in enumerate(names):
        create_user(f"like-{n}", display_name=name)
    found = db.session.scalars(
        sa.select(User.display_name).where(
            User.username.like("like-%"), User.display_name.ilike(contains_pattern(search), escape="\\")
        )
    )
    assert set(found) == matches


def test_the_user_list_search_for_50_percent_does_not_show_500(login, create_user):
    create_user("rebate-user", display_name="Rebate 50% Club")
    create_user("bulk-user", display_name="Bulk 500 Club")
    page = support.html(login("admin").get("/admin/users/?q=50%25"))
    assert "rebate-user" in page
    assert "bulk-user" not in page
