from flask_babel import lazy_gettext as _l

from app.auth.permissions import declare

AUDIT = declare("audit", _l("Operation log"), ["view"], order=930)
SYSTEM = declare("system", _l("System"), ["settings", "backup", "logs"], order=940)
