"""Optimistic locking: refuse a save based on a stale copy, showing both sets of values."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.audit import jsonable
from app.core.errors import FieldConflict, StaleEditError
from app.extensions import db

_users = sa.table("users", sa.column("id"), sa.column("display_name"))


def _current_value(obj: Any, name: str) -> Any:
    labels = getattr(obj, "__audit_collections__", {})
    value = getattr(obj, name)
    if name in labels:
        return sorted(str(getattr(item, labels[name])) for item in value)
    return value


def _same(a: Any, b: Any) -> bool:
    return jsonable(a) == jsonable(b) or (a in (None, "") and b in (None, ""))


def check_version(obj: Any, expected_version: int | None, mine: dict[str, Any]) -> None:
    """Raise StaleEditError when ``obj`` changed since the user loaded version ``expected_version``.

    ``mine`` holds the values the user is trying to save; fields where they differ from the
    stored ones are listed in the error so the form can show both side by side.
    """
    if expected_version is None or obj.version_id == expected_version:
        return
    changed_by = None
    updated_by_id = getattr(obj, "updated_by_id", None)
    if updated_by_id is not None:
        changed_by = db.session.scalar(sa.select(_users.c.display_name).where(_users.c.id == updated_by_id))
    conflicts = [
        FieldConflict(name=name, label=name, mine=value, theirs=_current_value(obj, name))
        for name, value in mine.items()
        if not _same(value, _current_value(obj, name))
    ]
    raise StaleEditError(
        _("Someone else saved this record after you opened it. Review their values beside yours, then save again."),
        changed_by=changed_by,
        changed_at=getattr(obj, "updated_at", None),
        conflicts=conflicts,
    )


def is_stale_flush_error(exc: BaseException) -> bool:
    """True for SQLAlchemy's StaleDataError: a concurrent save won the race at the database."""
    return isinstance(exc, sa.orm.exc.StaleDataError)
