"""Use cases for warehouses and locations. Services flush; the caller commits."""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import records
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.locking import check_version
from app.core.text import clean
from app.extensions import db
from app.inventory.models import Location, Warehouse

log = logging.getLogger(__name__)

WAREHOUSE, LOCATION = "warehouse", "location"
_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{0,29}$")


def normalize_code(code: str) -> str:
    """Codes are upper case without spaces: " a-01-02 " → "A-01-02"."""
    return clean(code).upper().replace(" ", "")


@dataclass
class WarehouseData:
    code: str
    name: str
    address: str = ""
    keeper_id: int | None = None
    allow_negative: bool = False
    is_active: bool = True
    note: str = ""


def _validate_warehouse(data: WarehouseData, warehouse: Warehouse | None = None) -> None:
    data.code = normalize_code(data.code)
    data.name = clean(data.name)
    if not _CODE_RE.match(data.code):
        raise DomainError(_("A code is up to 30 letters, digits and . _ / -, e.g. WH1 or A-01-02."))
    if not data.name:
        raise DomainError(_("Enter the warehouse name."))
    clash = db.session.scalar(sa.select(Warehouse).where(Warehouse.code == data.code))
    if clash is not None and clash is not warehouse:
        raise DomainError(_("The warehouse code %(code)s is already used.", code=data.code))


def _flush(message: str) -> None:
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        raise DomainError(message) from None


def create_warehouse(data: WarehouseData) -> Warehouse:
    """Create a warehouse."""
    _validate_warehouse(data)
    warehouse = Warehouse(**asdict(data))
    db.session.add(warehouse)
    _flush(_("The warehouse code %(code)s is already used.", code=data.code))
    log.info("warehouse %s created", warehouse.code)
    return warehouse


def update_warehouse(warehouse: Warehouse, data: WarehouseData, *, expected_version: int | None) -> Warehouse:
    """Change a warehouse."""
    check_version(warehouse, expected_version, asdict(data))
    _validate_warehouse(data, warehouse)
    for name, value in asdict(data).items():
        setattr(warehouse, name, value)
    _flush(_("The warehouse code %(code)s is already used.", code=data.code))
    return warehouse


def delete_warehouse(warehouse: Warehouse) -> None:
    """Soft-delete a warehouse and its locations (联动删除), refused while any of them is in use."""
    if warehouse.deleted_at is not None:
        return
    records.ensure_unused(WAREHOUSE, warehouse, warehouse.audit_label())
    # One timestamp for the warehouse and the locations deleted with it, so restoring the
    # warehouse brings back exactly those (not locations deleted on their own before).
    now = utcnow()
    for location in _live_locations(warehouse):
        records.ensure_unused(LOCATION, location, location.audit_label())
        location.deleted_at = now
    warehouse.deleted_at = now
    db.session.flush()


def restore_warehouse(warehouse: Warehouse) -> None:
    """Restore a warehouse with the locations deleted together with it."""
    deleted_at = warehouse.deleted_at
    records.restore(warehouse)
    for location in warehouse.locations:
        if location.deleted_at is not None and location.deleted_at == deleted_at:
            location.deleted_at = None
    db.session.flush()


def _live_locations(warehouse: Warehouse) -> list[Location]:
    return list(
        db.session.scalars(
            sa.select(Location).where(Location.warehouse_id == warehouse.id, Location.deleted_at.is_(None))
        )
    )


# --- locations ---------------------------------------------------------------------------------


def add_locations(warehouse: Warehouse, lines: str) -> tuple[list[str], list[str]]:
    """Add one location per line ("A-01-02 upper shelf": code, then an optional description).

    Returns (added codes, messages about lines that were skipped). Codes already in the
    warehouse are skipped, not an error, so a list can be pasted again after adding to it.
    """
    if warehouse.deleted_at is not None:
        raise DomainError(_("This warehouse is deleted. Restore it first."))
    existing = dict(
        db.session.execute(sa.select(Location.code, Location).where(Location.warehouse_id == warehouse.id)).all()
    )
    added, skipped = [], []
    for number, raw in enumerate(lines.splitlines(), 1):
        if not raw.strip():
            continue
        code_part, _sep, description = raw.strip().partition(" ")
        code = normalize_code(code_part)
        if not _CODE_RE.match(code):
            skipped.append(_("Line %(n)d: “%(code)s” is not a valid code.", n=number, code=code_part))
            continue
        if code in existing or code in added:
            location = existing.get(code)
            if location is not None and location.deleted_at is not None:
                skipped.append(_("Line %(n)d: %(code)s exists but is deleted; restore it.", n=number, code=code))
            else:
                skipped.append(_("Line %(n)d: %(code)s already exists.", n=number, code=code))
            continue
        db.session.add(Location(warehouse=warehouse, code=code, name=clean(description)))
        added.append(code)
    if len(added) > 1000:
        raise DomainError(_("Add at most 1,000 locations at a time."))
    _flush(_("One of these locations was added by someone else at the same moment. Try again."))
    if added:
        log.info("%d locations added to warehouse %s", len(added), warehouse.code)
    return added, skipped


def update_location(location: Location, *, code: str, name: str, is_active: bool, expected_version: int | None) -> None:
    """Rename or (de)activate a location."""
    code = normalize_code(code)
    check_version(location, expected_version, {"code": code, "name": clean(name), "is_active": is_active})
    if not _CODE_RE.match(code):
        raise DomainError(_("A code is up to 30 letters, digits and . _ / -, e.g. WH1 or A-01-02."))
    clash = db.session.scalar(
        sa.select(Location).where(Location.warehouse_id == location.warehouse_id, Location.code == code)
    )
    if clash is not None and clash is not location:
        raise DomainError(_("The location %(code)s already exists in this warehouse.", code=code))
    location.code, location.name, location.is_active = code, clean(name), is_active
    _flush(_("The location %(code)s already exists in this warehouse.", code=code))


def delete_location(location: Location) -> None:
    """Soft-delete a location nothing uses."""
    records.soft_delete(LOCATION, location, location.audit_label())
    db.session.flush()


def restore_location(location: Location) -> None:
    """Restore a location (its warehouse must not be deleted)."""
    if location.warehouse.deleted_at is not None:
        raise DomainError(_("Restore the warehouse %(name)s first.", name=location.warehouse.audit_label()))
    records.restore(location)
    db.session.flush()
