"""Health check and the operation log page."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, jsonify, render_template, request
from flask_babel import lazy_gettext as _l

from app.auth.access import public, require
from app.auth.models import User
from app.core.audit import AuditAction, OperationLog, actor_names, audited_model, audited_models
from app.core.i18n import day_end, day_start, parse_day
from app.core.listing import contains_pattern, page_args, paginate
from app.core.registry import MenuItem, register_menu_item
from app.extensions import db, redis_store

bp = Blueprint("system", __name__)

register_menu_item(
    MenuItem("admin", "system.audit_list", _l("Operation log"), "journal-text", ("audit.view",), order=40)
)


@bp.get("/healthz")
@public
def healthz():
    parts = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        parts["db"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means the database is unusable
        db.session.rollback()
        parts["db"] = f"error: {type(exc).__name__}"
    try:
        redis_store.ping()
        parts["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means Redis is unusable
        parts["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in parts.values())
    body = {"status": "ok" if healthy else "error", **parts}
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _day_start(value: str | None, *, end: bool = False) -> datetime | None:
    day = parse_day(value)
    if day is None:
        return None
    return day_end(day) if end else day_start(day)


@bp.get("/admin/audit/")
@require("audit.view")
def audit_list():
    args = request.args
    query = sa.select(OperationLog).order_by(OperationLog.id.desc())
    object_type = args.get("type", "").strip()
    if object_type:
        query = query.where(OperationLog.object_type == object_type)
    object_id = args.get("object_id", type=int)
    if object_id:
        query = query.where(OperationLog.object_id == object_id)
    action = args.get("action", "")
    if action in {a.value for a in AuditAction}:
        query = query.where(OperationLog.action == action)
    actor = args.get("actor", "").strip()
    if actor:
        query = query.where(OperationLog.actor_id.in_(sa.select(User.id).where(User.username == actor)))
    q = args.get("q", "").strip()
    if q:
        like = contains_pattern(q)
        query = query.where(OperationLog.object_label.ilike(like, escape="\\"))
    since = _day_start(args.get("from"))
    if since:
        query = query.where(OperationLog.created_at >= since)
    until = _day_start(args.get("to"), end=True)
    if until:
        query = query.where(OperationLog.created_at < until)
    page = paginate(query, *page_args(default_per_page=50))
    actors = actor_names(page.items, with_username=True)
    # The known record types, not a DISTINCT over a log that grows without end.
    types = sorted(audited_models())
    return render_template(
        "system/audit_list.html",
        page=page,
        actors=actors,
        types=types,
        actions=[a.value for a in AuditAction],
        model_for=audited_model,
    )


from app.system import settings_views  # noqa: E402,F401
