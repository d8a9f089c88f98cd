"""One-time form tokens: a double-submitted or replayed POST changes nothing twice.

Every state-changing form carries a random ``_once`` token (the form macros add it), signed with
a timestamp. The first request that presents a token claims it in Redis; when it ends with a
redirect, the redirect is stored under the token for as long as the token is valid, and every
later request with the same token gets that same redirect without running the view again. A
token older than that is refused, so an old form cannot run twice by outliving its record. A
request that ends any other way (validation errors, a refusal, an error page) changed nothing,
so its token is released and the corrected form may be sent again.
"""

from __future__ import annotations

import json
import re
import secrets
import time

from flask import Flask, abort, current_app, g, redirect, request, session
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from markupsafe import Markup

from app.extensions import redis_store

FIELD = "_once"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_.-]{16,200}$")
_PENDING = b"pending"
PENDING_TTL = 300
TOKEN_MAX_AGE = 7 * 24 * 3600
RESULT_TTL = TOKEN_MAX_AGE + 3600
_SALT = "erp-once"
WAIT_SECONDS = 15.0
FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def exempt(view):
    """Mark a view whose POSTs need no one-time token (login and logout)."""
    view.once_exempt = True
    return view


def token_for(secret_key: str) -> str:
    """A fresh signed token (also used by tests that post forms the way a browser would)."""
    return URLSafeTimedSerializer(secret_key, salt=_SALT).dumps(secrets.token_urlsafe(12))


def new_token() -> str:
    return token_for(current_app.secret_key)


def _valid(token: str) -> bool:
    try:
        URLSafeTimedSerializer(current_app.secret_key, salt=_SALT).loads(token, max_age=TOKEN_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return False
    return True


def hidden_field() -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, new_token())


def _owner() -> str:
    if current_user.is_authenticated:
        return f"u{current_user.get_id()}"
    return "s" + str(getattr(session, "sid", "anon"))


def _replay(value: bytes):
    data = json.loads(value)
    return redirect(data["location"], code=303)


def _claim():
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is None or getattr(view, "once_exempt", False):
        return None
    if request.mimetype not in FORM_MIMETYPES:
        return None
    token = request.form.get(FIELD, "")
    if not _TOKEN_RE.match(token):
        abort(400, description=_("This form is missing its one-time token. Reload the page and try again."))
    if not _valid(token):
        abort(400, description=_("This form is too old to be sent again. Reload the page and fill it in again."))
    key = redis_store.key("once", _owner(), token)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        if redis_store.set(key, _PENDING, nx=True, ex=PENDING_TTL):
            g.once_key = key
            return None
        value = redis_store.get(key)
        if value is not None and value != _PENDING:
            return _replay(value)
        if time.monotonic() > deadline:
            abort(409)
        time.sleep(0.05)


def _settle(response):
    key = g.pop("once_key", None)
    if key is None:
        return response
    if 300 <= response.status_code < 400 and response.location:
        redis_store.set(key, json.dumps({"location": response.location}), ex=RESULT_TTL)
    else:
        redis_store.delete(key)
    return response


def _release(exc) -> None:
    key = g.pop("once_key", None)
    if key is not None:
        redis_store.delete(key)


def init_once(app: Flask) -> None:
    app.before_request(_claim)
    app.after_request(_settle)
    app.teardown_request(_release)
    app.jinja_env.globals["once_field"] = hidden_field
