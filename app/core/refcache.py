"""Data versions of tables, and what is cached against them: small reference tables that list
pages offer as filter choices (brands, categories, …) and whole rendered list contents.

A watched table has a version in Redis: a random token, replaced whenever a transaction that wrote
to the table ends. Every statement that goes through SQLAlchemy is looked at (ORM flushes, Core
and text statements alike), so a bulk ``UPDATE`` past the ORM moves the version as an edit does.
The token is replaced twice: when the transaction commits or rolls back and again once the
connection is handed back after the commit, so a copy read from the database between the first
replacement and the commit itself is kept under a token nobody asks for again. A rollback
replaces it too: a change may have been read meanwhile. A failing Redis is logged, never allowed
to fail the commit.

A request reads the versions of every watched table once, with one Redis MGET sent with the
session's GET before anything is read from the database (SQLite keeps one read snapshot from a
transaction's first SELECT on, so versions read after it could be newer than the rows the request
sees), or on first use when it has no session (code outside a request reads them on every use); a
copy is then kept under the versions it was read with. A transaction that has written to a table
reads it afresh, and a request that commits forgets the versions it read, so it never serves
itself a copy older than its own change. Writes past SQLAlchemy (another program on the same
database) are not seen: a copy is read again at the latest ``KEPT_SECONDS`` after it was made.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from time import monotonic
from typing import Generic, TypeVar

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from app.extensions import db, redis_store

T = TypeVar("T")
log = logging.getLogger(__name__)

_watched: list[str] = []  # table names, in a fixed order (the MGET's)
_WRITTEN = "erp_tables_written"
_AFTER_COMMIT = "erp_tables_after_commit"
_SNAPSHOT = "erp_table_versions"
# The table a writing statement names (INSERT INTO t, UPDATE t, DELETE FROM t; quoted or not).
_WRITE = re.compile(r"\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+[`\"\[]?(\w+)", re.I)


def watch(*tables: str) -> None:
    """Give ``tables`` a data version (idempotent)."""
    for table in tables:
        if table not in _watched:
            _watched.append(table)


def _key(table: str) -> str:
    return redis_store.key("tablever", table)


def versions(*tables: str) -> tuple[bytes, ...]:
    """The current versions of ``tables`` (watched ones), as this request first read them."""
    environ = request.environ if has_request_context() else {}
    snapshot = environ.get(_SNAPSHOT)
    if snapshot is None or any(t not in snapshot for t in tables):
        snapshot = environ[_SNAPSHOT] = _read_all()
    return tuple(snapshot[t] for t in tables)


def read_with(pipe) -> Callable[[list[bytes | None]], None]:
    """Add the reading of every watched table's version to ``pipe`` (a Redis pipeline the request
    sends anyway, before it reads any data); call what is returned with the replies that follow
    the caller's own."""
    names = list(_watched)
    if names:
        pipe.mget([_key(t) for t in names])

    def keep(replies: list) -> None:
        if names and has_request_context():
            request.environ[_SNAPSHOT] = _snapshot(names, replies[0])

    return keep


def _read_all() -> dict[str, bytes]:
    names = list(_watched)
    return _snapshot(names, redis_store.mget([_key(t) for t in names]) if names else [])


def _snapshot(names: list[str], values: list[bytes | None]) -> dict[str, bytes]:
    snapshot = {}
    for table, value in zip(names, values, strict=True):
        if value is None:
            value = secrets.token_hex(8).encode()
            if not redis_store.set(_key(table), value, nx=True):
                value = redis_store.get(_key(table)) or value
        snapshot[table] = value
    return snapshot


def written_here(tables: tuple[str, ...]) -> bool:
    """Whether the current transaction has written to one of ``tables`` (not yet committed):
    what it reads of them is its own, and no cached copy holds it."""
    session = db.session()
    if not session.in_transaction():
        return False
    noted = session.connection().info.get(_WRITTEN)
    return noted is not None and not noted[1].isdisjoint(tables)


def changed(*tables: str) -> None:
    """Move the versions of ``tables``: every copy read before is dropped on its next use."""
    _publish(current_app.extensions["erp_redis"], tables)


def _publish(state, tables) -> None:
    """``state``: the Redis client and key prefix of the app that wrote (a transaction may end
    outside its app context)."""
    if not tables:
        return
    with state.client.pipeline(transaction=False) as pipe:
        for table in tables:
            pipe.set(state.prefix + "tablever:" + table, secrets.token_hex(8))
        pipe.execute()
    if has_request_context():
        request.environ.pop(_SNAPSHOT, None)


def _publish_quietly(state, tables) -> None:
    """For the transaction and pool hooks: a failing Redis must not fail (or half-do) the
    database's commit or rollback, nor keep a connection from going back to the pool. Copies
    elsewhere are then read again after ``KEPT_SECONDS`` at the latest."""
    try:
        _publish(state, tables)
    except Exception:
        log.exception("data versions of %s not moved", ", ".join(sorted(tables)))


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    if statement.startswith("SELECT") or not has_app_context():
        return
    for table in _WRITE.findall(statement):
        if table in _watched:
            _state, written = conn.info.setdefault(_WRITTEN, (current_app.extensions["erp_redis"], set()))
            written.add(table)


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_end(conn) -> None:
    noted = conn.info.pop(_WRITTEN, None)
    if noted:
        _publish_quietly(*noted)
        conn.info[_AFTER_COMMIT] = noted


@event.listens_for(Pool, "checkin")
def _handed_back(_dbapi_connection, record) -> None:
    noted = record.info.pop(_AFTER_COMMIT, None) if record is not None else None
    if noted:
        _publish_quietly(*noted)


def _kept_seconds() -> float:
    return current_app.config.get("KEPT_SECONDS", 300)


class RefCache(Generic[T]):
    """A small table's rows, loaded once per process and again after any change to ``tables``."""

    def __init__(self, name: str, load: Callable[[], T], *tables: str) -> None:
        self.name = name
        self.load = load
        self.tables = tables
        watch(*tables)
        self._copies: dict[str, tuple[tuple[bytes, ...], float, T]] = {}  # per installation (key prefix)

    def get(self) -> T:
        if written_here(self.tables):
            return self.load()
        token = versions(*self.tables)
        prefix = redis_store.prefix
        copy = self._copies.get(prefix)
        now = monotonic()
        if copy is not None and copy[0] == token and now < copy[1]:
            return copy[2]
        value = self.load()
        self._copies[prefix] = (token, now + _kept_seconds(), value)
        return value


class VersionedCache(Generic[T]):
    """Values computed from ``tables``, kept per process (the ``limit`` most recently used) under
    the tables' versions and a caller's key."""

    def __init__(self, tables: tuple[str, ...], limit: int = 256) -> None:
        self.tables = tables
        self.limit = limit
        watch(*tables)
        self._values: OrderedDict[Hashable, tuple[float, T]] = OrderedDict()  # key: (until, value)
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        if written_here(self.tables):
            return compute()
        full_key = (redis_store.prefix, versions(*self.tables), key)
        now = monotonic()
        with self._lock:
            kept = self._values.get(full_key)
            if kept is not None and now < kept[0]:
                self._values.move_to_end(full_key)
                return kept[1]
        value = compute()
        with self._lock:
            self._values[full_key] = (now + _kept_seconds(), value)
            while len(self._values) > self.limit:
                self._values.popitem(last=False)
        return value
