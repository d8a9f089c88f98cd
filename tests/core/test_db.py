"""Database base: UTC timestamps, named constraints, optimistic locking, authors, after-commit hooks."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import Role, User
from app.core.db import acting_as, after_commit, current_actor_id
from app.extensions import db

SHANGHAI = timezone(timedelta(hours=8))


def _fresh(model, obj_id):
    """The row as stored, read again from the database."""
    db.session.expire_all()
    return db.session.get(model, obj_id)


# --- UTCDateTime -----------------------------------------------------------------------------


def test_timestamps_come_back_as_aware_utc(ctx, create_user):
    user = _fresh(User, create_user().id)
    for value in (user.created_at, user.updated_at):
        assert value.tzinfo is not None
        assert value.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - user.created_at) < timedelta(minutes=5)


def test_an_aware_time_in_another_zone_is_stored_as_the_same_instant_in_utc(ctx, create_user):
    user = _fresh(User, create_user().id)
    user.last_login_at = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    db.session.commit()

    stored = _fresh(User, user.id).last_login_at
    assert stored == datetime(2026, 3, 1, 1, 30, 15, 123456, tzinfo=UTC)
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert (stored.hour, stored.microsecond) == (1, 123456)  # microseconds survive on every engine
    raw = db.session.execute(sa.text("SELECT last_login_at FROM users WHERE id = :id"), {"id": user.id}).scalar()
    assert str(raw).startswith("2026-03-01 01:30:15")


def test_a_naive_datetime_is_refused(ctx, create_user):
    user = _fresh(User, create_user().id)
    user.last_login_at = datetime(2026, 3, 1, 9, 30)
    with pytest.raises(sa.exc.StatementError) as info:
        db.session.flush()
    assert isinstance(info.value.orig, ValueError)
    assert "naive datetime" in str(info.value)
    db.session.rollback()
    assert _fresh(User, user.id).last_login_at is None


# --- naming convention -----------------------------------------------------------------------


def test_constraints_of_the_users_table_carry_conventional_names(ctx):
    table = User.__table__
    assert table.primary_key.name == "pk_users"

    inspector = sa.inspect(db.session.connection())
    if db.session.get_bind().dialect.name not in ("mysql", "mariadb"):
        # MariaDB names every primary key PRIMARY whatever it was created as.
        assert inspector.get_pk_constraint("users")["name"] == "pk_users"
    uniques = {uc["name"]: uc["column_names"] for uc in inspector.get_unique_constraints("users")}
    assert uniques["uq_users_username"] == ["username"]
    fks = {fk["name"]: (fk["constrained_columns"], fk["referred_table"]) for fk in inspector.get_foreign_keys("users")}
    assert fks["fk_users_created_by_id_users"] == (["created_by_id"], "users")
    assert fks["fk_users_updated_by_id_users"] == (["updated_by_id"], "users")
    checks = {ck["name"] for ck in inspector.get_check_constraints("users")}
    assert {"ck_users_locale_known", "ck_users_permissions_version_positive"} <= checks


# --- VersionMixin ----------------------------------------------------------------------------


def test_every_update_increments_version_id(ctx, create_user):
    user = _fresh(User, create_user().id)
    assert user.version_id == 1
    user.display_name = "First change"
    db.session.commit()
    assert _fresh(User, user.id).version_id == 2
    user = _fresh(User, user.id)
    user.phone = "+86 21 5555 0101"
    db.session.commit()
    assert _fresh(User, user.id).version_id == 3


def test_an_update_based_on_a_stale_copy_is_refused(ctx, create_user):
    user_id = create_user().id
    connection = db.session.connection()

    # I open the record (in a request of my own, which ends) ...
    with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as my_session:
        mine = my_session.get(User, user_id)
        my_session.commit()
        assert mine.version_id == 1

        # ... somebody else opens it too and saves first ...
        theirs = db.session.get(User, user_id)
        theirs.display_name = "Their change"
        db.session.commit()
        assert _fresh(User, user_id).version_id == 2

        # ... and my save, based on version 1, is refused instead of overwriting theirs.
        mine.display_name = "My change"
        with pytest.raises(StaleDataError):
            my_session.flush()
        my_session.rollback()

    stored = _fresh(User, user_id)
    assert stored.display_name == "Their change"
    assert stored.version_id == 2


# --- AuthorMixin -----------------------------------------------------------------------------


def test_acting_as_stamps_creator_and_last_editor(ctx, create_user):
    alice, bob = create_user("alice"), create_user("bob")
    with acting_as(alice.id):
        assert current_actor_id() == alice.id
        role = Role(name="stamped", title_zh="盖章", title_en="Stamped", description="")
        db.session.add(role)
        db.session.commit()
    role = _fresh(Role, role.id)
    assert (role.created_by_id, role.updated_by_id) == (alice.id, alice.id)

    with acting_as(bob.id):
        role.title_en = "Stamped again"
        db.session.commit()
    role = _fresh(Role, role.id)
    assert (role.created_by_id, role.updated_by_id) == (alice.id, bob.id)
    assert current_actor_id() is None


def test_acting_as_nests_and_restores_the_outer_actor(ctx, create_user):
    alice, bob = create_user("alice"), create_user("bob")
    with acting_as(alice.id):
        with acting_as(bob.id):
            assert current_actor_id() == bob.id
        assert current_actor_id() == alice.id


def test_without_an_actor_nobody_is_stamped(ctx, create_user):
    user = _fresh(User, create_user().id)
    assert (user.created_by_id, user.updated_by_id) == (None, None)
    user.display_name = "Changed by a job with no actor"
    db.session.commit()
    assert _fresh(User, user.id).updated_by_id is None


def test_an_explicit_creator_is_kept(ctx, create_user):
    alice, bob = create_user("alice"), create_user("bob")
    with acting_as(bob.id):
        role = Role(name="on_behalf", title_zh="代", title_en="On behalf", description="", created_by_id=alice.id)
        db.session.add(role)
        db.session.commit()
    role = _fresh(Role, role.id)
    assert (role.created_by_id, role.updated_by_id) == (alice.id, bob.id)


def test_the_signed_in_user_is_the_actor_of_a_request(app, login, create_user):
    admin = login("admin")
    target = create_user("stamp-target", ["sales"])
    with app.app_context():
        sales_id = _role_id("sales")
    response = admin.submit(
        f"/admin/users/{target.id}/edit",
        {
            "username": target.username,
            "display_name": "Edited through the web",
            "locale": "en",
            "timezone": "Asia/Shanghai",
            "roles": sales_id,
            "version_id": "1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        stored = db.session.get(User, target.id)
        assert stored.display_name == "Edited through the web"
        assert stored.updated_by_id == admin.user.id
        assert stored.created_by_id is None


def _role_id(name: str) -> str:
    return str(db.session.scalar(sa.select(Role.id).where(Role.name == name)))


# --- after_commit ----------------------------------------------------------------------------


def test_after_commit_callbacks_run_once_after_the_commit(ctx, create_user):
    calls = []
    user = _fresh(User, create_user().id)
    user.display_name = "Committed"
    after_commit(db.session(), lambda: calls.append("first"))
    after_commit(db.session(), lambda: calls.append("second"))
    db.session.flush()
    assert calls == []
    db.session.commit()
    assert calls == ["first", "second"]
    db.session.commit()
    assert calls == ["first", "second"]


def test_after_commit_callbacks_are_dropped_on_rollback(ctx, create_user):
    calls = []
    user = _fresh(User, create_user().id)
    user.display_name = "Rolled back"
    after_commit(db.session(), lambda: calls.append("rolled back"))
    db.session.rollback()
    db.session.commit()
    assert calls == []

    user = _fresh(User, user.id)
    user.display_name = "Committed after all"
    after_commit(db.session(), lambda: calls.append("committed"))
    db.session.commit()
    assert calls == ["committed"]


def test_after_commit_callbacks_survive_a_rolled_back_savepoint(ctx, create_user):
    calls = []
    user = _fresh(User, create_user().id)
    user.display_name = "Outer change"
    after_commit(db.session(), lambda: calls.append("outer"))
    nested = db.session.begin_nested()
    user.phone = "123"
    nested.rollback()
    assert calls == []
    db.session.commit()
    assert calls == ["outer"]
    assert _fresh(User, user.id).display_name == "Outer change"


def test_a_failing_after_commit_step_is_logged_and_the_commit_stands(ctx, create_user, caplog):
    user = db.session.get(User, create_user("committed-anyway").id)
    ran = []

    def broken():
        raise ConnectionError("redis went away")

    user.display_name = "Saved"
    after_commit(db.session(), broken)
    after_commit(db.session(), lambda: ran.append("next"))
    db.session.commit()  # does not raise
    assert ran == ["next"]
    assert "after-commit step" in caplog.text and "redis went away" in caplog.text
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == "Saved"
