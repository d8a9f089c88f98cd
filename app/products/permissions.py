from flask_babel import lazy_gettext as _l

from app.auth.permissions import declare

PRODUCTS = declare("products", _l("Products"), ["view", "edit", "delete", "import", "export", "view_cost"], order=120)
