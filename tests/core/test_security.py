"""Redirect targets that never leave the site, security headers and request ids."""

import re
from urllib.parse import urlsplit

import pytest

from app.core.security import safe_next
from tests import support

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


@pytest.mark.parametrize(
    "target",
    ["/", "/x?y=1", "/customers/12/edit", "/admin/users/?q=a%20b&page=2#top", "/reports/?from=2026-01-01"],
)
def test_safe_next_accepts_paths_on_this_site(target):
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.com",
        "//evil.com/path",
        "///evil.com",
        "https://evil.com",
        "http://evil.com/",
        "HTTPS://evil.com",
        "evil.com",
        "x/y",
        "/\\evil.com",
        "\\\\evil.com",
        "/\\/evil.com",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "/path\r\nSet-Cookie: x=1",
        "/\t/evil.com",
        "/\x00",
        "/" + "a" * 2000,
    ],
)
def test_safe_next_refuses_everything_else(target):
    assert safe_next(target) is None


# --- headers ---------------------------------------------------------------------------------


def _assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_carry_the_security_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    _assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in tests


def test_error_pages_redirects_and_json_carry_them_too(client, login):
    _assert_security_headers(client.get("/no-such-page"))
    _assert_security_headers(client.get("/admin/users/"))  # a redirect to the login page
    _assert_security_headers(client.get("/healthz"))
    _assert_security_headers(login("sales").get("/admin/users/"))  # 403


def test_signed_in_pages_are_not_cached(login):
    response = login("sales").get("/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    _assert_security_headers(response)


def test_each_response_gets_a_fresh_request_id(client):
    first = client.get("/login").headers["X-Request-Id"]
    second = client.get("/login").headers["X-Request-Id"]
    assert HEX_ID.match(first)
    assert HEX_ID.match(second)
    assert first != second


@pytest.mark.parametrize("incoming", ["abcDEF12-34_5.6", "0123456789abcdef0123456789abcdef", "a" * 64])
def test_a_valid_incoming_request_id_is_echoed(client, incoming):
    response = client.get("/login", headers={"X-Request-Id": incoming})
    assert response.headers["X-Request-Id"] == incoming


@pytest.mark.parametrize(
    "incoming", ["short", "a" * 65, "has space inside", "semi;colon;value", "slash/in/the/value", "ünïcode-value"]
)
def test_a_malformed_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/login", headers={"X-Request-Id": incoming})
    assert HEX_ID.match(response.headers["X-Request-Id"])


# --- login "next" ----------------------------------------------------------------------------


def _target(response) -> str:
    assert response.status_code == 302, support.html(response)[:1000]
    parts = urlsplit(response.headers["Location"])
    assert parts.netloc in ("", "localhost"), response.headers["Location"]
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_login_goes_to_a_local_next_page(make_client, create_user):
    user = create_user(roles=["admin"])
    response = make_client().login(user.username, next_url="/admin/users/?status=all")
    assert _target(response) == "/admin/users/?status=all"


@pytest.mark.parametrize(
    "evil",
    ["//evil.com", "https://evil.com/", "/\\evil.com", "javascript:alert(1)", "\\\\evil.com", "evil.com"],
)
def test_login_with_an_open_redirect_next_ends_on_the_dashboard(make_client, create_user, evil):
    user = create_user(roles=["sales"])
    response = make_client().login(user.username, next_url=evil)
    assert _target(response) == "/"


def test_a_signed_in_visit_to_the_login_page_ignores_a_foreign_next(login):
    sales = login("sales")
    assert _target(sales.get("/login?next=https://evil.com/")) == "/"
    assert _target(sales.get("/login?next=%2F%2Fevil.com")) == "/"
    assert _target(sales.get("/login?next=/account/")) == "/account/"


def test_a_nul_byte_in_input_is_refused_cleanly(client, login):
    admin = login("admin")
    assert admin.get("/admin/users/?q=a%00b").status_code == 400
    token = client.csrf_token("/login")
    response = client.post("/login", data={"username": "ad\x00min", "password": "x", "csrf_token": token})
    assert response.status_code == 400
    assert "not allowed" in response.get_data(as_text=True)
