from flask_babel import lazy_gettext as _l

from app.auth.permissions import declare

FINANCE = declare("finance", _l("Finance"), ["view", "edit", "export"], order=400)
