"""The inbox (/notifications/) and the navbar bell's unread count. Everyone signed in has an inbox
and sees only their own notifications."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import login_only
from app.core.listing import page_args, paginate
from app.core.security import safe_next
from app.extensions import db
from app.notifications import services
from app.notifications.models import Notification

bp = Blueprint("notifications", __name__)

SHOW_CHOICES = ("all", "unread")


def _me_id() -> int:
    return int(current_user.get_id())


def _show() -> str:
    show = request.values.get("show", "all")
    return show if show in SHOW_CHOICES else "all"


def _back_to_list():
    page = request.form.get("page", type=int)
    show = _show()
    args = {}
    if show != "all":
        args["show"] = show
    if page and page > 1:
        args["page"] = page
    return redirect(url_for("notifications.notification_list", **args))


@bp.app_template_global()
def unread_notifications() -> int:
    """The signed-in user's unread count for the navbar bell (one capped, indexed count per page)."""
    if not current_user.is_authenticated:
        return 0
    if "erp_unread_notifications" not in g:
        g.erp_unread_notifications = services.unread_count(_me_id())
    return g.erp_unread_notifications


@bp.app_template_global()
def notification_kind(name: str) -> services.Kind:
    return services.kind_of(name)


@bp.get("/notifications/")
@login_only
def notification_list():
    show = _show()
    page = paginate(services.inbox_query(_me_id(), unread_only=show == "unread"), *page_args())
    return render_template(
        "notifications/notification_list.html",
        page=page,
        show=show,
        newest_id=services.newest_id(_me_id()),
        unread_cap=services.UNREAD_CAP,
    )


def _own_or_404(notification_id: int) -> Notification:
    notification = services.get_own(_me_id(), notification_id)
    if notification is None:
        abort(404)  # someone else's notification is not there for this user
    return notification


@bp.post("/notifications/<int:notification_id>/read")
@login_only
def notification_read(notification_id: int):
    notification = _own_or_404(notification_id)
    services.mark_read(notification)
    db.session.commit()
    if request.form.get("open") and notification.link:
        target = safe_next(request.script_root + notification.link) or url_for("notifications.notification_list")
        return redirect(target)
    return _back_to_list()


@bp.post("/notifications/read-all")
@login_only
def notification_read_all():
    up_to = request.form.get("up_to", type=int)
    count = services.mark_all_read(_me_id(), up_to)
    db.session.commit()
    if count:
        flash(_("%(n)d notification(s) marked as read.", n=count), "success")
    else:
        flash(_("There were no unread notifications."), "info")
    return _back_to_list()
