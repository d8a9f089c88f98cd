"""Warehouse and location lists, shared by the pages and their exports."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import undefer

from app.auth.models import User
from app.core import listview as lv
from app.core.listing import contains_pattern
from app.core.text import prefix_range
from app.extensions import db
from app.inventory import scope
from app.inventory.models import DOC_LABELS, REASONS, STATUS_LABELS, Location, StockDocument, Warehouse
from app.inventory.services import normalize_code

STATUS_CHOICES = [("current", _l("Not deleted")), ("deleted", _l("Deleted"))]


def _status(model):
    def apply(query: sa.Select, value: str) -> sa.Select:
        if value == "deleted":
            return query.where(model.deleted_at.is_not(None))
        return query.where(model.deleted_at.is_(None))

    return apply


def _search_warehouses(query: sa.Select, q: str) -> sa.Select:
    code = normalize_code(q)
    low, high = prefix_range(code) if code else ("", "")
    return query.where(
        sa.or_(
            sa.and_(Warehouse.code >= low, Warehouse.code < high),
            Warehouse.name.ilike(contains_pattern(q), escape="\\"),
        )
    )


WAREHOUSE_LIST = lv.ListSpec(
    name="warehouses",
    base_query=lambda: (
        sa.select(Warehouse).outerjoin(User, User.id == Warehouse.keeper_id).options(undefer(Warehouse.location_count))
    ),
    id_column=Warehouse.id,
    default_sort="code",
    columns=[
        lv.Column("code", _l("Code"), expr=Warehouse.code, link=True),
        lv.Column("name", _l("Name"), expr=Warehouse.name),
        lv.Column("address", _l("Address"), expr=Warehouse.address),
        lv.Column(
            "keeper", _l("Keeper"), expr=User.display_name, value=lambda w: w.keeper.display_name if w.keeper else ""
        ),
        lv.Column("location_count", _l("Locations"), expr=Warehouse.location_count, kind=lv.NUMBER, sortable=False),
        lv.Column("allow_negative", _l("Allow negative stock"), expr=Warehouse.allow_negative, kind=lv.BOOL),
        lv.Column("is_active", _l("Active"), expr=Warehouse.is_active, kind=lv.BOOL),
        lv.Column("note", _l("Note"), expr=Warehouse.note, in_list=False),
    ],
    filters=[lv.Filter("status", _l("Status"), _status(Warehouse), choices=lambda: STATUS_CHOICES, default="current")],
    search=_search_warehouses,
    search_placeholder=_l("Code or name"),
    row_url=lambda w: url_for("inventory.warehouse_detail", warehouse_id=w.id),
)


def _warehouse_choices() -> list[tuple[str, str]]:
    query = sa.select(Warehouse.id, Warehouse.code, Warehouse.name).where(Warehouse.deleted_at.is_(None))
    rows = db.session.execute(query.order_by(Warehouse.code)).all()
    return [("", _l("All warehouses"))] + [(str(i), f"{c} {n}") for i, c, n in rows]


def _in_warehouse(query: sa.Select, value: str) -> sa.Select:
    return query.where(Location.warehouse_id == int(value)) if value.isdigit() else query


def _search_locations(query: sa.Select, q: str) -> sa.Select:
    code = normalize_code(q)
    if not code:
        return query
    low, high = prefix_range(code)
    return query.where(sa.and_(Location.code >= low, Location.code < high))


LOCATION_LIST = lv.ListSpec(
    name="locations",
    base_query=lambda: sa.select(Location).join(Warehouse, Warehouse.id == Location.warehouse_id),
    id_column=Location.id,
    default_sort="code",
    columns=[
        lv.Column("warehouse", _l("Warehouse"), expr=Warehouse.code, value=lambda loc: loc.warehouse.code),
        lv.Column("code", _l("Location"), expr=Location.code, link=True),
        lv.Column("name", _l("Description"), expr=Location.name),
        lv.Column("is_active", _l("Active"), expr=Location.is_active, kind=lv.BOOL),
    ],
    filters=[
        lv.Filter("warehouse", _l("Warehouse"), _in_warehouse, choices=_warehouse_choices),
        lv.Filter("status", _l("Status"), _status(Location), choices=lambda: STATUS_CHOICES, default="current"),
    ],
    search=_search_locations,
    search_placeholder=_l("Location code, e.g. A-01"),
    row_url=lambda loc: url_for("inventory.location_edit", location_id=loc.id),
)


# --- stock documents ----------------------------------------------------------------------------

_to_warehouse = sa.orm.aliased(Warehouse)


def _documents_query() -> sa.Select:
    query = (
        sa.select(StockDocument)
        .join(Warehouse, Warehouse.id == StockDocument.warehouse_id)
        .outerjoin(_to_warehouse, _to_warehouse.id == StockDocument.to_warehouse_id)
        .options(undefer(StockDocument.line_count), undefer(StockDocument.author_name))
    )
    allowed = scope.allowed_warehouse_ids()
    if allowed is not None:
        query = query.where(sa.or_(StockDocument.warehouse_id.in_(allowed), StockDocument.to_warehouse_id.in_(allowed)))
    return query


def _choice_filter(column):
    def apply(query: sa.Select, value: str) -> sa.Select:
        return query.where(column == value)

    return apply


def _document_warehouse(query: sa.Select, value: str) -> sa.Select:
    if not value.isdigit():
        return query
    return query.where(sa.or_(StockDocument.warehouse_id == int(value), StockDocument.to_warehouse_id == int(value)))


def _usable_warehouse_choices() -> list[tuple[str, str]]:
    return [("", _l("All warehouses"))] + [(str(w.id), f"{w.code} {w.name}") for w in scope.usable_warehouses()]


def _search_documents(query: sa.Select, q: str) -> sa.Select:
    number = q.strip().upper()
    low, high = prefix_range(number)
    return query.where(
        sa.or_(
            sa.and_(StockDocument.number >= low, StockDocument.number < high),
            StockDocument.note.ilike(contains_pattern(q), escape="\\"),
            StockDocument.reason.ilike(contains_pattern(q), escape="\\"),
        )
    )


DOCUMENT_LIST = lv.ListSpec(
    name="stock_documents",
    base_query=_documents_query,
    id_column=StockDocument.id,
    default_sort="-created_at",
    columns=[
        lv.Column("number", _l("Number"), expr=StockDocument.number, link=True),
        lv.Column(
            "doc_type",
            _l("Type"),
            expr=StockDocument.doc_type,
            kind=lv.CHOICE,
            choices={t.value: label for t, label in DOC_LABELS.items()},
        ),
        lv.Column(
            "status",
            _l("Status"),
            expr=StockDocument.status,
            kind=lv.CHOICE,
            choices={s.value: label for s, label in STATUS_LABELS.items()},
        ),
        lv.Column("warehouse", _l("Warehouse"), expr=Warehouse.code, value=lambda d: d.warehouse.code),
        lv.Column(
            "to_warehouse",
            _l("To warehouse"),
            expr=_to_warehouse.code,
            value=lambda d: d.to_warehouse.code if d.to_warehouse else "",
        ),
        lv.Column("reason_code", _l("Reason"), expr=StockDocument.reason_code, kind=lv.CHOICE, choices=dict(REASONS)),
        lv.Column("reason", _l("Reason details"), expr=StockDocument.reason, in_list=False),
        lv.Column("line_count", _l("Lines"), expr=StockDocument.line_count, kind=lv.NUMBER, sortable=False),
        lv.Column("note", _l("Note"), expr=StockDocument.note, in_list=False),
        lv.Column("author_name", _l("Created by"), expr=StockDocument.author_name),
        lv.Column("created_at", _l("Created"), expr=StockDocument.created_at, kind=lv.DATETIME),
        lv.Column("posted_at", _l("Posted"), expr=StockDocument.posted_at, kind=lv.DATETIME),
    ],
    filters=[
        lv.Filter(
            "type",
            _l("Type"),
            _choice_filter(StockDocument.doc_type),
            choices=lambda: [("", _l("All types"))] + [(t.value, label) for t, label in DOC_LABELS.items()],
        ),
        lv.Filter(
            "status",
            _l("Status"),
            _choice_filter(StockDocument.status),
            choices=lambda: [("", _l("All statuses"))] + [(s.value, label) for s, label in STATUS_LABELS.items()],
        ),
        lv.Filter("warehouse", _l("Warehouse"), _document_warehouse, choices=_usable_warehouse_choices),
    ],
    search=_search_documents,
    search_placeholder=_l("Number, reason or note"),
    row_url=lambda d: url_for("inventory.document_detail", document_id=d.id),
)
