"""The permission registry and the permissions owned by auth (users, roles, sessions).

Permission names are ``"<resource>.<action>"`` strings. Each resource is declared once, in the
``permissions.py`` of the package that owns it; ``require()`` and role editing refuse any name
that is not declared, so a typo fails loudly at import time instead of silently denying.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "view": _l("View own"),
    "view_all": _l("View all"),
    "edit": _l("Create and edit"),
    "delete": _l("Delete"),
    "import": _l("Import"),
    "export": _l("Export"),
    "print": _l("Print"),
    "approve": _l("Approve"),
    "confirm": _l("Confirm"),
    "cancel": _l("Cancel"),
    "post": _l("Post"),
    "adjust": _l("Adjust"),
    "transfer": _l("Transfer"),
    "count": _l("Count"),
    "opening": _l("Opening stock"),
    "view_cost": _l("See costs"),
    "manage": _l("Manage"),
    "settings": _l("Settings"),
    "backup": _l("Backups"),
    "logs": _l("System logs"),
    "broadcast": _l("Broadcast"),
}

# "view" means "own records" only where a view_all exists; elsewhere it is plain viewing.
_PLAIN_VIEW = _l("View")


@dataclass(frozen=True)
class PermissionDef:
    name: str
    resource: str
    action: str
    label: object


@dataclass(frozen=True)
class ResourceDef:
    name: str
    label: object
    order: int
    permissions: tuple[PermissionDef, ...]


_resources: dict[str, ResourceDef] = {}
_permissions: dict[str, PermissionDef] = {}


def declare(resource: str, label: object, actions: list[str], order: int) -> ResourceDef:
    """Declare ``resource`` with its actions; declaring the same resource twice is an error."""
    if resource in _resources:
        raise ValueError(f"permission resource {resource!r} declared twice")
    defs = []
    for action in actions:
        if action not in ACTION_LABELS:
            raise ValueError(f"unknown permission action {action!r} for {resource!r}")
        action_label = ACTION_LABELS[action]
        if action == "view" and "view_all" not in actions:
            action_label = _PLAIN_VIEW
        perm = PermissionDef(f"{resource}.{action}", resource, action, action_label)
        defs.append(perm)
        _permissions[perm.name] = perm
    res = ResourceDef(resource, label, order, tuple(defs))
    _resources[resource] = res
    return res


def all_permissions() -> frozenset[str]:
    return frozenset(_permissions)


def resources() -> list[ResourceDef]:
    return sorted(_resources.values(), key=lambda r: (r.order, r.name))


def get(name: str) -> PermissionDef:
    return _permissions[name]


def check_names(names: tuple[str, ...] | list[str] | set[str] | frozenset[str]) -> None:
    """Raise ValueError for any name that is not a declared permission."""
    unknown = sorted(set(names) - set(_permissions))
    if unknown:
        raise ValueError(f"unknown permission(s): {', '.join(unknown)}")


USERS = declare("users", _l("Users"), ["view", "manage"], order=900)
ROLES = declare("roles", _l("Roles"), ["manage"], order=910)
SESSIONS = declare("sessions", _l("Sessions"), ["manage"], order=920)
