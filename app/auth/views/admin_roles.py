import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from app.auth import permissions as registry
from app.auth import services
from app.auth.access import permissions_of, require
from app.auth.forms import RoleForm
from app.auth.models import Role, User, user_roles
from app.auth.views import bp
from app.core.errors import DomainError, StaleEditError
from app.extensions import db


def _me():
    return current_user._get_current_object()


def _load_role_or_404(role_id: int) -> Role:
    role = db.session.get(Role, role_id)
    if role is None:
        abort(404)
    return role


def _prepare(form: RoleForm) -> None:
    form.permissions.choices = [SelectChoice(name) for name in sorted(registry.all_permissions())]


def _data(form: RoleForm) -> services.RoleData:
    return services.RoleData(
        name=form.name.data.strip(),
        title_zh=form.title_zh.data,
        title_en=form.title_en.data,
        description=form.description.data or "",
    )


def _render_form(form: RoleForm, role: Role | None, conflict: StaleEditError | None = None):
    holders = []
    if role is not None:
        holders = list(
            db.session.scalars(
                sa.select(User)
                .join(user_roles, user_roles.c.user_id == User.id)
                .where(user_roles.c.role_id == role.id)
                .order_by(User.username)
            )
        )
    return render_template(
        "auth/role_form.html",
        form=form,
        role=role,
        resources=registry.resources(),
        selected=set(form.permissions.data or []),
        held=permissions_of(_me()),
        holders=holders,
        conflict=conflict,
    )


@bp.get("/admin/roles/")
@require("roles.manage")
def role_list():
    counts = dict(
        db.session.execute(
            sa.select(user_roles.c.role_id, sa.func.count())
            .join(User, User.id == user_roles.c.user_id)
            .where(User.is_active.is_(True))
            .group_by(user_roles.c.role_id)
        ).all()
    )
    roles = list(db.session.scalars(sa.select(Role).options(selectinload(Role.grants)).order_by(Role.name)))
    total = len(registry.all_permissions())
    return render_template("auth/role_list.html", roles=roles, counts=counts, total=total)


@bp.route("/admin/roles/new", methods=["GET", "POST"])
@require("roles.manage")
def role_new():
    form = RoleForm()
    _prepare(form)
    copy_from = request.args.get("copy", type=int)
    if request.method == "GET" and copy_from:
        source = _load_role_or_404(copy_from)
        form.permissions.data = sorted(source.permission_names)
        form.description.data = source.description
    if form.validate_on_submit():
        try:
            role = services.create_role(_data(form), form.permissions.data or [], by=_me())
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Role %(name)s created.", name=role.title), "success")
            return redirect(url_for("auth.role_list"))
    return _render_form(form, None)


@bp.route("/admin/roles/<int:role_id>/edit", methods=["GET", "POST"])
@require("roles.manage")
def role_edit(role_id: int):
    role = _load_role_or_404(role_id)
    form = RoleForm(obj=role)
    _prepare(form)
    if request.method == "GET":
        form.permissions.data = sorted(role.permission_names)
        form.version_id.data = role.version_id
    conflict = None
    if form.validate_on_submit():
        # Permissions the editor does not hold are shown disabled, so the browser does not send
        # them: they keep their current state rather than being read as removed.
        names = set(form.permissions.data or []) | (role.permission_names - permissions_of(_me()))
        try:
            services.update_role(role, _data(form), names, expected_version=form.version_id.data, by=_me())
        except StaleEditError as exc:
            db.session.rollback()
            conflict = exc
            form.version_id.data = role.version_id
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(
                _("Role %(name)s saved. Its users have the new permissions from their next click.", name=role.title),
                "success",
            )
            return redirect(url_for("auth.role_list"))
    return _render_form(form, role, conflict)


@bp.post("/admin/roles/<int:role_id>/delete")
@require("roles.manage")
def role_delete(role_id: int):
    role = _load_role_or_404(role_id)
    title = role.title
    try:
        services.delete_role(role, by=_me())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("auth.role_edit", role_id=role_id))
    db.session.commit()
    flash(_("Role %(name)s deleted.", name=title), "success")
    return redirect(url_for("auth.role_list"))
