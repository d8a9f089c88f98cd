from flask_babel import lazy_gettext as _l

from app.auth.permissions import declare

QUOTATIONS = declare(
    "quotations", _l("Quotations"), ["view", "view_all", "edit", "approve", "delete", "export", "print"], order=200
)
SALES_ORDERS = declare(
    "sales_orders", _l("Sales orders"), ["view", "view_all", "edit", "confirm", "cancel", "export", "print"], order=210
)
DELIVERIES = declare("deliveries", _l("Deliveries"), ["view", "edit", "post", "cancel", "export", "print"], order=220)
