"""Template helpers: versioned static URLs and how stored values are shown."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.core.i18n import language

ACTION_LABELS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "delete": _l("Deleted"),
    "restore": _l("Restored"),
    "purge": _l("Removed"),
    "event": _l("Event"),
}

_event_labels: dict[str, object] = {}


def register_audit_event(name: str, label: object) -> None:
    """Give an operation-log event name its translatable label."""
    _event_labels[name] = label


@lru_cache(maxsize=512)
def _file_version(path: str, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


_static_urls: dict[tuple[str, str], str] = {}


def static_url(filename: str) -> str:
    """URL of a static file with a content hash, so browsers fetch it again only when it changes.

    Static files change only with a deployment (a restart), so outside debug mode each URL is
    worked out once per process."""
    key = (filename, request.script_root)
    if not current_app.debug and key in _static_urls:
        return _static_urls[key]
    path = Path(current_app.static_folder) / filename
    try:
        version = _file_version(str(path), path.stat().st_mtime_ns)
    except OSError:
        return url_for("static", filename=filename)
    url = _static_urls[key] = url_for("static", filename=filename, v=version)
    return url


_fragments: dict[tuple, Markup] = {}
FRAGMENT_LIMIT = 4096


# Where a slot's value goes in a kept copy: a random word per process, so that no text a user
# typed (a search echoed into its box, a name) can name a slot and be given the viewer's token.
_SLOT_NONCE = secrets.token_hex(8)


def slot_marker(name: str) -> Markup:
    return Markup(f"\x1e{_SLOT_NONCE}{name}\x1e")


def fill_slots(html: Markup, values: dict[str, str | Callable[[], str]]) -> Markup:
    """Put each request's own values (escaped) where a kept copy has slot markers; a value given
    as a function is worked out only when its slot is there."""
    for name, value in values.items():
        marker = slot_marker(name)
        if marker in html:
            html = html.replace(marker, escape(value() if callable(value) else value))
    return Markup(html)


def cached_fragment(template: str, key: tuple, slots: dict[str, str] | None = None, **context: object) -> Markup:
    """A part of every page that depends only on ``key``, the language and ``slots`` (the side
    menu for a permission set and a page; the user menu for a user), rendered once per process
    instead of on every request.

    Whatever the fragment shows must be determined by ``key``, except the values of ``slots``
    (the CSRF token, the current path): the template prints ``slots.<name>`` where a value goes,
    and each request's values, escaped, are put in the cached copy. Nothing of the data. Debug
    mode renders it every time, so template edits show at once.
    """
    slots = slots or {}
    markers = {name: slot_marker(name) for name in slots}
    full_key = (template, language(), request.script_root, *key)
    html = None if current_app.debug else _fragments.get(full_key)
    if html is None:
        html = Markup(render_template(template, slots=markers, **context))
        if not current_app.debug:
            if len(_fragments) >= FRAGMENT_LIMIT:
                _fragments.clear()
            _fragments[full_key] = html
    return fill_slots(html, slots)


def display_value(value: object) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value) if value else "—"
    return str(value)


def plain_number(value: object) -> str:
    """A number as typed into a form: "7", "2.5" — no grouping, no trailing zeros."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    return str(value)


def render_panel(panel, obj: object) -> Markup:
    """A detail-page panel registered by another domain, or nothing when it has nothing to say."""
    context = panel.context(obj)
    if context is None:
        return Markup("")
    return Markup(render_template(panel.template, **context))


def init_templating(app: Flask) -> None:
    app.jinja_env.globals["render_panel"] = render_panel
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.globals["cached_fragment"] = cached_fragment
    # Pages linking to another domain's pages show the link only when that domain is installed.
    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in app.view_functions
    app.jinja_env.filters["display_value"] = display_value
    app.jinja_env.filters["plain_number"] = plain_number
    app.jinja_env.globals["audit_action_label"] = lambda action: ACTION_LABELS.get(action, action)
    app.jinja_env.globals["audit_event_label"] = lambda name: _event_labels.get(name, name)
