"""The customer pages: list, detail (panels from other domains), menu, typeahead enrichers."""

from decimal import Decimal
from types import SimpleNamespace

from app.core import registry
from tests import support


def test_the_list_shows_columns_and_an_empty_state(login, create_customer):
    manager = login("manager")
    page = support.html(manager.get("/customers/"))
    assert "No customers yet." in page
    create_customer(
        "上海恒通轴承有限公司", contacts=[{"name": "王伟", "mobile": "13800000001"}], credit_limit=Decimal(5000)
    )
    page = support.html(manager.get("/customers/"))
    table = page[page.index('data-list="customers"') :]
    for text in ("上海恒通轴承有限公司", "王伟", "13800000001", "5,000.00"):
        assert text in table
    assert "Nothing matches these filters." in support.html(manager.get("/customers/?q=zzzz"))


def test_the_list_sorts_by_code_and_name(login, create_customer):
    manager = login("manager")
    for name in ("Beta Co", "Alpha Co", "Gamma Co"):
        create_customer(name)
    page = support.html(manager.get("/customers/?sort=name"))
    assert page.index("Alpha Co") < page.index("Beta Co") < page.index("Gamma Co")
    page = support.html(manager.get("/customers/?sort=-code"))
    assert page.index("Gamma Co") < page.index("Alpha Co") < page.index("Beta Co")


def test_the_menu_lists_customers_for_who_may_see_them(login):
    assert 'href="/customers/"' in support.html(login("sales").get("/"))
    assert 'href="/customers/"' not in support.html(login("warehouse").get("/"))


def test_the_detail_page_shows_the_facts_and_panels_of_other_domains(login, create_customer):
    manager = login("manager")
    customer = create_customer(
        "Detail Page Ltd", type="middleman", doc_language="en", tax_id="91310000123456789X", bank_name="ICBC"
    )
    registry.register_detail_panel(
        "customer",
        registry.Panel(
            "test_panel",
            "auth/_panel_greeting.html",
            lambda c: {"user": SimpleNamespace(display_name=f"panel for {c.name}"), "roles": []},
            ("customers.view",),
        ),
    )
    try:
        page = support.html(manager.get(f"/customers/{customer.id}"))
    finally:
        registry.panels.panels["detail:customer"] = [
            p for p in registry.panels.panels["detail:customer"] if p.key != "test_panel"
        ]
    assert "Middleman" in page and "English" in page
    assert "91310000123456789X" in page and "ICBC" in page
    assert "Hello, panel for Detail Page Ltd" in page
    assert "data-history" in page


def test_the_typeahead_returns_what_a_picker_needs_and_takes_enrichers(login, create_customer):
    manager = login("manager")
    customer = create_customer(
        "Typeahead Co", phone="021-1234", contacts=[{"name": "王伟", "mobile": "13800000001"}], doc_language="en"
    )
    registry.register_typeahead_enricher(
        "customer", registry.TypeaheadEnricher("test_balance", lambda rows: [r.update(balance="0.00") for r in rows])
    )
    try:
        rows = manager.get("/api/customers/search?q=typeahead").get_json()["results"]
    finally:
        registry._enrichers["customer"] = [e for e in registry._enrichers["customer"] if e.key != "test_balance"]
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == customer.id and row["code"] == customer.code and row["name"] == "Typeahead Co"
    assert (row["contact"], row["contact_mobile"], row["phone"], row["doc_language"]) == (
        "王伟",
        "13800000001",
        "021-1234",
        "en",
    )
    assert (row["label"], row["detail"]) == (f"{customer.code} Typeahead Co", "王伟 · 021-1234")
    assert row["balance"] == "0.00"


def test_the_typeahead_needs_customers_view(login):
    response = login("warehouse").get("/api/customers/search?q=a")
    assert response.status_code == 403 and response.is_json


def test_invalid_input_is_shown_next_to_the_field(login):
    manager = login("manager")
    fields = support.form_fields(support.html(manager.get("/customers/new")), "customer-form")
    fields = support.replace_field(fields, "name", "Bad Input Co")
    fields = support.replace_field(fields, "credit_limit", "lots")
    fields = support.replace_field(fields, "contacts-0-email", "not-an-address")
    fields = support.replace_field(fields, "contacts-0-name", "王伟")
    response = manager.post("/customers/new", data=fields)
    assert response.status_code == 200
    page = support.html(response)
    assert "Enter a number, e.g. 1234.50." in page
    assert "Invalid email address." in page
    assert ("credit_limit", "lots") in support.form_fields(page, "customer-form")
