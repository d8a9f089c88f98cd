"""Separate warehouses (独立仓库): which warehouses a user works in.

A user with rows in ``user_warehouses`` sees, counts and moves stock only in those warehouses; a
user without rows works in all of them. Every stock list, figure, document and picker filters
through ``allowed_warehouse_ids``; a document of another warehouse answers 404.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, g, has_request_context
from flask_login import current_user

from app.extensions import db
from app.inventory.models import Warehouse, user_warehouses


def warehouses_of(user_id: int) -> set[int] | None:
    """The warehouses ``user_id`` is limited to, or None when the user works in all of them."""
    ids = set(db.session.scalars(sa.select(user_warehouses.c.warehouse_id).where(user_warehouses.c.user_id == user_id)))
    return ids or None


def allowed_warehouse_ids() -> set[int] | None:
    """For the signed-in user (cached for the request); None means every warehouse."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    if "erp_warehouses" not in g:
        g.erp_warehouses = warehouses_of(int(current_user.get_id()))
    return g.erp_warehouses


def may_use(warehouse_id: int | None) -> bool:
    allowed = allowed_warehouse_ids()
    return warehouse_id is not None and (allowed is None or warehouse_id in allowed)


def restrict(query: sa.Select, column) -> sa.Select:
    """Limit ``query`` to rows whose warehouse ``column`` the user may see."""
    allowed = allowed_warehouse_ids()
    if allowed is None:
        return query
    return query.where(column.in_(allowed))


def warehouse_or_404(warehouse_id: int) -> Warehouse:
    warehouse = db.session.get(Warehouse, warehouse_id)
    if warehouse is None or not may_use(warehouse.id):
        abort(404)
    return warehouse


def usable_warehouses(include_deleted: bool = False) -> list[Warehouse]:
    query = sa.select(Warehouse).order_by(Warehouse.code)
    if not include_deleted:
        query = query.where(Warehouse.deleted_at.is_(None), Warehouse.is_active.is_(True))
    return list(db.session.scalars(restrict(query, Warehouse.id)))


def set_user_warehouses(user_id: int, warehouse_ids: set[int]) -> None:
    """Limit a user to these warehouses (an empty set: all warehouses)."""
    db.session.execute(sa.delete(user_warehouses).where(user_warehouses.c.user_id == user_id))
    if warehouse_ids:
        db.session.execute(
            sa.insert(user_warehouses), [{"user_id": user_id, "warehouse_id": w} for w in sorted(warehouse_ids)]
        )
    db.session.flush()
