"""What auth contributes to the shared layout: menu entries and dashboard panels."""

from datetime import UTC, datetime

from flask import session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth import identity
from app.auth.access import current_permissions, current_role_titles
from app.core.registry import MenuItem, Panel, register_dashboard_panel, register_menu_item
from app.core.templating import register_audit_event


def _greeting() -> dict:
    previous = session.get(identity.PREVIOUS_LOGIN)
    return {
        "user": current_user,
        "roles": current_role_titles(),  # cached with the permission set: no query
        # Shown so people notice a sign-in that was not theirs.
        "previous_login_at": datetime.fromtimestamp(previous["at"], UTC) if previous else None,
        "previous_login_ip": previous.get("ip") if previous else None,
    }


def _my_permissions() -> dict:
    return {"count": len(current_permissions())}


def register() -> None:
    register_audit_event("session_ended", _l("A session was signed out by an administrator"))
    register_audit_event("sessions_ended", _l("All sessions were signed out by an administrator"))
    register_menu_item(MenuItem("admin", "auth.user_list", _l("Users"), "people", ("users.view",), order=10))
    register_menu_item(MenuItem("admin", "auth.role_list", _l("Roles"), "shield-lock", ("roles.manage",), order=20))
    register_menu_item(
        MenuItem("admin", "auth.session_list", _l("Sessions"), "pc-display", ("sessions.manage",), order=30)
    )
    register_dashboard_panel(Panel("greeting", "auth/_panel_greeting.html", _greeting, order=0, width="col-lg-8"))
    register_dashboard_panel(Panel("my_access", "auth/_panel_access.html", _my_permissions, order=1, width="col-lg-4"))
