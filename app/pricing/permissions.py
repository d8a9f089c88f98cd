from flask_babel import lazy_gettext as _l

from app.auth.permissions import declare

PRICING = declare("pricing", _l("Pricing"), ["view", "edit"], order=150)
