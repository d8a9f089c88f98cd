import hashlib

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth import sessions
from app.auth.access import require
from app.auth.models import User
from app.auth.views import bp
from app.core import audit
from app.core.security import safe_next
from app.extensions import db


def session_handle(sid: str) -> str:
    """A stable public name for a session: admins never see or send the session id itself."""
    return hashlib.sha256(sid.encode()).hexdigest()[:16]


def _sid_for(user_id: int, handle: str) -> str | None:
    for info in sessions.list_for(user_id):
        if session_handle(info.sid) == handle:
            return info.sid
    return None


@bp.get("/admin/sessions/")
@require("sessions.manage")
def session_list():
    rows = []
    user_ids = sessions.users_with_sessions()
    users = {}
    if user_ids:
        users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))}
    for uid in user_ids:
        user = users.get(uid)
        if user is None:
            continue
        for info in sessions.list_for(uid):
            rows.append((user, info, session_handle(info.sid)))
    rows.sort(key=lambda r: r[1].last_seen_at or r[1].login_at, reverse=True)
    return render_template("auth/session_list.html", rows=rows)


@bp.post("/admin/sessions/<int:user_id>/<handle>/end")
@require("sessions.manage")
def session_end(user_id: int, handle: str):
    user = db.session.get(User, user_id)
    sid = _sid_for(user_id, handle) if user else None
    if sid is None or not sessions.end(user_id, sid):
        abort(404)
    audit.record(db.session, event_name="session_ended", obj=user, changes={"sessions": [1, 0]})
    db.session.commit()
    flash(_("The session was signed out."), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("auth.session_list"))


@bp.post("/admin/users/<int:user_id>/sessions/end")
@require("sessions.manage")
def user_sessions_end(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    count = sessions.end_all(user.id)
    audit.record(db.session, event_name="sessions_ended", obj=user, changes={"sessions": [count, 0]})
    db.session.commit()
    flash(_("%(n)d session(s) of %(name)s signed out.", n=count, name=user.username), "success")
    return redirect(url_for("auth.user_detail", user_id=user.id))
