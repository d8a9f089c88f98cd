"""Stock figures: the overview by product and by location, the ledger, the product panel and the
typeahead — their figures and totals, their exports, cost only for those who may see it, and
separate warehouses (a limited user never sees another warehouse's stock, anywhere)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from app.inventory import posting
from app.inventory.models import MoveType
from tests.support import html

D = Decimal
RECEIPT, DELIVERY, ADJUST = MoveType.RECEIPT, MoveType.DELIVERY, MoveType.ADJUSTMENT


def post(app, *lines, source=("test", 1, "T-1"), reason="", at: datetime | None = None, monkeypatch=None):
    from app.extensions import db

    if at is not None:
        monkeypatch.setattr(posting, "utcnow", lambda: at)
    with app.test_request_context("/?lang=en"):
        ids = posting.post_moves(
            [
                posting.MoveLine(kind, p, w, loc, D(q), D(c) if c is not None else None)
                for kind, p, w, loc, q, c in lines
            ],
            posting.Source(*source),
            reason=reason,
        )
        db.session.commit()
        return ids


def reserve(app, product, warehouse, qty, line_id=1):
    from app.extensions import db

    with app.test_request_context("/?lang=en"):
        posting.reserve(
            posting.Source("sales_order", 1, "SO-1"), [posting.ReserveLine(product, warehouse, line_id, D(qty))]
        )
        db.session.commit()


def limit_to(app, user, *warehouse_ids):
    from app.extensions import db
    from app.inventory.scope import set_user_warehouses

    with app.app_context():
        set_user_warehouses(user.id, set(warehouse_ids))
        db.session.commit()


@pytest.fixture
def world(app, create_warehouse, create_product):
    """Two warehouses; 6204-2RS in both (reserved in SH1), 6205 in WX1 only, NU2208 never stocked.

    6204-2RS: SH1/A-01 10 @ 20, SH1/A-02 30 @ 24 (average 23), WX1/R-01 5 @ 30
    → on hand 45 at an average of (40 × 23 + 5 × 30) / 45 = 23.7778; 4 reserved in SH1.
    """
    sh1, sh1_locs = create_warehouse("SH1", "A-01\nA-02\nB-01")
    wx1, wx1_locs = create_warehouse("WX1", "R-01\nR-02")
    p1 = create_product("6204-2RS", reorder_level=D(50))
    p2 = create_product("6205", name_zh="深沟球轴承 6205", name_en="Ball bearing 6205")
    p3 = create_product("NU2208", brand="NSK", reorder_level=D(5), name_en="Cylindrical roller bearing")
    post(app, (RECEIPT, p1.id, sh1, sh1_locs["A-01"], "10", "20"))
    post(app, (RECEIPT, p1.id, sh1, sh1_locs["A-02"], "30", "24"))
    post(app, (RECEIPT, p1.id, wx1, wx1_locs["R-01"], "5", "30"))
    post(app, (RECEIPT, p2.id, wx1, wx1_locs["R-02"], "7", "10"))
    reserve(app, p1.id, sh1, "4")
    return {
        "sh1": sh1,
        "wx1": wx1,
        "locs": {**{f"SH1/{k}": v for k, v in sh1_locs.items()}, **{f"WX1/{k}": v for k, v in wx1_locs.items()}},
        "p1": p1.id,
        "p2": p2.id,
        "p3": p3.id,
    }


_ROW = re.compile(r"<tr[^>]*>\s*(.*?)</tr>", re.S)
_CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
_TAG = re.compile(r"<[^>]+>")


def table(page: str, name: str) -> list[list[str]]:
    """The body rows of the list table ``name`` as cell texts."""
    body = page.split(f'data-list="{name}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[_TAG.sub("", c).strip() for c in _CELL.findall(row)] for row in _ROW.findall(body)]


def headers(page: str, name: str) -> list[str]:
    head = page.split(f'data-list="{name}"', 1)[1].split("</thead>", 1)[0]
    return [re.sub(r"\s+", " ", _TAG.sub("", h)).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]


def by_model(page: str, name: str, model_column: int) -> dict[str, list[str]]:
    return {row[model_column]: row for row in table(page, name)}


def footer(page: str) -> list[str]:
    foot = page.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    return [_TAG.sub("", c).strip() for c in _CELL.findall(foot)]


def xlsx_rows(response) -> list[tuple]:
    assert response.status_code == 200, response.status_code
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    return [tuple(r) for r in book.active.iter_rows(values_only=True)]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- overview by product -----------------------------------------------------------------------

# Columns of the by-product table for a user without cost: brand, model, name, unit, on hand,
# reserved, available, reorder level, low stock.
BRAND, MODEL, NAME, UNIT, ON_HAND, RESERVED, AVAILABLE, REORDER, LOW = range(9)


def test_overview_shows_each_product_once_with_on_hand_reserved_and_available(world, login):
    client = login("warehouse")
    page = html(client.get("/inventory/"))
    rows = by_model(page, "stock", MODEL)
    assert set(rows) == {"6204-2RS", "6205"}  # NU2208 has never had stock
    assert rows["6204-2RS"][ON_HAND : LOW + 1] == ["45", "4", "41", "50", "Below reorder level"]
    assert rows["6205"][ON_HAND : LOW + 1] == ["7", "0", "7", "0", ""]
    assert headers(page, "stock")[:9] == [
        "Brand",
        "Model",
        "Name",
        "Unit",
        "On hand",
        "Reserved",
        "Available",
        "Reorder level",
        "Low stock",
    ]
    assert footer(page)[ON_HAND : AVAILABLE + 1] == ["52", "4", "48"]
    # Few rows: the totals of all rows come at once.
    assert 'data-total="on_hand">52<' in page


def test_overview_filters_by_warehouse(world, login):
    client = login("warehouse")
    rows = by_model(html(client.get(f"/inventory/?warehouse={world['wx1']}")), "stock", MODEL)
    assert rows["6204-2RS"][ON_HAND : AVAILABLE + 1] == ["5", "0", "5"]
    assert rows["6205"][ON_HAND] == "7"
    rows = by_model(html(client.get(f"/inventory/?warehouse={world['sh1']}")), "stock", MODEL)
    assert set(rows) == {"6204-2RS"}
    assert rows["6204-2RS"][ON_HAND : AVAILABLE + 1] == ["40", "4", "36"]


def test_overview_shows_products_below_their_reorder_level_including_those_never_stocked(world, login):
    client = login("warehouse")
    rows = by_model(html(client.get("/inventory/?show=low")), "stock", MODEL)
    assert set(rows) == {"6204-2RS", "NU2208"}
    assert rows["NU2208"][ON_HAND : LOW + 1] == ["0", "0", "0", "5", "Below reorder level"]
    assert set(by_model(html(client.get("/inventory/?show=all")), "stock", MODEL)) == {"6204-2RS", "6205", "NU2208"}


def test_overview_searches_models_as_people_type_them_and_filters_by_brand(world, login, app):
    from app.extensions import db
    from app.products.models import Brand

    client = login("warehouse")
    for q in ("6204-2RS", "62042rs", "6204 2RS", "ＳＫＦ 6204"):
        assert set(by_model(html(client.get("/inventory/", query_string={"q": q})), "stock", MODEL)) == {"6204-2RS"}, q
    with app.app_context():
        nsk = db.session.scalar(sa.select(Brand.id).where(Brand.name == "NSK"))
    assert "data-empty-state" in html(client.get(f"/inventory/?brand={nsk}"))
    assert set(by_model(html(client.get(f"/inventory/?brand={nsk}&show=all")), "stock", MODEL)) == {"NU2208"}


def test_overview_sorts_by_figures(world, login):
    client = login("warehouse")
    models = [r[MODEL] for r in table(html(client.get("/inventory/?sort=-on_hand")), "stock")]
    assert models == ["6204-2RS", "6205"]
    models = [r[MODEL] for r in table(html(client.get("/inventory/?sort=available")), "stock")]
    assert models == ["6205", "6204-2RS"]


def test_value_needs_products_view_cost(world, login):
    page = html(login("warehouse").get("/inventory/"))
    assert "Value" not in headers(page, "stock") and "Moving average cost" not in headers(page, "stock")
    page = html(login("purchaser").get("/inventory/"))
    heads = headers(page, "stock")
    row = by_model(page, "stock", MODEL)["6204-2RS"]
    # 45 on hand at the average cost of 23.7778
    assert row[heads.index("Moving average cost")] == "23.7778"
    assert row[heads.index("Value")] == "1,070.00"
    assert footer(page)[heads.index("Value")] == "1,140.00"  # + 7 × 10
    assert 'data-total="value">1,140.00<' in page


def test_overview_export_holds_what_the_page_shows(world, login):
    client = login("warehouse")
    rows = xlsx_rows(client.get(f"/inventory/export.xlsx?warehouse={world['sh1']}"))
    assert rows[0] == (
        "Brand",
        "Model",
        "Name",
        "Unit",
        "On hand",
        "Reserved",
        "Available",
        "Reorder level",
        "Low stock",
    )
    assert rows[1:] == [("SKF", "6204-2RS", "Deep groove ball bearing", "pcs", 40, 4, 36, 50, "Yes")]
    manager = login("manager")
    rows = xlsx_rows(manager.get("/inventory/export.xlsx?show=all&sort=-on_hand"))
    assert rows[0][-2:] == ("Moving average cost", "Value")
    assert [r[1] for r in rows[1:]] == ["6204-2RS", "6205", "NU2208"]
    assert rows[1][-1] == 1070.0 and rows[2][-1] == 70.0
    lines = csv_rows(manager.get("/inventory/export.csv"))
    assert lines[1][:7] == ["SKF", "6204-2RS", "Deep groove ball bearing", "pcs", "45", "4", "41"]


def test_export_needs_inventory_export(world, login):
    assert login("sales").get("/inventory/export.csv").status_code == 403
    assert 'data-export="xlsx"' not in html(login("sales").get("/inventory/"))


def test_an_empty_overview_says_so(login, create_warehouse):
    create_warehouse()
    page = html(login("warehouse").get("/inventory/"))
    assert "data-empty-state" in page and "No stock in your warehouses yet." in page


# --- overview by location ----------------------------------------------------------------------

# Columns for a user without cost: warehouse, location, brand, model, name, unit, on hand,
# reserved in warehouse, available in warehouse.
L_WAREHOUSE, L_LOCATION, L_BRAND, L_MODEL, L_NAME, L_UNIT, L_ON_HAND, L_RESERVED, L_AVAILABLE = range(9)


def test_by_location_lists_one_row_per_balance_with_the_warehouse_figures(world, login):
    page = html(login("warehouse").get("/inventory/by-location"))
    rows = [
        (r[L_WAREHOUSE], r[L_LOCATION], r[L_MODEL], r[L_ON_HAND], r[L_RESERVED], r[L_AVAILABLE])
        for r in table(page, "stock_locations")
    ]
    assert sorted(rows) == [
        ("SH1", "A-01", "6204-2RS", "10", "4", "36"),
        ("SH1", "A-02", "6204-2RS", "30", "4", "36"),
        ("WX1", "R-01", "6204-2RS", "5", "0", "5"),
        ("WX1", "R-02", "6205", "7", "0", "7"),
    ]
    assert footer(page)[L_ON_HAND] == "52"


def test_by_location_filters_by_location_code_prefix_and_hides_emptied_places(world, login, app):
    client = login("warehouse")
    rows = table(html(client.get("/inventory/by-location?location=a-0")), "stock_locations")
    assert sorted(r[L_LOCATION] for r in rows) == ["A-01", "A-02"]
    post(app, (ADJUST, world["p1"], world["sh1"], world["locs"]["SH1/A-01"], "-10", None))
    rows = table(html(client.get("/inventory/by-location?location=A-0")), "stock_locations")
    assert [r[L_LOCATION] for r in rows] == ["A-02"]
    rows = table(html(client.get("/inventory/by-location?location=A-0&show=all")), "stock_locations")
    assert sorted((r[L_LOCATION], r[L_ON_HAND]) for r in rows) == [("A-01", "0"), ("A-02", "30")]


def test_by_location_export_with_cost(world, login):
    rows = xlsx_rows(login("manager").get(f"/inventory/by-location/export.xlsx?warehouse={world['wx1']}&sort=-on_hand"))
    assert rows[0] == (
        "Warehouse",
        "Location",
        "Brand",
        "Model",
        "Name",
        "Unit",
        "On hand",
        "Reserved in warehouse",
        "Available in warehouse",
        "Moving average cost",
        "Value",
    )
    assert [(r[0], r[1], r[3], r[6], r[-1]) for r in rows[1:]] == [
        ("WX1", "R-02", "6205", 7, 70),
        ("WX1", "R-01", "6204-2RS", 5, 118.89),  # 5 × 23.7778
    ]


# --- separate warehouses ---------------------------------------------------------------------


@pytest.fixture
def wx1_keeper(world, app, login):
    """A warehouse keeper (with cost and export) who works in WX1 only."""
    client = login("manager", username="wx1keeper")
    limit_to(app, client.user, world["wx1"])
    return client


def test_a_limited_user_sees_only_their_warehouses_in_the_overview_and_its_totals(world, wx1_keeper):
    page = html(wx1_keeper.get("/inventory/"))
    heads = headers(page, "stock")
    rows = by_model(page, "stock", MODEL)
    assert rows["6204-2RS"][ON_HAND : AVAILABLE + 1] == ["5", "0", "5"]
    assert rows["6204-2RS"][heads.index("Value")] == "118.89"
    assert footer(page)[ON_HAND] == "12"
    assert 'data-total="on_hand">12<' in page and 'data-total="value">188.89<' in page
    assert "Figures of your warehouses only: WX1" in page
    # SH1 is not even offered as a filter.
    assert "Warehouse SH1" not in page and "Warehouse WX1" in page


def test_a_limited_user_gets_404_for_another_warehouse_by_url(world, wx1_keeper):
    sh1, p1 = world["sh1"], world["p1"]
    for url in (
        f"/inventory/?warehouse={sh1}",
        f"/inventory/export.xlsx?warehouse={sh1}",
        f"/inventory/by-location?warehouse={sh1}",
        f"/inventory/by-location/export.csv?warehouse={sh1}",
        f"/inventory/products/{p1}/ledger?warehouse={sh1}",
        f"/inventory/products/{p1}/ledger?location={world['locs']['SH1/A-01']}",
        f"/inventory/products/{p1}/ledger/export.csv?warehouse={sh1}",
        f"/inventory/valuation?warehouse={sh1}",
        f"/inventory/valuation/export.xlsx?warehouse={sh1}",
    ):
        assert wx1_keeper.get(url).status_code == 404, url


def test_a_limited_user_exports_only_their_warehouses(world, wx1_keeper):
    rows = xlsx_rows(wx1_keeper.get("/inventory/export.xlsx"))
    assert {r[1]: r[4] for r in rows[1:]} == {"6204-2RS": 5, "6205": 7}
    rows = csv_rows(wx1_keeper.get("/inventory/by-location/export.csv"))
    assert {r[0] for r in rows[1:]} == {"WX1"}
    rows = xlsx_rows(wx1_keeper.get(f"/inventory/products/{world['p1']}/ledger/export.xlsx"))
    assert [(r[2], r[5]) for r in rows[1:]] == [("WX1", 5)]


def test_a_limited_user_sees_only_their_locations_and_ledger(world, wx1_keeper):
    rows = table(html(wx1_keeper.get("/inventory/by-location")), "stock_locations")
    assert {r[L_WAREHOUSE] for r in rows} == {"WX1"}
    page = html(wx1_keeper.get(f"/inventory/products/{world['p1']}/ledger"))
    rows = table(page, "stock_ledger")
    assert len(rows) == 1 and rows[0][2] == "WX1"
    assert 'data-level="on_hand">5<' in page and 'data-level="reserved">0<' in page
    assert "SH1" not in page.split('data-list="stock_ledger"', 1)[0].split("app-filters", 1)[1]


def test_a_limited_user_sees_only_their_stock_in_the_product_panel_and_typeahead(world, wx1_keeper):
    page = html(wx1_keeper.get(f"/products/{world['p1']}"))
    panel = page.split('data-panel="stock"', 1)[1]
    assert 'data-warehouse="WX1"' in panel and 'data-warehouse="SH1"' not in panel
    assert 'data-location="WX1/R-01"' in panel and "A-01" not in panel
    results = wx1_keeper.get("/api/products/search?q=6204").get_json()["results"]
    assert [(r["model"], r["on_hand"], r["available"]) for r in results] == [("6204-2RS", "5", "5")]


# --- product panel and typeahead -------------------------------------------------------------


def test_the_product_page_shows_stock_per_warehouse_and_location(world, login):
    page = html(login("sales").get(f"/products/{world['p1']}"))
    panel = page.split('data-panel="stock"', 1)[1].split("</table>", 1)[0]
    rows = [[_TAG.sub("", c).strip() for c in _CELL.findall(r)] for r in _ROW.findall(panel.split("<tbody>", 1)[1])]
    assert rows[0][1:] == ["40", "4", "36"] and rows[0][0].startswith("SH1")
    assert rows[1] == ["A-01", "10", "", ""] and rows[2] == ["A-02", "30", "", ""]
    assert rows[3][0].startswith("WX1") and rows[3][1:] == ["5", "0", "5"]
    assert rows[4] == ["R-01", "5", "", ""]
    assert 'data-total="available">41<' in page
    assert f"/inventory/products/{world['p1']}/ledger" in page
    assert "data-cost" not in page  # sales may not see cost
    # Never stocked: says so, and has no ledger link.
    page = html(login("sales").get(f"/products/{world['p3']}"))
    assert "No stock in your warehouses." in page and "data-ledger-link" not in page


def test_the_stock_panel_needs_inventory_view(world, app, login, create_role):
    role = create_role(permissions=["products.view"])
    client = login(role.name)
    page = html(client.get(f"/products/{world['p1']}"))
    assert client.get(f"/products/{world['p1']}").status_code == 200
    assert 'data-panel="stock"' not in page
    results = client.get("/api/products/search?q=6204").get_json()["results"]
    assert results and "on_hand" not in results[0]


def test_the_typeahead_shows_on_hand_and_available(world, login):
    results = login("sales").get("/api/products/search?q=620").get_json()["results"]
    figures = {r["model"]: (r["on_hand"], r["available"], r["hint"]) for r in results}
    assert figures["6204-2RS"] == ("45", "41", "On hand 45 · available 41")
    assert figures["6205"] == ("7", "7", "On hand 7 · available 7")


# --- the ledger --------------------------------------------------------------------------------

# Ledger columns without cost: date, type, warehouse, location, quantity, balance, source, reason, user.
G_DATE, G_TYPE, G_WAREHOUSE, G_LOCATION, G_QTY, G_BALANCE, G_SOURCE, G_REASON, G_USER = range(9)


def test_the_ledger_lists_moves_newest_first_with_the_running_balance(world, login, app):
    post(app, (DELIVERY, world["p1"], world["sh1"], world["locs"]["SH1/A-02"], "-6", None), reason="Order 7")
    client = login("warehouse")
    page = html(client.get(f"/inventory/products/{world['p1']}/ledger"))
    rows = table(page, "stock_ledger")
    assert [(r[G_TYPE], r[G_WAREHOUSE], r[G_LOCATION], r[G_QTY], r[G_BALANCE]) for r in rows] == [
        ("Delivery", "SH1", "A-02", "-6", "39"),
        ("Receipt", "WX1", "R-01", "5", "45"),
        ("Receipt", "SH1", "A-02", "30", "40"),
        ("Receipt", "SH1", "A-01", "10", "10"),
    ]
    assert rows[0][G_REASON] == "Order 7" and rows[0][G_SOURCE] == "T-1"
    oldest = table(html(client.get(f"/inventory/products/{world['p1']}/ledger?sort=date")), "stock_ledger")
    assert [r[G_BALANCE] for r in oldest] == ["10", "40", "45", "39"]
    # Within one warehouse (or location) the balance is that place's.
    rows = table(html(client.get(f"/inventory/products/{world['p1']}/ledger?warehouse={world['sh1']}")), "stock_ledger")
    assert [r[G_BALANCE] for r in rows] == ["34", "40", "10"]
    loc = world["locs"]["SH1/A-02"]
    rows = table(html(client.get(f"/inventory/products/{world['p1']}/ledger?location={loc}")), "stock_ledger")
    assert [r[G_BALANCE] for r in rows] == ["24", "30"]


def test_the_ledger_type_filter_keeps_the_true_balance(world, login, app):
    post(app, (DELIVERY, world["p1"], world["sh1"], world["locs"]["SH1/A-02"], "-6", None))
    client = login("warehouse")
    page = html(client.get(f"/inventory/products/{world['p1']}/ledger?type=receipt"))
    assert [r[G_BALANCE] for r in table(page, "stock_ledger")] == ["45", "40", "10"]
    assert re.search(r"In</span> <strong[^>]*>45<", page) and re.search(r"Out</span> <strong[^>]*>0<", page)
    page = html(client.get(f"/inventory/products/{world['p1']}/ledger?type=delivery"))
    assert [r[G_BALANCE] for r in table(page, "stock_ledger")] == ["39"]
    assert re.search(r"Net change</span> <strong[^>]*>-6<", page)


def test_the_ledger_balance_is_right_on_deep_pages(app, login, create_warehouse, create_product):
    warehouse, locs = create_warehouse("DP1", "A\nB")
    product = create_product("6306")
    expected = []
    balance = D(0)
    lines = []
    for i in range(1, 131):
        qty = D(i % 7 + 1) if i % 3 else -D(i % 2 + 1)
        balance += qty
        expected.append(balance)
        kind = RECEIPT if qty > 0 else DELIVERY
        lines.append((kind, product.id, warehouse, locs["A" if i % 2 else "B"], str(qty), "10" if qty > 0 else None))
    # One posting per move keeps them in order; 130 moves.
    for line in lines:
        post(app, line)
    client = login("warehouse")
    url = f"/inventory/products/{product.id}/ledger"
    for page_no in (1, 2, 3):
        rows = table(html(client.get(f"{url}?page={page_no}")), "stock_ledger")
        newest = list(reversed(expected))[(page_no - 1) * 50 : page_no * 50]
        assert [D(r[G_BALANCE].replace(",", "")) for r in rows] == newest, page_no
        rows = table(html(client.get(f"{url}?sort=date&page={page_no}&per_page=20")), "stock_ledger")
        assert [D(r[G_BALANCE].replace(",", "")) for r in rows] == expected[(page_no - 1) * 20 : page_no * 20]
    # Page 3 of only the deliveries: each still shows the full balance after it.
    deliveries = [b for b, line in zip(expected, lines, strict=True) if line[0] == DELIVERY]
    rows = table(html(client.get(f"{url}?type=delivery&sort=date&per_page=20&page=2")), "stock_ledger")
    assert [D(r[G_BALANCE]) for r in rows] == deliveries[20:40]
    exported = xlsx_rows(client.get(f"{url}/export.xlsx?sort=date"))
    assert [D(str(r[5])) for r in exported[1:]] == expected


def test_the_ledger_dates_are_days_in_the_users_time_zone(app, world, login, monkeypatch):
    p1, sh1, loc = world["p1"], world["sh1"], world["locs"]["SH1/B-01"]
    # 2026-03-02 23:30 in Shanghai is still 2 March there, 15:30 UTC.
    post(app, (ADJUST, p1, sh1, loc, "1", None), at=datetime(2026, 3, 2, 15, 30, tzinfo=UTC), monkeypatch=monkeypatch)
    # 2026-03-03 00:30 in Shanghai is already 3 March there, though still 2 March in UTC.
    post(app, (ADJUST, p1, sh1, loc, "2", None), at=datetime(2026, 3, 2, 16, 30, tzinfo=UTC), monkeypatch=monkeypatch)
    client = login("warehouse")
    url = f"/inventory/products/{p1}/ledger?warehouse={sh1}&type=adjustment"
    rows = table(html(client.get(f"{url}&from=2026-03-02&to=2026-03-02")), "stock_ledger")
    assert [(r[G_DATE], r[G_QTY]) for r in rows] == [("2026-03-02 23:30", "1")]
    rows = table(html(client.get(f"{url}&from=2026-03-03")), "stock_ledger")
    assert [(r[G_DATE], r[G_QTY]) for r in rows] == [("2026-03-03 00:30", "2")]
    # The export writes the time people see.
    rows = xlsx_rows(client.get(f"/inventory/products/{p1}/ledger/export.xlsx?type=adjustment&to=2026-03-02"))
    assert rows[1][0] == datetime(2026, 3, 2, 23, 30)


def test_the_ledger_links_sources_through_the_registry(app, world, login):
    from flask import url_for

    from app.inventory import sources

    post(
        app,
        (ADJUST, world["p2"], world["wx1"], world["locs"]["WX1/R-02"], "1", None),
        source=("linked_kind", 42, "LNK-42"),
    )
    sources.register_source_link(
        "linked_kind", lambda source_id: url_for("products.product_detail", product_id=source_id)
    )
    try:
        page = html(login("warehouse").get(f"/inventory/products/{world['p2']}/ledger"))
    finally:
        sources._links.pop("linked_kind", None)
    assert '<a href="/products/42">LNK-42</a>' in page
    # Moves of a kind nobody registered show their number as text.
    assert "<td>T-1</td>" in page


def test_the_ledger_shows_cost_only_with_products_view_cost(world, login):
    url = f"/inventory/products/{world['p1']}/ledger"
    assert "Unit cost" not in headers(html(login("warehouse").get(url)), "stock_ledger")
    page = html(login("purchaser").get(url))
    heads = headers(page, "stock_ledger")
    oldest = table(html(login("purchaser").get(url + "?sort=date")), "stock_ledger")
    assert [(r[heads.index("Unit cost")], r[heads.index("Value")]) for r in oldest] == [
        ("20.00", "200.00"),
        ("24.00", "720.00"),
        ("30.00", "150.00"),
    ]
    rows = xlsx_rows(login("warehouse").get(url + "/export.xlsx"))
    assert "Unit cost" not in rows[0] and "Value" not in rows[0]
    rows = xlsx_rows(login("manager").get(url + "/export.xlsx?sort=date"))
    assert rows[0][6:8] == ("Unit cost", "Value") and rows[1][6:8] == (20, 200)


def test_the_ledger_of_an_unknown_product_is_404(login):
    assert login("warehouse").get("/inventory/products/999999/ledger").status_code == 404


def test_stock_pages_need_inventory_view(world, app, login, create_role):
    role = create_role(permissions=["products.view", "products.view_cost"])
    client = login(role.name)
    for url in (
        "/inventory/",
        "/inventory/by-location",
        f"/inventory/products/{world['p1']}/ledger",
        "/inventory/valuation",
    ):
        assert client.get(url).status_code == 403, url


def test_menu_lists_the_stock_pages(world, login):
    page = html(login("purchaser").get("/inventory/"))
    assert 'href="/inventory/"' in page and 'href="/inventory/by-location"' in page
    assert 'href="/inventory/valuation"' in page
    assert 'href="/inventory/valuation"' not in html(login("warehouse").get("/inventory/"))


def test_totals_of_many_rows_come_on_request(app, world, login, monkeypatch):
    from app.core import listing

    monkeypatch.setattr(listing, "COUNT_CAP", 1)
    monkeypatch.setattr(listing.paginate, "__defaults__", (1, *listing.paginate.__defaults__[1:]))
    client = login("warehouse")
    page = html(client.get("/inventory/"))
    assert "data-all-totals" not in page and "data-show-totals" in page
    page = html(client.get("/inventory/?totals=1"))
    assert 'data-total="on_hand">52<' in page


def test_days_before_any_move_have_an_empty_ledger_range(world, login):
    yesterday = (datetime.now(UTC) - timedelta(days=400)).date().isoformat()
    page = html(login("warehouse").get(f"/inventory/products/{world['p1']}/ledger?to={yesterday}"))
    assert "data-empty-state" in page and "Nothing matches these filters." in page
