"""The dashboard, whose panels come from the core registry."""

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.auth.access import can, login_only
from app.core.registry import (
    DASHBOARD,
    WORK_COUNT_CAP,
    MenuItem,
    Panel,
    panels,
    register_dashboard_panel,
    register_menu_item,
    work_items_for,
)

bp = Blueprint("reports", __name__)

register_menu_item(MenuItem("home", "reports.dashboard", _l("Dashboard"), "speedometer2", order=0))


def _my_work() -> dict | None:
    """The "my work" counts this user may see (registered by the domains), each linking to its list."""
    items = work_items_for(can)
    if not items:
        return None
    return {
        "items": [(item, min(item.count(), WORK_COUNT_CAP + 1), item.link()) for item in items],
        "cap": WORK_COUNT_CAP,
    }


register_dashboard_panel(Panel("my_work", "reports/_panel_work.html", _my_work, order=2, width="col-12"))


@bp.get("/")
@login_only
def dashboard():
    rendered = []
    for panel in panels.visible(DASHBOARD, can):
        context = panel.context()
        if context is not None:
            rendered.append((panel, Markup(render_template(panel.template, **context))))
    return render_template("reports/dashboard.html", panels=rendered)
