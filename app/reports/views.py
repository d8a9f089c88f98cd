"""The dashboard, whose panels come from the core registry."""

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.auth.access import can, login_only
from app.core.registry import DASHBOARD, MenuItem, panels, register_menu_item

bp = Blueprint("reports", __name__)

register_menu_item(MenuItem("home", "reports.dashboard", _l("Dashboard"), "speedometer2", order=0))


@bp.get("/")
@login_only
def dashboard():
    rendered = []
    for panel in panels.visible(DASHBOARD, can):
        context = panel.context()
        if context is not None:
            rendered.append((panel, Markup(render_template(panel.template, **context))))
    return render_template("reports/dashboard.html", panels=rendered)
