from flask_babel import lazy_gettext as _l

from app.auth.permissions import declare

SUPPLIERS = declare("suppliers", _l("Suppliers"), ["view", "edit", "delete", "import", "export"], order=110)
