"""Master data in the browser: the navbar's quick find, and batch delete with its confirmation."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.ui import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_quick_find_opens_the_product_typed_with_separators_and_spaces(new_page):
    page = new_page()
    sign_in(page, "sales")
    page.goto("/warehouses/")
    page.locator(".app-quick-find .ts-control").click()
    page.keyboard.type("６２０４ 2rs")  # full-width digits, a space instead of the dash
    option = page.locator(".app-quick-find .ts-dropdown .option").filter(has_text="SKF 6204-2RS").first
    expect(option).to_be_visible()
    option.click()
    # The quick find opens the model lookup (价格查询): stock, list price and prices quoted.
    expect(page).to_have_url(re.compile(r"/sales/lookup/\d+$"))
    expect(page.locator("[data-product-facts] [data-model]")).to_have_text("6204-2RS")


def test_batch_delete_asks_first_and_counts_the_selection(new_page):
    page = new_page()
    sign_in(page, "admin")
    page.goto("/products/?q=6205-2Z&lang=en")
    rows = page.locator("[data-row-check]")
    expect(rows.first).to_be_visible()
    total = rows.count()
    rows.first.check()
    expect(page.locator("[data-batch-count]")).to_have_text("1 selected")
    page.locator("[data-check-all]").check()
    expect(page.locator("[data-batch-count]")).to_have_text(f"{total} selected")
    page.locator("[data-batch-submit]").click()
    expect(page.locator("#confirm-modal")).to_be_visible()
    page.locator("#confirm-modal [data-confirm-cancel]").click()
    expect(page.locator("#confirm-modal")).to_be_hidden()
    assert page.locator("[data-row-check]").count() == total  # nothing deleted
