"""Use cases of notifications. Services flush; the caller commits.

The domain where something happens decides who may hear of it (it knows its permissions and
scope rules) and calls ``notify`` with their user ids inside its own transaction. Titles and bodies
are given as lazy strings (``lazy_gettext`` with named placeholders) or as callables, and are
rendered once per language, so each recipient reads the notification in their own language; the
text is stored, so it reads the same later even if the product or customer is renamed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.auth.models import Role, User, user_roles
from app.core import realtime
from app.core.db import after_commit, utcnow
from app.core.errors import DomainError
from app.core.refcache import VersionedCache
from app.core.security import safe_next
from app.extensions import db, socketio
from app.notifications.models import Broadcast, Notification

log = logging.getLogger(__name__)

# The navbar shows "99+" beyond this: counting further would cost more and say nothing more.
UNREAD_CAP = 99
TITLE_MAX = 200
# A toast shows the beginning of the body; the inbox shows all of it.
PUSHED_BODY_MAX = 500

Text = str | LazyString | Callable[[], str]


@dataclass(frozen=True)
class Kind:
    name: str
    label: Any
    icon: str = "bell"


_kinds: dict[str, Kind] = {}
# Called after commit with the ids of the users who got something.
_listeners: list[Callable[[list[int]], None]] = []


def register_kind(name: str, label: Any, icon: str = "bell") -> None:
    """Declare a kind of notification: its label and Bootstrap icon in the inbox."""
    _kinds[name] = Kind(name, label, icon)


def kind_of(name: str) -> Kind:
    return _kinds.get(name) or Kind(name, name)


def on_delivered(listener: Callable[[list[int]], None]) -> None:
    """Call ``listener`` with the recipients' ids once notifications have been committed."""
    if listener not in _listeners:
        _listeners.append(listener)


def _render(text: Text) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, LazyString):
        return str(text)
    return str(text())


def _check_link(link: str) -> str:
    # Stored links are paths inside the application: never another host (no open redirect).
    if link and (not link.startswith("/") or link.startswith("//") or "\\" in link):
        raise ValueError(f"a notification link must be a path inside the application, not {link!r}")
    return link


def notify(user_ids: Iterable[int], kind: str, title: Text, body: Text = "", link: str = "") -> list[int]:
    """Notify the active users among ``user_ids``, each in their own language; return who was notified.

    The rows are written in the caller's transaction; once it commits, each recipient's open pages
    get the notification pushed (bell, dropdown, toast). A rolled-back transaction pushes nothing.
    """
    ids = sorted(set(user_ids))
    if not ids:
        return []
    link = _check_link(link)
    by_locale: dict[str, list[int]] = {}
    for user_id, locale in db.session.execute(
        sa.select(User.id, User.locale).where(User.id.in_(ids), User.is_active.is_(True)).order_by(User.id)
    ):
        by_locale.setdefault(locale, []).append(user_id)
    if not by_locale:
        return []
    now = utcnow()
    kind_info = kind_of(kind)
    rows: list[dict[str, Any]] = []
    shown: dict[str, dict[str, Any]] = {}  # per language: what the open pages show
    for locale, recipients in sorted(by_locale.items()):
        with force_locale(locale):
            rendered_title = _render(title)[:TITLE_MAX]
            rendered_body = _render(body)
            label = str(kind_info.label)
        rows += [
            {
                "user_id": user_id,
                "kind": kind,
                "title": rendered_title,
                "body": rendered_body,
                "link": link,
                "created_at": now,
            }
            for user_id in recipients
        ]
        shown[locale] = {
            "kind": kind,
            "kind_label": label,
            "icon": kind_info.icon,
            "title": rendered_title,
            "body": rendered_body[:PUSHED_BODY_MAX],
            "link": link,
            "created_at": now.isoformat(),
        }
    table = Notification.__table__
    inserted = db.session.execute(
        sa.insert(table).returning(table.c.id, table.c.user_id, sort_by_parameter_order=True), rows
    )
    ids = {user_id: row_id for row_id, user_id in inserted}
    # One push per language, to all its recipients' rooms at once (a message to 200 people is one
    # message on the queue, encoded once). Each recipient has exactly one row among ``ids``, so the
    # range names it: opening the toast marks "my notification in this range" read.
    pushes = []
    for locale, recipients in sorted(by_locale.items()):
        mine = [ids[u] for u in recipients]
        pushes.append((recipients, {**shown[locale], "ids": [min(mine), max(mine)]}))
    delivered = sorted(ids)
    after_commit(db.session(), lambda: _push(pushes))
    after_commit(db.session(), lambda: _announce(delivered))
    log.info("notification %s for users %s", kind, delivered)
    return delivered


def _push(pushes: list[tuple[list[int], dict[str, Any]]]) -> None:
    for recipients, payload in pushes:
        socketio.emit_to_users(recipients, realtime.NOTIFICATION, {"notification": payload})


def push_unread(user_id: int) -> None:
    """After commit, tell the user's open pages their unread count (read in one of them)."""
    count = unread_count(user_id)
    after_commit(db.session(), lambda: socketio.emit_to_user(user_id, realtime.UNREAD, {"unread": count}))


def _announce(user_ids: list[int]) -> None:
    for listener in _listeners:
        listener(user_ids)


# --- the recipient's side ----------------------------------------------------------------------


def inbox_query(user_id: int, *, unread_only: bool = False) -> sa.Select:
    """The user's notifications, newest first."""
    query = sa.select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.id.desc())


_UNREAD = VersionedCache((Notification.__tablename__,), limit=4096)


def unread_count(user_id: int) -> int:
    """How many unread notifications the user has, counted up to UNREAD_CAP + 1 (kept per process
    until the notifications table changes: every page's bell shows it)."""
    return _UNREAD.get(user_id, lambda: _count_unread(user_id))


def _count_unread(user_id: int) -> int:
    unread = (
        sa.select(Notification.id)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .limit(UNREAD_CAP + 1)
        .subquery()
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(unread)) or 0


def newest_id(user_id: int) -> int | None:
    """The id of the user's newest notification (what "mark all as read" covers)."""
    return db.session.scalar(sa.select(sa.func.max(Notification.id)).where(Notification.user_id == user_id))


def mark_read_between(user_id: int, first_id: int, last_id: int) -> int:
    """Mark read the user's notifications with ids from ``first_id`` to ``last_id`` (one pushed
    notification names its batch so); return how many."""
    table = Notification.__table__
    update = (
        sa.update(table)
        .where(table.c.user_id == user_id, table.c.id.between(first_id, last_id), table.c.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(update).rowcount or 0


def get_own(user_id: int, notification_id: int) -> Notification | None:
    """The notification, if it is addressed to ``user_id``."""
    return db.session.scalar(
        sa.select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
    )


def mark_read(notification: Notification) -> None:
    """Mark one notification as read."""
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user_id: int, up_to_id: int | None = None) -> int:
    """Mark the user's unread notifications as read, up to the newest one they were shown; return how many."""
    table = Notification.__table__
    update = (
        sa.update(table)
        .where(table.c.user_id == user_id, table.c.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if up_to_id is not None:
        # One that arrived after the page was shown stays unread: nobody has seen it yet.
        update = update.where(table.c.id <= up_to_id)
    return db.session.execute(update).rowcount or 0


# --- broadcasts (消息管理) -----------------------------------------------------------------------

BROADCAST_KIND = "broadcast"
BODY_MAX = 2000

register_kind(BROADCAST_KIND, _l("Message"), "megaphone")


def broadcast_recipients(role_ids: Iterable[int] | None) -> list[int]:
    """Active users now: everyone (``None``), or the holders of any of ``role_ids``."""
    query = sa.select(User.id).where(User.is_active.is_(True))
    if role_ids is not None:
        query = query.where(User.id.in_(sa.select(user_roles.c.user_id).where(user_roles.c.role_id.in_(role_ids))))
    return list(db.session.scalars(query.order_by(User.id)))


def send_broadcast(title: str, body: str, link: str, role_ids: Iterable[int] | None) -> Broadcast:
    """Send a message to everyone (``role_ids`` None) or to the holders of these roles, as they are now."""
    title, body, link = title.strip(), body.strip(), link.strip()
    if not title:
        raise DomainError(_("Enter a title."))
    if len(title) > TITLE_MAX or len(body) > BODY_MAX:
        raise DomainError(_("The title or the message is too long."))
    if link and safe_next(link) is None:
        raise DomainError(_("A link must be a path inside this console, such as /quotations/."))
    roles: list[Role] = []
    if role_ids is not None:
        roles = list(db.session.scalars(sa.select(Role).where(Role.id.in_(set(role_ids))).order_by(Role.name)))
        if not roles:
            raise DomainError(_("Choose at least one role, or send to everyone."))
    recipients = broadcast_recipients(None if role_ids is None else [r.id for r in roles])
    if not recipients:
        raise DomainError(_("Nobody holds these roles: the message was not sent."))
    broadcast = Broadcast(
        title=title,
        body=body,
        link=link,
        to_everyone=role_ids is None,
        role_names=",".join(r.name for r in roles),
        recipient_count=len(recipients),
    )
    db.session.add(broadcast)
    db.session.flush()
    notify(recipients, BROADCAST_KIND, title, body, link)
    log.info("broadcast %r sent to %d users", title, len(recipients))
    return broadcast


def broadcasts_query() -> sa.Select:
    """Sent broadcasts, newest first."""
    return sa.select(Broadcast).order_by(Broadcast.id.desc())
