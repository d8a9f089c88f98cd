"""The role editor: a change reaches the role's signed-in users on their next page, and a
double-sent "Save" creates one role, not two."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import support
from tests.browser.ui import role_id, role_row, sign_in, unique
from tests.live import LiveServer, WebUser

pytestmark = [pytest.mark.browser, pytest.mark.live]

USER_PERMISSIONS = {"users.view", "users.manage"}


def _drop_user_permissions(live_server: LiveServer, rid: int) -> None:
    """Put the sales role back as the demo data has it, if a failed run left it changed."""
    admin = WebUser(live_server)
    assert admin.login("admin").status_code == 302
    path = f"/admin/roles/{rid}/edit"
    fields = support.form_fields(admin.get(path).text, "role-form")
    granted = {v for k, v in fields if k == "permissions"}
    if granted & USER_PERMISSIONS:
        fields = support.replace_field(fields, "permissions", *sorted(granted - USER_PERMISSIONS))
        assert admin.post_fields(path, fields).status_code in (302, 303)


def _save_role(admin: Page) -> None:
    admin.locator("#role-save").click()
    expect(admin).to_have_url(re.compile(r"/admin/roles/$"))
    expect(admin.locator('[data-flash="success"]')).to_be_visible()


def test_role_editor_change_reaches_signed_in_users_on_next_page(new_page, live_server):
    admin = new_page()
    sign_in(admin, "admin")
    seller = new_page()
    sign_in(seller, "sales2")
    users_link = seller.locator('#app-menu a[href="/admin/users/"]')
    expect(users_link).to_have_count(0)

    rid = role_id(admin, "sales")
    editor = f"/admin/roles/{rid}/edit"
    toggle = admin.locator('[data-group-toggle="users"]')
    view = admin.locator('input[name=permissions][value="users.view"]')
    try:
        admin.goto(editor)
        expect(toggle).not_to_be_checked()
        toggle.check()
        expect(view).to_be_checked()
        expect(admin.locator('input[name=permissions][value="users.manage"]')).to_be_checked()
        _save_role(admin)

        seller.reload()
        expect(users_link).to_be_visible()
        users_link.click()
        expect(seller).to_have_url(re.compile(r"/admin/users/$"))
        expect(seller.locator('table[data-list="users"]')).to_be_visible()

        # Undo through the editor as well.
        admin.goto(editor)
        expect(toggle).to_be_checked()
        toggle.uncheck()
        expect(view).not_to_be_checked()
        _save_role(admin)
        seller.goto("/")
        expect(seller.locator("[data-dashboard]")).to_be_visible()
        expect(users_link).to_have_count(0)
    finally:
        _drop_user_permissions(live_server, rid)


def _fill_new_role(admin: Page, code: str) -> None:
    admin.goto("/admin/roles/new")
    admin.locator("#title_zh").fill("浏览器测试 " + code)
    admin.locator("#title_en").fill("Browser test " + code)
    admin.locator("#name").fill(code)
    admin.locator('[data-group-toggle="customers"]').check()


def _count_roles(admin: Page, code: str) -> int:
    admin.goto("/admin/roles/")
    return role_row(admin, code).count()


def test_double_click_on_save_creates_one_role(new_page):
    admin = new_page()
    sign_in(admin, "admin")
    code = unique("dbl_")
    _fill_new_role(admin, code)
    admin.locator("#role-save").dblclick()
    expect(admin).to_have_url(re.compile(r"/admin/roles/$"))
    expect(admin.locator("[data-form-errors]")).to_have_count(0)
    assert _count_roles(admin, code) == 1


def test_second_click_while_saving_sends_nothing(new_page):
    """A person's double click on a slow line: the second click lands while the first POST is
    still on its way. (Playwright's dblclick() is too fast for this: Chromium itself drops a
    second submission made in the same task.)"""
    admin = new_page()
    sign_in(admin, "admin")
    code = unique("slow_")
    _fill_new_role(admin, code)
    posts: list[str] = []
    admin.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    cdp = admin.context.new_cdp_session(admin)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 300, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    save = admin.locator("#role-save")
    save.scroll_into_view_if_needed()
    box = save.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    admin.mouse.click(x, y)
    admin.wait_for_timeout(120)
    admin.mouse.click(x, y)
    expect(admin).to_have_url(re.compile(r"/admin/roles/$"))
    expect(admin.locator("[data-form-errors]")).to_have_count(0)
    assert len(posts) == 1, posts
    assert _count_roles(admin, code) == 1


def test_same_form_sent_twice_at_once_and_again_later_creates_one_role(new_page):
    admin = new_page()
    sign_in(admin, "admin")
    code = unique("twice_")
    _fill_new_role(admin, code)
    answers = admin.evaluate(
        """async () => {
            const form = document.getElementById("role-form");
            const body = new FormData(form);
            const send = () => fetch(form.action, {method: "POST", body, credentials: "same-origin"});
            const answers = await Promise.all([send(), send()]);
            answers.push(await send());
            return answers.map((r) => ({status: r.status, redirected: r.redirected, url: r.url}));
        }"""
    )
    for answer in answers:
        assert answer["status"] == 200, answers
        assert answer["redirected"], answers
        assert answer["url"].endswith("/admin/roles/"), answers
    assert _count_roles(admin, code) == 1
