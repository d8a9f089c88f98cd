from flask_babel import lazy_gettext as _l

from app.auth.permissions import declare

CUSTOMERS = declare("customers", _l("Customers"), ["view", "view_all", "edit", "delete", "import", "export"], order=100)
