"""Separate warehouses (独立仓库) on the user administration pages: a panel on the user's detail
page showing the warehouses they work in, and the form where an administrator changes them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice

from app.auth.access import can, require
from app.auth.forms import MultiCheckboxField
from app.auth.models import User
from app.core.errors import DomainError
from app.core.registry import Panel, register_detail_panel
from app.extensions import db
from app.inventory import user_warehouses as service
from app.inventory.blueprint import bp
from app.inventory.models import Warehouse

ALL, SOME = "all", "some"


class UserWarehousesForm(FlaskForm):
    mode = RadioField(
        _l("Works in"),
        choices=[
            SelectChoice(ALL, _l("Every warehouse")),
            SelectChoice(SOME, _l("Only the warehouses ticked below")),
        ],
        default=ALL,
    )
    warehouses = MultiCheckboxField(_l("Warehouses"), coerce=int)
    expected = HiddenField()


def _panel(user: User) -> dict:
    assignment = service.assignment_of(user.id)
    return {
        "user": user,
        "warehouses": service.warehouses_by_id(assignment.warehouse_ids),
        "limited": assignment.warehouse_ids is not None,
        "may_edit": can("users.manage"),
    }


register_detail_panel(
    "user", Panel("warehouses", "inventory/_user_warehouses_panel.html", _panel, permissions=("users.view",), order=10)
)


def _choices(keep: frozenset[int] | None) -> list[SelectChoice]:
    """Warehouses in use, plus deleted or inactive ones the user still has (so they can be removed)."""
    query = sa.select(Warehouse).order_by(Warehouse.code)
    shown = sa.and_(Warehouse.deleted_at.is_(None), Warehouse.is_active.is_(True))
    if keep:
        shown = sa.or_(shown, Warehouse.id.in_(sorted(keep)))
    choices = []
    for w in db.session.scalars(query.where(shown)):
        label = w.audit_label()
        if w.deleted_at is not None:
            label = _("%(warehouse)s (deleted)", warehouse=label)
        elif not w.is_active:
            label = _("%(warehouse)s (inactive)", warehouse=label)
        choices.append(SelectChoice(w.id, label))
    return choices


@bp.route("/admin/users/<int:user_id>/warehouses", methods=["GET", "POST"])
@require("users.manage")
def user_warehouses_edit(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    current = service.assignment_of(user.id)
    form = UserWarehousesForm()
    form.warehouses.choices = _choices(current.warehouse_ids)
    if request.method == "GET":
        form.mode.data = ALL if current.warehouse_ids is None else SOME
        form.warehouses.data = sorted(current.warehouse_ids or ())
        form.expected.data = current.fingerprint
    conflict = None
    if form.validate_on_submit():
        wanted = None if form.mode.data == ALL else set(form.warehouses.data or ())
        try:
            changed = service.assign_warehouses(
                user, wanted, expected=form.expected.data or "", by=current_user._get_current_object()
            )
        except service.WarehousesConflict as exc:
            db.session.rollback()
            conflict = exc
            form.expected.data = service.assignment_of(user.id).fingerprint
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            if changed:
                flash(
                    _("Warehouses of %(name)s saved. They apply from the user's next page.", name=user.username),
                    "success",
                )
            else:
                flash(_("Nothing changed."), "info")
            return redirect(url_for("auth.user_detail", user_id=user.id))
    return render_template("inventory/user_warehouses_form.html", form=form, user=user, conflict=conflict)
