"""Live pages over Socket.IO, in process: who may connect, what each user is pushed and when, and
what an event may ask. Tests across processes (Redis message queue, gunicorn, nginx) are in
test_cluster.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.notifications import services
from app.notifications.models import Notification
from tests.support import html


@pytest.fixture
def connect(app):
    """A Socket.IO client on the test app, carrying the cookies of ``client`` (or none)."""
    opened = []

    def factory(client=None):
        sio = app.extensions["socketio"].test_client(app, flask_test_client=client)
        opened.append(sio)
        return sio

    yield factory
    for sio in opened:
        if sio.is_connected():
            sio.disconnect()


def _events(sio, name: str) -> list:
    return [m["args"][0] for m in sio.get_received() if m["name"] == name]


def _notify(app, user_ids, title="Stock is low", body="", link="", commit=True):
    with app.test_request_context("/?lang=en"):
        services.notify(user_ids, "test", title, body, link)
        if commit:
            db.session.commit()
        else:
            db.session.rollback()


def _user_id(client) -> int:
    return client.user.id


# --- who may connect ---------------------------------------------------------------------------


def test_a_visitor_cannot_connect(connect, client):
    client.get("/login")
    assert not connect(client).is_connected()
    assert not connect().is_connected()


def test_a_signed_in_user_connects_and_syncs_the_unread_count(app, connect, login):
    sales = login("sales")
    _notify(app, [_user_id(sales)])
    sio = connect(sales)
    assert sio.is_connected()
    assert sio.emit("sync", {}, callback=True) == {"unread": 1, "access_changed": False}


def test_a_signed_out_session_cannot_connect(connect, login):
    sales = login("sales")
    sales.submit("/logout", {})
    assert not connect(sales).is_connected()


def test_a_deactivated_user_cannot_connect(app, connect, login):
    from app.auth import services as auth_services
    from app.auth.models import User

    sales = login("sales")
    with app.test_request_context():
        auth_services.set_active(db.session.get(User, _user_id(sales)), False, by=None)
        db.session.commit()
    assert not connect(sales).is_connected()


# --- notifications are pushed after commit, to their recipient only -------------------------------


def test_a_notification_reaches_its_recipient_after_commit_in_their_language(app, connect, login, create_user):
    reader = login("sales", locale="zh")
    other = login("sales")
    mine, theirs = connect(reader), connect(other)
    mine.get_received(), theirs.get_received()

    _notify(app, [_user_id(reader)], title=_l("Users"), body=_l("Notifications"), link="/warehouses/")

    (pushed,) = _events(mine, "notification")
    with app.app_context():
        row = db.session.scalar(sa.select(Notification).where(Notification.user_id == _user_id(reader)))
    assert pushed["notification"] | {"created_at": None} == {
        "ids": [row.id, row.id],
        "kind": "test",
        "kind_label": "test",
        "icon": "bell",
        "title": "用户",
        "body": "消息",
        "link": "/warehouses/",
        "created_at": None,
    }
    assert _events(theirs, "notification") == []


def test_a_rolled_back_change_notifies_nobody(app, connect, login):
    reader = login("sales")
    sio = connect(reader)
    sio.get_received()
    _notify(app, [_user_id(reader)], commit=False)
    assert _events(sio, "notification") == []
    assert sio.emit("sync", {}, callback=True) == {"unread": 0, "access_changed": False}


def test_marking_read_tells_the_users_other_pages_the_new_count(app, connect, login):
    reader = login("sales")
    _notify(app, [_user_id(reader)])
    _notify(app, [_user_id(reader)])
    other_tab = connect(reader)
    other_tab.get_received()
    with app.app_context():
        newest = services.newest_id(_user_id(reader))

    token = reader.csrf_token("/notifications/")
    response = reader.post(f"/api/notifications/{newest}/read", headers={"X-CSRFToken": token})
    assert response.get_json() == {"unread": 1}
    assert _events(other_tab, "unread") == [{"unread": 1}]

    reader.submit("/notifications/read-all", {"up_to": newest}, token_from="/notifications/")
    assert _events(other_tab, "unread") == [{"unread": 0}]


def test_one_push_to_many_names_each_recipients_own_row(app, connect, login):
    first, second = login("sales"), login("sales")
    pages = [connect(first), connect(second)]
    for page in pages:
        page.get_received()
    _notify(app, [_user_id(first), _user_id(second)], title="To both")
    (one,), (two,) = (_events(page, "notification") for page in pages)
    assert one == two  # one message for both, in their (same) language
    low, high = one["notification"]["ids"]

    token = first.csrf_token("/notifications/")
    response = first.post(f"/api/notifications/{low}/read?to={high}", headers={"X-CSRFToken": token})
    assert response.get_json() == {"unread": 0}
    with app.app_context():
        assert services.unread_count(_user_id(second)) == 1  # the other recipient's row is theirs
    assert first.post(f"/api/notifications/{high}/read?to={low}", headers={"X-CSRFToken": token}).status_code == 400


def test_marking_read_through_the_api_needs_the_csrf_token(app, login):
    reader = login("sales")
    _notify(app, [_user_id(reader)])
    with app.app_context():
        newest = services.newest_id(_user_id(reader))
    assert reader.post(f"/api/notifications/{newest}/read").status_code == 400
    with app.app_context():
        assert services.unread_count(_user_id(reader)) == 1


def test_nobody_marks_someone_elses_notification_read(app, login):
    owner, intruder = login("sales"), login("sales")
    _notify(app, [_user_id(owner)])
    with app.app_context():
        theirs = services.newest_id(_user_id(owner))
    token = intruder.csrf_token("/notifications/")
    response = intruder.post(f"/api/notifications/{theirs}/read?to={theirs + 5}", headers={"X-CSRFToken": token})
    assert response.get_json() == {"unread": 0}  # the intruder's own count; nothing of theirs was there
    with app.app_context():
        assert services.unread_count(_user_id(owner)) == 1
    # The inbox's own form answers 404 for someone else's notification.
    assert intruder.submit(f"/notifications/{theirs}/read", {}, token_from="/notifications/").status_code == 404


# --- access changes reach open pages at once ----------------------------------------------------


def test_a_role_change_reloads_the_menu_and_the_next_event_runs_with_the_new_permissions(
    app, connect, login, create_role
):
    from app.auth import services as auth_services
    from app.auth.models import User

    approver_role = create_role(permissions=["quotations.view", "quotations.approve"])
    sales = login("sales")
    sio = connect(sales)
    sio.get_received()
    assert "approvals_waiting" not in sio.emit("sync", {"work": True}, callback=True)["work"]

    with app.test_request_context():
        user = db.session.get(User, _user_id(sales))
        roles = [r.id for r in user.roles] + [approver_role.id]
        auth_services.set_roles(user, roles, by=None)
        db.session.commit()
    assert _events(sio, "access_changed") == [{}]

    # The page asks again: told to reload its menu once, and answered with the new permissions.
    state = sio.emit("sync", {"work": True}, callback=True)
    assert state["access_changed"] is True
    assert "approvals_waiting" in state["work"]
    assert sio.emit("sync", {}, callback=True)["access_changed"] is False


def test_an_event_after_a_change_the_page_missed_reloads_the_menu(app, connect, login):
    from app.auth.models import User

    sales = login("sales")
    sio = connect(sales)
    sio.get_received()
    with app.app_context():
        # The version moved without a push reaching this page (it was reconnecting, say).
        db.session.execute(
            sa.update(User).where(User.id == _user_id(sales)).values(permissions_version=User.permissions_version + 1)
        )
        db.session.commit()
    assert sio.emit("sync", {}, callback=True)["access_changed"] is True


def test_deactivation_sends_the_users_pages_to_sign_in_and_stops_pushes(app, connect, login):
    from app.auth import services as auth_services
    from app.auth.models import User

    sales = login("sales")
    sio = connect(sales)
    sio.get_received()
    with app.test_request_context():
        auth_services.set_active(db.session.get(User, _user_id(sales)), False, by=None)
        db.session.commit()
    assert _events(sio, "signed_out")
    # Out of its rooms: nothing addressed to the user reaches this connection any more...
    app.extensions["socketio"].emit("notification", {"notification": {}}, to=f"user:{_user_id(sales)}")
    assert _events(sio, "notification") == []
    # ...and an event it sends is answered with "signed out" and the end of the connection.
    assert not sio.emit("sync", {}, callback=True)
    assert not sio.is_connected()


def test_signing_out_sends_the_sessions_other_pages_to_sign_in(connect, login):
    sales = login("sales")
    other_page = connect(sales)
    other_page.get_received()
    sales.submit("/logout", {})
    assert _events(other_page, "signed_out") == [{}]


def test_an_administrator_ending_a_session_sends_its_pages_to_sign_in(app, connect, login):
    from app.auth import sessions

    sales, admin = login("sales"), login("admin")
    sio = connect(sales)
    sio.get_received()
    with app.test_request_context():
        (info,) = sessions.list_for(_user_id(sales))
        sessions.end(_user_id(sales), info.sid)
    assert _events(sio, "signed_out") == [{}]
    assert admin.get("/").status_code == 200


def test_the_menu_fragment_shows_what_the_user_may_use(login):
    sales, admin = login("sales"), login("admin")
    assert 'href="/admin/users/"' not in html(sales.get("/api/menu?for=reports.dashboard"))
    menu = html(admin.get("/api/menu?for=auth.user_list"))
    assert 'href="/admin/users/" aria-current="page"' in menu.replace("\n", " ").replace(
        'class="app-nav-link active" ', ""
    ) or ('active" href="/admin/users/"' in menu)


def test_the_live_endpoint_answers_what_a_polling_page_shows(app, login):
    reader = login("sales")
    _notify(app, [_user_id(reader)])
    assert reader.get("/api/notifications/live").get_json() == {"unread": 1}
    assert "work" in reader.get("/api/notifications/live?work=1").get_json()


def test_the_dropdown_lists_the_newest_notifications_of_the_user_only(app, login):
    reader, other = login("sales"), login("sales")
    _notify(app, [_user_id(reader)], title="Mine, first")
    _notify(app, [_user_id(reader)], title="Mine, second", link="/warehouses/")
    _notify(app, [_user_id(other)], title="Not mine")
    page = html(reader.get("/notifications/dropdown"))
    assert page.index("Mine, second") < page.index("Mine, first")
    assert "Not mine" not in page
    assert 'data-link="/warehouses/"' in page
