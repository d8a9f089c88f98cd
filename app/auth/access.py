"""Who may call which endpoint, enforced for every request before any view runs.

Each view declares its access with one decorator: ``@require("customers.edit")``,
``@login_only`` or ``@public``. A global ``before_request`` hook reads that declaration, so an
endpoint that declares nothing is refused (deny by default) and decorator order cannot matter.
Anonymous visitors are sent to the login page; signed-in users without the permission get 403.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from flask_principal import ActionNeed, Identity, UserNeed, identity_loaded

from app.auth import permissions as registry
from app.extensions import db, principal, redis_store

PERMISSIONS_TTL = 24 * 3600


@dataclass(frozen=True)
class Access:
    kind: str  # "public", "login" or "permission"
    permissions: tuple[str, ...] = ()
    any_of: bool = False


def _mark(view: Callable, access: Access) -> Callable:
    view.access = access
    return view


def public(view: Callable) -> Callable:
    """Anyone, signed in or not, may call this endpoint."""
    return _mark(view, Access("public"))


def login_only(view: Callable) -> Callable:
    """Any signed-in user may call this endpoint."""
    return _mark(view, Access("login"))


def require(*names: str, any_of: bool = False) -> Callable[[Callable], Callable]:
    """Only users holding every one of ``names`` (or one of them with ``any_of``) may call this endpoint."""
    if not names:
        raise ValueError("require() needs at least one permission name")

    def decorator(view: Callable) -> Callable:
        return _mark(view, Access("permission", tuple(names), any_of))

    return decorator


def access_of(view: Callable | None) -> Access | None:
    return getattr(view, "access", None)


# --- permission sets cached in Redis per permissions_version ---------------------------------


def _cache_key(user_id: int, version: int) -> str:
    return redis_store.key("perms", user_id, version)


def permissions_from_db(user_id: int) -> frozenset[str]:
    from app.auth.models import RolePermission, user_roles

    rows = db.session.execute(
        db.select(RolePermission.permission)
        .join(user_roles, user_roles.c.role_id == RolePermission.role_id)
        .where(user_roles.c.user_id == user_id)
        .distinct()
    ).scalars()
    return frozenset(rows) & registry.all_permissions()


def holders_of(name: str):
    """A subquery of the ids of users holding permission ``name`` through any of their roles
    (active or not: callers add their own conditions)."""
    from app.auth.models import RolePermission, user_roles

    return (
        db.select(user_roles.c.user_id)
        .join(RolePermission, RolePermission.role_id == user_roles.c.role_id)
        .where(RolePermission.permission == name)
    )


def permissions_of(user) -> frozenset[str]:
    """Return the user's permission set, from Redis under the user's current version or from the DB."""
    if not user.is_active:
        return frozenset()
    key = _cache_key(user.id, user.permissions_version)
    cached = redis_store.get(key)
    if cached is not None:
        return frozenset(json.loads(cached))
    names = permissions_from_db(user.id)
    redis_store.set(key, json.dumps(sorted(names)), ex=PERMISSIONS_TTL)
    return names


def cache_permissions(user_id: int, version: int, names: frozenset[str]) -> None:
    redis_store.set(_cache_key(user_id, version), json.dumps(sorted(names)), ex=PERMISSIONS_TTL)


def current_permissions() -> frozenset[str]:
    if "permissions" not in g:
        g.permissions = permissions_of(current_user) if current_user.is_authenticated else frozenset()
    return g.permissions


def can(name: str) -> bool:
    """True when the current user holds permission ``name``."""
    if name not in registry.all_permissions():
        raise ValueError(f"unknown permission {name!r}")
    return name in current_permissions()


def can_any(*names: str) -> bool:
    return any(can(n) for n in names)


# --- request hooks -----------------------------------------------------------------------------


def _load_identity() -> Identity | None:
    if current_user.is_authenticated:
        return Identity(current_user.id, "session")
    return None


def _on_identity_loaded(sender, identity: Identity) -> None:
    if not current_user.is_authenticated or identity.id != current_user.id:
        return
    identity.provides.add(UserNeed(current_user.id))
    for name in current_permissions():
        identity.provides.add(ActionNeed(name))


def _enforce() -> object:
    if request.endpoint is None or request.endpoint == "static" or request.endpoint.endswith(".static"):
        return None  # unknown URLs become 404 / 405; static files are public
    view = current_app.view_functions.get(request.endpoint)
    access = access_of(view)
    if access is None:
        current_app.logger.error("endpoint %s declares no access rule; refused", request.endpoint)
        abort(403)
    if access.kind == "public":
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if access.kind == "login":
        return None
    held = current_permissions()
    granted = (
        any(p in held for p in access.permissions) if access.any_of else all(p in held for p in access.permissions)
    )
    if not granted:
        abort(403)
    return None


def validate_declared_permissions(app: Flask) -> None:
    """Fail at start-up when a view requires a permission that is not declared."""
    for endpoint, view in app.view_functions.items():
        access = access_of(view)
        if access and access.kind == "permission":
            try:
                registry.check_names(access.permissions)
            except ValueError as exc:
                raise RuntimeError(f"endpoint {endpoint}: {exc}") from None


def init_access(app: Flask) -> None:
    principal.init_app(app)
    principal.identity_loader(_load_identity)
    identity_loaded.connect_via(app)(_on_identity_loaded)
    app.before_request(_enforce)
    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["current_permissions"] = current_permissions
    app.jinja_env.globals["can_any"] = can_any
