"""Signing in and out: each default role's dashboard and menu, a wrong password, the back button."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.ui import ADMIN_LINKS, html_lang, menu_links, sign_in, sign_out, submit_login, unique

pytestmark = [pytest.mark.browser, pytest.mark.live]

# username: (display name, role title in Chinese, role title in English) of the demo data
DEMO = {
    "admin": ("系统管理员", "系统管理员", "Administrator"),
    "manager": ("王建国", "经理", "Manager"),
    "sales": ("李娜", "销售", "Sales"),
    "warehouse": ("刘强", "库管", "Warehouse"),
    "purchaser": ("陈静", "采购", "Purchaser"),
    "finance": ("赵敏", "财务", "Finance"),
}
# The administration entries each role may open; everyone else sees none of them.
ADMIN_MENU = {
    "admin": set(ADMIN_LINKS),
    "manager": {"/admin/users/", "/admin/audit/"},
}


@pytest.mark.parametrize("username", list(DEMO))
def test_each_role_lands_on_its_dashboard_with_only_its_menu(username, new_page, screenshot_dir):
    page = new_page()
    sign_in(page, username)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("[data-dashboard]")).to_be_visible()
    display_name, title_zh, title_en = DEMO[username]
    greeting = page.locator('[data-panel="greeting"]')
    expect(greeting).to_contain_text(display_name)
    expect(greeting).to_contain_text(title_zh if html_lang(page) == "zh-CN" else title_en)

    links = menu_links(page)
    assert "/" in links
    assert {href for href in links if href in ADMIN_LINKS} == ADMIN_MENU.get(username, set())
    # The menu offers exactly the pages the role may open.
    for href in links:
        assert page.request.get(href).status == 200, href
    for href in set(ADMIN_LINKS) - set(links):
        assert page.request.get(href).status == 403, href
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / f"dashboard-{username}.png"), full_page=True)


def test_wrong_password_says_the_same_as_an_unknown_username(new_page):
    page = new_page()
    submit_login(page, "admin", "not-the-password-1")
    expect(page).to_have_url(re.compile(r"/login$"))
    error = page.locator("[data-form-errors]")
    expect(error).to_be_visible()
    wrong_password = error.inner_text().strip()
    expect(page.locator("#username")).to_have_value("admin")
    expect(page.locator("#password")).to_have_value("")

    stranger = unique("nobody")
    submit_login(page, stranger, "not-the-password-1")
    expect(error).to_be_visible()
    assert error.inner_text().strip() == wrong_password
    expect(page.locator("#username")).to_have_value(stranger)
    expect(page.locator("#password")).to_have_value("")
    expect(page.locator("#user-menu")).to_have_count(0)


def test_sign_out_then_back_button_does_not_show_the_dashboard(new_page):
    page = new_page()
    sign_in(page, "warehouse")
    expect(page.locator("[data-dashboard]")).to_be_visible()

    sign_out(page)
    expect(page.locator("#login-submit")).to_be_visible()
    expect(page.locator("[data-flash]")).to_be_visible()

    page.go_back()
    page.wait_for_load_state()
    expect(page.locator("[data-dashboard]")).to_have_count(0)
    expect(page.locator("#app-menu")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/login"))

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
    expect(page.locator("#login-submit")).to_be_visible()
    expect(page.locator("[data-dashboard]")).to_have_count(0)
