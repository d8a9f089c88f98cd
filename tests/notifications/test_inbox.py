"""Notifications: written per recipient in their language inside the caller's transaction; the
inbox shows only one's own, newest first, with an unread filter, mark read and mark all read; the
navbar bell shows the unread count on every page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.notifications import services
from app.notifications.models import Notification
from tests.support import html, new_once


def _notify(app, user_ids, title="Stock is low", body="", link="", kind="test"):
    with app.test_request_context("/?lang=en"):
        delivered = services.notify(user_ids, kind, title, body, link)
        db.session.commit()
        return delivered


def _rows(app, user_id):
    with app.app_context():
        rows = db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        ).all()
        db.session.expunge_all()
        return rows


# --- the service -------------------------------------------------------------------------------


def test_each_recipient_reads_it_in_their_own_language(app, create_user):
    zh = create_user("reader_zh", locale="zh")
    en = create_user("reader_en", locale="en")
    _notify(app, [zh.id, en.id], title=_l("Users"), body=_l("Notifications"), link="/warehouses/")
    (mine_zh,), (mine_en,) = _rows(app, zh.id), _rows(app, en.id)
    assert (mine_zh.title, mine_zh.body, mine_zh.link) == ("用户", "消息", "/warehouses/")
    assert (mine_en.title, mine_en.body) == ("Users", "Notifications")
    assert mine_zh.read_at is None and mine_zh.created_at.tzinfo is not None


def test_a_callable_text_is_rendered_in_each_language(app, create_user):
    from flask_babel import gettext as _

    zh = create_user("cb_zh", locale="zh")
    en = create_user("cb_en", locale="en")
    _notify(app, [zh.id, en.id], title=lambda: _("Users") + " · 2")
    assert _rows(app, zh.id)[0].title == "用户 · 2"
    assert _rows(app, en.id)[0].title == "Users · 2"


def test_inactive_users_and_repeated_ids_get_nothing_twice(app, create_user):
    active = create_user("active_one")
    gone = create_user("gone_one", is_active=False)
    assert _notify(app, [active.id, active.id, gone.id]) == [active.id]
    assert len(_rows(app, active.id)) == 1 and _rows(app, gone.id) == []
    assert _notify(app, []) == []


def test_a_rolled_back_transaction_notifies_nobody_and_announces_nothing(app, create_user, monkeypatch):
    user = create_user("rolled")
    heard = []
    monkeypatch.setattr(services, "_listeners", [heard.append])
    with app.test_request_context("/"):
        services.notify([user.id], "test", "Never")
        db.session.rollback()
    assert _rows(app, user.id) == [] and heard == []
    _notify(app, [user.id])
    assert heard == [[user.id]]  # told after the commit, with who got something


def test_links_must_stay_inside_the_application(app, create_user):
    user = create_user("linker")
    for link in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil"):
        with app.test_request_context("/"), pytest.raises(ValueError):
            services.notify([user.id], "test", "x", link=link)


def test_a_long_title_is_cut_to_the_column(app, create_user):
    user = create_user("long_title")
    _notify(app, [user.id], title="x" * 500)
    assert len(_rows(app, user.id)[0].title) == services.TITLE_MAX


# --- the inbox ---------------------------------------------------------------------------------


def test_the_inbox_lists_only_my_notifications_newest_first(app, login, create_user):
    client = login("sales")
    other = create_user("someone_else")
    _notify(app, [client.user.id], title="First")
    _notify(app, [client.user.id], title="Second")
    _notify(app, [other.id], title="Not for you")
    page = html(client.get("/notifications/"))
    assert page.index("Second") < page.index("First")
    assert "Not for you" not in page
    assert page.count("data-notification=") == 2


def test_the_unread_filter_and_the_empty_states(app, login):
    client = login("finance")
    assert "No notifications yet." in html(client.get("/notifications/"))
    _notify(app, [client.user.id], title="Read me")
    _notify(app, [client.user.id], title="Still unread")
    first = _rows(app, client.user.id)[0]
    client.submit(f"/notifications/{first.id}/read")
    page = html(client.get("/notifications/?show=unread"))
    assert "Still unread" in page and "Read me" not in page
    client.submit("/notifications/read-all", {"up_to": str(_rows(app, client.user.id)[-1].id)})
    assert "No unread notifications." in html(client.get("/notifications/?show=unread"))


def test_every_post_needs_the_csrf_token(app, login):
    client = login("sales")
    _notify(app, [client.user.id])
    mine = _rows(app, client.user.id)[0]
    for url in (f"/notifications/{mine.id}/read", "/notifications/read-all"):
        assert client.post(url, data={"_once": new_once()}).status_code == 400
    assert _rows(app, client.user.id)[0].read_at is None


def test_mark_read_and_open_goes_to_the_link(app, login):
    client = login("warehouse")
    _notify(app, [client.user.id], title="Go there", link="/warehouses/")
    mine = _rows(app, client.user.id)[0]
    response = client.submit(f"/notifications/{mine.id}/read", {"open": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/warehouses/")
    assert _rows(app, client.user.id)[0].read_at is not None
    # Marking it again changes nothing and lands back on the list (keeping the filter).
    response = client.submit(f"/notifications/{mine.id}/read", {"show": "unread"})
    assert response.headers["Location"].endswith("/notifications/?show=unread")


def test_nobody_can_read_or_mark_someone_elses_notification(app, login, create_user):
    client = login("admin")
    other = create_user("private_person")
    _notify(app, [other.id], title="Private")
    theirs = _rows(app, other.id)[0]
    assert client.submit(f"/notifications/{theirs.id}/read").status_code == 404
    assert _rows(app, other.id)[0].read_at is None
    client.submit("/notifications/read-all")
    assert _rows(app, other.id)[0].read_at is None
    assert "Private" not in html(client.get("/notifications/"))


def test_mark_all_read_leaves_what_arrived_after_the_page_was_shown(app, login):
    client = login("purchaser")
    _notify(app, [client.user.id], title="Seen")
    page = html(client.get("/notifications/"))
    newest = _rows(app, client.user.id)[-1].id
    assert f'name="up_to" value="{newest}"' in page
    _notify(app, [client.user.id], title="Arrived later")
    response = client.submit("/notifications/read-all", {"up_to": str(newest)})
    assert response.status_code == 302
    seen, later = _rows(app, client.user.id)
    assert seen.read_at is not None and later.read_at is None
    assert "1 notification(s) marked as read." in html(client.get("/notifications/"))


def test_the_bell_shows_the_unread_count_on_every_page(app, login):
    client = login("sales")
    page = html(client.get("/"))
    assert 'id="nav-bell"' in page and 'data-unread="0"' in page
    for _ in range(3):
        _notify(app, [client.user.id])
    for url in ("/", "/account/", "/notifications/"):
        page = html(client.get(url))
        assert 'data-unread="3"' in page, url
        assert "Notifications: 3 unread" in page


def test_the_bell_caps_its_count(app, login):
    client = login("sales")
    with app.app_context():
        db.session.execute(
            sa.insert(Notification.__table__),
            [{"user_id": client.user.id, "kind": "test", "title": f"n{i}", "body": "", "link": ""} for i in range(120)],
        )
        db.session.commit()
    page = html(client.get("/"))
    assert f'data-unread="{services.UNREAD_CAP + 1}"' in page
    assert ">99+</span>" in page


def test_the_unread_count_is_one_query(app, login):
    """The bell costs one capped count per page, whatever the inbox holds."""
    client = login("sales")
    _notify(app, [client.user.id])
    statements = []

    def count(conn, cursor, statement, *args):
        if "notifications" in statement:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        client.get("/account/")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "LIMIT" in statements[0].upper()


def test_visitors_are_sent_to_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
