"""The inbox (/notifications/), the navbar bell (unread count and dropdown) and what open pages ask
for while live. Everyone signed in has an inbox and sees only their own notifications."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.auth.access import login_only, require
from app.auth.models import Role
from app.core.errors import DomainError
from app.core.listing import page_args, paginate
from app.core.security import safe_next
from app.extensions import db
from app.notifications import events, services
from app.notifications.forms import ROLES, BroadcastForm
from app.notifications.models import Notification

bp = Blueprint("notifications", __name__)

SHOW_CHOICES = ("all", "unread")
DROPDOWN_SIZE = 8
# A pushed batch spans at most one id per recipient (and whatever other rows were written meanwhile).
READ_RANGE_MAX = 1_000_000


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
    services.push_unread(_me_id())
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
    services.push_unread(_me_id())
    db.session.commit()
    if count:
        flash(_("%(n)d notification(s) marked as read.", n=count), "success")
    else:
        flash(_("There were no unread notifications."), "info")
    return _back_to_list()


# --- what live pages ask for -------------------------------------------------------------------


@bp.get("/notifications/dropdown")
@login_only
def notification_dropdown():
    """The bell's dropdown: the newest notifications (a fragment the page fetches when opened)."""
    items = db.session.scalars(services.inbox_query(_me_id()).limit(DROPDOWN_SIZE)).all()
    return render_template("notifications/_dropdown.html", items=items, unread=services.unread_count(_me_id()))


@bp.get("/api/notifications/live")
@login_only
def notification_live():
    """What a page shows live, for pages whose Socket.IO connection is down (they poll this)."""
    return jsonify(events.live_state(current_user, with_work=request.args.get("work") == "1"))


@bp.post("/api/notifications/<int:notification_id>/read")
@login_only
def notification_read_api(notification_id: int):
    """Mark read from the dropdown or a toast (CSRF token in the X-CSRFToken header): the user's
    notification ``notification_id``, or theirs among it to ``?to=`` (a pushed batch names a range)."""
    first_id = notification_id
    last_id = request.args.get("to", type=int) or first_id
    if last_id < first_id or last_id - first_id > READ_RANGE_MAX:
        abort(400)
    services.mark_read_between(_me_id(), first_id, last_id)
    services.push_unread(_me_id())
    db.session.commit()
    return jsonify({"unread": services.unread_count(_me_id())})


@bp.get("/api/menu")
@login_only
def menu_fragment():
    """The side menu as the user's current permissions allow, for pages told their access changed."""
    endpoint = request.args.get("for", "")
    if endpoint not in current_app.view_functions:
        endpoint = ""
    return render_template("_menu.html", active_endpoint=endpoint)


# --- broadcasts (消息管理) -----------------------------------------------------------------------


@bp.get("/notifications/broadcasts/")
@require("notifications.broadcast")
def broadcast_list():
    page = paginate(services.broadcasts_query(), *page_args())
    titles = {r.name: r.title for r in db.session.scalars(db.select(Role))}
    return render_template("notifications/broadcast_list.html", page=page, role_titles=titles)


def _broadcast_form() -> tuple[BroadcastForm, list[Role]]:
    form = BroadcastForm()
    roles = list(db.session.scalars(db.select(Role).order_by(Role.name)))
    form.roles.choices = [SelectChoice(r.id, r.title) for r in roles]
    return form, roles


@bp.get("/notifications/broadcasts/new")
@require("notifications.broadcast")
def broadcast_new():
    form, roles = _broadcast_form()
    return render_template("notifications/broadcast_form.html", form=form, roles=roles)


@bp.post("/notifications/broadcasts/new")
@require("notifications.broadcast")
def broadcast_send():
    form, roles = _broadcast_form()
    if not form.validate_on_submit():
        return render_template("notifications/broadcast_form.html", form=form, roles=roles), 400
    role_ids = form.roles.data if form.audience.data == ROLES else None
    try:
        broadcast = services.send_broadcast(form.title.data, form.body.data or "", form.link.data or "", role_ids)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return render_template("notifications/broadcast_form.html", form=form, roles=roles), 400
    db.session.commit()
    flash(_("Message sent to %(n)d people.", n=broadcast.recipient_count), "success")
    return redirect(url_for("notifications.broadcast_list"))
