import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from app.auth import services, sessions
from app.auth.access import can, permissions_from_db, permissions_of, require
from app.auth.forms import ResetPasswordForm, UserForm, timezone_choices
from app.auth.models import Role, User, user_roles
from app.auth.views import bp
from app.core import registry
from app.core.audit import OperationLog, actor_names
from app.core.errors import DomainError, StaleEditError
from app.core.listing import contains_pattern, page_args, paginate
from app.extensions import db


def _me():
    return current_user._get_current_object()


def _load_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _all_roles() -> list[Role]:
    return list(db.session.scalars(sa.select(Role).order_by(Role.name)))


def _prepare_form(form: UserForm, user: User | None) -> None:
    roles = _all_roles()
    form.roles.choices = [SelectChoice(r.id, r.title) for r in roles]
    form.timezone.choices = timezone_choices(user.timezone if user else None)
    form.role_objects = {r.id: r for r in roles}


def _data(form: UserForm) -> services.UserData:
    return services.UserData(
        username=form.username.data.strip(),
        display_name=form.display_name.data,
        email=form.email.data,
        phone=form.phone.data,
        locale=form.locale.data,
        timezone=form.timezone.data,
    )


@bp.get("/admin/users/")
@require("users.view")
def user_list():
    q = request.args.get("q", "").strip()
    status = request.args.get("status", "active")
    role_id = request.args.get("role", type=int)
    query = sa.select(User).options(selectinload(User.roles)).order_by(User.username)
    if q:
        like = contains_pattern(q)
        query = query.where(
            sa.or_(
                User.username.ilike(like, escape="\\"),
                User.display_name.ilike(like, escape="\\"),
                User.email.ilike(like, escape="\\"),
            )
        )
    if status == "active":
        query = query.where(User.is_active.is_(True))
    elif status == "inactive":
        query = query.where(User.is_active.is_(False))
    if role_id:
        query = query.where(User.id.in_(sa.select(user_roles.c.user_id).where(user_roles.c.role_id == role_id)))
    page = paginate(query, *page_args())
    return render_template("auth/user_list.html", page=page, q=q, status=status, role_id=role_id, roles=_all_roles())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@require("users.manage")
def user_new():
    form = UserForm()
    _prepare_form(form, None)
    if form.validate_on_submit():
        try:
            if not form.password.data:
                raise DomainError(_("Enter an initial password."))
            user = services.create_user(_data(form), form.password.data, form.roles.data or [], by=_me())
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("auth.user_detail", user_id=user.id))
    form.password.data = ""
    return render_template("auth/user_form.html", form=form, user=None, grantable=_grantable_role_ids())


@bp.get("/admin/users/<int:user_id>")
@require("users.view")
def user_detail(user_id: int):
    user = _load_user_or_404(user_id)
    history = []
    if can("audit.view"):
        history = list(
            db.session.scalars(
                sa.select(OperationLog)
                .where(OperationLog.object_type == "user", OperationLog.object_id == user.id)
                .order_by(OperationLog.id.desc())
                .limit(20)
            )
        )
    user_sessions = sessions.list_for(user.id) if can("sessions.manage") else []
    return render_template(
        "auth/user_detail.html",
        user=user,
        permissions=sorted(permissions_from_db(user.id)),
        history=history,
        user_sessions=user_sessions,
        actors=actor_names(history),
        panels=registry.panels.visible("detail:user", can),
    )


def _grantable_role_ids() -> set[int]:
    held = permissions_of(_me())
    return {r.id for r in _all_roles() if r.permission_names <= held}


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@require("users.manage")
def user_edit(user_id: int):
    user = _load_user_or_404(user_id)
    form = UserForm(obj=user)
    _prepare_form(form, user)
    if request.method == "GET":
        form.roles.data = [r.id for r in user.roles]
        form.version_id.data = user.version_id
    conflict = None
    if form.validate_on_submit():
        try:
            services.update_user(
                user, _data(form), form.roles.data or [], expected_version=form.version_id.data, by=_me()
            )
        except StaleEditError as exc:
            db.session.rollback()
            conflict = exc
            form.version_id.data = user.version_id
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("auth.user_detail", user_id=user.id))
    return render_template(
        "auth/user_form.html",
        form=form,
        user=user,
        conflict=conflict,
        grantable=_grantable_role_ids(),
        is_self=user.id == _me().id,
    )


@bp.post("/admin/users/<int:user_id>/deactivate")
@require("users.manage")
def user_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/admin/users/<int:user_id>/reactivate")
@require("users.manage")
def user_reactivate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = _load_user_or_404(user_id)
    try:
        services.set_active(user, active, by=_me())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        if active:
            flash(_("User %(name)s can sign in again.", name=user.username), "success")
        else:
            flash(_("User %(name)s is deactivated and has been signed out everywhere.", name=user.username), "success")
    return redirect(url_for("auth.user_detail", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/password", methods=["GET", "POST"])
@require("users.manage")
def user_password(user_id: int):
    user = _load_user_or_404(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.new_password.data, by=_me())
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(
                _("A new password is set for %(name)s, and their sessions were signed out.", name=user.username),
                "success",
            )
            return redirect(url_for("auth.user_detail", user_id=user.id))
    return render_template("auth/user_password.html", form=form, user=user)
