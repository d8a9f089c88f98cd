"""One-time form tokens: a double click or a replayed POST changes nothing twice."""

import json
import threading
import time

import sqlalchemy as sa

from app.auth.models import Role
from app.core import once
from app.extensions import db, redis_store
from tests import support

NEW_ROLE = "/admin/roles/new"


def _role_form(name: str, **changes) -> dict:
    data = {
        "name": name,
        "title_zh": "测试角色",
        "title_en": "Test role " + name,
        "description": "",
        "permissions": ["users.view"],
    }
    data.update(changes)
    return data


def _roles_named(app, *names: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Role).where(Role.name.in_(names)))


def _once_key(client, token: str) -> str:
    return redis_store.key("once", f"u{client.user.id}", token)


def test_a_form_post_without_a_one_time_token_is_refused(app, login):
    admin = login("admin")
    data = _role_form("no_token", csrf_token=admin.csrf_token(NEW_ROLE))
    response = admin.post(NEW_ROLE, data=data)
    assert response.status_code == 400
    assert "one-time token" in support.html(response)
    assert _roles_named(app, "no_token") == 0


def test_a_malformed_one_time_token_is_refused(app, login):
    admin = login("admin")
    for bad in ("short", "x" * 65, "has spaces in it here", "semi;colon;token;value"):
        response = admin.submit(NEW_ROLE, _role_form("bad_token"), once=bad, token_from=NEW_ROLE)
        assert response.status_code == 400, bad
    assert _roles_named(app, "bad_token") == 0


def test_a_get_needs_no_token(login):
    admin = login("admin")
    assert admin.get(NEW_ROLE).status_code == 200


def test_the_same_token_twice_creates_one_role_and_answers_the_same_redirect(app, login):
    admin = login("admin")
    token = support.new_once()
    first = admin.submit(NEW_ROLE, _role_form("double_click"), once=token, token_from=NEW_ROLE)
    second = admin.submit(NEW_ROLE, _role_form("double_click"), once=token, token_from=NEW_ROLE)

    assert first.status_code in (302, 303)
    assert second.status_code in (302, 303)
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"].endswith("/admin/roles/")
    assert _roles_named(app, "double_click") == 1


def test_a_replayed_token_does_not_run_the_view_even_with_other_data(app, login):
    admin = login("admin")
    token = support.new_once()
    first = admin.submit(NEW_ROLE, _role_form("original"), once=token, token_from=NEW_ROLE)
    assert first.status_code in (302, 303)
    replay = admin.submit(NEW_ROLE, _role_form("tampered_replay"), once=token, token_from=NEW_ROLE)
    assert replay.status_code in (302, 303)
    assert replay.headers["Location"] == first.headers["Location"]
    assert _roles_named(app, "original") == 1
    assert _roles_named(app, "tampered_replay") == 0


def test_a_post_with_validation_errors_releases_its_token(app, login):
    admin = login("admin")
    token = support.new_once()
    rejected = admin.submit(NEW_ROLE, _role_form("fixed_later", title_en=""), once=token, token_from=NEW_ROLE)
    assert rejected.status_code == 200
    assert "data-form-errors" in support.html(rejected)
    assert _roles_named(app, "fixed_later") == 0
    with app.app_context():
        assert redis_store.get(_once_key(admin, token)) is None

    corrected = admin.submit(NEW_ROLE, _role_form("fixed_later"), once=token, token_from=NEW_ROLE)
    assert corrected.status_code == 302
    assert _roles_named(app, "fixed_later") == 1


def test_a_post_refused_by_a_business_rule_releases_its_token(app, login):
    admin = login("admin")
    token = support.new_once()
    # "sales" exists already: the service refuses the duplicate code.
    refused = admin.submit(NEW_ROLE, _role_form("sales"), once=token, token_from=NEW_ROLE)
    assert refused.status_code == 200
    assert "already exists" in support.html(refused)

    corrected = admin.submit(NEW_ROLE, _role_form("sales_east"), once=token, token_from=NEW_ROLE)
    assert corrected.status_code == 302
    assert _roles_named(app, "sales_east") == 1


def test_tokens_belong_to_one_user(app, login):
    first_admin, second_admin = login("admin"), login("admin")
    token = support.new_once()
    a = first_admin.submit(NEW_ROLE, _role_form("from_first"), once=token, token_from=NEW_ROLE)
    b = second_admin.submit(NEW_ROLE, _role_form("from_second"), once=token, token_from=NEW_ROLE)
    assert a.status_code == 302
    assert b.status_code == 302
    assert _roles_named(app, "from_first", "from_second") == 2


def test_a_duplicate_arriving_while_the_first_runs_waits_and_gets_its_redirect(app, ctx, login):
    admin = login("admin")
    token = support.new_once()
    key = _once_key(admin, token)
    csrf = admin.csrf_token(NEW_ROLE)
    # The first request has claimed the token and is still running.
    redis_store.set(key, b"pending", ex=60)
    written_at = []

    def first_request_finishes():
        time.sleep(0.5)
        with app.app_context():
            redis_store.set(key, json.dumps({"location": "/admin/roles/?created=first"}), ex=60)
        written_at.append(time.monotonic())

    worker = threading.Thread(target=first_request_finishes)
    worker.start()
    try:
        response = admin.post(NEW_ROLE, data={**_role_form("while_pending"), "csrf_token": csrf, "_once": token})
        answered_at = time.monotonic()
    finally:
        worker.join()

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/roles/?created=first"
    assert answered_at >= written_at[0]
    assert _roles_named(app, "while_pending") == 0


def test_a_duplicate_waiting_on_a_first_request_that_failed_runs_itself(app, ctx, login):
    admin = login("admin")
    token = support.new_once()
    key = _once_key(admin, token)
    csrf = admin.csrf_token(NEW_ROLE)
    redis_store.set(key, b"pending", ex=60)

    def first_request_fails():
        time.sleep(0.3)
        with app.app_context():
            redis_store.delete(key)  # a failed first request releases its claim

    worker = threading.Thread(target=first_request_fails)
    worker.start()
    try:
        response = admin.post(NEW_ROLE, data={**_role_form("after_failure"), "csrf_token": csrf, "_once": token})
    finally:
        worker.join()

    assert response.status_code == 302
    assert _roles_named(app, "after_failure") == 1


def test_a_duplicate_gives_up_with_409_and_leaves_the_first_claim_alone(app, ctx, login, monkeypatch):
    monkeypatch.setattr(once, "WAIT_SECONDS", 0.3)  # the real wait is 15 s
    admin = login("admin")
    token = support.new_once()
    key = _once_key(admin, token)
    redis_store.set(key, b"pending", ex=60)

    response = admin.submit(NEW_ROLE, _role_form("never_settled"), once=token, token_from=NEW_ROLE)
    assert response.status_code == 409
    assert redis_store.get(key) == b"pending"
    assert _roles_named(app, "never_settled") == 0


def test_a_token_older_than_its_lifetime_is_refused(app, login, monkeypatch):
    import itsdangerous.timed

    from app.core.once import TOKEN_MAX_AGE

    admin = login("admin")
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - TOKEN_MAX_AGE - 60)
    old = support.new_once()
    monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)
    response = admin.submit(NEW_ROLE, _role_form("too_late"), once=old, token_from=NEW_ROLE)
    assert response.status_code == 400
    assert "too old to be sent again" in support.html(response)
    assert _roles_named(app, "too_late") == 0


def test_a_token_not_signed_by_this_site_is_refused(app, login):
    admin = login("admin")
    forged = support.new_once("another-sites-secret")
    response = admin.submit(NEW_ROLE, _role_form("forged"), once=forged, token_from=NEW_ROLE)
    assert response.status_code == 400
    assert _roles_named(app, "forged") == 0
