from flask_babel import lazy_gettext as _l

from app.auth.permissions import declare

NOTIFICATIONS = declare("notifications", _l("Notifications"), ["broadcast"], order=950)
