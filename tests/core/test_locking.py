"""Optimistic locking: a save based on a stale copy is refused and both sets of values are shown."""

import html as html_lib
import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.auth.models import Role, User
from app.core.db import acting_as
from app.core.errors import StaleEditError
from app.core.locking import check_version
from app.extensions import db
from tests import support

# --- check_version ---------------------------------------------------------------------------


def _changed_by(user_id: int, actor_id: int | None, **values) -> User:
    """Save ``values`` on the user as ``actor_id`` and return the fresh row."""
    user = db.session.get(User, user_id)
    with acting_as(actor_id):
        for name, value in values.items():
            setattr(user, name, value)
        db.session.commit()
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_the_current_version_passes(ctx, create_user):
    user = db.session.get(User, create_user().id)
    check_version(user, user.version_id, {"display_name": "Anything at all"})
    check_version(user, None, {"display_name": "No version sent: nothing to compare"})


def test_a_stale_version_is_refused_naming_who_saved_and_when(ctx, create_user):
    alice = create_user("alice", display_name="Alice Admin")
    target_id = create_user("locked-target", ["sales"], display_name="Original").id
    user = _changed_by(target_id, alice.id, display_name="Their Name")
    assert user.version_id == 2

    with pytest.raises(StaleEditError) as info:
        check_version(
            user,
            1,
            {
                "username": "locked-target",
                "display_name": "My Name",
                "email": "",  # empty and None are the same value
                "phone": None,
                "roles": ["sales"],
            },
        )
    error = info.value
    assert error.changed_by == "Alice Admin"
    assert error.changed_at == user.updated_at
    assert error.changed_at.tzinfo is not None
    assert [(c.name, c.mine, c.theirs) for c in error.conflicts] == [("display_name", "My Name", "Their Name")]


def test_collections_are_compared_as_sorted_names(ctx, create_user):
    alice = create_user("alice")
    target_id = create_user("role-target", ["sales"]).id
    user = db.session.get(User, target_id)
    user.roles = [db.session.scalar(sa.select(Role).where(Role.name == n)) for n in ("warehouse", "sales")]
    user.display_name = "Moved to the warehouse"
    with acting_as(alice.id):
        db.session.commit()
    db.session.expire_all()
    user = db.session.get(User, target_id)
    assert user.version_id == 2

    with pytest.raises(StaleEditError) as info:
        check_version(user, 1, {"roles": ["finance", "sales"], "locale": user.locale})
    [conflict] = info.value.conflicts
    assert (conflict.name, conflict.mine, conflict.theirs) == ("roles", ["finance", "sales"], ["sales", "warehouse"])

    with pytest.raises(StaleEditError) as info:
        check_version(user, 1, {"roles": ["sales", "warehouse"]})
    assert info.value.conflicts == []


def test_a_change_made_by_nobody_in_particular_has_no_author(ctx, create_user):
    target_id = create_user("job-target").id
    user = _changed_by(target_id, None, phone="123")
    with pytest.raises(StaleEditError) as info:
        check_version(user, 1, {"phone": "456"})
    assert info.value.changed_by is None
    assert [(c.mine, c.theirs) for c in info.value.conflicts] == [("456", "123")]


# --- through the browser ---------------------------------------------------------------------


def _main_form(response) -> list[tuple[str, str]]:
    page = support.html(response)
    return support.form_fields(page[page.index("<main") :])


def _field(fields, name):
    return [v for k, v in fields if k == name]


def _conflict_rows(response) -> list[tuple[str, str, str]]:
    page = support.html(response)
    table = page[page.index("data-conflict-table") : page.index("</table>", page.index("data-conflict-table"))]
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td[^>]*>(.*?)</td>", table, re.S)
    return [tuple(html_lib.unescape(cell.strip()) for cell in row) for row in rows]


def test_the_second_of_two_editors_sees_the_conflict_and_keeps_their_input(app, make_client, create_user):
    alice = create_user("alice-admin", ["admin"], display_name="Alice Admin")
    bob = create_user("bob-admin", ["admin"], display_name="Bob Admin")
    first, second = make_client(), make_client()
    assert first.login(alice.username).status_code == 302
    assert second.login(bob.username).status_code == 302
    target = create_user("shared-record", ["sales"], display_name="Original Name")
    url = f"/admin/users/{target.id}/edit"

    # Both open the form on version 1.
    alice_form = _main_form(first.get(url))
    bob_form = _main_form(second.get(url))
    assert set(_field(bob_form, "version_id")) == {"1"}
    assert _field(bob_form, "display_name") == ["Original Name"]

    saved = first.post(url, data=MultiDict(support.replace_field(alice_form, "display_name", "Name From Alice")))
    assert saved.status_code == 302, support.html(saved)[:2000]

    refused = second.post(url, data=MultiDict(support.replace_field(bob_form, "display_name", "Name From Bob")))
    assert refused.status_code == 200
    page = support.html(refused)
    assert "data-conflict" in page
    assert "Alice Admin" in page[page.index("data-conflict") :][:2000]
    assert _conflict_rows(refused) == [("Display name", "Name From Alice", "Name From Bob")]

    # Bob's typed value is still in the form, now carrying the version he has just seen.
    shown = _main_form(refused)
    assert _field(shown, "display_name") == ["Name From Bob"]
    assert set(_field(shown, "version_id")) == {"2"}

    with app.app_context():
        stored = db.session.get(User, target.id)
        assert (stored.display_name, stored.version_id) == ("Name From Alice", 2)
        assert stored.updated_by_id == alice.id

    # Having compared, Bob saves again and his version wins deliberately.
    again = second.post(url, data=MultiDict(shown))
    assert again.status_code == 302, support.html(again)[:2000]
    with app.app_context():
        stored = db.session.get(User, target.id)
        assert (stored.display_name, stored.version_id, stored.updated_by_id) == ("Name From Bob", 3, bob.id)


def _two_admins(make_client, create_user):
    clients = []
    for name in ("first-admin", "second-admin"):
        user = create_user(name, ["admin"], display_name=name.replace("-", " ").title())
        client = make_client()
        assert client.login(user.username).status_code == 302
        clients.append(client)
    return clients


def _checked(fields, name):
    return sorted(v for k, v in fields if k == name)


def test_a_stale_save_does_not_undo_a_role_change_made_meanwhile(app, make_client, create_user):
    first, second = _two_admins(make_client, create_user)
    target = create_user("regranted", ["sales"], display_name="Before")
    url = f"/admin/users/{target.id}/edit"
    with app.app_context():
        finance_id = str(db.session.scalar(sa.select(Role.id).where(Role.name == "finance")))

    first_form = _main_form(first.get(url))
    second_form = _main_form(second.get(url))

    # The first admin only adds a role ...
    roles = [*_checked(first_form, "roles"), finance_id]
    saved = first.post(url, data=MultiDict(support.replace_field(first_form, "roles", *roles)))
    assert saved.status_code == 302, support.html(saved)[:2000]

    # ... the second, working from the form opened before, only renames the user.
    late = second.post(url, data=MultiDict(support.replace_field(second_form, "display_name", "After")))

    with app.app_context():
        stored = db.session.get(User, target.id)
        role_names = sorted(r.name for r in stored.roles)
    assert role_names == ["finance", "sales"], "the stale save silently took the new role away again"
    assert late.status_code == 200
    assert "data-conflict" in support.html(late)


def test_a_stale_save_does_not_undo_a_permission_change_made_meanwhile(app, make_client, create_user, create_role):
    first, second = _two_admins(make_client, create_user)
    role = create_role("shared_role", ["users.view"])
    url = f"/admin/roles/{role.id}/edit"

    first_form = support.form_fields(support.html(first.get(url)), "role-form")
    second_form = support.form_fields(support.html(second.get(url)), "role-form")
    assert _checked(second_form, "permissions") == ["users.view"]

    # The first admin only grants one more permission ...
    grants = [*_checked(first_form, "permissions"), "audit.view"]
    saved = first.post(url, data=MultiDict(support.replace_field(first_form, "permissions", *grants)))
    assert saved.status_code == 302, support.html(saved)[:2000]

    # ... the second, working from the form opened before, only edits the description.
    late = second.post(url, data=MultiDict(support.replace_field(second_form, "description", "Reviewed")))

    with app.app_context():
        stored = db.session.get(Role, role.id)
        grants_now = sorted(stored.permission_names)
    assert grants_now == ["audit.view", "users.view"], "the stale save silently revoked the new permission"
    assert late.status_code == 200
    assert "data-conflict" in support.html(late)
