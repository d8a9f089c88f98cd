"""The per-user session index: listing sessions and ending them."""

import hashlib

from tests.support import html


def _handle(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()[:16]


def test_admin_sees_everyone_signed_in_without_session_ids(login, make_client, create_user):
    admin = login("admin")
    create_user("jane", ["sales"])
    jane = make_client()
    jane.login("jane")
    sid = jane.get_cookie("erp_session").value
    page = html(admin.get("/admin/sessions/"))
    assert "Jane" in page
    assert sid not in page  # the secret id is never shown
    assert _handle(sid) in page


def test_admin_ends_one_session(login, make_client, create_user):
    admin = login("admin")
    user = create_user("kim", ["sales"])
    phone, desk = make_client(), make_client()
    phone.login("kim")
    desk.login("kim")
    handle = _handle(phone.get_cookie("erp_session").value)
    response = admin.submit(f"/admin/sessions/{user.id}/{handle}/end", {})
    assert response.status_code == 302
    assert phone.get("/").status_code == 302
    assert desk.get("/").status_code == 200


def test_ending_a_session_of_the_wrong_user_is_404(login, make_client, create_user):
    admin = login("admin")
    lee = create_user("lee", ["sales"])
    other = create_user("moe", ["sales"])
    c = make_client()
    c.login("lee")
    handle = _handle(c.get_cookie("erp_session").value)
    assert admin.submit(f"/admin/sessions/{other.id}/{handle}/end", {}).status_code == 404
    assert c.get("/").status_code == 200
    assert admin.submit(f"/admin/sessions/{lee.id}/{handle}/end", {}).status_code == 302


def test_sign_out_everywhere(login, make_client, create_user):
    admin = login("admin")
    user = create_user("ned", ["sales"])
    clients = [make_client() for _ in range(3)]
    for c in clients:
        c.login("ned")
    response = admin.submit(f"/admin/users/{user.id}/sessions/end", {})
    assert "3 session(s) of ned signed out." in html(admin.get(response.headers["Location"]))
    assert all(c.get("/").status_code == 302 for c in clients)


def test_users_see_and_end_their_own_other_sessions(make_client, create_user):
    create_user("ola", ["sales"])
    here, there = make_client(), make_client()
    here.login("ola")
    there.login("ola")
    page = html(here.get("/account/"))
    assert page.count("list-group-item") >= 2
    assert "This browser" in page
    response = here.submit("/account/sessions/end-others", {})
    assert "1 other session(s) signed out." in html(here.get(response.headers["Location"]))
    assert there.get("/").status_code == 302
    assert here.get("/").status_code == 200


def test_expired_sessions_drop_out_of_the_index(app, make_client, create_user):
    from app.auth import sessions
    from app.extensions import redis_store

    user = create_user("pat", ["sales"])
    c = make_client()
    c.login("pat")
    sid = c.get_cookie("erp_session").value
    with app.app_context():
        assert [s.sid for s in sessions.list_for(user.id)] == [sid]
        redis_store.delete(app.config["SESSION_KEY_PREFIX"] + sid)  # as if it expired
        assert sessions.list_for(user.id) == []
        assert not redis_store.hexists(redis_store.key("user_sessions", user.id), sid)


def _resurrect(app, sid: str, saved: bytes) -> None:
    """Write a session back the way a request that was running during its deletion would."""
    from app.extensions import redis_store

    with app.app_context():
        redis_store.set(app.config["SESSION_KEY_PREFIX"] + sid, saved, ex=3600)


def _saved(app, sid: str) -> bytes:
    from app.extensions import redis_store

    with app.app_context():
        return redis_store.get(app.config["SESSION_KEY_PREFIX"] + sid)


def test_an_ended_session_stays_ended_even_if_a_running_request_rewrites_it(app, login, make_client, create_user):
    admin = login("admin")
    user = create_user("quin", ["sales"])
    thief = make_client()
    thief.login("quin")
    sid = thief.get_cookie("erp_session").value
    saved = _saved(app, sid)
    admin.submit(f"/admin/users/{user.id}/sessions/end", {})
    _resurrect(app, sid, saved)
    assert thief.get("/").status_code == 302


def test_a_password_reset_ends_older_sessions_even_if_redis_missed_it(app, login, make_client, create_user):
    from app.auth import sessions

    admin = login("admin")
    user = create_user("rosa", ["sales"])
    thief = make_client()
    thief.login("rosa")
    sid = thief.get_cookie("erp_session").value
    saved = _saved(app, sid)
    admin.submit(f"/admin/users/{user.id}/password", {"new_password": "fresh-secret-1", "confirm": "fresh-secret-1"})
    # As if the deletion after the reset never reached Redis: session and index entry are back.
    _resurrect(app, sid, saved)
    with app.app_context():
        sessions.register(user.id, sid, "127.0.0.1", "thief")
    assert thief.get("/").status_code == 302


def test_changing_your_own_password_keeps_you_signed_in_here(make_client, create_user):
    create_user("sven", ["sales"])
    here = make_client()
    here.login("sven")
    here.submit(
        "/account/password",
        {
            "current_password": "correct-horse-battery-42",
            "new_password": "sven-new-secret",
            "confirm": "sven-new-secret",
        },
    )
    assert here.get("/").status_code == 200
    assert here.get("/account/").status_code == 200
