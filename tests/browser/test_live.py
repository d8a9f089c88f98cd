"""Live pages in Chromium, through nginx with the deploy/ site in front of two web instances and the
realtime instance: a notification arrives without a reload (bell, toast, dropdown), reading it
updates the count, a role change reloads the menu in place, and deactivation sends the page to the
sign-in page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS, VIEWPORT
from tests.browser.ui import create_user, menu_links, role_id, sign_in, unique

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def through_nginx(cluster, browser: Browser) -> Iterator[Callable[..., Page]]:
    contexts = []

    def factory(locale: str = "en-US") -> Page:
        context = browser.new_context(base_url=cluster.nginx.url, viewport=VIEWPORT, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


def _shot(page: Page, directory: Path | None, name: str) -> None:
    if directory is not None:
        page.screenshot(path=str(directory / f"live-{name}.png"))


def _broadcast(admin: Page, title: str, body: str, role: int) -> None:
    admin.goto("/notifications/broadcasts/new")
    admin.locator("#title").fill(title)
    admin.locator("#body").fill(body)
    admin.locator("#audience-1").check()
    admin.locator(f"#broadcast-role-{role}").check()
    admin.locator("#broadcast-form button[type=submit]").click()
    expect(admin.locator('[data-flash="success"]')).to_be_visible()


def test_a_notification_arrives_live_and_access_changes_reach_the_open_page(through_nginx, screenshot_dir):
    admin = through_nginx()
    sign_in(admin, "admin")
    role = unique("live")
    person = create_user(admin, roles=("sales",), locale="zh")
    seller = through_nginx("zh-CN")
    sign_in(seller, person.username)
    expect(seller.locator("body")).to_have_attribute("data-live", "connected")
    bell = seller.locator("#nav-bell")
    expect(bell).to_have_attribute("data-unread", "0")
    _shot(seller, screenshot_dir, "dashboard-zh-sales")

    # A message sent on a web instance reaches the page through the realtime instance.
    title = "库存盘点 " + role
    _broadcast(admin, title, "周五 17:00 前请完成盘点。", role_id(admin, "sales"))
    toast = seller.locator(".app-toast").filter(has_text=title)
    expect(toast).to_be_visible()
    expect(bell).to_have_attribute("data-unread", "1")
    expect(bell.locator("[data-unread-count]")).to_have_text("1")
    _shot(seller, screenshot_dir, "toast-zh")

    # The dropdown lists it; opening it marks it read.
    bell.click()
    item = seller.locator("[data-bell-items] [data-notification]").filter(has_text=title)
    expect(item).to_be_visible()
    expect(item).to_have_attribute("data-unread", "")
    _shot(seller, screenshot_dir, "dropdown-zh")
    item.click()
    expect(bell).to_have_attribute("data-unread", "0")
    expect(bell.locator("[data-unread-count]")).to_be_hidden()

    # An administrator gives the person a role: the menu changes in place, the page stays.
    seller.goto("/notifications/")
    seller.evaluate("window.erpStillHere = true")
    before = set(menu_links(seller))
    warehouse_role = role_id(admin, "warehouse")
    admin.goto(f"/admin/users/{person.id}/edit")
    admin.locator(f"#role-{warehouse_role}").check()
    admin.locator("#user-save").click()
    expect(admin.locator('[data-flash="success"]')).to_be_visible()
    expect(seller.locator("#app-menu a[href='/inventory/counts/new']")).to_have_count(1)
    assert set(menu_links(seller)) > before
    assert seller.evaluate("window.erpStillHere") is True
    expect(seller.locator(".app-toast")).to_have_count(1)
    _shot(seller, screenshot_dir, "menu-reloaded-zh")

    # Deactivated: the open page goes to the sign-in page by itself.
    admin.goto(f"/admin/users/{person.id}")
    admin.locator("#user-deactivate").click()
    admin.locator("#confirm-modal [data-confirm-ok]").click()
    expect(admin.locator("#user-reactivate")).to_be_visible()
    expect(seller).to_have_url(re.compile(r"/login(\?|$)"))
    expect(seller.locator("#login-submit")).to_be_visible()


def test_without_its_live_connection_a_page_polls_for_its_unread_count(new_context, live_server):
    from tests.live import WebUser

    context = new_context()
    # Socket.IO cannot get through at all: neither its WebSocket nor its long-polling fallback.
    context.route_web_socket(re.compile(r".*/socket\.io/.*"), lambda ws: ws.close())
    context.route(re.compile(r".*/socket\.io/.*"), lambda route: route.abort())
    page = context.new_page()
    sign_in(page, "warehouse")
    bell = page.locator("#nav-bell")
    expect(bell).to_have_class(re.compile(r"app-bell-offline"))
    before = int(bell.get_attribute("data-unread"))

    admin = WebUser(live_server)
    assert admin.login("admin").status_code == 302
    title = "Polled " + unique("p")
    response = admin.submit("/notifications/broadcasts/new", [("title", title), ("audience", "everyone")])
    assert response.status_code == 302
    expect(bell).to_have_attribute("data-unread", str(before + 1), timeout=15_000)
    expect(page.locator(".app-toast")).to_have_count(0)  # polling updates the count, it shows no toast
