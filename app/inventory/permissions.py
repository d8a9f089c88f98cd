from flask_babel import lazy_gettext as _l

from app.auth.permissions import declare

WAREHOUSES = declare("warehouses", _l("Warehouses and locations"), ["view", "edit"], order=130)
INVENTORY = declare(
    "inventory",
    _l("Inventory"),
    ["view", "adjust", "transfer", "count", "opening", "cancel", "export"],
    order=140,
)
