"""The valuation report: on hand at the end of a day (the user's time zone) × the moving average
cost of that day, per product, with totals; tested through the posting service."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from app.inventory import posting
from app.inventory.models import MoveType
from tests.inventory.test_stock_pages import headers, limit_to, table
from tests.support import html

D = Decimal


def _post(app, monkeypatch, at: datetime, *lines):
    from app.extensions import db

    monkeypatch.setattr(posting, "utcnow", lambda: at)
    with app.test_request_context("/?lang=en"):
        posting.post_moves(
            [posting.MoveLine(kind, p, w, loc, D(q), D(c) if c else None) for kind, p, w, loc, q, c in lines],
            posting.Source("test", 1, "T-1"),
        )
        db.session.commit()


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2026 in Shanghai (the users' time zone), as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


@pytest.fixture
def history(app, monkeypatch, create_warehouse, create_product):
    """6204-2RS over four days in Shanghai, and 6205 in another warehouse.

    1 March: receive 10 @ 20 in SH1                   → 10 at 20
    2 March: receive 30 @ 24 in SH1                   → 40 at 23
    3 March: deliver 5 from SH1 (00:30, still 2 March in UTC) → 35 at 23
    4 March: receive 5 @ 30 in WX1                    → 40 at (35 × 23 + 5 × 30) / 40 = 23.875
    6205: 2 March receive 4 @ 10 in WX1.
    """
    sh1, sh1_locs = create_warehouse("SH1", "A-01")
    wx1, wx1_locs = create_warehouse("WX1", "R-01")
    p1 = create_product("6204-2RS").id
    p2 = create_product("6205").id
    a01, r01 = sh1_locs["A-01"], wx1_locs["R-01"]
    _post(app, monkeypatch, shanghai(1, 10), (MoveType.RECEIPT, p1, sh1, a01, "10", "20"))
    _post(app, monkeypatch, shanghai(2, 9), (MoveType.RECEIPT, p1, sh1, a01, "30", "24"))
    _post(app, monkeypatch, shanghai(2, 23, 59), (MoveType.RECEIPT, p2, wx1, r01, "4", "10"))
    _post(app, monkeypatch, shanghai(3, 0, 30), (MoveType.DELIVERY, p1, sh1, a01, "-5", None))
    _post(app, monkeypatch, shanghai(4, 15), (MoveType.RECEIPT, p1, wx1, r01, "5", "30"))
    monkeypatch.undo()
    return {"p1": p1, "p2": p2, "sh1": sh1, "wx1": wx1}


def _report(client, **args) -> tuple[dict[str, tuple[str, str, str]], str]:
    response = client.get("/inventory/valuation", query_string=args)
    assert response.status_code == 200
    page = html(response)
    if "data-empty-state" in page:
        return {}, page
    heads = headers(page, "stock_valuation")
    q, c, v = heads.index("On hand"), heads.index("Moving average cost"), heads.index("Value")
    return {r[1]: (r[q], r[c], r[v]) for r in table(page, "stock_valuation")}, page


def _total(page: str) -> str:
    return page.split('data-total="value">', 1)[1].split("<", 1)[0]


@pytest.mark.parametrize(
    ("day", "expected", "total"),
    [
        ("2026-02-28", {}, "CN¥0.00"),
        ("2026-03-01", {"6204-2RS": ("10", "20.00", "200.00")}, "CN¥200.00"),
        ("2026-03-02", {"6204-2RS": ("40", "23.00", "920.00"), "6205": ("4", "10.00", "40.00")}, "CN¥960.00"),
        ("2026-03-03", {"6204-2RS": ("35", "23.00", "805.00"), "6205": ("4", "10.00", "40.00")}, "CN¥845.00"),
        ("2026-03-04", {"6204-2RS": ("40", "23.875", "955.00"), "6205": ("4", "10.00", "40.00")}, "CN¥995.00"),
        ("2030-01-01", {"6204-2RS": ("40", "23.875", "955.00"), "6205": ("4", "10.00", "40.00")}, "CN¥995.00"),
    ],
)
def test_valuation_at_the_end_of_each_day(history, login, day, expected, total):
    rows, page = _report(login("purchaser"), date=day)
    assert rows == expected
    assert _total(page) == total


def test_valuation_defaults_to_today_and_covers_everything_posted(history, login):
    rows, page = _report(login("manager"))
    assert rows["6204-2RS"] == ("40", "23.875", "955.00")
    assert "data-empty-state" not in page


def test_valuation_of_one_warehouse_uses_the_company_cost(history, login):
    client = login("manager")
    rows, page = _report(client, date="2026-03-04", warehouse=history["wx1"])
    # 5 in WX1 at the company's moving average cost of that day.
    assert rows == {"6204-2RS": ("5", "23.875", "119.38"), "6205": ("4", "10.00", "40.00")}
    assert _total(page) == "CN¥159.38"
    rows, _page = _report(client, date="2026-03-02", warehouse=history["sh1"])
    assert rows == {"6204-2RS": ("40", "23.00", "920.00")}


def test_a_limited_user_values_only_their_warehouses(app, history, login):
    client = login("manager", username="wx1only")
    limit_to(app, client.user, history["wx1"])
    rows, page = _report(client, date="2026-03-04")
    assert rows == {"6204-2RS": ("5", "23.875", "119.38"), "6205": ("4", "10.00", "40.00")}
    assert _total(page) == "CN¥159.38"
    response = client.get("/inventory/valuation/export.xlsx?date=2026-03-04")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).active
    assert [r[-3:] for r in sheet.iter_rows(min_row=2, values_only=True)] == [(5, 23.875, 119.38), (4, 10, 40)]
    assert client.get(f"/inventory/valuation?warehouse={history['sh1']}").status_code == 404


def test_valuation_needs_products_view_cost(history, login):
    assert login("warehouse").get("/inventory/valuation").status_code == 403
    assert login("sales").get("/inventory/valuation").status_code == 403
    assert login("purchaser").get("/inventory/valuation").status_code == 200


def test_valuation_export_holds_the_report(history, login):
    response = login("manager").get("/inventory/valuation/export.xlsx?date=2026-03-03&sort=-value")
    assert response.status_code == 200
    assert "stock%20valuation%202026-03-03.xlsx" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Brand", "Model", "Name", "Unit", "On hand", "Moving average cost", "Value")
    assert rows[1:] == [
        ("SKF", "6204-2RS", "Deep groove ball bearing", "pcs", 35, 23, 805),
        ("SKF", "6205", "Deep groove ball bearing", "pcs", 4, 10, 40),
    ]
    # The purchaser may see the report but not export it (no inventory.export).
    assert login("purchaser").get("/inventory/valuation/export.xlsx").status_code == 403


def test_products_that_went_back_to_zero_drop_out(app, history, login, monkeypatch, create_warehouse):
    from app.extensions import db
    from app.inventory.models import Location

    with app.app_context():
        r01 = db.session.query(Location.id).filter(Location.warehouse_id == history["wx1"]).scalar()
    _post(app, monkeypatch, shanghai(5, 10), (MoveType.DELIVERY, history["p2"], history["wx1"], r01, "-4", None))
    monkeypatch.undo()
    rows, _page = _report(login("purchaser"), date="2026-03-05")
    assert set(rows) == {"6204-2RS"}
    rows, _page = _report(login("purchaser"), date="2026-03-04")
    assert set(rows) == {"6204-2RS", "6205"}
