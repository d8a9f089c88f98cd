"""Signing in and out: messages, redirects, session ids and cookies, throttling, lifetimes."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support import PASSWORD, html

SAME_MESSAGE = "The username or password is not correct."


def _session_cookie(client):
    return client.get_cookie("erp_session")


def test_login_page_has_username_password_and_csrf_fields(client):
    page = html(client.get("/login"))
    assert 'name="username"' in page
    assert 'name="password"' in page
    assert 'name="csrf_token"' in page
    assert "remember" not in page.lower()


def test_valid_login_lands_on_dashboard(client, create_user):
    create_user("alice", ["sales"])
    response = client.login("alice")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = html(client.get("/"))
    assert "Hello, Alice" in page


@pytest.mark.parametrize("case", ["unknown", "wrong_password", "inactive"])
def test_every_failed_login_gets_the_same_message(client, create_user, case):
    create_user("bob", ["sales"], is_active=case != "inactive")
    username = "nobody" if case == "unknown" else "bob"
    password = "wrong-password-123" if case == "wrong_password" else PASSWORD
    response = client.login(username, password)
    assert response.status_code == 200
    page = html(response)
    assert SAME_MESSAGE in page
    assert f'value="{username}"' in page  # the username is kept
    assert PASSWORD not in page  # the password is not echoed back
    assert client.get("/").status_code == 302


def test_an_expired_login_form_is_shown_again_with_a_message(client, create_user):
    create_user("expired", ["sales"])
    response = client.post("/login", data={"username": "expired", "password": PASSWORD, "csrf_token": "stale"})
    assert response.status_code == 200
    page = html(response)
    assert "The sign-in form had expired. Please sign in again." in page
    assert 'value="expired"' in page
    assert client.get("/").status_code == 302  # not signed in without a valid token
    assert client.login("expired").status_code == 302


def test_username_is_case_sensitive(client, create_user):
    create_user("Carol", ["sales"])
    assert client.login("carol").status_code == 200
    assert client.login("Carol").status_code == 302


def test_login_rotates_the_session_id(client, create_user):
    create_user("dave", ["sales"])
    client.get("/login")
    before = _session_cookie(client)
    assert before is not None
    client.login("dave")
    after = _session_cookie(client)
    assert after is not None and after.value != before.value


def test_a_planted_session_id_is_not_adopted(client, create_user):
    create_user("erin", ["sales"])
    client.set_cookie("erp_session", "attacker-chosen-session-id")
    client.login("erin")
    assert _session_cookie(client).value != "attacker-chosen-session-id"


def test_session_cookie_is_httponly_samesite_and_not_persistent(client, create_user):
    create_user("frank", ["sales"])
    response = client.login("frank")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("erp_session="))
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Expires" not in header  # a browser-session cookie: closing the browser ends it
    assert not any(h.startswith("remember_token") for h in response.headers.getlist("Set-Cookie"))


def test_production_requires_a_secret_key_and_sets_secure_cookies(app_config, monkeypatch):
    from app import create_app

    overrides = {k: v for k, v in app_config.items() if k not in ("ERP_ENV", "SECRET_KEY")}
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app({**overrides, "ERP_ENV": "production"})
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-for-this-test")
    production = create_app({**overrides, "ERP_ENV": "production"})
    response = production.test_client().get("/login")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("erp_session="))
    assert "Secure" in header
    assert "HttpOnly" in header
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/admin/users/?q=x", "/admin/users/?q=x"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_redirects_inside_the_site(client, create_user, next_url, landing):
    create_user("gina", ["admin"])
    response = client.login("gina", next_url=next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == landing


def test_anonymous_visit_redirects_to_login_with_next(client):
    response = client.get("/admin/users/?q=a")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/admin/users/?q=a"]


def test_logout_needs_post_and_ends_the_session(client, create_user):
    create_user("hank", ["sales"])
    client.login("hank")
    old = _session_cookie(client).value
    confirm_page = client.get("/logout")
    assert confirm_page.status_code == 200
    assert client.get("/").status_code == 200  # a GET does not sign out
    token = client.csrf_token("/")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "You have signed out." in html(client.get("/login"))
    assert client.get("/").status_code == 302
    # Replaying the old session id does not bring the session back.
    client.set_cookie("erp_session", old)
    assert client.get("/").status_code == 302


def test_the_user_menu_is_each_users_own_with_this_pages_path_and_this_sessions_token(make_client, create_user):
    """The language and user menus are rendered once per user (a cached fragment); the path and
    the CSRF token in their forms are this request's."""
    import re

    create_user("ivy", ["sales"], display_name="Ivy Chen")
    create_user("jon", ["warehouse"], display_name="Jon Wu")
    ivy, jon = make_client(), make_client()
    ivy.login("ivy")
    jon.login("jon")
    for client, name, path in ((ivy, "Ivy Chen", "/customers/?q=a%22b"), (jon, "Jon Wu", "/inventory/stock/")):
        page = html(client.get(path))
        menu = page[page.index('id="user-menu"') :]
        assert name in menu[:300]
        assert re.search(r'name="next" value="([^"]*)"', page).group(1) == path
        tokens = set(re.findall(r'name="csrf_token" value="([^"]*)"', page))
        assert len(tokens) == 1
        switched = client.post("/language", data={"lang": "zh", "csrf_token": tokens.pop(), "next": path})
        assert switched.headers["Location"] == path
    assert "Ivy Chen" not in html(jon.get("/"))
    assert "Jon Wu" not in html(ivy.get("/"))


def test_logout_without_csrf_is_refused(client, create_user):
    create_user("ivy", ["sales"])
    client.login("ivy")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_successful_login_records_last_login(app, client, create_user):
    from app.auth.models import User
    from app.extensions import db

    user = create_user("jack", ["sales"])
    client.login("jack")
    with app.app_context():
        assert db.session.get(User, user.id).last_login_at is not None
        assert db.session.get(User, user.id).last_login_ip == "127.0.0.1"


def test_dashboard_shows_the_previous_sign_in_not_this_one(make_client, create_user):
    create_user("jill", ["sales"])
    first = make_client()
    first.login("jill")
    assert "This is your first sign-in." in html(first.get("/"))
    second = make_client()
    second.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    second.login("jill")
    page = html(second.get("/"))
    assert "Your previous sign-in:" in page
    assert "127.0.0.1" in page  # where the previous sign-in came from
    assert "10.1.2.3" not in page


# --- throttling -----------------------------------------------------------------------------


def test_failed_logins_are_limited_per_username_even_unknown(app, make_client):
    limit = int(app.config["LOGIN_LIMIT_PER_USERNAME"].split()[0])
    for _ in range(limit):
        response = make_client().login("ghost", "wrong-password-1")
        assert response.status_code == 200
    blocked = make_client().login("ghost", "wrong-password-1")
    assert blocked.status_code == 429
    page = html(blocked)
    assert "Too many sign-in attempts. Try again in" in page
    assert "minutes" in page
    assert SAME_MESSAGE not in page


def test_username_limit_applies_to_existing_user_the_same_way(app, make_client, create_user):
    create_user("kate", ["sales"])
    limit = int(app.config["LOGIN_LIMIT_PER_USERNAME"].split()[0])
    for _ in range(limit):
        make_client().login("kate", "wrong-password-1")
    blocked = make_client().login("kate", PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert "Too many sign-in attempts. Try again in" in html(blocked)
    # Another username is not affected.
    create_user("luke", ["sales"])
    assert make_client().login("luke").status_code == 302


def test_successful_logins_do_not_count(app, make_client, create_user):
    create_user("mia", ["sales"])
    limit = int(app.config["LOGIN_LIMIT_PER_USERNAME"].split()[0])
    for _ in range(limit + 2):
        assert make_client().login("mia").status_code == 302


def test_failed_logins_are_limited_per_address(app, make_client):
    per_ip = int(app.config["LOGIN_LIMIT_PER_IP"].split()[0])
    for i in range(per_ip):
        assert make_client().login(f"spray{i}", "wrong-password-1").status_code == 200
    response = make_client().login("spray-final", "wrong-password-1")
    assert response.status_code == 429
    # A different address is not affected.
    other = make_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    assert other.login("spray-other", "wrong-password-1").status_code == 200


def test_throttle_message_is_translated(app, make_client):
    limit = int(app.config["LOGIN_LIMIT_PER_USERNAME"].split()[0])
    for _ in range(limit):
        make_client().login("ghost2", "wrong-password-1")
    c = make_client()
    token = c.csrf_token("/login?lang=zh")
    blocked = c.post("/login?lang=zh", data={"username": "ghost2", "password": "x", "csrf_token": token})
    assert blocked.status_code == 429
    assert "登录尝试次数过多" in html(blocked)


# --- lifetimes ------------------------------------------------------------------------------


def test_idle_timeout_is_the_session_ttl_in_redis(app, client, create_user):
    from app.extensions import redis_store

    create_user("nina", ["sales"])
    client.login("nina")
    sid = _session_cookie(client).value
    with app.app_context():
        ttl = redis_store.ttl(app.config["SESSION_KEY_PREFIX"] + sid)
        idle = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
        assert idle - 5 <= ttl <= idle
        # Simulate the idle time passing: the session key expires.
        redis_store.delete(app.config["SESSION_KEY_PREFIX"] + sid)
    assert client.get("/").status_code == 302


def test_a_request_slides_the_idle_timeout_without_rewriting_the_session_every_time(app, client, create_user):
    from app.extensions import redis_store

    create_user("nadia", ["sales"])
    client.login("nadia")
    key = app.config["SESSION_KEY_PREFIX"] + _session_cookie(client).value
    idle = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    client.get("/")  # shows (and so removes) the welcome message: a change
    with app.app_context():
        redis_store.expire(key, 600)  # as if the user had been away for a while
    # Written less than SESSION_TOUCH_SECONDS ago and unchanged: not written again.
    assert client.get("/").status_code == 200
    with app.app_context():
        assert redis_store.ttl(key) <= 600
    app.config["SESSION_TOUCH_SECONDS"] = 0
    try:
        assert client.get("/").status_code == 200
    finally:
        app.config["SESSION_TOUCH_SECONDS"] = 60
    with app.app_context():
        assert idle - 5 <= redis_store.ttl(key) <= idle


def test_absolute_lifetime_ends_even_an_active_session(app, client, create_user):
    create_user("omar", ["sales"])
    client.login("omar")
    assert client.get("/").status_code == 200
    lifetime = app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds()
    with client.session_transaction() as sess:
        sess["auth_at"] = int(time.time() - lifetime - 60)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
