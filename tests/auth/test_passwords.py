"""Password hashing, the password policy, and changing one's own password."""

import pytest

from app.auth import services
from app.core.errors import DomainError
from tests.support import PASSWORD, html


def test_passwords_are_stored_as_scrypt_hashes(app, ctx, create_user):
    from app.auth.models import User
    from app.extensions import db

    user = create_user("pia", ["sales"])
    stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("scrypt:")
    assert PASSWORD not in stored


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("quinn", "short-pw", "at least 10 characters"),
        ("quinn-long-name", "quinn-long-name", "must not be the same as the username"),
        ("Quinn-Long-Name", "quinn-long-name", "must not be the same as the username"),
        ("quinn", "x" * 129, "at most 128 characters"),
    ],
)
def test_password_policy(app, username, password, message):
    with app.test_request_context("/?lang=en"), pytest.raises(DomainError, match=message):
        services.validate_password(username, password)


def test_a_good_password_passes(app):
    with app.test_request_context("/?lang=en"):
        services.validate_password("quinn", "ten-chars-ok")


def test_change_own_password_needs_the_current_one(client, create_user):
    create_user("rita", ["sales"])
    client.login("rita")
    response = client.submit(
        "/account/password",
        {"current_password": "not-my-password", "new_password": "brand-new-secret", "confirm": "brand-new-secret"},
    )
    assert response.status_code == 200
    assert "The current password is not correct." in html(response)
    assert client.get("/").status_code == 200  # still signed in


def test_change_own_password_rejects_mismatch_and_policy(client, create_user):
    create_user("sam", ["sales"])
    client.login("sam")
    mismatch = client.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "brand-new-secret", "confirm": "other-one-x"},
    )
    assert "The two new passwords do not match." in html(mismatch)
    weak = client.submit(
        "/account/password", {"current_password": PASSWORD, "new_password": "short", "confirm": "short"}
    )
    assert "at least 10 characters" in html(weak)


def test_changing_password_keeps_this_session_and_ends_the_others(make_client, create_user):
    create_user("tina", ["sales"])
    here, elsewhere = make_client(), make_client()
    here.login("tina")
    elsewhere.login("tina")
    response = here.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "brand-new-secret", "confirm": "brand-new-secret"},
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    # The old password no longer works; the new one does.
    assert make_client().login("tina").status_code == 200
    assert make_client().login("tina", "brand-new-secret").status_code == 302


def test_admin_password_reset_signs_the_user_out(login, make_client, create_user):
    admin = login("admin")
    target = create_user("uma", ["sales"])
    victim = make_client()
    victim.login("uma")
    response = admin.submit(
        f"/admin/users/{target.id}/password", {"new_password": "set-by-admin-1", "confirm": "set-by-admin-1"}
    )
    assert response.status_code == 302
    assert victim.get("/").status_code == 302
    assert make_client().login("uma", "set-by-admin-1").status_code == 302


def test_password_reset_is_in_the_operation_log_without_the_hash(app, login, create_user):
    import sqlalchemy as sa

    from app.core.audit import OperationLog
    from app.extensions import db

    admin = login("admin")
    target = create_user("vic", ["sales"])
    admin.submit(f"/admin/users/{target.id}/password", {"new_password": "set-by-admin-2", "confirm": "set-by-admin-2"})
    with app.app_context():
        entry = db.session.scalars(
            sa.select(OperationLog)
            .where(OperationLog.object_type == "user", OperationLog.object_id == target.id)
            .order_by(OperationLog.id.desc())
        ).first()
        assert entry.changes["password_hash"] == ["***", "***"]
        assert entry.actor_id == admin.user.id


def test_guessing_the_current_password_is_throttled(app, make_client, create_user):
    create_user("ursula", ["sales"])
    c = make_client()
    c.login("ursula")
    limit = int(app.config["PASSWORD_CHANGE_LIMIT"].split()[0])
    wrong = {"current_password": "guess-wrong-1", "new_password": "ursula-new-pw", "confirm": "ursula-new-pw"}
    for _ in range(limit):
        assert c.submit("/account/password", wrong).status_code == 200
    blocked = c.submit("/account/password", {**wrong, "current_password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many wrong passwords. Try again in" in html(blocked)


def test_a_policy_error_with_the_right_current_password_does_not_count(app, make_client, create_user):
    create_user("vera", ["sales"])
    c = make_client()
    c.login("vera")
    limit = int(app.config["PASSWORD_CHANGE_LIMIT"].split()[0])
    for _ in range(limit + 1):
        short = c.submit("/account/password", {"current_password": PASSWORD, "new_password": "x", "confirm": "x"})
        assert short.status_code == 200
    ok = c.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "vera-new-secret", "confirm": "vera-new-secret"},
    )
    assert ok.status_code == 302
