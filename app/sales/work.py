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


def _list_item(key, label, icon, spec, endpoint, args, permissions, order) -> WorkItem:
    """A "my work" count of a list's rows under ``args``, linking to that list so filtered."""
    return WorkItem(
        key,
        label,
        icon,
        count=lambda: lv.count(spec, can, args(), WORK_COUNT_CAP),
        link=lambda: url_for(endpoint, **args()),
        permissions=permissions,
        order=order,
    )


def register_work() -> None:
    for item in (
        _list_item(
            WORK_APPROVALS,
            _l("Quotations waiting for approval"),
            "check2-square",
            QUOTATION_LIST,
            "sales.quotation_approvals",
            _approvals_args,
            ("quotations.view", "quotations.approve"),
            10,
        ),
        # Those who make quotations; finance reads them all but has none of its own.
        _list_item(
            WORK_EXPIRING,
            _l("My quotations expiring within 3 days"),
            "hourglass-split",
            QUOTATION_LIST,
            "sales.quotation_list",
            _expiring_args,
            ("quotations.view", "quotations.edit"),
            20,
        ),
        _list_item(
            WORK_TO_DELIVER,
            _l("Orders to deliver from my warehouses"),
            "truck",
            ORDER_LIST,
            "sales.order_list",
            _to_deliver_args,
            ("sales_orders.view", "deliveries.edit"),
            30,
        ),
        _list_item(
            WORK_BACKORDERS,
            _l("Backorder lines"),
            "hourglass-split",
            BACKORDER_LIST,
            "sales.backorder_list",
            _backorder_args,
            ("sales_orders.view",),
            35,
        ),
    ):
        register_work_item(item)
