"""User administration and the user's own password, on throwaway users made through the admin UI."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.ui import create_user, sign_in, sign_out, submit_login

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_deactivating_a_user_asks_first_and_signs_them_out(new_page):
    admin = new_page()
    sign_in(admin, "admin")
    person = create_user(admin, roles=("sales",))
    victim = new_page()
    sign_in(victim, person.username)

    admin.goto(f"/admin/users/{person.id}")
    modal = admin.locator("#confirm-modal")
    ok = modal.locator("[data-confirm-ok]")

    # Cancelling the dialog changes nothing.
    admin.locator("#user-deactivate").click()
    expect(modal).to_be_visible()
    expect(modal.locator("[data-confirm-text]")).to_contain_text(person.username)
    expect(ok).to_be_focused()  # set on "shown": the dialog has finished opening
    modal.locator('.modal-footer [data-bs-dismiss="modal"]').click()
    expect(modal).to_be_hidden()
    expect(admin).to_have_url(re.compile(rf"/admin/users/{person.id}$"))
    admin.reload()
    expect(admin.locator("#user-deactivate")).to_be_visible()
    expect(admin.locator("#user-reactivate")).to_have_count(0)
    victim.goto("/")
    expect(victim.locator("[data-dashboard]")).to_be_visible()

    # Confirming deactivates and signs the user out of their open browser.
    admin.locator("#user-deactivate").click()
    expect(ok).to_be_focused()
    ok.click()
    expect(admin.locator('[data-flash="success"]')).to_contain_text(person.username)
    expect(admin.locator("#user-reactivate")).to_be_visible()
    expect(admin.locator("#user-deactivate")).to_have_count(0)

    victim.goto("/")
    expect(victim).to_have_url(re.compile(r"/login(\?|$)"))
    expect(victim.locator("#login-submit")).to_be_visible()
    submit_login(victim, person.username, person.password)
    expect(victim.locator("[data-form-errors]")).to_be_visible()
    expect(victim.locator("#user-menu")).to_have_count(0)

    # Reactivated, they can sign in again.
    admin.locator("#user-reactivate").click()
    expect(admin.locator('[data-flash="success"]')).to_contain_text(person.username)
    expect(admin.locator("#user-deactivate")).to_be_visible()
    sign_in(victim, person.username)
    expect(victim.locator("[data-dashboard]")).to_be_visible()


def test_changing_own_password_needs_the_current_one(new_page):
    admin = new_page()
    sign_in(admin, "admin")
    person = create_user(admin, roles=("warehouse",))
    page = new_page()
    sign_in(page, person.username)
    elsewhere = new_page()
    sign_in(elsewhere, person.username)
    new_password = "a-brand-new-secret-77"
    save = page.locator("#main form button[type=submit]")

    page.goto("/account/password")
    page.locator("#current_password").fill("not-my-password-1")
    page.locator("#new_password").fill(new_password)
    page.locator("#confirm").fill(new_password)
    save.click()
    expect(page.locator("[data-form-errors]")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/account/password$"))
    expect(page.locator("#user-menu")).to_be_visible()
    page.goto("/")
    expect(page.locator("[data-dashboard]")).to_be_visible()

    page.goto("/account/password")
    page.locator("#current_password").fill(person.password)
    page.locator("#new_password").fill(new_password)
    page.locator("#confirm").fill(new_password)
    save.click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.locator('[data-flash="success"]')).to_be_visible()
    page.goto("/")
    expect(page.locator("[data-dashboard]")).to_be_visible()
    # The user's other browser is signed out.
    elsewhere.goto("/")
    expect(elsewhere).to_have_url(re.compile(r"/login(\?|$)"))

    sign_out(page)
    submit_login(page, person.username, person.password)
    expect(page.locator("[data-form-errors]")).to_be_visible()
    sign_in(page, person.username, new_password)
    expect(page.locator("[data-dashboard]")).to_be_visible()
