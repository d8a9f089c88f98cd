from flask_babel import lazy_gettext as _l

from app.auth.permissions import declare

ENQUIRIES = declare("enquiries", _l("Enquiries"), ["view", "view_all", "edit", "delete", "export", "print"], order=300)
PURCHASE_ORDERS = declare(
    "purchase_orders",
    _l("Purchase orders"),
    ["view", "view_all", "edit", "confirm", "cancel", "export", "print"],
    order=310,
)
RECEIPTS = declare("receipts", _l("Receipts"), ["view", "edit", "post", "cancel", "export", "print"], order=320)
