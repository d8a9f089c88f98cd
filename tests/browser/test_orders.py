"""A sales order from typing to delivery, in headless Chromium: the salesperson types an order with
the keyboard, the manager confirms it after the dialog, the keeper delivers it from the suggested
location and posts after the dialog; the order then shows what was delivered."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.ui import sign_in

pytestmark = pytest.mark.browser


def _pick(page: Page, control_id: str, text: str, option_text: str | None = None) -> None:
    page.locator(f"#{control_id}").focus()
    page.keyboard.type(text)
    option = page.locator(".ts-dropdown .option >> visible=true").first
    expect(option).to_contain_text(option_text or text)
    page.keyboard.press("Enter")


def _confirm_dialog(page: Page, button) -> None:
    form = button.locator("xpath=ancestor::form")
    question = button.get_attribute("data-confirm") or form.get_attribute("data-confirm")
    assert question
    button.click()
    dialog = page.locator("#confirm-modal")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(question)
    dialog.locator("[data-confirm-ok]").click()


def test_an_order_typed_confirmed_and_delivered(new_page):
    page = new_page()
    sign_in(page, "sales")
    page.goto("/sales-orders/new?lang=en")
    page.locator("#customer_id-ts-control").click()
    page.keyboard.type("C0000")
    expect(page.locator(".ts-dropdown .option >> visible=true").first).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#contact_id option")).not_to_have_count(1)  # the customer's contacts arrived
    sh1 = page.locator("#warehouse_id option", has_text="SH1 ").get_attribute("value")
    page.locator("#warehouse_id").select_option(sh1)
    page.locator("select[name='lines-0-product_id']").focus()
    _pick(page, "lines-0-product_id-ts-control", "6204-2RS")
    expect(page.locator("#lines-0-unit_price")).not_to_have_value("")  # the list price came in
    page.locator("#lines-0-quantity").fill("3")
    page.locator("#lines-0-customer_part_no").fill("ZC-6204")
    page.locator("#lines-0-customer_part_no").press("Enter")
    expect(page.locator("[data-rows=lines] [data-row]")).to_have_count(2)
    expect(page.locator("#lines-1-product_id-ts-control")).to_be_focused()
    preview = page.locator("[data-total-preview]").text_content()
    page.locator("#order-save").click()
    expect(page).to_have_url(re.compile(r"/sales-orders/\d+$"))
    order_url = page.url
    expect(page.locator("[data-status=draft]")).to_be_visible()
    expect(page.locator("[data-total-gross]")).to_contain_text(preview.strip())

    page = new_page()  # the manager, at another desk
    sign_in(page, "manager")
    page.goto(order_url + "?lang=en")
    _confirm_dialog(page, page.locator("#order-confirm"))
    expect(page.locator("[data-status=confirmed]")).to_be_visible()
    expect(page.locator("[data-order-line] [data-reserved]").first).to_have_text("3")

    page = new_page()  # the keeper, in the warehouse
    sign_in(page, "warehouse")
    page.goto(order_url + "?lang=en")
    page.locator("#order-deliver").click()
    expect(page.locator("[data-delivery-line]")).to_have_count(1)
    expect(page.locator("#lines-0-quantity")).to_have_value("3")
    expect(page.locator("#lines-0-location_id")).not_to_have_value("")  # a location holding enough
    page.locator("#carrier").fill("顺丰速运")
    page.locator("#delivery-save").click()
    expect(page).to_have_url(re.compile(r"/deliveries/\d+$"))
    _confirm_dialog(page, page.locator("#delivery-post"))
    expect(page.locator("[data-status=posted]")).to_be_visible()
    page.locator("[data-order-link]").click()
    expect(page.locator("[data-status=delivered]")).to_be_visible()
    expect(page.locator("[data-order-line] [data-delivered]").first).to_have_text("3")
