"""The operation log page: who may open it, its filters, and how a change reads."""

import html as html_lib
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.auth.models import Role, User
from app.core.audit import OperationLog
from app.core.db import acting_as
from app.extensions import db
from tests import support

AUDIT = "/admin/audit/"
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the default time zone of the viewing admin
LABELS = ("audited_role", "audited-user", "unattributed-user")


def _rows(response) -> list[str]:
    """The text of each entry row of the log table, tags stripped."""
    assert response.status_code == 200, support.html(response)[:1000]
    page = support.html(response)
    if 'data-list="audit"' not in page:
        return []
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [" ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def _labels(response) -> set[str]:
    return {label for label in LABELS if any(label in row for row in _rows(response))}


@pytest.fixture
def history(app, create_user):
    """A role and a user changed by ``editor``, and a user created by no one in particular."""
    editor = create_user("log-editor", ["admin"])
    create_user("unattributed-user")
    target = create_user("audited-user", display_name="Old Label")
    with app.app_context(), acting_as(editor.id):
        db.session.add(Role(name="audited_role", title_zh="审计", title_en="Audited", description=""))
        user = db.session.get(User, target.id)
        user.display_name = "New Label"
        user.password_hash = "scrypt:new-secret-hash"
        db.session.commit()
    return editor


def test_the_log_needs_audit_view(client, login):
    assert login("sales").get(AUDIT).status_code == 403
    assert login("warehouse").get(AUDIT).status_code == 403
    anonymous = client.get(AUDIT)
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    assert login("admin").get(AUDIT).status_code == 200


def test_entries_show_who_changed_what_old_to_new(login, history):
    rows = _rows(login("admin").get(AUDIT))
    [update] = [r for r in rows if "audited-user" in r and "Changed" in r]
    assert "log-editor" in update
    assert "Display name Old Label New Label" in update
    assert "Password *** ***" in update
    assert "new-secret-hash" not in update

    [created] = [r for r in rows if "unattributed-user" in r]
    assert "Created" in created
    assert "System" in created


def test_the_change_markup_puts_old_before_new(login, history):
    page = support.html(login("admin").get(AUDIT + "?action=update&q=audited-user"))
    assert re.search(
        r'class="app-change-old">Old Label</span>\s*<i class="bi bi-arrow-right"></i>\s*'
        r'<span class="app-change-new">New Label</span>',
        page,
    )


def test_filter_by_record_type(login, history):
    admin = login("admin")
    assert _labels(admin.get(AUDIT + "?type=role")) == {"audited_role"}
    assert _labels(admin.get(AUDIT + "?type=user")) == {"audited-user", "unattributed-user"}


def test_filter_by_action(login, history):
    admin = login("admin")
    updates = _rows(admin.get(AUDIT + "?action=update"))
    assert any("audited-user" in r for r in updates)
    assert all("Changed" in r for r in updates)
    assert not any("audited_role" in r or "unattributed-user" in r for r in updates)
    # An unknown action is ignored rather than hiding everything.
    assert _labels(admin.get(AUDIT + "?action=drop-table")) == set(LABELS)


def test_filter_by_actor(login, history):
    admin = login("admin")
    assert _labels(admin.get(AUDIT + "?actor=log-editor")) == {"audited_role", "audited-user"}
    assert all("log-editor" in r for r in _rows(admin.get(AUDIT + "?actor=log-editor")))
    nobody = admin.get(AUDIT + "?actor=no-such-user")
    assert _rows(nobody) == []
    assert "data-empty-state" in support.html(nobody)


def test_filter_by_record_name(login, history):
    admin = login("admin")
    assert _labels(admin.get(AUDIT + "?q=audited")) == {"audited_role", "audited-user"}
    assert _labels(admin.get(AUDIT + "?q=audited_role")) == {"audited_role"}


def test_filter_by_date_in_the_viewers_time_zone(login, history):
    admin = login("admin")
    today = datetime.now(SHANGHAI).date()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)

    assert _labels(admin.get(AUDIT + f"?from={today}&to={today}")) == set(LABELS)
    assert _labels(admin.get(AUDIT + f"?from={yesterday}")) == set(LABELS)
    assert _rows(admin.get(AUDIT + f"?from={tomorrow}")) == []
    assert _labels(admin.get(AUDIT + f"?to={yesterday}")) == set()
    # A date that is not a date is ignored.
    assert _labels(admin.get(AUDIT + "?from=someday")) == set(LABELS)


def test_filters_combine(login, history):
    admin = login("admin")
    rows = _rows(admin.get(AUDIT + "?type=user&action=update&actor=log-editor"))
    assert len(rows) == 1
    assert "audited-user" in rows[0]


def test_an_edit_through_the_web_shows_its_address(login, create_user):
    admin = login("admin")
    target = create_user("address-shown", ["sales"])
    response = admin.submit(f"/admin/users/{target.id}/deactivate", {}, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert response.status_code == 302
    page = support.html(admin.get(AUDIT + "?q=address-shown&action=update"))
    assert "10.9.8.7" in page
    assert response.headers["X-Request-Id"] in page
    [row] = _rows(admin.get(AUDIT + "?q=address-shown&action=update"))
    assert admin.user.username in row
    assert "Active Yes No" in row


def test_a_day_starts_at_midnight_shanghai_time_to_the_minute(app, login):
    from app.core import audit

    admin = login("admin")
    with app.app_context():
        for label, moment in [
            ("three-minutes-before-midnight", datetime(2026, 3, 1, 15, 57, tzinfo=UTC)),  # 23:57 on 1 March
            ("three-minutes-after-midnight", datetime(2026, 3, 1, 16, 3, tzinfo=UTC)),  # 00:03 on 2 March
        ]:
            audit.record(db.session, event_name="probe", object_type="probe", label=label)
            db.session.flush()
            entry = db.session.scalars(sa.select(OperationLog).order_by(OperationLog.id.desc())).first()
            entry.created_at = moment
        db.session.commit()
    page = admin.get(AUDIT + "?type=probe&from=2026-03-02&to=2026-03-02").get_data(as_text=True)
    assert "three-minutes-after-midnight" in page
    assert "three-minutes-before-midnight" not in page
