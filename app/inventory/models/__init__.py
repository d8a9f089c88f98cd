"""Inventory tables: warehouses and locations, the stock ledger, and stock documents."""

from app.inventory.models.alerts import LowStockAlert
from app.inventory.models.documents import (
    DOC_LABELS,
    DOC_PREFIX,
    REASONS,
    STATUS_LABELS,
    DocStatus,
    DocType,
    StockDocument,
    StockDocumentLine,
)
from app.inventory.models.ledger import MoveType, StockBalance, StockLevel, StockMove, StockReservation
from app.inventory.models.warehouses import Location, Warehouse, user_warehouses

__all__ = [
    "DOC_LABELS",
    "DOC_PREFIX",
    "REASONS",
    "STATUS_LABELS",
    "DocStatus",
    "DocType",
    "Location",
    "LowStockAlert",
    "MoveType",
    "StockBalance",
    "StockDocument",
    "StockDocumentLine",
    "StockLevel",
    "StockMove",
    "StockReservation",
    "Warehouse",
    "user_warehouses",
]
