"""What sales counts on the dashboard's "my work" panel (registered from app/sales/ui.py): each
count is the list it links to, counted with the same filters and the same own / all scope."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.access import can
from app.core import listview as lv
from app.core.registry import WORK_COUNT_CAP, WorkItem, register_work_item
from app.sales.lists import QUOTATION_LIST
from app.sales.models import QuotationStatus
from app.sales.order_lists import BACKORDER_LIST, ORDER_LIST
from app.sales.orders import WORK_BACKORDERS, WORK_TO_DELIVER
from app.sales.quotations import WORK_APPROVALS, WORK_EXPIRING

EXPIRING_DAYS = "3"


def _approvals_args() -> dict[str, str]:
    return {"status": QuotationStatus.PENDING.value}


def _expiring_args() -> dict[str, str]:
    return {
        "status": QuotationStatus.SENT.value,
        "salesperson": str(current_user.get_id()),
        "expires_within": EXPIRING_DAYS,
    }


def _to_deliver_args() -> dict[str, str]:
    return {"status": "open", "deliverable": "1"}


def _backorder_args() -> dict[str, str]:
    return {"which": "partial"}


def register_work() -> None:
    register_work_item(
        WorkItem(
            WORK_APPROVALS,
            _l("Quotations waiting for approval"),
            "check2-square",
            count=lambda: lv.count(QUOTATION_LIST, can, _approvals_args(), WORK_COUNT_CAP),
            link=lambda: url_for("sales.quotation_approvals", **_approvals_args()),
            permissions=("quotations.view", "quotations.approve"),
            order=10,
        )
    )
    register_work_item(
        WorkItem(
            WORK_EXPIRING,
            _l("My quotations expiring within 3 days"),
            "hourglass-split",
            count=lambda: lv.count(QUOTATION_LIST, can, _expiring_args(), WORK_COUNT_CAP),
            link=lambda: url_for("sales.quotation_list", **_expiring_args()),
            # Those who make quotations; finance reads them all but has none of its own.
            permissions=("quotations.view", "quotations.edit"),
            order=20,
        )
    )
    register_work_item(
        WorkItem(
            WORK_TO_DELIVER,
            _l("Orders to deliver from my warehouses"),
            "truck",
            count=lambda: lv.count(ORDER_LIST, can, _to_deliver_args(), WORK_COUNT_CAP),
            link=lambda: url_for("sales.order_list", **_to_deliver_args()),
            permissions=("sales_orders.view", "deliveries.edit"),
            order=30,
        )
    )
    register_work_item(
        WorkItem(
            WORK_BACKORDERS,
            _l("Backorder lines"),
            "hourglass-split",
            count=lambda: lv.count(BACKORDER_LIST, can, _backorder_args(), WORK_COUNT_CAP),
            link=lambda: url_for("sales.backorder_list", **_backorder_args()),
            permissions=("sales_orders.view",),
            order=35,
        )
    )
