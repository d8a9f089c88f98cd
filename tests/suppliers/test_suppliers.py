"""Suppliers: pages, contacts with one primary, names and search, exports, delete and restore, conflicts."""

import csv
import html as html_lib
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa

from app.core import registry
from app.core.errors import DomainError
from app.extensions import db
from app.suppliers import services
from app.suppliers.models import Supplier, SupplierContact
from tests import support


@pytest.fixture
def purchaser(login):
    return login("purchaser")


def _form(client, url: str) -> list[tuple[str, str]]:
    response = client.get(url)
    assert response.status_code == 200
    return support.form_fields(support.html(response), "supplier-form")


def _contacts(app, supplier_id: int) -> list[tuple[str, bool]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(SupplierContact.name, SupplierContact.is_primary)
            .where(SupplierContact.supplier_id == supplier_id)
            .order_by(SupplierContact.position)
        ).all()
        return [(n, bool(p)) for n, p in rows]


def _table(response) -> str:
    page = support.html(response)
    return page[page.index('data-list="suppliers"') :] if 'data-list="suppliers"' in page else ""


def _supplier_id(app, name: str) -> int | None:
    with app.app_context():
        return db.session.scalar(sa.select(Supplier.id).where(Supplier.name == name))


def test_a_purchaser_creates_a_supplier_with_contacts(app, purchaser):
    fields = [(k, v) for k, v in _form(purchaser, "/suppliers/new") if not k.startswith("contacts-")]
    fields = support.replace_field(fields, "name", "洛阳 LYC 轴承有限公司")
    fields += [("contacts-0-name", "王建华"), ("contacts-0-mobile", "13800000001"), ("contacts-4-name", "李海燕")]
    response = purchaser.post("/suppliers/new", data=fields)
    assert response.status_code == 302, support.html(response)[:3000]
    supplier_id = _supplier_id(app, "洛阳 LYC 轴承有限公司")
    assert _contacts(app, supplier_id) == [("王建华", True), ("李海燕", False)]
    page = support.html(purchaser.get(f"/suppliers/{supplier_id}"))
    assert "王建华" in page and "S0000" in page and "data-history" in page


def test_codes_are_numbered_with_the_supplier_prefix(create_supplier):
    first, second = create_supplier(), create_supplier()
    assert first.code.startswith("S") and int(second.code[1:]) == int(first.code[1:]) + 1
    assert create_supplier(code="ｖｅｎ-7").code == "VEN-7"


def test_two_primary_contacts_are_refused_naming_the_rows(app, purchaser):
    fields = [(k, v) for k, v in _form(purchaser, "/suppliers/new") if not k.startswith("contacts-")]
    fields = support.replace_field(fields, "name", "Two Primaries Supply")
    fields += [
        ("contacts-0-name", "A"),
        ("contacts-0-is_primary", "y"),
        ("contacts-1-name", "B"),
        ("contacts-1-is_primary", "y"),
    ]
    response = purchaser.post("/suppliers/new", data=fields)
    assert response.status_code == 200
    assert "rows 1, 2 are ticked" in support.html(response)
    assert _supplier_id(app, "Two Primaries Supply") is None


def test_moving_the_primary_contact(app, purchaser, create_supplier):
    supplier = create_supplier(contacts=[{"name": "甲"}, {"name": "乙"}])
    url = f"/suppliers/{supplier.id}/edit"
    fields = [(k, v) for k, v in _form(purchaser, url) if k != "contacts-0-is_primary"] + [
        ("contacts-1-is_primary", "y")
    ]
    assert purchaser.post(url, data=fields).status_code == 302
    assert _contacts(app, supplier.id) == [("甲", False), ("乙", True)]


def test_the_database_refuses_a_second_primary_contact(app, create_supplier):
    supplier = create_supplier(contacts=[{"name": "甲"}])
    with app.app_context():
        db.session.add(SupplierContact(supplier_id=supplier.id, name="乙", is_primary=True))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_names_are_unique_whatever_their_width_case_or_spacing(app, create_supplier):
    create_supplier("SKF Asia Pacific Pte Ltd")
    create_supplier("人本集团有限公司")
    with app.test_request_context("/?lang=en"):
        for name in ("ＳＫＦ  asia PACIFIC pte ltd", "人本 集团 有限公司"):
            with pytest.raises(DomainError, match="already exists"):
                services.create_supplier(services.SupplierData(name=name))
        db.session.rollback()


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("ｓｋｆ", True),
        ("  skf   asia ", True),
        ("pacific", True),
        ("65-6876", True),
        ("+65 6876 8877", True),
        ("Kelvin", True),
        ("nsk", False),
    ],
)
def test_search_ignores_width_case_spacing_and_phone_separators(purchaser, create_supplier, q, found):
    create_supplier("SKF Asia Pacific Pte Ltd", phone="+65 6876 8877", contacts=[{"name": "Kelvin Ng"}])
    rows = purchaser.get("/api/suppliers/search", query_string={"q": q}).get_json()["results"]
    assert bool(rows) is found
    page = support.html(purchaser.get("/suppliers/", query_string={"q": q}))
    assert ("SKF Asia Pacific" in page) is found


def test_the_typeahead_row(purchaser, create_supplier):
    supplier = create_supplier("Typeahead Supply", phone="0379-1", contacts=[{"name": "王建华", "mobile": "138"}])
    registry.register_typeahead_enricher(
        "supplier", registry.TypeaheadEnricher("test_open_po", lambda rows: [r.update(open_orders=2) for r in rows])
    )
    try:
        (row,) = purchaser.get("/api/suppliers/search?q=typeahead").get_json()["results"]
    finally:
        registry._enrichers["supplier"] = [e for e in registry._enrichers["supplier"] if e.key != "test_open_po"]
    assert (row["id"], row["code"], row["contact"], row["contact_mobile"], row["phone"]) == (
        supplier.id,
        supplier.code,
        "王建华",
        "138",
        "0379-1",
    )
    assert row["open_orders"] == 2


def test_exports_have_the_import_columns_numbers_and_a_bom(purchaser, create_supplier):
    create_supplier("Export Supply", payment_terms_days=45, contacts=[{"name": "甲", "title": "销售经理"}])
    create_supplier("Other Supply")
    sheet = openpyxl.load_workbook(io.BytesIO(purchaser.get("/suppliers/export.xlsx?q=export").get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:2] == ["Code", "Name"] and "Contact name" in header and "Payment terms (days)" in header
    assert len(rows) == 2
    row = dict(zip(header, rows[1], strict=True))
    assert row["Payment terms (days)"] == 45 and isinstance(row["Payment terms (days)"], int | float)
    assert (row["Contact name"], row["Contact title"]) == ("甲", "销售经理")
    raw = purchaser.get("/suppliers/export.csv").get_data()
    assert raw.startswith("\ufeff".encode())
    assert len(list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))) == 3


def test_delete_restore_and_batch_delete(app, purchaser, create_supplier):
    one, two, three = create_supplier("One Supply"), create_supplier("Two Supply"), create_supplier("Three Supply")
    assert purchaser.submit(f"/suppliers/{one.id}/delete").status_code == 302
    assert "One Supply" not in _table(purchaser.get("/suppliers/"))
    assert "One Supply" in _table(purchaser.get("/suppliers/?status=deleted"))
    assert purchaser.get("/api/suppliers/search?q=one").get_json()["results"] == []
    assert purchaser.submit(f"/suppliers/{one.id}/restore").status_code == 302
    response = purchaser.submit("/suppliers/delete", [("ids", str(two.id)), ("ids", str(three.id))])
    assert response.status_code == 302
    assert "2 suppliers deleted." in support.html(purchaser.get("/suppliers/"))
    with app.app_context():
        deleted = {s.name: s.deleted_at is not None for s in db.session.scalars(sa.select(Supplier))}
    assert deleted == {"One Supply": False, "Two Supply": True, "Three Supply": True}


def test_a_supplier_in_use_is_not_deleted(app, purchaser, create_supplier):
    supplier = create_supplier("Busy Supply")
    registry.register_usage_check("supplier", registry.UsageCheck("test_po", "purchase orders", lambda s: 2))
    try:
        page = support.html(purchaser.submit(f"/suppliers/{supplier.id}/delete", follow_redirects=True))
    finally:
        registry._usage_checks["supplier"] = [c for c in registry._usage_checks["supplier"] if c.key != "test_po"]
    assert "cannot be deleted: it is used by 2 purchase orders" in page


def test_the_second_of_two_editors_sees_both_values(app, login, create_supplier):
    alice, bob = login("purchaser"), login("purchaser")
    supplier = create_supplier("Race Supply", address="Old")
    url = f"/suppliers/{supplier.id}/edit"
    alice_form, bob_form = _form(alice, url), _form(bob, url)
    assert alice.post(url, data=support.replace_field(alice_form, "address", "Alice")).status_code == 302
    refused = bob.post(url, data=support.replace_field(bob_form, "address", "Bob"))
    assert refused.status_code == 200
    page = support.html(refused)
    table = page[page.index("data-conflict-table") : page.index("</table>", page.index("data-conflict-table"))]
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td[^>]*>(.*?)</td>", table, re.S)
    assert [tuple(html_lib.unescape(c.strip()) for c in r) for r in rows] == [("Address", "Alice", "Bob")]
    assert ("address", "Bob") in support.form_fields(page, "supplier-form")


def test_contact_changes_show_in_the_suppliers_history(purchaser, create_supplier):
    supplier = create_supplier(contacts=[{"name": "甲", "mobile": "13800000001"}])
    url = f"/suppliers/{supplier.id}/edit"
    assert (
        purchaser.post(
            url, data=support.replace_field(_form(purchaser, url), "contacts-0-mobile", "13900000009")
        ).status_code
        == 302
    )
    history = support.html(purchaser.get(f"/suppliers/{supplier.id}"))
    history = history[history.index("data-history") :]
    assert "13800000001" in history and "13900000009" in history


def test_who_may_see_suppliers(login):
    assert login("sales").get("/suppliers/").status_code == 403
    assert login("finance").get("/suppliers/").status_code == 200
    assert login("finance").get("/suppliers/export.csv").status_code == 403
    assert 'href="/suppliers/"' in support.html(login("purchaser").get("/"))
