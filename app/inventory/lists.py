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
from app.inventory.models import Location, Warehouse
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
