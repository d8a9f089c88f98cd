"""Helpers shared by the tests: a test client that behaves like a browser, databases, isolation."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from werkzeug.datastructures import MultiDict

PASSWORD = "correct-horse-battery-42"
_CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@cache
def password_hash() -> str:
    """scrypt costs ~0.1 s, so every test user shares one precomputed hash of PASSWORD."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method="scrypt")


class Client(FlaskClient):
    """A test client that runs every request in a fresh app context (no ``g`` leaks between
    requests) and fills in the CSRF and one-time tokens a real form would carry."""

    user = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Tests read English unless they ask for Chinese (the app's default for visitors is zh).
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")

    def open(self, *args, **kwargs):
        if isinstance(kwargs.get("data"), list):
            kwargs["data"] = MultiDict(kwargs["data"])  # form fields as read by form_fields()
        # Read streamed downloads to the end inside the request, as a browser would.
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self, path: str = "/login") -> str:
        html = self.get(path).get_data(as_text=True)
        match = _CSRF_RE.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD, next_url: str = ""):
        token = self.csrf_token("/login")
        return self.post(
            "/login", data={"username": username, "password": password, "next": next_url, "csrf_token": token}
        )

    def submit(
        self, url: str, data: dict | None = None, *, once: str | None = None, token_from: str | None = None, **kwargs
    ):
        """POST ``data`` to ``url`` the way the page's form would (CSRF + one-time token)."""
        if isinstance(data, list):  # repeated names (ids=1&ids=2) keep every value
            payload = [*data, ("csrf_token", self.csrf_token(token_from or "/account/")), ("_once", once or new_once())]
            return self.post(url, data=payload, **kwargs)
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf_token(token_from or "/account/"))
        payload.setdefault("_once", once or new_once())
        return self.post(url, data=payload, **kwargs)


SECRET_KEY = ""  # the test app's, set by the app fixture


def new_once(secret_key: str | None = None) -> str:
    """A valid one-time token, as the page's form would carry."""
    from app.core.once import token_for

    return token_for(secret_key or SECRET_KEY)


def html(response) -> str:
    return response.get_data(as_text=True)


# --- databases -----------------------------------------------------------------------------------


def _admin_engine(server_url: str) -> sa.Engine:
    return sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def create_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server of ``server_url`` and return its URL."""
    url = make_url(server_url)
    engine = _admin_engine(server_url)
    with engine.connect() as conn:
        if url.get_backend_name() == "postgresql":
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        else:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
            conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    engine.dispose()
    new = url.set(database=name)
    if new.get_backend_name() in ("mysql", "mariadb"):
        new = new.update_query_dict({"charset": "utf8mb4"})
    return new.render_as_string(hide_password=False)


def drop_database(db_url: str) -> None:
    url = make_url(db_url)
    name = url.database
    admin = url.set(database="test" if url.get_backend_name() != "postgresql" else "postgres")
    engine = _admin_engine(admin.render_as_string(hide_password=False))
    with engine.connect() as conn:
        if url.get_backend_name() == "postgresql":
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    engine.dispose()


def migrate_and_seed_roles(app: Flask) -> None:
    """Bring the schema to head with the real migrations and create the default roles."""
    from flask_migrate import upgrade

    from app.auth.seed import ensure_default_roles
    from app.extensions import db

    upgrade(directory=app.extensions["migrate"].directory)
    ensure_default_roles()
    db.session.commit()


@contextlib.contextmanager
def rolled_back(app: Flask, db) -> Iterator[None]:
    """Run the test inside one outer transaction that is rolled back at the end.

    Every session the app opens during the test (one per request) uses the same connection and
    turns its commits into savepoint releases.
    """
    from app.core import refcache

    engines = db._app_engines[app]
    engine = engines[None]
    conn = engine.connect()
    outer = conn.begin()

    # The app's commits are savepoint releases here: let them move the data versions of what
    # they wrote as a commit does (refcache), so kept pages are used and dropped as in real use.
    def _as_if_committed(connection, _name, _context) -> None:
        noted = connection.info.pop(refcache._WRITTEN, None)
        if noted:
            refcache._publish(*noted)

    sa.event.listen(conn, "release_savepoint", _as_if_committed)
    sa.event.listen(conn, "rollback_savepoint", _as_if_committed)
    saved_session = db.session
    engines[None] = conn
    db.session = db._make_scoped_session({"join_transaction_mode": "create_savepoint"})
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        db.session = saved_session
        engines[None] = engine
        if outer.is_active:
            outer.rollback()
        conn.close()


def clear_redis(store) -> None:
    keys = list(store.scan_iter(match=store.prefix + "*", count=1000))
    limits = list(store.scan_iter(match="*" + store.prefix + "limits*", count=1000))
    doomed = set(keys) | set(limits)
    if doomed:
        store.delete(*doomed)


# --- reading forms like a browser ----------------------------------------------------------------


class _FormParser(HTMLParser):
    def __init__(self, form_id: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.depth = 0
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._buffer = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if not self.in_form and (self.form_id is None or a.get("id") == self.form_id):
                self.in_form = True
                self.depth = 1
            elif self.in_form:
                self.depth += 1
            return
        if not self.in_form or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self._buffer = ""
        elif tag == "select" and name:
            self._select = name
            self._options = []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data):
        if self._textarea is not None:
            self._buffer += data

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.depth -= 1
            if self.depth == 0:
                self.in_form = False
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._buffer.lstrip("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [v for v, sel in self._options if sel] or [v for v, _sel in self._options[:1]]
            self.fields.extend((self._select, v) for v in chosen)
            self._select = None


def form_fields(page_html: str, form_id: str | None = None) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser would submit for the first form (or the form with ``form_id``)."""
    parser = _FormParser(form_id)
    parser.feed(page_html)
    return parser.fields


def replace_field(fields: list[tuple[str, str]], name: str, *values: str) -> list[tuple[str, str]]:
    """Return ``fields`` with every value of ``name`` replaced by ``values``."""
    return [(k, v) for k, v in fields if k != name] + [(name, v) for v in values]
