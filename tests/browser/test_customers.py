"""Customers in the browser: contact rows added and removed without a reload, one primary tick,
and another salesperson's customer out of reach."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.ui import sign_in, unique

pytestmark = [pytest.mark.browser, pytest.mark.live]


def _rows(page: Page):
    return page.locator("[data-rows=contacts] [data-rows-body] [data-row]")


def _new_customer(page: Page, name: str) -> None:
    page.goto("/customers/new")
    page.locator("#name").fill(name)


def test_contact_rows_are_added_and_removed_in_the_page_and_saved_in_order(new_page):
    page = new_page()
    sign_in(page, "sales2")
    name = unique("Rows Test Co ")
    _new_customer(page, name)
    page.evaluate("window.erpNoReload = true")
    expect(_rows(page)).to_have_count(1)
    page.locator("#contacts-0-name").fill("Alice Row")
    page.locator("[data-row-add]").click()
    page.locator("[data-row-add]").click()
    expect(_rows(page)).to_have_count(3)
    # The new row's first box has the focus and the next free index.
    expect(page.locator("#contacts-2-name")).to_be_focused()
    page.locator("#contacts-1-name").fill("Bob Row")
    page.locator("#contacts-2-name").fill("Carol Row")
    _rows(page).nth(1).locator("[data-row-remove]").click()
    expect(_rows(page)).to_have_count(2)
    # Ticking one primary box unticks the other.
    page.locator("#contacts-0-is_primary").check()
    page.locator("#contacts-2-is_primary").check()
    expect(page.locator("#contacts-0-is_primary")).not_to_be_checked()
    assert page.evaluate("window.erpNoReload") is True
    page.locator("#customer-save").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    contacts = page.locator("[data-contacts] tbody tr")
    expect(contacts).to_have_count(2)
    expect(contacts.nth(0)).to_contain_text("Alice Row")
    expect(contacts.nth(1)).to_contain_text("Carol Row")
    expect(page.locator("[data-primary-contact]")).to_contain_text("Carol Row")


def test_removing_every_row_then_adding_one_again(new_page):
    page = new_page()
    sign_in(page, "sales2")
    _new_customer(page, unique("Empty Rows Co "))
    _rows(page).nth(0).locator("[data-row-remove]").click()
    expect(_rows(page)).to_have_count(0)
    expect(page.locator("[data-rows-empty]")).to_be_visible()
    page.locator("[data-row-add]").click()
    expect(_rows(page)).to_have_count(1)
    expect(page.locator("[data-rows-empty]")).to_be_hidden()
    page.locator("[data-rows-body] input[name$='-name']").fill("Only Row")
    page.locator("#customer-save").click()
    expect(page.locator("[data-primary-contact]")).to_contain_text("Only Row")


def test_another_salespersons_customer_is_not_found(new_page):
    owner = new_page()
    sign_in(owner, "sales2")
    _new_customer(owner, unique("Private Co "))
    owner.locator("#customer-save").click()
    expect(owner).to_have_url(re.compile(r"/customers/\d+$"))
    url = owner.url

    other = new_page()
    sign_in(other, "sales")
    response = other.goto(url)
    assert response is not None and response.status == 404
    response = other.goto(url + "/edit")
    assert response is not None and response.status == 404
