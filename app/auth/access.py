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
from app.core import registry as core_registry
from app.core.i18n import language
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


# --- what a user holds, cached in Redis per permissions_version -------------------------------


@dataclass(frozen=True)
class Grants:
    """A user's permission names and the titles (zh, en) of their roles, as one cached value:
    every signed-in request needs the names and every page's user menu shows the titles."""

    permissions: frozenset[str]
    role_titles: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> str:
        return json.dumps({"permissions": sorted(self.permissions), "roles": [list(t) for t in self.role_titles]})

    @classmethod
    def from_json(cls, raw: bytes | str) -> Grants:
        data = json.loads(raw)
        return cls(frozenset(data["permissions"]), tuple((zh, en) for zh, en in data["roles"]))


NO_GRANTS = Grants(frozenset())


def cache_key(user_id: int, version: int) -> str:
    return redis_store.key("access", user_id, version)


def permissions_from_db(user_id: int) -> frozenset[str]:
    from app.auth.models import RolePermission, user_roles

    rows = db.session.execute(
        db.select(RolePermission.permission)
        .join(user_roles, user_roles.c.role_id == RolePermission.role_id)
        .where(user_roles.c.user_id == user_id)
        .distinct()
    ).scalars()
    return frozenset(rows) & registry.all_permissions()


def grants_from_db(user_id: int) -> Grants:
    from app.auth.models import Role, user_roles

    titles = db.session.execute(
        db.select(Role.title_zh, Role.title_en)
        .join(user_roles, user_roles.c.role_id == Role.id)
        .where(user_roles.c.user_id == user_id)
        .order_by(Role.name)
    ).all()
    return Grants(permissions_from_db(user_id), tuple((zh, en) for zh, en in titles))


def holders_of(name: str):
    """A subquery of the ids of users holding permission ``name`` through any of their roles
    (active or not: callers add their own conditions)."""
    from app.auth.models import RolePermission, user_roles

    return (
        db.select(user_roles.c.user_id)
        .join(RolePermission, RolePermission.role_id == user_roles.c.role_id)
        .where(RolePermission.permission == name)
    )


_UNFETCHED = object()


def grants_of(user, cached: object = _UNFETCHED) -> Grants:
    """The user's grants, from Redis under the user's current version (``cached`` is that key's
    value when the caller has fetched it already) or from the DB."""
    if not user.is_active:
        return NO_GRANTS
    if cached is _UNFETCHED:
        cached = redis_store.get(cache_key(user.id, user.permissions_version))
    if cached is not None:
        return Grants.from_json(cached)
    grants = grants_from_db(user.id)
    cache_grants(user.id, user.permissions_version, grants)
    return grants


def permissions_of(user) -> frozenset[str]:
    """Return the user's permission set, from Redis under the user's current version or from the DB."""
    return grants_of(user).permissions


def cache_grants(user_id: int, version: int, grants: Grants) -> None:
    redis_store.set(cache_key(user_id, version), grants.to_json(), ex=PERMISSIONS_TTL)


def use_fetched_grants(user, cached: bytes | None) -> None:
    """Keep for this request the grants of ``user`` that the session check fetched from Redis in
    the same round trip (app/auth/identity.py)."""
    g.grants = grants_of(user, cached)


def current_grants() -> Grants:
    if "grants" not in g:
        g.grants = grants_of(current_user) if current_user.is_authenticated else NO_GRANTS
    return g.grants


def current_permissions() -> frozenset[str]:
    return current_grants().permissions


def current_role_titles() -> list[str]:
    """The titles of the current user's roles in the page's language."""
    zh = language() == "zh"
    return [title_zh if zh else title_en for title_zh, title_en in current_grants().role_titles]


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
    core_registry.register_viewer_permissions(current_permissions)
    app.jinja_env.globals["current_role_titles"] = current_role_titles
    app.jinja_env.globals["can_any"] = can_any
