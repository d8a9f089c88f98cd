"""Chinese and English: complete catalogues, choosing the language, times, numbers and money."""

import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.cli import IGNORE_DIRS
from tests.support import html

ROOT = Path(__file__).resolve().parent.parent
PO = {lang: ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po" for lang in ("zh", "en")}


def _catalog(lang):
    with PO[lang].open("rb") as fh:
        return read_po(fh, locale=lang)


@pytest.mark.once
def test_catalogues_cover_every_string_in_the_code(tmp_path):
    """Extracting again finds no string the catalogues lack (nobody forgot `translate update`)."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "-k", "N_", "--no-location", "--ignore-dirs", IGNORE_DIRS, "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as fh:
        extracted = {m.id for m in read_po(fh) if m.id}
    for lang in ("zh", "en"):
        known = {m.id for m in _catalog(lang) if m.id}
        missing = sorted(str(m) for m in extracted - known)
        assert not missing, f"{lang} catalogue lacks {len(missing)} strings, e.g. {missing[:5]}"


@pytest.mark.once
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_catalogue_is_complete_and_not_fuzzy(lang):
    catalog = _catalog(lang)
    untranslated, fuzzy = [], []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not untranslated, f"{len(untranslated)} untranslated in {lang}, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {lang}, e.g. {fuzzy[:5]}"


@pytest.mark.once
def test_zh_translations_keep_their_placeholders():
    for message in _catalog("zh"):
        if not message.id or isinstance(message.id, tuple):
            continue
        wanted = sorted(re.findall(r"%\((\w+)\)[sd]", message.id))
        got = sorted(re.findall(r"%\((\w+)\)[sd]", message.string))
        assert wanted == got, f"placeholders differ in {message.id!r} → {message.string!r}"


@pytest.mark.once
def test_compiled_catalogues_are_fresh():
    for path in PO.values():
        mo = path.with_suffix(".mo")
        assert mo.exists() and mo.stat().st_mtime >= path.stat().st_mtime, f"run `flask translate compile` ({mo})"


def test_visitor_gets_the_best_match_of_accept_language(client):
    zh = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert '<html lang="zh-CN">' in html(zh)
    assert "登录" in html(zh)
    en = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in html(en)
    assert "Sign in" in html(en)
    other = client.get("/login", headers={"Accept-Language": "fr-FR"})
    assert '<html lang="zh-CN">' in html(other)  # the company's default


def test_lang_argument_wins_for_that_request_only(login):
    user = login("sales", locale="zh")
    assert '<html lang="en">' in html(user.get("/?lang=en"))
    assert '<html lang="zh-CN">' in html(user.get("/"))


def test_language_switch_is_remembered_per_user(app, login, make_client):
    from app.auth.models import User
    from app.extensions import db

    user = login("sales", locale="zh")
    response = user.submit("/language", {"lang": "en", "next": "/account/"})
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    with app.app_context():
        assert db.session.get(User, user.user.id).locale == "en"
    other_browser = make_client()
    other_browser.login(user.user.username)
    assert '<html lang="en">' in html(other_browser.get("/"))


def test_language_switch_for_visitors_and_unsafe_next(client):
    token = client.csrf_token("/login")
    response = client.post("/language", data={"lang": "en", "next": "https://evil.example/", "csrf_token": token})
    assert response.headers["Location"] == "/login"
    assert '<html lang="en">' in html(client.get("/login", headers={"Accept-Language": "zh-CN"}))


def test_form_errors_from_wtforms_are_translated(login):
    user = login("sales", locale="zh")
    response = user.submit("/account/password", {"current_password": "", "new_password": "", "confirm": ""})
    assert "该字段是必填字段。" in html(response)


def test_times_are_shown_in_the_users_time_zone(app):
    from app.core.i18n import format_dt

    moment = datetime(2026, 1, 31, 16, 30, tzinfo=UTC)
    with app.test_request_context("/?lang=zh"):
        assert format_dt(moment) == "2026-02-01 00:30"  # Asia/Shanghai, the default


def test_a_users_own_time_zone_is_used(login):
    user = login("sales")
    response = user.submit(
        "/account/", {"display_name": "Tester", "locale": "en", "timezone": "Europe/London", "email": "", "phone": ""}
    )
    assert response.status_code == 302
    page = html(user.get("/account/"))
    assert '<option selected value="Europe/London">' in page


def test_numbers_and_money_follow_the_locale(app):
    from app.core.i18n import format_money, format_number

    with app.test_request_context("/?lang=zh"):
        assert format_money(Decimal("1234.5")) == "¥1,234.50"
        assert format_number(Decimal("1234567.891"), 2) == "1,234,567.89"
    with app.test_request_context("/?lang=en"):
        assert format_money(Decimal("1234.5")) == "CN¥1,234.50"
        assert format_number(Decimal("-0.5"), 1) == "-0.5"


def test_every_page_answers_lang(login):
    admin = login("admin")
    for path in ("/", "/admin/users/", "/admin/roles/", "/admin/sessions/", "/admin/audit/", "/account/"):
        assert '<html lang="zh-CN">' in html(admin.get(path + "?lang=zh")), path
        assert '<html lang="en">' in html(admin.get(path + "?lang=en")), path


def test_error_pages_in_both_languages(login, client):
    assert "Not found" in html(client.get("/no-such-page?lang=en"))
    assert "页面不存在" in html(client.get("/no-such-page?lang=zh"))
