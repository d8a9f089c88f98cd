"""Pushing events to open pages over Socket.IO.

Every signed-in page holds one Socket.IO connection, which sits in two rooms: ``user:<id>`` (all of
that user's pages) and ``session:<digest>`` (the pages of one sign-in). Code that changes something
pushes to the users it concerns, resolved by the domain where the change happens (it knows its
permission and scope rules), and only once the change is committed: ``emit_after_commit`` and
``work_changed`` register the push on the session, so a rolled-back change pushes nothing.

What is pushed never tells more than the recipient may see: a notification addressed to them, or a
hint ("your approvals count changed") on which the page asks again, with its own permissions.

With a message queue (Redis: ``REDIS_URL``, or the embedded server's ``unix://`` socket) an emit from
any process — a web instance, the realtime instance, a CLI job — reaches every connected page,
whichever process holds its connection. Each app keeps its own ``SocketIO`` in ``app.extensions``
(tests run several apps in one process), like the Redis client.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

import socketio as python_socketio
from flask import Flask, current_app
from flask_socketio import SocketIO

from app.core.db import after_commit

log = logging.getLogger(__name__)

# Events a page understands (static/js/live.js).
NOTIFICATION = "notification"  # a new notification for this user: {"notification": {...}}
UNREAD = "unread"  # the unread count changed elsewhere (read in another tab): {"unread": n}
WORK = "work"  # counts of these dashboard items may have changed: {"items": [key, ...]}
ACCESS_CHANGED = "access_changed"  # roles or permissions changed: reload the menu
SIGNED_OUT = "signed_out"  # the session ended (deactivated, signed out elsewhere): go to sign-in

ASYNC_MODES = {"web": "threading", "realtime": "gevent"}


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def session_room(sid: str) -> str:
    # The session id is a bearer credential: rooms are named after a digest of it.
    return "session:" + hashlib.sha256(sid.encode()).hexdigest()[:32]


class SocketIOHub:
    """Handlers registered by the domains at import time, bound to each app's SocketIO server."""

    def __init__(self) -> None:
        self._handlers: list[tuple[str, Callable]] = []

    def on(self, event: str) -> Callable[[Callable], Callable]:
        """Register a handler for ``event`` on every app (call at import time)."""

        def decorator(handler: Callable) -> Callable:
            self._handlers.append((event, handler))
            return handler

        return decorator

    def init_app(self, app: Flask) -> None:
        role = app.config["INSTANCE_ROLE"]
        if role not in ASYNC_MODES:
            raise RuntimeError(f"ERP_INSTANCE_ROLE must be one of {', '.join(ASYNC_MODES)}, not {role!r}")
        options: dict[str, Any] = {
            "async_mode": ASYNC_MODES[role],
            "manage_session": False,  # the server-side session in Redis is the one truth
            # Pages send small requests only; a bigger frame is refused before it is parsed.
            "max_http_buffer_size": 64 * 1024,
            "ping_interval": 25,
            "ping_timeout": 20,
            "logger": False,
            "engineio_logger": False,
        }
        if app.config["SOCKETIO_MESSAGE_QUEUE"]:
            state = app.extensions["erp_redis"]
            # Flask-SocketIO picks its queue class by URL scheme and knows no unix:// (the embedded
            # server's socket), which python-socketio's RedisManager reads fine.
            options["client_manager"] = python_socketio.RedisManager(state.url, channel=state.prefix + "socketio")
        server = SocketIO()
        server.init_app(app, **options)
        for event, handler in self._handlers:
            server.on(event)(handler)

    @property
    def server(self) -> SocketIO:
        return current_app.extensions["socketio"]

    @staticmethod
    def connection() -> dict[str, Any]:
        """What the current Socket.IO connection was opened with, kept by the process holding it
        (in the connection's WSGI environ, which every event of the connection shares)."""
        from flask import request

        return request.environ.setdefault("erp.connection", {})

    def emit_to_users(self, user_ids: Iterable[int], event: str, payload: dict | None = None) -> None:
        """Push ``event`` to every open page of ``user_ids`` now (call after commit)."""
        ids = sorted(set(user_ids))
        if not ids:
            return
        self.server.emit(event, payload or {}, to=[user_room(i) for i in ids])

    def emit_to_user(self, user_id: int, event: str, payload: dict) -> None:
        self.server.emit(event, payload, to=user_room(user_id))

    def end_rooms(self, rooms: Iterable[str]) -> None:
        """Tell the pages in ``rooms`` that their session ended and stop pushing to them."""
        server = self.server
        for room in rooms:
            server.emit(SIGNED_OUT, {}, to=room)
            server.close_room(room)


def emit_after_commit(user_ids: Iterable[int], event: str, payload: dict | None = None) -> None:
    """Push ``event`` to the pages of ``user_ids`` once the current transaction commits."""
    from app.extensions import db, socketio

    ids = sorted(set(user_ids))
    if ids:
        after_commit(db.session(), lambda: socketio.emit_to_users(ids, event, payload))


def work_changed(user_ids: Iterable[int], *items: str) -> None:
    """After commit, tell the pages of ``user_ids`` that their counts of the "my work" ``items``
    (dashboard keys) may have changed; the dashboard asks for them again with its own permissions."""
    if items:
        emit_after_commit(user_ids, WORK, {"items": sorted(set(items))})


def serve_socketio_only(app: Flask) -> None:
    """A realtime instance answers Socket.IO and its health check only; pages live on web instances
    (a 100k-row export must never hold up every open socket)."""
    from flask import abort, request

    def _pages_live_elsewhere() -> None:
        if request.endpoint != "system.healthz":
            abort(404)

    # First of all hooks: nothing else (sign-in redirects, sessions) runs for a refused page.
    app.before_request_funcs.setdefault(None, []).insert(0, _pages_live_elsewhere)
