"""Warehouses and locations: create, edit, locations pasted in bulk, cascade delete and restore, lists."""

import io

import openpyxl
import sqlalchemy as sa

from tests.support import form_fields, html, replace_field


def _new_warehouse(client, code="SH9", name="上海九号仓"):
    form = form_fields(html(client.get("/warehouses/new")), "warehouse-form")
    form = replace_field(form, "code", code)
    form = replace_field(form, "name", name)
    response = client.post("/warehouses/new", data=form)
    assert response.status_code == 302, html(response)[-2000:]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_create_a_warehouse_with_a_normalised_code(login):
    keeper = login("warehouse")
    warehouse_id = _new_warehouse(keeper, code=" sh9 ")
    page = html(keeper.get(f"/warehouses/{warehouse_id}"))
    assert "SH9" in page and "上海九号仓" in page
    assert "SH9" in html(keeper.get("/warehouses/"))


def test_duplicate_code_is_refused_and_input_kept(login):
    keeper = login("warehouse")
    _new_warehouse(keeper, code="DUP1")
    form = form_fields(html(keeper.get("/warehouses/new")), "warehouse-form")
    form = replace_field(form, "code", "dup1")
    form = replace_field(form, "name", "Second")
    page = html(keeper.post("/warehouses/new", data=form))
    assert "The warehouse code DUP1 is already used." in page
    assert 'value="Second"' in page


def test_locations_pasted_one_per_line_with_duplicates_skipped(app, login):
    keeper = login("warehouse")
    warehouse_id = _new_warehouse(keeper)
    lines = "a-01-01 upper shelf\nA-01-02\n\nA-01-01\nbad!code\n"
    response = keeper.submit(
        f"/warehouses/{warehouse_id}/locations", {"lines": lines}, token_from=f"/warehouses/{warehouse_id}"
    )
    page = html(keeper.get(response.headers["Location"].split("#")[0]))
    assert "2 locations added." in page
    assert "Line 4: A-01-01 already exists." in page
    assert "is not a valid code" in page
    assert "upper shelf" in page
    again = keeper.submit(
        f"/warehouses/{warehouse_id}/locations", {"lines": "A-01-02\nB-01"}, token_from=f"/warehouses/{warehouse_id}"
    )
    assert "1 locations added." in html(keeper.get(again.headers["Location"].split("#")[0]))


def test_location_codes_are_unique_only_within_a_warehouse(app, login):
    keeper = login("warehouse")
    one, two = _new_warehouse(keeper, "W1", "One"), _new_warehouse(keeper, "W2", "Two")
    for wid in (one, two):
        keeper.submit(f"/warehouses/{wid}/locations", {"lines": "A-01"}, token_from=f"/warehouses/{wid}")
    from app.extensions import db
    from app.inventory.models import Location

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Location).where(Location.code == "A-01")) == 2


def test_deleting_a_warehouse_deletes_its_locations_and_restore_brings_them_back(app, login):
    from app.extensions import db
    from app.inventory.models import Location

    keeper = login("warehouse")
    wid = _new_warehouse(keeper)
    keeper.submit(f"/warehouses/{wid}/locations", {"lines": "A-01\nA-02\nA-03"}, token_from=f"/warehouses/{wid}")
    with app.app_context():
        first = db.session.scalar(sa.select(Location).where(Location.warehouse_id == wid, Location.code == "A-03"))
    keeper.submit(f"/warehouses/locations/{first.id}/delete", {}, token_from=f"/warehouses/{wid}")
    keeper.submit(f"/warehouses/{wid}/delete", {}, token_from=f"/warehouses/{wid}")
    link = f'href="/warehouses/{wid}"'
    assert link not in html(keeper.get("/warehouses/"))
    assert link in html(keeper.get("/warehouses/?status=deleted"))
    keeper.submit(f"/warehouses/{wid}/restore", {}, token_from=f"/warehouses/{wid}")
    with app.app_context():
        live = set(
            db.session.scalars(
                sa.select(Location.code).where(Location.warehouse_id == wid, Location.deleted_at.is_(None))
            )
        )
    # The location deleted before the warehouse stays deleted.
    assert live == {"A-01", "A-02"}


def test_a_location_in_use_cannot_be_deleted_nor_its_warehouse(app, login):
    from app.core.registry import UsageCheck, _usage_checks, register_usage_check

    keeper = login("warehouse")
    wid = _new_warehouse(keeper)
    keeper.submit(f"/warehouses/{wid}/locations", {"lines": "STOCKED"}, token_from=f"/warehouses/{wid}")
    register_usage_check(
        "location", UsageCheck("test-stock", "stock moves", lambda loc: 5 if loc.code == "STOCKED" else 0)
    )
    try:
        response = keeper.submit(f"/warehouses/{wid}/delete", {}, token_from=f"/warehouses/{wid}")
        assert "SH9 STOCKED cannot be deleted: it is used by 5 stock moves." in html(
            keeper.get(response.headers["Location"])
        )
        assert "SH9" in html(keeper.get("/warehouses/"))
    finally:
        _usage_checks["location"] = [c for c in _usage_checks["location"] if c.key != "test-stock"]


def test_location_rename_refuses_a_clash(app, login):
    from app.extensions import db
    from app.inventory.models import Location

    keeper = login("warehouse")
    wid = _new_warehouse(keeper)
    keeper.submit(f"/warehouses/{wid}/locations", {"lines": "A-01\nA-02"}, token_from=f"/warehouses/{wid}")
    with app.app_context():
        loc = db.session.scalar(sa.select(Location).where(Location.code == "A-02", Location.warehouse_id == wid))
    path = f"/warehouses/locations/{loc.id}/edit"
    form = replace_field(form_fields(html(keeper.get(path)), "location-form"), "code", "a-01")
    assert "The location A-01 already exists in this warehouse." in html(keeper.post(path, data=form))


def test_location_list_filters_and_exports(app, login):
    manager = login("manager")
    wid = _new_warehouse(manager)
    manager.submit(f"/warehouses/{wid}/locations", {"lines": "A-01\nA-02\nB-01"}, token_from=f"/warehouses/{wid}")
    page = html(manager.get(f"/warehouses/locations/?warehouse={wid}&q=a"))
    assert "A-01" in page and "A-02" in page and "B-01" not in page
    xlsx = manager.get(f"/warehouses/locations/export.xlsx?warehouse={wid}")
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["A-01", "A-02", "B-01"]


def test_only_warehouse_editors_change_warehouses(login):
    sales = login("sales")  # warehouses.view only
    assert sales.get("/warehouses/").status_code == 200
    assert sales.get("/warehouses/new").status_code == 403
    assert 'id="warehouse-new"' not in html(sales.get("/warehouses/"))
