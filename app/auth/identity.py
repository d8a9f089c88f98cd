"""Signing in and out: Flask-Login wiring, session rotation and the session lifetimes."""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, request, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user

from app.auth import access, sessions
from app.auth.models import User
from app.core.realtime import session_room
from app.extensions import db, login_manager, socketio

AUTH_AT = "auth_at"
PASSWORD_AT = "password_at"
PREVIOUS_LOGIN = "previous_login"


def _load_user(user_id: str) -> User | None:
    auth_at = session.get(AUTH_AT)
    limit = current_app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds()
    if not isinstance(auth_at, int) or time.time() - auth_at > limit:
        _drop_session(int(user_id) if user_id.isdigit() else None)
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or not _still_valid(user):
        _drop_session(user.id if user else None)
        return None
    return user


def _still_valid(user: User) -> bool:
    """A session ended elsewhere stays ended, even if a request that was running rewrote it.

    Two independent checks: the session must still be in the user's index (admins and the user
    end sessions by removing them there), and it must have been opened with the current
    password (a reset ends every older session, even if Redis missed the deletion).
    """
    if user.password_changed_at is not None and session.get(PASSWORD_AT, 0) < user.password_changed_at.timestamp():
        return False
    registered, grants = sessions.registered_and_get(
        user.id, session.sid, access.cache_key(user.id, user.permissions_version)
    )
    if registered:
        access.use_fetched_grants(user, grants)
    return registered


def _drop_session(user_id: int | None) -> None:
    if user_id is not None:
        sessions.unregister(user_id, session.sid)
    session.clear()


def start_session(user: User) -> None:
    """Sign ``user`` in on a brand-new session id (no fixation) and index the session."""
    current_app.session_interface.regenerate(session)
    session.clear()
    login_user(user, remember=False)
    session[AUTH_AT] = int(time.time())
    session[PASSWORD_AT] = user.password_changed_at.timestamp() if user.password_changed_at else 0.0
    if user.last_login_at is not None:
        session[PREVIOUS_LOGIN] = {"at": int(user.last_login_at.timestamp()), "ip": user.last_login_ip or ""}
    sessions.register(user.id, session.sid, request.remote_addr, request.user_agent.string)


def keep_session_after_password_change(user: User) -> None:
    """The user changed their own password in this session: it stays valid."""
    session[PASSWORD_AT] = user.password_changed_at.timestamp()


def end_session(user: User, message: str) -> None:
    """Sign the current user out, forget the session and continue on a new anonymous session id."""
    sessions.unregister(user.id, session.sid)
    # The other open pages of this sign-in go to the sign-in page too.
    socketio.end_rooms([session_room(session.sid)])
    logout_user()
    session.clear()
    flash(message, "info")
    current_app.session_interface.regenerate(session)


def init_login(app: Flask) -> None:
    from app.auth.throttle import init_throttle

    init_throttle(app)
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
