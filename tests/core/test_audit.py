"""The operation log: every change of an audited model, old → new, in the same transaction."""

from datetime import UTC, datetime

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.auth.models import Role, User
from app.core.audit import REDACTED, OperationLog, record
from app.core.db import acting_as
from app.extensions import db
from tests import support

EXCLUDED = {"created_at", "updated_at", "version_id", "last_login_at", "permissions_version", "password_changed_at"}


def _entries(object_type: str, object_id: int) -> list[OperationLog]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OperationLog)
            .where(OperationLog.object_type == object_type, OperationLog.object_id == object_id)
            .order_by(OperationLog.id)
        )
    )


def _role(name: str) -> Role:
    return db.session.scalar(sa.select(Role).where(Role.name == name))


def _new_user(username: str, roles: list[str] = ()) -> User:
    user = User(
        username=username,
        display_name=username.title(),
        email=f"{username}@example.com",
        password_hash=support.password_hash(),
        locale="en",
        roles=[_role(r) for r in roles],
    )
    db.session.add(user)
    db.session.commit()
    return user


def test_creating_a_user_logs_every_set_field_as_new(ctx, create_user):
    admin = create_user("creator")
    with acting_as(admin.id):
        user = _new_user("logged-create", ["sales", "finance"])

    [entry] = _entries("user", user.id)
    assert entry.action == "create"
    assert entry.actor_id == admin.id
    assert entry.object_label == "logged-create"
    assert entry.changes["username"] == [None, "logged-create"]
    assert entry.changes["display_name"] == [None, "Logged-Create"]
    assert entry.changes["email"] == [None, "logged-create@example.com"]
    assert entry.changes["is_active"] == [None, True]
    assert entry.changes["roles"] == [None, ["finance", "sales"]]
    assert entry.changes["password_hash"] == [None, REDACTED]
    assert support.password_hash() not in str(entry.changes)
    assert EXCLUDED.isdisjoint(entry.changes)
    assert "phone" not in entry.changes  # nothing to log for a field left empty
    assert entry.created_at.tzinfo is not None
    assert abs(datetime.now(UTC) - entry.created_at).total_seconds() < 300


def test_updating_a_user_logs_old_and_new_values_of_the_changed_fields_only(ctx, create_user):
    target_id = create_user("logged-update", display_name="Old Name").id
    admin = create_user("editor")
    user = db.session.get(User, target_id)
    with acting_as(admin.id):
        user.display_name = "New Name"
        user.email = "new@example.com"
        user.password_hash = "scrypt:32768:8:1$something$else"
        user.last_login_at = datetime.now(UTC)
        user.permissions_version = user.permissions_version + 1
        db.session.commit()

    entries = _entries("user", target_id)
    assert [e.action for e in entries] == ["create", "update"]
    update = entries[-1]
    assert update.actor_id == admin.id
    assert update.changes == {
        "display_name": ["Old Name", "New Name"],
        "email": [None, "new@example.com"],
        "password_hash": [REDACTED, REDACTED],
    }


def test_changing_only_excluded_fields_writes_no_entry(ctx, create_user):
    target_id = create_user("login-only").id
    user = db.session.get(User, target_id)
    user.last_login_at = datetime.now(UTC)
    user.permissions_version = 7
    db.session.commit()
    assert [e.action for e in _entries("user", target_id)] == ["create"]


def test_setting_a_field_to_its_current_value_writes_no_entry(ctx, create_user):
    target_id = create_user("no-op", display_name="Same").id
    user = db.session.get(User, target_id)
    user.display_name = "Same"
    db.session.commit()
    assert len(_entries("user", target_id)) == 1


def test_role_changes_are_logged_as_sorted_name_lists(ctx, create_user):
    target_id = create_user("role-change", ["sales"]).id
    user = db.session.get(User, target_id)
    user.roles = [_role("warehouse"), _role("sales"), _role("finance")]
    db.session.commit()
    user = db.session.get(User, target_id)
    user.roles = [_role("warehouse")]
    db.session.commit()

    entries = _entries("user", target_id)
    assert [e.changes for e in entries[1:]] == [
        {"roles": [["sales"], ["finance", "sales", "warehouse"]]},
        {"roles": [["finance", "sales", "warehouse"], ["warehouse"]]},
    ]


def test_a_rolled_back_change_leaves_no_log_entry(ctx, create_user):
    target_id = create_user("rolled-back", display_name="Kept").id
    before = db.session.scalar(sa.select(sa.func.count()).select_from(OperationLog))

    user = db.session.get(User, target_id)
    user.display_name = "Never saved"
    db.session.add(User(username="never-created", display_name="Never", password_hash="x", locale="en"))
    db.session.flush()
    # The entries exist inside the transaction ...
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OperationLog)) == before + 2
    db.session.rollback()

    # ... and vanish with it.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OperationLog)) == before
    assert db.session.scalar(sa.select(OperationLog.id).where(OperationLog.object_label == "never-created")) is None
    assert [e.action for e in _entries("user", target_id)] == ["create"]


def test_deleting_a_role_logs_its_last_values(ctx, create_user, create_role):
    admin = create_user("deleter")
    role_id = create_role("doomed", ["customers.view"]).id
    with acting_as(admin.id):
        db.session.delete(db.session.get(Role, role_id))
        db.session.commit()

    entries = _entries("role", role_id)
    assert [e.action for e in entries] == ["create", "purge"]
    purge = entries[-1]
    assert purge.actor_id == admin.id
    assert purge.object_label == "doomed"
    assert purge.changes["name"] == ["doomed", None]
    assert purge.changes["title_en"] == ["doomed", None]
    assert entries[0].changes["grants"] == [None, ["customers.view"]]


def test_without_an_actor_the_entry_has_none(ctx, create_user):
    target_id = create_user("system-made").id
    [entry] = _entries("user", target_id)
    assert entry.actor_id is None
    assert entry.ip is None
    assert entry.request_id is None


def test_record_adds_an_event_entry(ctx, create_user):
    admin = create_user("recorder")
    target_id = create_user("event-target").id
    target = db.session.get(User, target_id)
    with acting_as(admin.id):
        record(db.session, event_name="sessions_ended", obj=target, changes={"sessions": [3, 0]})
        record(db.session, event_name="backup_created", object_type="backup", object_id=42, label="nightly")
        db.session.commit()

    event = _entries("user", target_id)[-1]
    assert (event.action, event.event, event.actor_id) == ("event", "sessions_ended", admin.id)
    assert event.object_label == "event-target"
    assert event.changes == {"sessions": [3, 0]}

    [other] = _entries("backup", 42)
    assert (other.action, other.event, other.object_label, other.changes) == ("event", "backup_created", "nightly", {})


def test_an_edit_through_the_web_records_actor_ip_and_request_id(app, login, create_user):
    admin = login("admin")
    target = create_user("web-edited", ["sales"], display_name="Before Web")
    page = admin.get(f"/admin/users/{target.id}/edit")
    assert page.status_code == 200
    main = support.html(page)
    fields = support.form_fields(main[main.index("<main") :])
    fields = support.replace_field(fields, "display_name", "After Web")
    fields = support.replace_field(fields, "phone", "+86 10 1234 5678")
    response = admin.post(
        f"/admin/users/{target.id}/edit",
        data=MultiDict(fields),
        headers={"X-Request-Id": "trace-web-edit-0001"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert response.status_code == 302, support.html(response)[:2000]
    assert response.headers["X-Request-Id"] == "trace-web-edit-0001"

    with app.app_context():
        entry = _entries("user", target.id)[-1]
        assert entry.action == "update"
        assert entry.actor_id == admin.user.id
        assert entry.ip == "10.1.2.3"
        assert entry.request_id == "trace-web-edit-0001"
        assert entry.changes == {"display_name": ["Before Web", "After Web"], "phone": [None, "+86 10 1234 5678"]}


def test_an_entry_written_during_a_request_carries_the_generated_request_id(app, login, create_user):
    admin = login("admin")
    target = create_user("web-deactivated", ["sales"])
    response = admin.submit(f"/admin/users/{target.id}/deactivate", {})
    assert response.status_code == 302
    request_id = response.headers["X-Request-Id"]
    assert len(request_id) >= 8

    with app.app_context():
        entry = _entries("user", target.id)[-1]
        assert entry.changes == {"is_active": [True, False]}
        assert entry.actor_id == admin.user.id
        assert entry.ip == "127.0.0.1"
        assert entry.request_id == request_id
