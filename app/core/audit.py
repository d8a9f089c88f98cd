"""Operation log (操作日志): who changed what, old → new, written in the same transaction.

Models opt in with the ``Audited`` mixin. A flush hook records every insert, update, soft delete,
restore and hard delete of such a model, including changes to the collections it names, so a
service cannot forget to log. ``record()`` adds entries for events that are not row changes.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.db import UTCDateTime, current_actor_id, utcnow
from app.extensions import db

REDACTED = "***"
DEFAULT_EXCLUDE = frozenset({"created_at", "updated_at", "version_id", "created_by_id", "updated_by_id"})


class AuditAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"
    PURGE = "purge"
    EVENT = "event"


class OperationLog(db.Model):
    __tablename__ = "operation_logs"
    __table_args__ = (
        sa.Index("ix_operation_logs_object", "object_type", "object_id"),
        sa.Index("ix_operation_logs_parent", "parent_type", "parent_id"),
        sa.CheckConstraint(
            "action IN ('create', 'update', 'delete', 'restore', 'purge', 'event')", name="action_known"
        ),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    object_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    object_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    object_label: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    # A line or contact is logged under its own type and id and under the record it belongs to,
    # so that record's history shows it.
    parent_type: Mapped[str | None] = mapped_column(sa.String(64))
    parent_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    event: Mapped[str | None] = mapped_column(sa.String(64))
    changes: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))


class Audited:
    """Mixin: changes to this model are written to the operation log."""

    __audit_type__: str = ""
    __audit_exclude__: frozenset[str] = frozenset()
    __audit_redact__: frozenset[str] = frozenset()
    # relationship name -> attribute of the related object used as its label
    __audit_collections__: dict[str, str] = {}
    # field name -> translatable label shown in histories and conflict tables
    __audit_labels__: dict[str, object] = {}
    __audit_type_label__: object = ""
    # field name -> permission a viewer needs to see its values in histories (e.g. costs)
    __audit_permissions__: dict[str, str] = {}
    # field holding another record's id -> how to name that record (``refs_by``); the log keeps
    # the name ("SKF 6204-2RS", "A-01"), which stays readable after the record is gone
    __audit_refs__: dict[str, Callable[[sa.Connection, set[int]], dict[int, str]]] = {}
    # field holding a code -> {code: label}: histories show the label in the viewer's language
    __audit_choices__: dict[str, dict[str, object]] = {}

    def audit_label(self) -> str:
        return str(getattr(self, "id", ""))

    def audit_parent(self) -> tuple[str, int] | None:
        """(type, id) of the record this one belongs to, if any."""
        return None


_audited_types: dict[str, type] = {}


def audited_models() -> dict[str, type]:
    """Every model written to the operation log, by the object type it is logged under."""
    if not _audited_types:
        for mapper in db.Model.registry.mappers:
            cls = mapper.class_
            if issubclass(cls, Audited):
                _audited_types[audit_type(cls)] = cls
    return _audited_types


def audited_model(object_type: str) -> type | None:
    """Return the model class logged under ``object_type``."""
    return audited_models().get(object_type)


def audit_type(obj_or_cls: Any) -> str:
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return cls.__audit_type__ or cls.__tablename__


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _context() -> dict[str, Any]:
    if has_request_context():
        return {"ip": request.remote_addr, "request_id": getattr(g, "request_id", None)}
    return {"ip": None, "request_id": None}


def _value(obj: Audited, key: str, value: Any) -> Any:
    if key in obj.__audit_redact__:
        return REDACTED if value is not None else None
    return jsonable(value)


def _column_changes(obj: Audited, *, mode: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    skip = DEFAULT_EXCLUDE | obj.__audit_exclude__
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in skip or key == "id":
            continue
        if mode == "create":
            value = getattr(obj, key)
            # Fields left empty say nothing in a history.
            if value is not None and value != "":
                changes[key] = [None, _value(obj, key, value)]
        elif mode == "purge":
            value = state.dict.get(key)
            if value is not None:
                changes[key] = [_value(obj, key, value), None]
        else:
            hist = state.attrs[key].history
            if not hist.has_changes():
                continue
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old == new:
                continue
            if key in obj.__audit_redact__:
                changes[key] = [REDACTED, REDACTED]
            else:
                changes[key] = [jsonable(old), jsonable(new)]
    for rel, label_attr in obj.__audit_collections__.items():
        hist = state.attrs[rel].history
        if mode == "update" and not hist.has_changes():
            continue
        if mode == "purge":
            continue
        before = sorted(str(getattr(x, label_attr)) for x in (*hist.unchanged, *hist.deleted))
        after = sorted(str(getattr(x, label_attr)) for x in (*hist.unchanged, *hist.added))
        if mode == "create":
            if after:
                changes[rel] = [None, after]
        elif before != after:
            changes[rel] = [before, after]
    return changes


@event.listens_for(Session, "after_flush")
def _write_operation_log(session: Session, flush_context) -> None:
    rows: list[dict[str, Any]] = []
    actor = current_actor_id()
    ctx = _context()
    now = utcnow()

    def add(obj: Audited, action: str, changes: dict) -> None:
        parent = obj.audit_parent()
        rows.append(
            {
                "parent_type": parent[0] if parent else None,
                "parent_id": parent[1] if parent else None,
                "created_at": now,
                "actor_id": actor,
                "action": action,
                "object_type": audit_type(obj),
                "object_id": getattr(obj, "id", None),
                "object_label": str(obj.audit_label())[:255],
                "event": None,
                "changes": changes,
                **ctx,
            }
        )

    for obj in session.new:
        if isinstance(obj, Audited):
            add(obj, AuditAction.CREATE, _column_changes(obj, mode="create"))
    for obj in session.dirty:
        if isinstance(obj, Audited) and obj not in session.deleted:
            changes = _column_changes(obj, mode="update")
            if not changes:
                continue
            action = AuditAction.UPDATE
            deleted = changes.get("deleted_at")
            if deleted is not None:
                action = AuditAction.DELETE if deleted[1] is not None else AuditAction.RESTORE
            add(obj, action, changes)
    for obj in session.deleted:
        if isinstance(obj, Audited):
            add(obj, AuditAction.PURGE, _column_changes(obj, mode="purge"))
    if rows:
        _name_references(session.connection(), rows)
        session.connection().execute(sa.insert(OperationLog.__table__), rows)


def refs_by(table: str, column: str) -> Callable[[sa.Connection, set[int]], dict[int, str]]:
    """Name referenced records by one column of their table (``refs_by("warehouses", "code")``)."""
    t = sa.table(table, sa.column("id"), sa.column(column))

    def names(connection: sa.Connection, ids: set[int]) -> dict[int, str]:
        return dict(connection.execute(sa.select(t.c.id, t.c[column]).where(t.c.id.in_(ids))).all())

    return names


def _name_references(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Replace referenced ids by the records' names, one query per kind of reference."""
    wanted: dict[Callable, set[int]] = {}
    places: list[tuple[dict, str, Callable]] = []
    for row in rows:
        model = audited_model(row["object_type"])
        refs = getattr(model, "__audit_refs__", None) if model else None
        if not refs:
            continue
        for key, namer in refs.items():
            pair = row["changes"].get(key)
            if pair is None:
                continue
            wanted.setdefault(namer, set()).update(v for v in pair if isinstance(v, int))
            places.append((row, key, namer))
    names = {namer: namer(connection, ids) if ids else {} for namer, ids in wanted.items()}
    for row, key, namer in places:
        row["changes"][key] = [names[namer].get(v, v) if isinstance(v, int) else v for v in row["changes"][key]]


_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d)?$")


def display_change(entry: OperationLog, name: str, value: Any) -> Any:
    """A logged value as the viewer should read it: coded values by their label, times in the
    viewer's time zone."""
    model = audited_model(entry.object_type)
    choices = getattr(model, "__audit_choices__", {}).get(name) if model else None
    if choices is not None and isinstance(value, str) and value in choices:
        return choices[value]
    if isinstance(value, str) and _ISO_TIME.match(value):
        from app.core.i18n import format_dt

        return format_dt(datetime.fromisoformat(value))
    column = model.__table__.columns.get(name) if model is not None and hasattr(model, "__table__") else None
    if isinstance(value, str) and column is not None and isinstance(column.type, sa.Numeric):
        # Stored as the database gave it ("35.1800"); read as the pages show numbers ("35.18").
        from decimal import Decimal, InvalidOperation

        from app.core.i18n import grouped

        try:
            return grouped(Decimal(value), 0, 4)
        except InvalidOperation:
            return value
    return value


def visible_changes(entry: OperationLog, can: Callable[[str], bool]) -> dict:
    """The entry's changes without the fields the viewer may not see (costs without the permission)."""
    model = audited_model(entry.object_type)
    hidden = getattr(model, "__audit_permissions__", {}) if model else {}
    return {k: v for k, v in entry.changes.items() if k not in hidden or can(hidden[k])}


_users = sa.table("users", sa.column("id"), sa.column("display_name"), sa.column("username"))


def actor_names(entries: list[OperationLog], *, with_username: bool = False) -> dict[int, str]:
    """Display names of the people who made ``entries`` (with their usernames, for the full log)."""
    ids = {e.actor_id for e in entries if e.actor_id}
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(_users.c.id, _users.c.display_name, _users.c.username).where(_users.c.id.in_(ids))
    ).all()
    return {uid: f"{name} · {username}" if with_username else name for uid, name, username in rows}


def history(object_type: str, object_id: int, limit: int = 50) -> list[OperationLog]:
    """The latest entries about a record and the records that belong to it."""
    return list(
        db.session.scalars(
            sa.select(OperationLog)
            .where(
                sa.or_(
                    sa.and_(OperationLog.object_type == object_type, OperationLog.object_id == object_id),
                    sa.and_(OperationLog.parent_type == object_type, OperationLog.parent_id == object_id),
                )
            )
            .order_by(OperationLog.id.desc())
            .limit(limit)
        )
    )


def record(
    session: Session,
    *,
    event_name: str,
    obj: Audited | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    label: str = "",
    changes: dict | None = None,
) -> None:
    """Add an entry for an event that is not a row change (e.g. "password reset", "sessions ended")."""
    session.add(
        OperationLog(
            actor_id=current_actor_id(),
            action=AuditAction.EVENT,
            object_type=audit_type(obj) if obj is not None else (object_type or ""),
            object_id=getattr(obj, "id", None) if obj is not None else object_id,
            object_label=(str(obj.audit_label()) if obj is not None else label)[:255],
            event=event_name,
            changes=changes or {},
            **_context(),
        )
    )
