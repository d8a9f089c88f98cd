"""One quotation as an xlsx workbook: header, lines and totals in the reader's language, numbers as numbers."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest


@pytest.fixture
def quotation(login, create_customer, create_product, create_quotation):
    def factory(ui: str = "en"):
        seller = login("sales", locale=ui)
        buyer = create_customer("宁波甬达机电设备有限公司", owner=seller.user.id, contacts=[{"name": "王伟"}])
        first = create_product("6204-2RS", brand="SKF")
        second = create_product("NU2208ECP", brand="NSK")
        lines = [(first.id, 10, "12.5", 5), (second.id, "2.5", "315.8", 0), (first.id, 1000, "11.0755", "12.5")]
        return seller, create_quotation(buyer.id, seller.user.id, lines, contact_id=buyer.contacts[0].id)

    return factory


def workbook(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return openpyxl.load_workbook(io.BytesIO(response.data)).active


def stored(app, quotation_id: int):
    from app.extensions import db
    from app.sales.models import Quotation

    with app.app_context():
        quotation = db.session.get(Quotation, quotation_id)
        _ = [line.product for line in quotation.lines]
        db.session.expunge_all()
        return quotation


def rows_of(sheet) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_the_lines_and_totals_are_numbers(app, quotation):
    seller, quotation_id = quotation()
    response = seller.get(f"/quotations/{quotation_id}/export.xlsx")
    sheet = workbook(response)
    stored_quotation = stored(app, quotation_id)
    assert f"{stored_quotation.number}.xlsx" in response.headers["Content-Disposition"]

    rows = rows_of(sheet)
    facts = {row[0]: row[1] for row in rows[:20] if row[0]}
    assert facts["Number"] == stored_quotation.number
    assert facts["Customer"].endswith("宁波甬达机电设备有限公司")
    assert facts["Contact"] == "王伟"
    assert isinstance(facts["Valid until"], datetime)
    assert facts["Valid until"].date() == stored_quotation.valid_until
    assert facts["Tax rate %"] == 13

    header_at = next(i for i, row in enumerate(rows) if row[0] == "No.")
    header = rows[header_at]
    assert header[:4] == ("No.", "Brand", "Model", "Product name")
    col = {name: header.index(name) for name in ("Quantity", "Unit price", "Discount %", "Amount")}
    lines = rows[header_at + 1 : header_at + 1 + len(stored_quotation.lines)]
    for row, line in zip(lines, stored_quotation.lines, strict=True):
        assert row[0] == line.position
        assert row[2] == line.product.model
        for name, value in (
            ("Quantity", line.quantity),
            ("Unit price", line.unit_price),
            ("Discount %", line.discount_percent),
            ("Amount", line.amount),
        ):
            cell = row[col[name]]
            assert isinstance(cell, int | float), f"{name} is {type(cell).__name__}"
            assert Decimal(str(cell)) == value, name
    amount_cell = sheet.cell(row=header_at + 2, column=col["Amount"] + 1)
    assert amount_cell.number_format == "#,##0.00"

    totals = {row[col["Amount"] - 1]: row[col["Amount"]] for row in rows[header_at + 1 + len(lines) :] if any(row)}
    assert totals == {
        "Net total": float(stored_quotation.total_net),
        "Tax": float(stored_quotation.total_tax),
        "Total": float(stored_quotation.total_gross),
    }
    assert Decimal(str(totals["Total"])) == stored_quotation.total_gross


def test_the_workbook_speaks_the_readers_language(app, quotation):
    seller, quotation_id = quotation(ui="zh")
    rows = rows_of(workbook(seller.get(f"/quotations/{quotation_id}/export.xlsx")))
    labels = {row[0] for row in rows if row[0]}
    assert {"客户", "有效期至"} <= labels
    assert any("单价" in row and "金额" in row for row in rows)
    # The reader's language, not the customer's: ?lang= works as on every page.
    english = rows_of(workbook(seller.get(f"/quotations/{quotation_id}/export.xlsx?lang=en")))
    assert any("Unit price" in row for row in english)


def test_another_salespersons_quotation_is_not_found(login, quotation):
    _owner, quotation_id = quotation()
    assert login("sales").get(f"/quotations/{quotation_id}/export.xlsx").status_code == 404
    assert login("finance").get(f"/quotations/{quotation_id}/export.xlsx").status_code == 403  # no quotations.export
    assert workbook(login("manager").get(f"/quotations/{quotation_id}/export.xlsx"))
