"""Stock document pages as warehouse staff use them: adjustments, transfers, opening stock, lines
pasted from a spreadsheet, counts with their sheet, posting, cancelling, and who may do what."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from tests.support import html, new_once

D = Decimal


@pytest.fixture
def place(create_warehouse, create_product):
    sh, sh_locs = create_warehouse("SH1", "A-01\nA-02\nB-01")
    wx, wx_locs = create_warehouse("WX1", "R-01\nR-02")
    p = create_product("6204-2RS", name_zh="深沟球轴承 6204")
    q = create_product("6205-2Z")
    return {"sh": sh, "wx": wx, "sh_locs": sh_locs, "wx_locs": wx_locs, "p": p.id, "q": q.id}


def _lines(*lines) -> dict:
    data = {}
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    return data


def _errors(page: str) -> list[str]:
    return re.findall(r"(?:invalid-feedback d-block|data-form-errors)>\s*(.*?)</div>", page, re.S)


def _document_id(response) -> int:
    assert response.status_code == 302, _errors(html(response))
    match = re.search(r"/inventory/documents/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _new(client, kind: str, data: dict, action: str = "save"):
    url = f"/inventory/{kind}/new"
    return client.submit(url, {**data, "action": action}, token_from=url)


def _opening_via_service(app, place, qty="10", cost="20", product=None, location="A-01", warehouse="sh"):
    from app.extensions import db
    from app.inventory import documents as docs
    from app.inventory.models import DocType

    locs = place["sh_locs"] if warehouse == "sh" else place["wx_locs"]
    with app.test_request_context("/?lang=en"):
        doc = docs.create_document(
            DocType.OPENING,
            docs.HeaderData(warehouse_id=place[warehouse]),
            [docs.LineData(product or place["p"], locs[location], D(qty), unit_cost=D(cost))],
        )
        docs.post_document(doc)
        db.session.commit()
        return doc.id


def test_an_adjustment_is_saved_as_a_draft_then_posted_and_then_never_changes(app, login, place, stock):
    keeper = login("warehouse")
    _opening_via_service(app, place, qty="10")
    page = html(keeper.get("/inventory/adjustments/new"))
    assert 'name="lines-0-product_id"' in page and "Save and post" in page
    response = _new(
        keeper,
        "adjustments",
        {"warehouse_id": place["sh"], "reason_code": "damaged", "reason": "叉车撞坏", "note": "周一发现"}
        | _lines({"product_id": place["p"], "location": " a-01 ", "quantity": "-2", "note": "外圈破损"}),
    )
    doc_id = _document_id(response)
    detail = html(keeper.get(f"/inventory/documents/{doc_id}"))
    assert "Draft" in detail and "叉车撞坏" in detail and "外圈破损" in detail
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["A-01"]) == 10  # a draft moves nothing

    version = re.search(r'name="version_id" value="(\d+)"', detail).group(1)
    keeper.submit(
        f"/inventory/documents/{doc_id}/post", {"version_id": version}, token_from=f"/inventory/documents/{doc_id}"
    )
    detail = html(keeper.get(f"/inventory/documents/{doc_id}"))
    assert "Posted" in detail and 'data-list="document-moves"' in detail
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["A-01"]) == 8

    # Posted: no edit, no delete, whatever the browser sends.
    assert "document-edit" not in detail and "document-delete" not in detail
    edit = keeper.get(f"/inventory/documents/{doc_id}/edit")
    assert edit.status_code == 302
    assert "cannot be changed" in html(keeper.get(edit.headers["Location"]))
    keeper.submit(f"/inventory/documents/{doc_id}/delete", token_from=f"/inventory/documents/{doc_id}")
    keeper.submit(f"/inventory/documents/{doc_id}/post", token_from=f"/inventory/documents/{doc_id}")
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["A-01"]) == 8
    assert "Posted" in html(keeper.get(f"/inventory/documents/{doc_id}"))

    # The product's ledger links the move to the document that posted it.
    ledger = html(keeper.get(f"/inventory/products/{place['p']}/ledger"))
    assert re.search(rf'<a href="/inventory/documents/{doc_id}"[^>]*>ADJ\d{{4}}-\d{{6}}</a>', ledger), ledger


def test_bad_lines_are_marked_and_nothing_typed_is_lost(login, place):
    keeper = login("warehouse")
    data = {"warehouse_id": place["sh"], "reason_code": "other", "reason": ""} | _lines(
        {"product_id": place["p"], "location": "A-01", "quantity": "3"},
        {"product_id": place["q"], "location": "Z-99", "quantity": "abc", "note": "keep me"},
    )
    page = html(_new(keeper, "adjustments", data))
    assert "No such location in this warehouse." in page
    assert "Enter a number, e.g. 1234.50." in page
    assert 'value="Z-99"' in page and 'value="abc"' in page and 'value="keep me"' in page
    assert "6205-2Z" in page  # the picked product is still shown by name

    data |= {"lines-1-location": "A-02", "lines-1-quantity": "4"}
    page = html(_new(keeper, "adjustments", data))
    assert "Describe the reason when it is “Other”." in page
    data["reason"] = "盘点前整理"
    data |= {"lines-1-quantity": "0"}
    page = html(_new(keeper, "adjustments", data))
    assert "Line 2: enter a quantity: positive to add stock, negative to remove it." in page
    assert 'value="A-02"' in page


def test_taking_more_than_is_there_is_refused_naming_product_place_and_quantities(app, login, place, stock):
    keeper = login("warehouse")
    _opening_via_service(app, place, qty="5")
    data = {"warehouse_id": place["sh"], "reason_code": "lost"} | _lines(
        {"product_id": place["p"], "location": "A-01", "quantity": "-7"}
    )
    response = _new(keeper, "adjustments", data, action="post")
    doc_id = _document_id(response)  # the draft is kept
    page = html(keeper.get(response.headers["Location"]))
    assert "Not enough SKF 6204-2RS at SH1 / A-01: 5 on hand, 7 requested." in page
    assert "Draft" in page
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["A-01"]) == 5
    assert doc_id


def test_a_transfer_moves_stock_to_a_location_that_never_held_the_product(app, login, place, stock):
    keeper = login("warehouse")
    _opening_via_service(app, place, qty="10")
    data = {"warehouse_id": place["sh"], "to_warehouse_id": place["wx"]} | _lines(
        {"product_id": place["p"], "location": "A-01", "to_location": "r-02", "quantity": "4"}
    )
    response = _new(keeper, "transfers", data, action="post")
    doc_id = _document_id(response)
    page = html(keeper.get(f"/inventory/documents/{doc_id}"))
    assert "Posted" in page and "Transfer out" in page and "Transfer in" in page
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["A-01"]) == 6
    assert stock.on_hand(place["p"], place["wx"], place["wx_locs"]["R-02"]) == 4


def test_a_transfer_to_the_same_place_and_a_location_of_the_wrong_warehouse_are_refused(login, place):
    keeper = login("warehouse")
    data = {"warehouse_id": place["sh"], "to_warehouse_id": place["sh"]} | _lines(
        {"product_id": place["p"], "location": "A-01", "to_location": "A-01", "quantity": "1"}
    )
    assert "the stock is already there." in html(_new(keeper, "transfers", data))
    data["lines-0-to_location"] = "R-01"
    assert "No such location in the receiving warehouse." in html(_new(keeper, "transfers", data))


def test_opening_stock_with_costs_sets_the_average_cost_and_hides_costs_from_warehouse_staff(app, login, place):
    from app.extensions import db
    from app.products.models import Product

    manager = login("manager")
    assert "Unit cost" in html(manager.get("/inventory/openings/new"))
    data = {"warehouse_id": place["sh"]} | _lines(
        {"product_id": place["p"], "location": "A-01", "quantity": "10", "unit_cost": "20"},
        {"product_id": place["p"], "location": "A-02", "quantity": "30", "unit_cost": "40"},
    )
    doc_id = _document_id(_new(manager, "openings", data, action="post"))
    with app.app_context():
        assert db.session.get(Product, place["p"]).avg_cost == D("35")  # (10×20 + 30×40) / 40

    keeper = login("warehouse")  # inventory.opening without products.view_cost
    page = html(keeper.get("/inventory/openings/new"))
    assert "Unit cost" not in page and "current average cost" in page
    detail = html(keeper.get(f"/inventory/documents/{doc_id}"))
    assert "Unit cost" not in detail and "40.00" not in detail
    data = {"warehouse_id": place["sh"]} | _lines(
        {"product_id": place["p"], "location": "B-01", "quantity": "40", "unit_cost": "999"}  # ignored
    )
    _document_id(_new(keeper, "openings", data, action="post"))
    with app.app_context():
        assert db.session.get(Product, place["p"]).avg_cost == D("35")


def test_lines_pasted_from_a_spreadsheet_join_the_form_for_review(app, login, place, create_product):
    keeper = login("warehouse")
    create_product("NU2208ECP", brand="SKF")
    create_product("NU2208ECP", brand="FAG")
    text = (
        "品牌\t型号\t库位\t数量\n"
        "SKF\t6204 2RS\tA-01\t5\n"  # separators ignored
        "\t62052Z\ta-02\t-1\n"  # no brand, one match
    )
    data = {"warehouse_id": place["sh"], "reason_code": "found", "paste": text}
    page = html(_new(keeper, "adjustments", data, action="paste"))
    assert "2 lines added. Check them, then save." in page
    assert 'name="lines-0-product_id"' in page and 'name="lines-1-product_id"' in page
    assert f'value="{place["p"]}" selected>SKF 6204-2RS' in page
    assert 'value="A-02"' in page and 'value="-1"' in page

    bad = "NU2208ECP\tA-01\t1\nXYZ-1\tA-01\t1\n6204-2RS\tA-01\tten\n"
    page = html(
        _new(keeper, "adjustments", {"warehouse_id": place["sh"], "reason_code": "found", "paste": bad}, "paste")
    )
    assert "Row 1: NU2208ECP is sold under several brands; add the brand." in page
    assert "Row 2: no product XYZ-1." in page
    assert "Row 3: the quantity ten is not a number." in page
    assert "lines added" not in page


def test_a_count_from_sheet_to_posted_variances(app, login, place, stock):
    keeper = login("warehouse")
    _opening_via_service(app, place, qty="10", location="A-01")
    _opening_via_service(app, place, qty="4", location="A-02", product=place["q"])
    response = keeper.submit(
        "/inventory/counts/new", {"warehouse_id": place["sh"], "locations": ""}, token_from="/inventory/counts/new"
    )
    assert response.status_code == 302
    entry_url = response.headers["Location"]
    doc_id = int(re.search(r"/documents/(\d+)/count", entry_url).group(1))
    assert "started with 2 lines" in html(keeper.get(entry_url))

    # The printed sheet is blind: locations and products, no book quantities.
    sheet = html(keeper.get(f"/inventory/documents/{doc_id}/sheet"))
    assert "6204-2RS" in sheet and "A-01" in sheet and ">10<" not in sheet
    workbook = openpyxl.load_workbook(io.BytesIO(keeper.get(f"/inventory/documents/{doc_id}/sheet.xlsx").data))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("No.", "Location", "Brand", "Model")
    assert [(r[1], r[3], r[6]) for r in rows[1:]] == [("A-01", "6204-2RS", None), ("A-02", "6205-2Z", None)]

    with app.app_context():
        from app.extensions import db
        from app.inventory.models import StockDocument

        lines = {line.product_id: line.id for line in db.session.get(StockDocument, doc_id).lines}
    page = html(keeper.get(entry_url))
    version = re.search(r'name="version_id"[^>]*value="(\d+)"', page).group(1)
    form = {
        f"counted-{lines[place['p']]}": "７",  # full-width, as typed on some keyboards
        f"counted-{lines[place['q']]}": "4",
        "found-0-product_id": str(place["p"]),
        "found-0-location": "b-01",
        "found-0-counted_qty": "2",
        "version_id": version,
        "action": "review",
    }
    response = keeper.submit(entry_url, form, token_from=entry_url)
    assert response.status_code == 302, html(response)[-2000:]
    review = html(keeper.get(response.headers["Location"]))
    assert "data-gain>+2" in review and "data-loss>−3" in review and "data-uncounted>0" in review
    version = re.search(r'name="version_id" value="(\d+)"', review).group(1)
    keeper.submit(
        f"/inventory/documents/{doc_id}/post", {"version_id": version}, token_from=f"/inventory/documents/{doc_id}"
    )
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["A-01"]) == 7
    assert stock.on_hand(place["q"], place["sh"], place["sh_locs"]["A-02"]) == 4
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["B-01"]) == 2
    detail = html(keeper.get(f"/inventory/documents/{doc_id}"))
    assert "Posted" in detail and detail.count(">Count<") == 2  # two count moves, none for the line without variance


def test_a_count_is_not_posted_over_stock_that_moved_until_its_book_is_refreshed(app, login, place, stock):
    keeper = login("warehouse")
    _opening_via_service(app, place, qty="10")
    response = keeper.submit(
        "/inventory/counts/new", {"warehouse_id": place["sh"], "locations": "A-01"}, token_from="/inventory/counts/new"
    )
    doc_id = int(re.search(r"/documents/(\d+)/count", response.headers["Location"]).group(1))
    _opening_via_service(app, place, qty="1")  # stock arrives while counting
    with app.app_context():
        from app.extensions import db
        from app.inventory.models import StockDocument

        line_id = db.session.get(StockDocument, doc_id).lines[0].id
    entry = f"/inventory/documents/{doc_id}/count"
    keeper.submit(entry, {f"counted-{line_id}": "11", "action": "save"}, token_from=entry)
    page = html(keeper.get(f"/inventory/documents/{doc_id}"))
    assert "1 stock move changed the counted places after the count began" in page
    keeper.submit(f"/inventory/documents/{doc_id}/post", token_from=f"/inventory/documents/{doc_id}")
    assert "Draft" in html(keeper.get(f"/inventory/documents/{doc_id}"))
    keeper.submit(f"/inventory/documents/{doc_id}/refresh", token_from=f"/inventory/documents/{doc_id}")
    page = html(keeper.get(f"/inventory/documents/{doc_id}"))
    assert "Book quantities taken again: 1 lines changed." in page and "data-count-moved" not in page
    keeper.submit(f"/inventory/documents/{doc_id}/post", token_from=f"/inventory/documents/{doc_id}")
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["A-01"]) == 11  # no variance: nothing moved


def test_cancelling_reverses_the_moves_and_needs_its_own_permission(app, login, place, stock):
    keeper = login("warehouse")
    data = {"warehouse_id": place["sh"], "reason_code": "found"} | _lines(
        {"product_id": place["p"], "location": "A-01", "quantity": "6"}
    )
    doc_id = _document_id(_new(keeper, "adjustments", data, action="post"))
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["A-01"]) == 6
    assert "document-cancel" not in html(keeper.get(f"/inventory/documents/{doc_id}"))
    assert keeper.submit(f"/inventory/documents/{doc_id}/cancel", token_from="/inventory/documents/").status_code == 403

    manager = login("manager")
    manager.submit(f"/inventory/documents/{doc_id}/cancel", token_from=f"/inventory/documents/{doc_id}")
    page = html(manager.get(f"/inventory/documents/{doc_id}"))
    assert "Cancelled" in page and "reversal" in page
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["A-01"]) == 0
    manager.submit(f"/inventory/documents/{doc_id}/cancel", token_from=f"/inventory/documents/{doc_id}")
    assert "Only a posted document can be cancelled" in html(manager.get(f"/inventory/documents/{doc_id}"))
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["A-01"]) == 0


def test_cancelling_is_refused_when_the_stock_has_already_left(app, login, place, stock):
    manager = login("manager")
    data = {"warehouse_id": place["sh"], "reason_code": "found"} | _lines(
        {"product_id": place["p"], "location": "A-01", "quantity": "6"}
    )
    doc_id = _document_id(_new(manager, "adjustments", data, action="post"))
    data = {"warehouse_id": place["sh"], "reason_code": "sample"} | _lines(
        {"product_id": place["p"], "location": "A-01", "quantity": "-5"}
    )
    _document_id(_new(manager, "adjustments", data, action="post"))
    manager.submit(f"/inventory/documents/{doc_id}/cancel", token_from=f"/inventory/documents/{doc_id}")
    page = html(manager.get(f"/inventory/documents/{doc_id}"))
    assert "Not enough SKF 6204-2RS at SH1 / A-01: 1 on hand, 6 requested." in page
    assert "Posted" in page
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["A-01"]) == 1


def test_a_draft_changed_after_it_was_opened_is_not_posted_unseen(app, login, place, stock):
    keeper = login("warehouse", username="keeper_a")
    other = login("warehouse", username="keeper_b")
    data = {"warehouse_id": place["sh"], "reason_code": "found"} | _lines(
        {"product_id": place["p"], "location": "A-01", "quantity": "1"}
    )
    doc_id = _document_id(_new(keeper, "adjustments", data))
    detail = html(keeper.get(f"/inventory/documents/{doc_id}"))
    seen_version = re.search(r'name="version_id" value="(\d+)"', detail).group(1)

    edit_url = f"/inventory/documents/{doc_id}/edit"
    page = html(other.get(edit_url))
    version = re.search(r'name="version_id"[^>]*value="(\d+)"', page).group(1)
    changed = data | {"lines-0-quantity": "100", "version_id": version, "action": "save"}
    assert other.submit(edit_url, changed, token_from=edit_url).status_code == 302

    keeper.submit(f"/inventory/documents/{doc_id}/post", {"version_id": seen_version}, token_from=edit_url)
    page = html(keeper.get(f"/inventory/documents/{doc_id}"))
    assert "Not posted: Keeper_B changed this document after you opened it." in page
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["A-01"]) == 0


def test_a_double_submitted_post_posts_once(app, login, place, stock):
    keeper = login("warehouse")
    data = {"warehouse_id": place["sh"], "reason_code": "found"} | _lines(
        {"product_id": place["p"], "location": "A-01", "quantity": "3"}
    )
    doc_id = _document_id(_new(keeper, "adjustments", data))
    once = new_once()
    first = keeper.submit(f"/inventory/documents/{doc_id}/post", once=once, token_from="/inventory/documents/")
    second = keeper.submit(f"/inventory/documents/{doc_id}/post", once=once, token_from="/inventory/documents/")
    assert first.status_code == 302 and second.status_code == 303
    assert second.headers["Location"].endswith(first.headers["Location"])
    assert stock.on_hand(place["p"], place["sh"], place["sh_locs"]["A-01"]) == 3


def test_drafts_are_deleted_with_a_confirmation_and_posted_ones_never(login, place):
    keeper = login("warehouse")
    data = {"warehouse_id": place["sh"], "reason_code": "found"} | _lines(
        {"product_id": place["p"], "location": "A-01", "quantity": "3"}
    )
    doc_id = _document_id(_new(keeper, "adjustments", data))
    detail = html(keeper.get(f"/inventory/documents/{doc_id}"))
    assert re.search(r'data-confirm="Delete the draft ADJ\d{4}-\d{6}\? This cannot be undone\."', detail)
    response = keeper.submit(f"/inventory/documents/{doc_id}/delete", token_from=f"/inventory/documents/{doc_id}")
    assert response.headers["Location"].endswith("/inventory/documents/")
    assert keeper.get(f"/inventory/documents/{doc_id}").status_code == 404


def test_view_only_users_see_documents_but_cannot_work_on_them(app, login, place):
    keeper = login("warehouse")
    data = {"warehouse_id": place["sh"], "reason_code": "found"} | _lines(
        {"product_id": place["p"], "location": "A-01", "quantity": "3"}
    )
    doc_id = _document_id(_new(keeper, "adjustments", data))
    sales = login("sales")
    page = html(sales.get(f"/inventory/documents/{doc_id}"))
    assert "Draft" in page and "document-post" not in page and "document-edit" not in page
    assert "new-adjustment" not in html(sales.get("/inventory/documents/"))
    assert sales.submit(f"/inventory/documents/{doc_id}/post", token_from="/inventory/documents/").status_code == 403
    assert sales.get("/inventory/adjustments/new").status_code == 403


def test_a_user_limited_to_one_warehouse_sees_and_moves_only_there(app, login, place, create_user):
    from app.extensions import db
    from app.inventory import scope

    manager = login("manager")
    wx_doc = _document_id(
        _new(manager, "adjustments", {"warehouse_id": place["wx"], "reason_code": "found"}
             | _lines({"product_id": place["p"], "location": "R-01", "quantity": "3"}))
    )  # fmt: skip
    sh_doc = _document_id(
        _new(manager, "adjustments", {"warehouse_id": place["sh"], "reason_code": "found"}
             | _lines({"product_id": place["p"], "location": "A-01", "quantity": "3"}))
    )  # fmt: skip
    keeper = login("warehouse", username="sh_only")
    with app.app_context():
        scope.set_user_warehouses(keeper.user.id, {place["sh"]})
        db.session.commit()
    listing = html(keeper.get("/inventory/documents/"))
    sh_number = re.search(r"ADJ\d{4}-\d{6}", html(keeper.get(f"/inventory/documents/{sh_doc}"))).group(0)
    assert set(re.findall(r"ADJ\d{4}-\d{6}", listing)) == {sh_number}
    assert keeper.get(f"/inventory/documents/{wx_doc}").status_code == 404
    assert keeper.submit(f"/inventory/documents/{wx_doc}/post", token_from="/inventory/documents/").status_code == 404
    form = html(keeper.get("/inventory/adjustments/new"))
    # (Not a bare "WX1" test: the random CSRF token may hold those letters.)
    assert "SH1 · Warehouse SH1" in form and "WX1 · " not in form and "Warehouse WX1" not in form
    # A warehouse typed into the request anyway is refused.
    data = {"warehouse_id": place["wx"], "reason_code": "found"} | _lines(
        {"product_id": place["p"], "location": "R-01", "quantity": "3"}
    )
    assert "Not a valid choice." in html(_new(keeper, "adjustments", data))
    workbook = openpyxl.load_workbook(io.BytesIO(keeper.get("/inventory/documents/export.xlsx").data))
    numbers = [r[0] for r in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert numbers == [sh_number]


def test_the_list_filters_and_exports_what_it_shows(app, login, place):
    manager = login("manager")
    for qty in ("1", "2"):
        _new(manager, "adjustments", {"warehouse_id": place["sh"], "reason_code": "found"}
             | _lines({"product_id": place["p"], "location": "A-01", "quantity": qty}), action="post")  # fmt: skip
    _new(manager, "transfers", {"warehouse_id": place["sh"], "to_warehouse_id": place["wx"]}
         | _lines({"product_id": place["p"], "location": "A-01", "to_location": "R-01", "quantity": "1"}))  # fmt: skip
    page = html(manager.get("/inventory/documents/?type=transfer"))
    assert re.findall(r"(TRF|ADJ)\d{4}-\d{6}</a>", page) == ["TRF"]
    response = manager.get("/inventory/documents/export.xlsx?status=posted")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Number", "Type", "Status")
    assert sorted(r[1] for r in rows[1:]) == ["Stock adjustment", "Stock adjustment"]
    assert all(r[2] == "Posted" for r in rows[1:])
    csv = manager.get("/inventory/documents/export.csv").data
    assert csv.startswith(b"\xef\xbb\xbf") and b"TRF" in csv


def test_pages_speak_chinese(app, login, place):
    keeper = login("warehouse", locale="zh")
    page = html(keeper.get("/inventory/adjustments/new"))
    assert "库存调整" in page and "保存草稿" in page
    assert "盘点" in html(keeper.get("/inventory/counts/new"))


def test_documents_of_one_year_are_numbered_in_sequence_through_the_pages(app, login, place):
    from app.extensions import db
    from app.inventory.models import StockDocument

    keeper = login("warehouse")
    ids = [
        _document_id(_new(keeper, "adjustments", {"warehouse_id": place["sh"], "reason_code": "found"}
                          | _lines({"product_id": place["p"], "location": "A-01", "quantity": "1"})))
        for _ in range(3)
    ]  # fmt: skip
    with app.app_context():
        numbers = db.session.scalars(sa.select(StockDocument.number).where(StockDocument.id.in_(ids))).all()
    assert sorted(int(n[-6:]) for n in numbers) == [1, 2, 3]
