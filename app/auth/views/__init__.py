"""Login, the user's own account, and the user, role and session administration pages."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth.views import account, admin_roles, admin_sessions, admin_users, login  # noqa: E402,F401
