"""Sales documents: quotations (one row per revision), sales orders and deliveries."""

from app.sales.models.orders import (
    DELIVERY_STATUS_LABELS,
    ORDER_STATUS_LABELS,
    Delivery,
    DeliveryLine,
    DeliveryStatus,
    OrderStatus,
    SalesOrder,
    SalesOrderLine,
)
from app.sales.models.quotations import (
    NUMBER_PREFIX,
    PERCENT,
    REVISABLE,
    STATUS_LABELS,
    STORED_STATUSES,
    Quotation,
    QuotationLine,
    QuotationStatus,
)

__all__ = [
    "DELIVERY_STATUS_LABELS",
    "NUMBER_PREFIX",
    "ORDER_STATUS_LABELS",
    "PERCENT",
    "REVISABLE",
    "STATUS_LABELS",
    "STORED_STATUSES",
    "Delivery",
    "DeliveryLine",
    "DeliveryStatus",
    "OrderStatus",
    "Quotation",
    "QuotationLine",
    "QuotationStatus",
    "SalesOrder",
    "SalesOrderLine",
]
