"""What a person does in the browser, step by step, using the pages' own ids and data- attributes."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from playwright.sync_api import Page, expect

from tests.support import PASSWORD

ADMIN_LINKS = ("/admin/users/", "/admin/roles/", "/admin/sessions/", "/admin/audit/")


def unique(prefix: str) -> str:
    """A fresh lowercase name, valid both as a username and as a role code."""
    return f"{prefix}{secrets.token_hex(4)}"


def html_lang(page: Page) -> str:
    return page.evaluate("document.documentElement.lang")


def submit_login(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    page.wait_for_load_state()


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    submit_login(page, username, password)
    expect(page.locator("#user-menu")).to_be_visible()


def sign_out(page: Page) -> None:
    page.locator("#user-menu").click()
    page.locator("#logout-button").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def menu_links(page: Page) -> list[str]:
    return page.locator("#app-menu a").evaluate_all("links => links.map((a) => a.getAttribute('href'))")


def role_row(page: Page, name: str):
    """The row of the role list whose code is exactly ``name``."""
    return page.locator("table[data-list=roles] tbody tr").filter(has=page.locator(f'code:text-is("{name}")'))


def role_id(page: Page, name: str) -> int:
    page.goto("/admin/roles/")
    href = role_row(page, name).locator('a[href$="/edit"]').first.get_attribute("href")
    match = re.fullmatch(r"/admin/roles/(\d+)/edit", href or "")
    assert match, f"role {name} not listed: {href!r}"
    return int(match.group(1))


@dataclass
class Person:
    id: int
    username: str
    display_name: str
    password: str = PASSWORD


def create_user(admin: Page, roles: tuple[str, ...] = ("sales",), locale: str = "zh") -> Person:
    """Create a throwaway user through the admin's "New user" form."""
    ids = [role_id(admin, name) for name in roles]
    username = unique("bt")
    display_name = "Browser " + username
    admin.goto("/admin/users/new")
    admin.locator("#username").fill(username)
    admin.locator("#display_name").fill(display_name)
    admin.locator("#locale").select_option(locale)
    admin.locator("#password").fill(PASSWORD)
    for rid in ids:
        admin.locator(f"#role-{rid}").check()
    admin.locator("#user-save").click()
    expect(admin).to_have_url(re.compile(r"/admin/users/\d+$"))
    expect(admin.locator('[data-flash="success"]')).to_contain_text(username)
    user_id = int(admin.url.rsplit("/", 1)[1])
    return Person(id=user_id, username=username, display_name=display_name)
