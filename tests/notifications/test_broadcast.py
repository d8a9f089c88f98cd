"""Broadcasts (消息管理): an administrator's message to everyone or to the holders of some roles,
resolved to users when it is sent, delivered as notifications and pushed to open pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.notifications.models import Broadcast, Notification
from tests.support import html


def _received(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Notification.title).where(Notification.user_id == user_id, Notification.kind == "broadcast")
            )
        )


def _role_id(app, name: str) -> int:
    from app.auth.models import Role

    with app.app_context():
        return db.session.scalar(sa.select(Role.id).where(Role.name == name))


def test_a_message_to_everyone_reaches_every_active_user_and_their_open_pages(app, login, create_user):
    admin, seller = login("admin"), login("sales")
    gone = create_user(roles=["sales"], is_active=False)
    page = app.extensions["socketio"].test_client(app, flask_test_client=seller)
    page.get_received()

    response = admin.submit(
        "/notifications/broadcasts/new",
        {"audience": "everyone", "title": "系统维护 22:00", "body": "请提前保存工作。", "link": "/notifications/"},
        token_from="/notifications/broadcasts/new",
    )
    assert response.status_code == 302

    assert _received(app, seller.user.id) == ["系统维护 22:00"]
    assert _received(app, admin.user.id) == ["系统维护 22:00"]
    assert _received(app, gone.id) == []
    (pushed,) = [m["args"][0]["notification"] for m in page.get_received() if m["name"] == "notification"]
    assert (pushed["title"], pushed["body"], pushed["link"], pushed["kind"]) == (
        "系统维护 22:00",
        "请提前保存工作。",
        "/notifications/",
        "broadcast",
    )
    listed = html(admin.get("/notifications/broadcasts/"))
    assert "系统维护 22:00" in listed and "Everyone" in listed
    from app.auth.models import User

    with app.app_context():
        users = db.session.scalar(sa.select(sa.func.count(User.id)).where(User.is_active.is_(True)))
        assert db.session.scalar(sa.select(Broadcast.recipient_count)) == users
    page.disconnect()


def test_a_message_to_roles_reaches_their_holders_as_they_are_when_it_is_sent(app, login, create_user):
    from app.auth import services as auth_services
    from app.auth.models import User

    admin = login("admin")
    keeper = create_user(roles=["warehouse"])
    buyer = create_user(roles=["purchaser"])
    seller = create_user(roles=["sales"])
    response = admin.submit(
        "/notifications/broadcasts/new",
        [
            ("audience", "roles"),
            ("roles", str(_role_id(app, "warehouse"))),
            ("roles", str(_role_id(app, "purchaser"))),
            ("title", "Stock count on Friday"),
        ],
        token_from="/notifications/broadcasts/new",
    )
    assert response.status_code == 302
    assert _received(app, keeper.id) == ["Stock count on Friday"]
    assert _received(app, buyer.id) == ["Stock count on Friday"]
    assert _received(app, seller.id) == []

    # Given the role afterwards: the message was resolved when it was sent.
    with app.test_request_context():
        auth_services.set_roles(db.session.get(User, seller.id), [_role_id(app, "warehouse")], by=None)
        db.session.commit()
    assert _received(app, seller.id) == []
    with app.app_context():
        assert db.session.scalar(sa.select(Broadcast.role_names)) == "purchaser,warehouse"


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"audience": "roles", "title": "Hi"}, "Choose at least one role"),
        ({"audience": "everyone", "title": ""}, "This field is required"),
        ({"audience": "everyone", "title": "Hi", "link": "https://evil.example/"}, "a path inside this console"),
        ({"audience": "everyone", "title": "Hi", "link": "//evil.example/x"}, "a path inside this console"),
    ],
)
def test_a_message_needs_an_audience_a_title_and_an_inside_link(app, login, fields, error):
    admin = login("admin")
    response = admin.submit("/notifications/broadcasts/new", fields, token_from="/notifications/broadcasts/new")
    assert response.status_code == 400
    assert error in html(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Broadcast.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_only_holders_of_notifications_broadcast_send_messages(app, login):
    seller, manager = login("sales"), login("manager")
    assert seller.get("/notifications/broadcasts/new").status_code == 403
    response = seller.submit("/notifications/broadcasts/new", {"audience": "everyone", "title": "Hi"})
    assert response.status_code == 403
    assert 'href="/notifications/broadcasts/"' not in html(seller.get("/"))
    assert 'href="/notifications/broadcasts/"' in html(manager.get("/"))


def test_sending_needs_the_csrf_token(app, login):
    admin = login("admin")
    response = admin.post("/notifications/broadcasts/new", data={"audience": "everyone", "title": "Hi"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Broadcast.id))) == 0


def test_a_scheduled_job_sends_a_message_from_the_shell(app, create_user):
    keeper = create_user(roles=["warehouse"])
    seller = create_user(roles=["sales"])
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["messages", "send", "--title", "Inventory closes at 17:00", "--role", "warehouse"],
        env={"LC_ALL": None, "LC_MESSAGES": None, "LANG": "en_US"},
    )
    assert result.exit_code == 0, result.output
    assert "Message sent to" in result.output
    assert _received(app, keeper.id) == ["Inventory closes at 17:00"]
    assert _received(app, seller.id) == []
    result = runner.invoke(args=["messages", "send", "--title", "x", "--role", "nosuchrole"])
    assert result.exit_code != 0 and "nosuchrole" in result.output
