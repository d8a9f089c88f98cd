"""Stock documents in the browser: lines picked with the typeahead and added with Enter, a post
confirmed in a dialog, and a count whose variance shows while it is typed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.ui import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]


def _choose_warehouse(page: Page, code: str) -> None:
    value = page.locator("#warehouse_id option", has_text=f"{code} ·").get_attribute("value")
    page.locator("#warehouse_id").select_option(value)


def _pick_product(page: Page, row: int, text: str) -> None:
    page.locator(f"select[name='lines-{row}-product_id']").focus()
    control = page.locator(f"#lines-{row}-product_id-ts-control")
    expect(control).to_be_focused()
    page.keyboard.type(text)
    option = page.locator(".ts-dropdown .option >> visible=true").first
    expect(option).to_contain_text(text)
    page.keyboard.press("Enter")


def test_an_adjustment_typed_with_the_keyboard_and_posted_after_confirming(new_page):
    page = new_page()
    sign_in(page, "warehouse")
    page.goto("/inventory/adjustments/new")
    _choose_warehouse(page, "SH1")
    page.locator("#reason_code").select_option("found")
    _pick_product(page, 0, "6204-2RS")
    page.locator("#lines-0-location").fill("A-01-01")
    page.locator("#lines-0-quantity").fill("1")
    # Enter in a line adds the next one and puts the cursor in its product picker.
    page.locator("#lines-0-note").press("Enter")
    expect(page.locator("[data-rows=lines] [data-row]")).to_have_count(2)
    expect(page.locator("#lines-1-product_id-ts-control")).to_be_focused()
    page.keyboard.type("6205-2Z")
    expect(page.locator(".ts-dropdown .option >> visible=true").first).to_contain_text("6205-2Z")
    page.keyboard.press("Enter")
    page.locator("#lines-1-location").fill("A-01-02")
    page.locator("#lines-1-quantity").fill("2")
    expect(page.locator("[data-row-number]").nth(1)).to_have_text("2")

    post = page.locator("#document-save-post")
    question = post.get_attribute("data-confirm")
    assert question
    post.click()
    dialog = page.locator("#confirm-modal")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(question)
    dialog.locator("[data-confirm-ok]").click()
    expect(page).to_have_url(re.compile(r"/inventory/documents/\d+$"))
    expect(page.locator("[data-status=posted]")).to_be_visible()
    moves = page.locator("[data-list=document-moves] tbody tr")
    expect(moves).to_have_count(2)
    expect(moves.nth(0)).to_contain_text("6204-2RS")
    expect(moves.nth(1)).to_contain_text("6205-2Z")


def test_cancelling_the_dialog_posts_nothing(new_page):
    page = new_page()
    sign_in(page, "warehouse")
    page.goto("/inventory/adjustments/new")
    _choose_warehouse(page, "SH1")
    page.locator("#reason_code").select_option("found")
    _pick_product(page, 0, "6204-2RS")
    page.locator("#lines-0-location").fill("A-01-01")
    page.locator("#lines-0-quantity").fill("1")
    page.locator("#document-save-post").click()
    page.locator("#confirm-modal [data-confirm-cancel]").click()
    expect(page).to_have_url(re.compile(r"/inventory/adjustments/new$"))
    page.locator("#document-save").click()
    expect(page.locator("[data-status=draft]")).to_be_visible()


def test_a_count_shows_the_variance_as_it_is_typed(new_page):
    page = new_page()
    sign_in(page, "warehouse")
    page.goto("/inventory/counts/new")
    _choose_warehouse(page, "WX1")
    page.locator("#count-start").click()
    expect(page).to_have_url(re.compile(r"/inventory/documents/\d+/count$"))
    first = page.locator("[data-list=count-lines] tbody tr").first
    book = float(first.locator("[data-book]").get_attribute("data-book"))
    first.locator("input[data-counted]").fill(str(int(book) + 3))
    expect(first.locator("[data-variance]")).to_have_text("+3")
    first.locator("input[data-counted]").fill(str(int(book) - 2))
    expect(first.locator("[data-variance]")).to_have_text("-2")
    # Enter moves to the next box instead of sending the form.
    first.locator("input[data-counted]").press("Enter")
    expect(page.locator("input[data-counted]").nth(1)).to_be_focused()
