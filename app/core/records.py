"""Soft delete and restore of master data, refused while other records use the row."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.core import registry
from app.core.db import SoftDeleteMixin, utcnow
from app.core.errors import DomainError


def ensure_unused(entity: str, obj: Any, label: str) -> None:
    """Refuse with a message naming what still uses ``obj``."""
    used = registry.usages(entity, obj)
    if used:
        what = ", ".join(_("%(n)d %(things)s", n=n, things=thing) for thing, n in used)
        raise DomainError(_("%(name)s cannot be deleted: it is used by %(what)s.", name=label, what=what))


def soft_delete(entity: str, obj: SoftDeleteMixin, label: str) -> None:
    """Mark ``obj`` deleted (it stays in the database, hidden from lists and pickers)."""
    if obj.deleted_at is not None:
        return
    ensure_unused(entity, obj, label)
    obj.deleted_at = utcnow()


def restore(obj: SoftDeleteMixin) -> None:
    """Bring a soft-deleted record back."""
    obj.deleted_at = None
