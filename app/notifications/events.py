"""Socket.IO handlers: who may hold a connection, and what a page may ask over it.

A connection is accepted only for a signed-in, active user (the server-side session in Redis named
by the page's cookie, read again for every event: ``manage_session=False``). It joins the rooms
``user:<id>`` and ``session:<digest>``, through which pushes reach it (app.core.realtime).

Flask-Principal does not run for Socket.IO events, so every handler goes through ``socket_event``:
it loads the user from the session again, refuses a session that has ended (the page goes to the
sign-in page), sets the user's identity, and compares the user's permission version with the one
the connection last saw: when an administrator changed the user's roles meanwhile, the answer tells
the page to reload its menu, and the handler runs with the new permission set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import session
from flask_login import current_user
from flask_principal import Identity
from flask_socketio import disconnect, emit, join_room

from app.auth.models import User
from app.core import realtime
from app.core.registry import work_counts
from app.extensions import principal, socketio
from app.notifications import services

log = logging.getLogger(__name__)


def _signed_in_user() -> User | None:
    # current_user goes through the sign-in checks of every request: the session exists, is still
    # in the user's index, within its lifetimes, and the user is active.
    if not current_user.is_authenticated or not current_user.is_active:
        return None
    return current_user._get_current_object()


@socketio.on("connect")
def on_connect(auth: Any = None) -> None:
    user = _signed_in_user()
    if user is None:
        raise ConnectionRefusedError("sign-in required")
    join_room(realtime.user_room(user.id))
    join_room(realtime.session_room(session.sid))
    socketio.connection().update(user_id=user.id, version=user.permissions_version)


def socket_event(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``handler`` as the connection's user, re-checked for this very event.

    The handler gets the user and whether their permissions changed since the connection last
    looked (the page then reloads its menu)."""

    @wraps(handler)
    def wrapper(*args: Any) -> Any:
        user = _signed_in_user()
        state = socketio.connection()
        if user is None or user.id != state.get("user_id"):
            emit(realtime.SIGNED_OUT, {})
            disconnect()
            return None
        principal.set_identity(Identity(user.id, "socket"))
        changed = user.permissions_version != state.get("version")
        state["version"] = user.permissions_version
        return handler(user, changed, *args)

    return wrapper


def live_state(user: User, with_work: bool) -> dict[str, Any]:
    """What a page shows live: the unread count and, on the dashboard, the "my work" counts."""
    from app.auth.access import can

    state: dict[str, Any] = {"unread": services.unread_count(user.id)}
    if with_work:
        state["work"] = work_counts(can)
    return state


@socketio.on("sync")
@socket_event
def on_sync(user: User, access_changed: bool, data: Any = None) -> dict[str, Any]:
    """A page (re)connected, was told something changed, or checks in: send it what it shows live."""
    with_work = isinstance(data, dict) and data.get("work") is True
    return {**live_state(user, with_work), "access_changed": access_changed}
