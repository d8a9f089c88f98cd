"""Which warehouses a user works in (独立仓库), as an administrator sets it. Services flush; the
caller commits.

The change takes effect on the user's very next request: ``scope.allowed_warehouse_ids`` reads
``user_warehouses`` once per request and caches it only for that request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.access import permissions_from_db, permissions_of
from app.auth.models import User
from app.core import audit
from app.core.db import begin_write
from app.core.errors import DomainError
from app.core.templating import register_audit_event
from app.extensions import db
from app.inventory import scope
from app.inventory.models import Warehouse

log = logging.getLogger(__name__)

LIMITED, UNLIMITED = "warehouses_limited", "warehouses_unlimited"
register_audit_event(LIMITED, _l("Warehouses the user works in were set"))
register_audit_event(UNLIMITED, _l("The user works in every warehouse again"))
# The user's history shows this entry's field under this label (the list lives in inventory).
User.__audit_labels__.setdefault("warehouses", _l("Warehouses"))


class WarehousesConflict(DomainError):
    """Someone else changed the user's warehouses after the form was opened."""

    def __init__(self, message: str, theirs: list[str]) -> None:
        super().__init__(message)
        self.theirs = theirs


@dataclass(frozen=True)
class Assignment:
    """The warehouses a user works in: None for all of them."""

    warehouse_ids: frozenset[int] | None

    @property
    def fingerprint(self) -> str:
        """What the edit form carries, to notice a change made by someone else in the meantime."""
        return "all" if self.warehouse_ids is None else ",".join(str(w) for w in sorted(self.warehouse_ids))


def assignment_of(user_id: int) -> Assignment:
    ids = scope.warehouses_of(user_id)
    return Assignment(frozenset(ids) if ids else None)


def warehouses_by_id(ids) -> list[Warehouse]:
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Warehouse).where(Warehouse.id.in_(sorted(ids))).order_by(Warehouse.code)))


def labels(ids) -> list[str]:
    return [w.audit_label() for w in warehouses_by_id(ids)]


def assign_warehouses(user: User, warehouse_ids: set[int] | None, *, expected: str, by: User | None) -> bool:
    """Let ``user`` work only in ``warehouse_ids`` (None: in every warehouse); return whether it changed."""
    # Saves of the same user's warehouses queue behind one another (SQLite: the write lock; the
    # others: the user's row), so the check against the version the form was opened with is exact.
    begin_write(db.session)
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    current = assignment_of(user.id)
    if current.fingerprint != expected:
        raise WarehousesConflict(
            _("Someone else changed this user's warehouses after you opened the page. Review and save again."),
            theirs=labels(current.warehouse_ids),
        )
    wanted = frozenset(warehouse_ids) if warehouse_ids else None
    if warehouse_ids is not None and not warehouse_ids:
        raise DomainError(_("Tick at least one warehouse, or choose “Every warehouse”."))
    if wanted is not None:
        found = {w.id: w for w in warehouses_by_id(wanted)}
        keep = current.warehouse_ids or frozenset()
        # A deleted warehouse may stay ticked if the user had it, but cannot be newly given.
        if set(found) != set(wanted) or any(w.deleted_at is not None and w.id not in keep for w in found.values()):
            raise DomainError(_("One of the chosen warehouses no longer exists. Reload the page."))
    _check_actor(user, current, wanted, by)
    if wanted == current.warehouse_ids:
        return False
    scope.set_user_warehouses(user.id, set(wanted or ()))
    audit.record(
        db.session,
        event_name=LIMITED if wanted is not None else UNLIMITED,
        object_type="user",
        object_id=user.id,
        label=user.username,
        changes={"warehouses": [labels(current.warehouse_ids), labels(wanted)]},
    )
    db.session.flush()
    log.info("warehouses of %s set to %s", user.username, sorted(wanted) if wanted is not None else "all")
    return True


def _check_actor(user: User, current: Assignment, wanted: frozenset[int] | None, by: User | None) -> None:
    """Nobody manages a stronger account, or hands out warehouses they do not work in themselves."""
    if by is None:
        return  # the system itself (a command)
    if by.id != user.id and not permissions_from_db(user.id) <= permissions_of(by):
        raise DomainError(_("You cannot manage a user who holds permissions you do not hold yourself."))
    own = scope.warehouses_of(by.id)
    if own is None:
        return
    if wanted is None:
        raise DomainError(_("You work in some warehouses only, so you cannot let others work in every warehouse."))
    if current.warehouse_ids is None or not current.warehouse_ids <= own or not wanted <= own:
        raise DomainError(_("You can only give or take warehouses you work in yourself."))
