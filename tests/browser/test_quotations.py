"""Quotations in the browser, the sales team's day: lines typed with the keyboard, price help on a
line, the model lookup from the navbar, the workflow through its buttons and dialogs, the print
page, and a double-clicked Save.

Each person signs in once per module; every test opens its own browser context with that sign-in.
The demo data the live server seeds is used as it is: own customers of "sales" and "sales2",
SKF 6204-2RS in stock, quotations in every status.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.conftest import TIMEOUT_MS, VIEWPORT
from tests.browser.ui import sign_in
from tests.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.live]

ANY_OPTION = ".ts-dropdown .option >> visible=true"


# --- sign-ins shared by the module ------------------------------------------------------------


@pytest.fixture(scope="module")
def signed_in_state(live_server: LiveServer, browser: Browser) -> Callable[[str], dict]:
    """Cookies of a signed-in ``username``, made once per module."""
    states: dict[str, dict] = {}

    def state(username: str) -> dict:
        if username not in states:
            context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
            page = context.new_page()
            sign_in(page, username)
            states[username] = context.storage_state()
            context.close()
        return states[username]

    return state


@pytest.fixture
def page_as(live_server: LiveServer, browser: Browser, signed_in_state) -> Iterator[Callable[[str], Page]]:
    """A page in a fresh browser context of ``username``, already signed in."""
    opened: list[BrowserContext] = []

    def factory(username: str) -> Page:
        context = browser.new_context(
            base_url=live_server.url, viewport=VIEWPORT, storage_state=signed_in_state(username)
        )
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context.new_page()

    yield factory
    for context in opened:
        context.close()


# --- what a person does ----------------------------------------------------------------------


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def amount(text: str | None) -> Decimal:
    """A number as a page shows it ("¥1,234.50", "1,234.5000", "35.18") as a Decimal."""
    match = re.search(r"-?[\d,]+(?:\.\d+)?", text or "")
    assert match, f"no number in {text!r}"
    return Decimal(match.group(0).replace(",", ""))


def rows(page: Page) -> Locator:
    return page.locator("[data-rows=lines] [data-rows-body] [data-row]")


def line_box(page: Page, index: int, name: str) -> Locator:
    return rows(page).nth(index).locator(f"[name$='-{name}']")


def type_in_picker(page: Page, text: str, expected: str) -> None:
    """Type into the focused picker, wait for the option the person is looking for, Enter."""
    page.keyboard.type(text)
    expect(page.locator(ANY_OPTION).first).to_contain_text(expected)
    page.keyboard.press("Enter")


def choose_customer(page: Page, code: str) -> None:
    control = page.locator("#customer_id-ts-control")
    control.click()
    type_in_picker(page, code, code)
    expect(page.locator("#customer_id")).not_to_have_value("")


def picker(page: Page, index: int) -> Locator:
    """The search box of a line's product picker (there once the picker has been used)."""
    return rows(page).nth(index).locator(".ts-control input")


def choose_product(page: Page, index: int, text: str) -> None:
    row = rows(page).nth(index)
    control = picker(page, index)
    if control.count():
        control.focus()
    else:  # a line's picker comes alive when first used
        row.locator("select[data-line-product]").focus()
    expect(control).to_be_focused()
    type_in_picker(page, text, text)


def confirm(page: Page, expected_text: str | None = None) -> None:
    dialog = page.locator("#confirm-modal")
    expect(dialog).to_be_visible()
    if expected_text:
        expect(dialog.locator("[data-confirm-text]")).to_have_text(expected_text)
    dialog.locator("[data-confirm-ok]").click()


def row_action(page: Page, index: int, action: str) -> None:
    """Open a line's menu (⋮) and choose move up / move down / insert / duplicate."""
    row = rows(page).nth(index)
    row.locator("[data-row-menu]").click()
    item = row.locator(f"[data-row-{action}]")
    expect(item).to_be_visible()
    item.click()


def own_customer_of(page: Page, position: int = 0) -> tuple[str, str]:
    """Code and name of a customer the signed-in person's customer list shows (sorted by code)."""
    page.goto("/customers/?sort=code")
    links = page.locator("table[data-list=customers] tbody tr").nth(position).locator("a")
    return links.nth(0).inner_text().strip(), links.nth(1).inner_text().strip()


def contacts_on_customer_page(page: Page, customer_id: str) -> tuple[list[str], str]:
    """The contact names the customer's own page lists, and the primary one, read in another tab."""
    other = page.context.new_page()
    other.goto(f"/customers/{customer_id}")
    first_text = "cells => cells.map((td) => td.firstChild.textContent.trim())"
    names = other.locator("[data-contacts] tbody td:first-child").evaluate_all(first_text)
    primary = other.locator("[data-contacts] [data-primary-contact] td:first-child").evaluate_all(first_text)
    other.close()
    assert names and len(primary) == 1
    return names, primary[0]


def quotation_count(page: Page, customer_code: str) -> int:
    page.goto(f"/quotations/?customer={customer_code}&per_page=100")
    return page.locator("table[data-list=quotations] tbody tr").count()


def new_quotation(page: Page, customer_code: str, lines: list[tuple[str, str, str | None, str | None]]) -> None:
    """Fill the editor: lines of (model to type, quantity, unit price or None for the list price,
    discount % or None)."""
    page.goto("/quotations/new")
    choose_customer(page, customer_code)
    for index, (model, quantity, price, discount) in enumerate(lines):
        if index >= rows(page).count():
            page.locator("#line-add").click()
        choose_product(page, index, model)
        line_box(page, index, "quantity").fill(quantity)
        if price is not None:
            line_box(page, index, "unit_price").fill(price)
        if discount is not None:
            line_box(page, index, "discount_percent").fill(discount)


def save(page: Page) -> None:
    page.locator("#quotation-save").click()
    expect(page).to_have_url(re.compile(r"/quotations/\d+$"))
    expect(page.locator('[data-flash="success"]')).to_be_visible()


def status_of(page: Page) -> Locator:
    return page.locator(".app-page-header [data-status]")


# --- 1. the editor ----------------------------------------------------------------------------


def test_lines_typed_with_the_keyboard_rearranged_in_the_page_and_saved_as_previewed(page_as):
    page = page_as("sales")
    other_code, _name = own_customer_of(page_as("sales2"))
    code, name = own_customer_of(page)
    page.goto("/quotations/new")
    page.evaluate("window.erpNoReload = true")

    # The customer box has the cursor; another salesperson's customer is not offered, one's own is.
    expect(page.locator("#customer_id-ts-control")).to_be_focused()
    page.keyboard.type(other_code)
    expect(page.locator(".ts-dropdown .no-results >> visible=true")).to_be_visible()
    page.keyboard.press("Control+A")
    type_in_picker(page, code, name)
    # Enter moved on to the contact, which now lists this customer's contacts.
    expect(page.locator("#contact_id")).to_be_focused()
    contacts, primary = contacts_on_customer_page(page, page.locator("#customer_id").input_value())
    offered = page.locator("#contact_id option:not([value=''])")
    expect(offered).to_have_count(len(contacts))
    assert sorted(offered.all_inner_texts()) == sorted(contacts)
    expect(page.locator("#contact_id option:checked")).to_have_text(primary)

    # Line 1 with the keyboard only: the product picker, then Enter from box to box.
    choose_product(page, 0, "SKF 6204-2RS")
    expect(line_box(page, 0, "quantity")).to_be_focused()
    page.keyboard.type("10")
    page.keyboard.press("Enter")
    expect(line_box(page, 0, "unit_price")).to_be_focused()
    page.keyboard.type("33.5")
    page.keyboard.press("Enter")
    expect(line_box(page, 0, "discount_percent")).to_be_focused()
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    page.keyboard.type("2 weeks")
    page.keyboard.press("Enter")
    expect(line_box(page, 0, "note")).to_be_focused()
    expect(rows(page)).to_have_count(1)
    # Enter in the last box of the last line adds a line and puts the cursor in its picker.
    page.keyboard.press("Enter")
    expect(rows(page)).to_have_count(2)
    expect(picker(page, 1)).to_be_focused()
    type_in_picker(page, "SKF 6205-2Z", "6205-2Z")
    expect(line_box(page, 1, "quantity")).to_be_focused()
    page.keyboard.type("4")
    expect(line_box(page, 1, "unit_price")).not_to_have_value("")  # the list price came with the product
    list_price_b = amount(line_box(page, 1, "unit_price").input_value())
    for _box in range(5):
        page.keyboard.press("Enter")
    expect(rows(page)).to_have_count(3)

    a = Decimal("318.25")  # 10 × 33.50 less 5 %
    b = cents(4 * list_price_b)
    expect(rows(page).nth(0).locator("[data-line-amount]")).to_have_text("318.25")
    expect(page.locator("[data-total-preview]")).to_have_text(f"{a + b:,.2f}")

    # Duplicate line 1 and change the copy; the preview follows.
    row_action(page, 0, "duplicate")
    expect(rows(page)).to_have_count(4)
    expect(line_box(page, 1, "unit_price")).to_have_value("33.5")
    line_box(page, 1, "quantity").fill("3")
    a_copy = Decimal("95.48")  # 3 × 33.50 less 5 %
    expect(page.locator("[data-total-preview]")).to_have_text(f"{a + b + a_copy:,.2f}")
    # Move 6205-2Z (line 3) up; insert a line above line 1 and give it a product.
    row_action(page, 2, "up")
    expect(rows(page).nth(1).locator(".ts-control .item")).to_have_text("SKF 6205-2Z")
    expect(line_box(page, 1, "quantity")).to_have_value("4")
    expect(line_box(page, 2, "quantity")).to_have_value("3")
    row_action(page, 0, "insert")
    expect(rows(page)).to_have_count(5)
    expect(picker(page, 0)).to_be_focused()
    type_in_picker(page, "SKF 6206-2Z", "6206-2Z")
    expect(line_box(page, 0, "quantity")).to_have_value("1")
    price_n = amount(line_box(page, 0, "unit_price").input_value())
    # Remove the empty last line.
    rows(page).nth(4).locator("[data-row-remove]").click()
    expect(rows(page)).to_have_count(4)
    expect(page.locator("[data-row-number]")).to_have_text(["1", "2", "3", "4"])
    preview = a + b + a_copy + cents(price_n)
    expect(page.locator("[data-total-preview]")).to_have_text(f"{preview:,.2f}")
    assert page.evaluate("window.erpNoReload") is True

    save(page)
    lines = page.locator("table[data-list=quotation-lines] tbody tr")
    expect(lines).to_have_count(4)
    for i, (model, quantity) in enumerate([("6206-2Z", "1"), ("6204-2RS", "10"), ("6205-2Z", "4"), ("6204-2RS", "3")]):
        expect(lines.nth(i).locator("td").nth(2)).to_contain_text(model)
        expect(lines.nth(i).locator("td").nth(3)).to_have_text(quantity)
    expect(lines.nth(1)).to_contain_text("2 weeks")  # typed in the lead time box that Enter led to
    # The server's own total is what the preview said.
    assert amount(page.locator("[data-total-gross]").inner_text()) == preview
    net = amount(page.locator("[data-total-net]").inner_text())
    tax = amount(page.locator("[data-total-tax]").inner_text())
    assert net + tax == preview and tax > 0


def test_mistakes_are_marked_on_their_line_and_field_and_nothing_typed_is_lost(page_as):
    page = page_as("sales")
    code, _name = own_customer_of(page)
    new_quotation(page, code, [("SKF 6204-2RS", "2", "-1", None)])
    line_box(page, 0, "requested_model").fill("6204RS")
    line_box(page, 0, "note").fill("negative on purpose")
    # A second line with a quantity, a price and the customer's wording, but no product.
    page.locator("#line-add").click()
    line_box(page, 1, "requested_model").fill("6305ZZ")
    line_box(page, 1, "requested_quantity").fill("二十")
    line_box(page, 1, "quantity").fill("20")
    line_box(page, 1, "unit_price").fill("12.5")
    line_box(page, 1, "lead_time").fill("3天")
    page.locator("#quotation-save").click()

    expect(page.locator(".alert-danger")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/quotations/new$"))
    first, second = rows(page).nth(0), rows(page).nth(1)
    # Each mistake on its own line and field, both at once.
    expect(first.locator("[name$='-unit_price'].is-invalid")).to_be_visible()
    expect(first.locator("td:has([name$='-unit_price']) .invalid-feedback")).to_be_visible()
    expect(second.locator("select[data-line-product].is-invalid, .ts-wrapper.is-invalid")).to_have_count(1)
    expect(second.locator(".app-line-product .invalid-feedback")).to_be_visible()
    expect(page.locator(".invalid-feedback")).to_have_count(2)
    expect(line_box(page, 0, "unit_price")).to_be_focused()  # the cursor waits at the first mistake
    # Everything typed is still there.
    expect(page.locator("#customer_id option:checked")).to_contain_text(code)
    expect(first.locator("select[data-line-product] option:checked")).to_have_text("SKF 6204-2RS")
    for index, name, value in [
        (0, "requested_model", "6204RS"),
        (0, "quantity", "2"),
        (0, "unit_price", "-1"),
        (0, "note", "negative on purpose"),
        (1, "requested_model", "6305ZZ"),
        (1, "requested_quantity", "二十"),
        (1, "quantity", "20"),
        (1, "unit_price", "12.5"),
        (1, "lead_time", "3天"),
    ]:
        expect(line_box(page, index, name)).to_have_value(value)


def test_clear_lines_asks_first_and_cancelling_keeps_every_line(page_as):
    page = page_as("sales")
    code, _name = own_customer_of(page)
    new_quotation(page, code, [("SKF 6204-2RS", "2", None, None), ("SKF 6205-2Z", "3", None, None)])
    clear = page.locator("#lines-clear")
    question = clear.get_attribute("data-confirm-text")
    assert question
    clear.click()
    expect(page.locator("#confirm-modal [data-confirm-text]")).to_have_text(question)
    page.locator("#confirm-modal [data-confirm-cancel]").click()
    expect(page.locator("#confirm-modal")).to_be_hidden()
    expect(rows(page)).to_have_count(2)
    expect(line_box(page, 1, "quantity")).to_have_value("3")

    clear.click()
    confirm(page)
    expect(rows(page)).to_have_count(1)
    expect(line_box(page, 0, "quantity")).to_have_value("")
    expect(page.locator("[data-total-preview]")).to_have_text("0.00")


def test_double_clicking_save_makes_one_quotation(page_as):
    page = page_as("sales2")
    code, _name = own_customer_of(page)
    before = quotation_count(page, code)
    new_quotation(page, code, [("SKF 6204-2RS", "1", None, None)])
    # A slow line, so that the second click of the double click lands while the first save is
    # still on its way, as it does for a person. (Playwright's dblclick() is too quick for that:
    # Chromium itself drops a second submission made in the same task.)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 400, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    save = page.locator("#quotation-save")
    save.scroll_into_view_if_needed()
    box = save.bounding_box()
    assert box
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with page.expect_request(lambda request: request.method == "POST"):
        page.mouse.click(x, y)
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(r"/quotations/\d+$"))
    expect(status_of(page)).to_have_attribute("data-status", "draft")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    assert quotation_count(page, code) == before + 1


# --- 2. price help on a line ------------------------------------------------------------------


def _an_accepted_quotation(page: Page) -> dict[str, object]:
    """The customer, number and a line of an accepted quotation the person may see: its first line,
    or for someone who sees margins the first line with a margin."""
    page.goto("/quotations/?status=accepted")
    page.locator("table[data-list=quotations] tbody tr a").first.click()
    expect(status_of(page)).to_have_attribute("data-status", "accepted")
    customer = page.locator("[data-quotation-facts] a[href^='/customers/']").inner_text().split()[0]
    lines = page.locator("table[data-list=quotation-lines] tbody tr")
    margins = lines.locator("[data-margin]")
    line = lines.filter(has=page.locator("[data-margin]:not(:empty)")).first if margins.count() else lines.first
    return {
        "label": page.locator(".app-page-header h1").inner_text().strip(),
        "customer": customer,
        "product": line.locator("td").nth(2).locator("a").inner_text().strip(),
        "unit_price": amount(line.locator("td").nth(4).inner_text()),
        "margin": amount(line.locator("[data-margin]").inner_text()) if margins.count() else None,
    }


def _help_for_a_quoted_product(page: Page) -> tuple[dict[str, object], Locator]:
    quoted = _an_accepted_quotation(page)
    page.goto("/quotations/new")
    choose_customer(page, str(quoted["customer"]))
    choose_product(page, 0, str(quoted["product"]))
    # Picking the product opens the help under its line.
    panel = page.locator("[data-price-help-line] .app-price-help")
    expect(panel).to_be_visible()
    return quoted, panel


def test_price_help_shows_the_list_price_and_the_last_prices_without_cost_to_sales(page_as):
    page = page_as("sales")
    quoted, panel = _help_for_a_quoted_product(page)
    list_price = amount(line_box(page, 0, "unit_price").input_value())  # filled in from the list price
    assert amount(panel.locator("[data-list-price]").inner_text()) == list_price
    offered = panel.locator("[data-price-help-row]").filter(has_text=str(quoted["label"]))
    expect(offered).to_have_count(1)
    assert amount(offered.locator("[data-unit-price]").inner_text()) == quoted["unit_price"]
    expect(panel.locator("[data-cost]")).to_have_count(0)

    # "Use" puts that price on the line and closes the help.
    line_box(page, 0, "unit_price").fill("1")
    offered.locator("[data-price-help-use]").click()
    expect(panel).to_be_hidden()
    assert amount(line_box(page, 0, "unit_price").input_value()) == quoted["unit_price"]
    expect(line_box(page, 0, "unit_price")).to_be_focused()

    # The line's tag button opens it again, and closes it.
    toggle = rows(page).nth(0).locator("[data-price-help-toggle]")
    toggle.click()
    expect(panel).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(panel).to_be_hidden()


def test_price_help_shows_cost_and_margins_to_a_manager(page_as):
    page = page_as("manager")
    quoted, panel = _help_for_a_quoted_product(page)
    cost = panel.locator("span[data-cost]")
    expect(cost).to_have_count(2)  # moving average cost and last purchase price
    expect(cost.first).to_contain_text(re.compile(r"\d"))
    expect(panel.locator("th[data-cost]")).to_be_visible()
    # The margin of the price quoted is the one the quotation's own page shows for that line.
    offered = panel.locator("[data-price-help-row]").filter(has_text=str(quoted["label"]))
    expect(offered).to_have_count(1)
    margin = offered.locator("td[data-margin]")
    expect(margin).to_have_text(re.compile(r"^-?[\d.]+ %$"))
    assert quoted["margin"] is not None
    assert amount(margin.inner_text()).quantize(Decimal("0.01")) == quoted["margin"]


# --- 3. model lookup --------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["6204 2rs", "６２０４　２ｒｓ"])
def test_quick_find_opens_the_lookup_and_adds_the_product_to_a_new_quotation(page_as, typed):
    page = page_as("sales")
    page.goto("/quotations/")
    page.locator("#quick-find-ts-control").click()
    type_in_picker(page, typed, "SKF 6204-2RS")
    expect(page).to_have_url(re.compile(r"/sales/lookup/\d+$"))
    facts = page.locator("[data-product-facts]")
    expect(facts.locator("[data-model]")).to_have_text("6204-2RS")
    expect(facts).to_contain_text("SKF")
    list_price = amount(facts.locator("[data-list-price]").inner_text())
    assert list_price > 0
    # Stock by warehouse, and by location inside each.
    stock = page.locator("table[data-list=product-stock]")
    warehouse = stock.locator("[data-warehouse]").first
    expect(warehouse).to_be_visible()
    code = warehouse.get_attribute("data-warehouse")
    expect(stock.locator(f"[data-location^='{code}/']").first).to_be_visible()
    expect(page.locator("[data-cost]")).to_have_count(0)

    page.locator("#lookup-new-quotation").click()
    expect(page).to_have_url(re.compile(r"/quotations/new\?product_id=\d+$"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page).nth(0).locator("select[data-line-product] option:checked")).to_have_text("SKF 6204-2RS")
    expect(line_box(page, 0, "quantity")).to_have_value("1")
    assert amount(line_box(page, 0, "unit_price").input_value()) == list_price
    expect(page.locator("[data-total-preview]")).to_have_text(f"{list_price:,.2f}")
    expect(page.locator("#customer_id-ts-control")).to_be_focused()


# --- 4. the workflow --------------------------------------------------------------------------


def _submit(page: Page) -> None:
    submit = page.locator("#quotation-submit")
    question = submit.locator("xpath=ancestor::form").get_attribute("data-confirm")
    assert question
    submit.click()
    confirm(page, question)


def test_a_quotation_within_limits_is_approved_sent_revised_and_compared(page_as):
    page = page_as("sales")
    code, _name = own_customer_of(page, 1)
    new_quotation(page, code, [("SKF 6204-2RS", "10", None, None), ("SKF 6205-2Z", "5", None, None)])
    save(page)
    expect(status_of(page)).to_have_attribute("data-status", "draft")
    url = page.url

    _submit(page)
    expect(page).to_have_url(url)
    expect(status_of(page)).to_have_attribute("data-status", "approved")
    expect(page.locator("#quotation-edit")).to_have_count(0)

    page.locator("#quotation-send").click()
    expect(status_of(page)).to_have_attribute("data-status", "sent")

    revise = page.locator("#quotation-revise")
    # Cancelling the dialog makes no revision.
    revise.click()
    page.locator("#confirm-modal [data-confirm-cancel]").click()
    expect(page).to_have_url(url)
    expect(page.locator("[data-revisions] li")).to_have_count(1)
    revise.click()
    confirm(page, revise.locator("xpath=ancestor::form").get_attribute("data-confirm"))
    expect(page).not_to_have_url(url)
    expect(status_of(page)).to_have_attribute("data-status", "draft")
    revisions = page.locator("[data-revisions] li")
    expect(revisions).to_have_count(2)
    expect(revisions.nth(1)).to_have_class(re.compile(r"\bactive\b"))

    # Revision 2 is a draft: change a quantity, then compare it with revision 1.
    page.locator("#quotation-edit").click()
    line_box(page, 1, "quantity").fill("8")
    save(page)
    page.locator("[data-revisions] [data-diff-link]").click()
    expect(page).to_have_url(re.compile(r"/diff\?against=\d+$"))
    changed = page.locator("table[data-list=revision-diff] [data-diff=changed]")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("6205-2Z")
    expect(page.locator("table[data-list=revision-diff] [data-diff=same]")).to_contain_text("6204-2RS")


def test_a_large_discount_waits_in_the_managers_queue_until_approved(page_as):
    page = page_as("sales")
    code, _name = own_customer_of(page, 2)
    new_quotation(page, code, [("SKF 6204-2RS", "100", None, "25")])
    save(page)
    label = page.locator(".app-page-header h1").inner_text().strip()
    _submit(page)
    expect(status_of(page)).to_have_attribute("data-status", "pending_approval")
    expect(page.locator("[data-approval-reason]")).to_contain_text("6204-2RS")
    expect(page.locator("#quotation-approve")).to_have_count(0)  # nobody approves their own

    manager = page_as("manager")
    manager.goto("/quotations/approvals")
    active = manager.locator("#app-menu a.active")
    expect(active).to_have_count(1)
    expect(active).to_have_attribute("href", re.compile(r"/quotations/approvals$"))
    waiting = manager.locator("table[data-list=quotations] tbody tr").filter(has_text=label)
    expect(waiting).to_have_count(1)
    waiting.locator("a").first.click()
    expect(status_of(manager)).to_have_attribute("data-status", "pending_approval")
    manager.locator("#approval-form textarea[name=comment]").fill("OK for this order size")
    manager.locator("#quotation-approve").click()
    expect(status_of(manager)).to_have_attribute("data-status", "approved")
    expect(manager.locator("[data-quotation-facts]")).to_contain_text("OK for this order size")
    manager.goto("/quotations/approvals")
    expect(manager.locator("table[data-list=quotations] tbody tr").filter(has_text=label)).to_have_count(0)

    page.reload()
    expect(status_of(page)).to_have_attribute("data-status", "approved")
    expect(page.locator("#quotation-send")).to_be_visible()


# --- 5. the print page ------------------------------------------------------------------------


def test_the_print_page_is_in_the_documents_language_with_a_print_button_and_a_pdf(page_as):
    page = page_as("sales")  # a Chinese-speaking salesperson
    page.goto("/quotations/?customer=Pacific+Rim")  # an English-speaking customer
    page.locator("table[data-list=quotations] tbody tr a").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    with page.context.expect_page() as opened:
        page.locator("#quotation-print").click()
    sheet = opened.value
    sheet.wait_for_load_state()
    expect(sheet.locator("html")).to_have_attribute("lang", "en")
    expect(sheet.locator("[data-print]")).to_be_visible()
    expect(sheet.locator("body")).to_contain_text("Pacific Rim Bearings")
    pdf_link = sheet.locator(".screen-bar a[href*='.pdf']")
    response = sheet.request.get(pdf_link.get_attribute("href") or "")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    # The page's own language switch prints it in Chinese instead.
    sheet.locator(".screen-bar a").filter(has_text="中文").click()
    expect(sheet.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(sheet.locator("[data-print]")).to_be_visible()
