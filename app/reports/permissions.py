from flask_babel import lazy_gettext as _l

from app.auth.permissions import declare

REPORTS = declare("reports", _l("Reports"), ["view", "export"], order=500)
