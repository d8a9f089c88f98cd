"""What stops a product, warehouse or location from being deleted: stock still there, stock
reserved for orders, or draft stock documents that name it. (A record with only past moves may be
deleted — soft deletion keeps it for the ledger — but nothing new is posted to it.)"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.core.registry import UsageCheck, register_usage_check
from app.extensions import db
from app.inventory.models import DocStatus, StockBalance, StockDocument, StockDocumentLine, StockReservation


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def _balances(*conditions) -> int:
    return _count(sa.select(StockBalance.id).where(StockBalance.on_hand != 0, *conditions))


def _reservations(*conditions) -> int:
    return _count(sa.select(StockReservation.id).where(*conditions))


def _draft_documents(*conditions) -> int:
    query = (
        sa.select(StockDocument.id)
        .join(StockDocumentLine, StockDocumentLine.document_id == StockDocument.id)
        .where(StockDocument.status == DocStatus.DRAFT.value, *conditions)
        .distinct()
    )
    return _count(query)


STOCK = _l("locations holding its stock")
IN_STOCK = _l("products in stock")
RESERVED = _l("stock reservations")
DRAFTS = _l("draft stock documents")

register_usage_check("product", UsageCheck("stock", STOCK, lambda p: _balances(StockBalance.product_id == p.id)))
register_usage_check(
    "product", UsageCheck("reservations", RESERVED, lambda p: _reservations(StockReservation.product_id == p.id))
)
register_usage_check(
    "product", UsageCheck("stock_documents", DRAFTS, lambda p: _draft_documents(StockDocumentLine.product_id == p.id))
)
register_usage_check("warehouse", UsageCheck("stock", IN_STOCK, lambda w: _balances(StockBalance.warehouse_id == w.id)))
register_usage_check(
    "warehouse", UsageCheck("reservations", RESERVED, lambda w: _reservations(StockReservation.warehouse_id == w.id))
)
register_usage_check(
    "warehouse",
    UsageCheck(
        "stock_documents",
        DRAFTS,
        lambda w: _draft_documents(sa.or_(StockDocument.warehouse_id == w.id, StockDocument.to_warehouse_id == w.id)),
    ),
)
register_usage_check(
    "location", UsageCheck("stock", IN_STOCK, lambda loc: _balances(StockBalance.location_id == loc.id))
)
register_usage_check(
    "location",
    UsageCheck(
        "stock_documents",
        DRAFTS,
        lambda loc: _draft_documents(
            sa.or_(StockDocumentLine.location_id == loc.id, StockDocumentLine.to_location_id == loc.id)
        ),
    ),
)
