"""Quote lines (报价明细) and the quotation list's filters: every line ever quoted, searchable by
model and customer, in the user's scope, exportable; the list's export of lines holds exactly the
lines of the quotations it lists."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from tests.support import html

D = Decimal


@pytest.fixture
def book(login, create_customer, create_product, create_quotation, service_as):
    """Two salespeople's quotations; one of the first's has a second revision."""
    from app.sales import quotations as qs

    seller = login("sales", username="seller")
    rival = login("sales", username="rival")
    hengtong = create_customer("上海恒通轴承", owner=seller.user.id)
    jinggong = create_customer("苏州精工机械", owner=seller.user.id)
    foreign = create_customer("别人的客户", owner=rival.user.id)
    p6204 = create_product("6204-2RS", brand="SKF", list_price=D("20"))
    p22220 = create_product("22220E", brand="FAG", list_price=D("900"))
    first = create_quotation(hengtong.id, seller.user.id, [(p6204.id, 10, 20), (p22220.id, 1, 880)])
    service_as(seller.user.id, first, lambda q: qs.submit_quotation(q, actor_id=seller.user.id))
    service_as(seller.user.id, first, qs.mark_sent)
    revised = service_as(seller.user.id, first, lambda q: qs.revise_quotation(q, actor_id=seller.user.id).id)
    second = create_quotation(jinggong.id, seller.user.id, [(p22220.id, 2, 870)])
    theirs = create_quotation(foreign.id, rival.user.id, [(p6204.id, 99, 19.5)])
    return {
        "seller": seller,
        "rival": rival,
        "first": first,
        "revised": revised,
        "second": second,
        "theirs": theirs,
        "hengtong": hengtong.id,
    }


def rows_in(page: str) -> int:
    return page.count("<tr>") - 1  # the header row


def test_every_line_of_every_revision_is_listed_in_scope(book):
    page = html(book["seller"].get("/quotations/lines?lang=en"))
    # 2 lines in revision 1, the same 2 copied into revision 2, 1 line of the second quotation.
    assert rows_in(page) == 5
    assert "别人的客户" not in page
    rival = html(book["rival"].get("/quotations/lines?lang=en"))
    assert rows_in(rival) == 1 and "上海恒通轴承" not in rival


def test_lines_are_found_by_model_typed_any_way(book):
    for typed in ("62042rs", "6204 2RS", "６２０４-2RS"):
        page = html(book["seller"].get("/quotations/lines", query_string={"q": typed, "lang": "en"}))
        assert rows_in(page) == 2, typed  # revision 1 and revision 2
        assert "22220E" not in page
    by_filter = html(book["seller"].get("/quotations/lines?model=22220&lang=en"))
    assert rows_in(by_filter) == 3


def test_current_revisions_only_hides_superseded_lines(book):
    page = html(book["seller"].get("/quotations/lines?revisions=current&lang=en"))
    assert rows_in(page) == 3


def test_the_quotation_list_filters_by_customer_model_and_date(book, app):
    seller = book["seller"]
    by_customer = html(seller.get("/quotations/?customer=恒通&lang=en"))
    assert "上海恒通轴承" in by_customer and "苏州精工机械" not in by_customer
    by_id = html(seller.get(f"/quotations/?customer={book['hengtong']}&lang=en"))
    assert "上海恒通轴承" in by_id and "苏州精工机械" not in by_id
    by_model = html(seller.get("/quotations/?model=6204-2rs&lang=en"))
    assert "上海恒通轴承" in by_model and "苏州精工机械" not in by_model

    from app.extensions import db
    from app.sales.models import Quotation

    with app.app_context():
        moved = db.session.get(Quotation, book["second"]).created_at - timedelta(days=40)
        db.session.execute(sa.update(Quotation).where(Quotation.id == book["second"]).values(created_at=moved))
        db.session.commit()
    day = moved.date()
    recent = html(seller.get(f"/quotations/?from={day + timedelta(days=2)}&lang=en"))
    assert "上海恒通轴承" in recent and "苏州精工机械" not in recent
    older = html(seller.get(f"/quotations/?to={day + timedelta(days=2)}&lang=en"))
    assert "苏州精工机械" in older and "上海恒通轴承" not in older


def test_export_of_lines_from_the_list_holds_the_lines_of_the_listed_quotations(book):
    seller = book["seller"]
    page = html(seller.get("/quotations/?q=恒通&lang=en"))
    assert 'data-export="lines-xlsx"' in page
    link = page.split('data-export="lines-xlsx"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    response = seller.get(link)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert "Model" in header and "Customer" in header and "Unit price" in header
    # The current revision of the one listed quotation: two lines, numbers as numbers.
    assert len(body) == 2
    customer_col, price_col, qty_col = header.index("Customer"), header.index("Unit price"), header.index("Quantity")
    assert {r[customer_col] for r in body} == {"上海恒通轴承"}
    assert sorted(r[price_col] for r in body) == [20, 880]
    assert all(isinstance(r[qty_col], int | float) for r in body)


def test_line_export_as_csv_has_a_bom_and_the_scope(book):
    response = book["rival"].get("/quotations/lines/export.csv?lang=en")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2 and "别人的客户" in rows[1] and "99" in rows[1]


def test_exporting_lines_needs_the_export_permission(book, login, create_role):
    viewer = create_role("quote_reader", ["quotations.view"])
    client = login(viewer.name)
    assert client.get("/quotations/lines").status_code == 200
    assert client.get("/quotations/lines/export.xlsx").status_code == 403


def test_an_empty_line_history_says_so(login):
    page = html(login("sales").get("/quotations/lines?lang=en"))
    assert "No lines quoted yet." in page


def test_lines_are_found_by_quotation_number_and_customer(book, app):
    from app.customers.models import Customer
    from app.extensions import db
    from app.sales.models import Quotation

    with app.app_context():
        number = db.session.get(Quotation, book["second"]).number
        code = db.session.get(Customer, book["hengtong"]).code
    by_number = html(book["seller"].get("/quotations/lines", query_string={"q": number.lower(), "lang": "en"}))
    assert rows_in(by_number) == 1 and "苏州精工机械" in by_number
    by_code = html(book["seller"].get("/quotations/lines", query_string={"q": code, "lang": "en"}))
    assert rows_in(by_code) == 4 and "苏州精工机械" not in by_code
    by_name = html(book["seller"].get("/quotations/lines", query_string={"q": "精工", "lang": "en"}))
    assert rows_in(by_name) == 1
