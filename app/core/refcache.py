"""Small reference tables that list pages offer as filter choices (brands, categories, …), kept
in each process and loaded again when any process changes them.

A ``RefCache`` names the models its loader reads. When a session flushes a change to one of them,
the cache's token in Redis is replaced by a new random one once the transaction ends (after a
rollback too: the change may have been read meanwhile). A process keeps its copy with the token it
read *before* loading, so a copy loaded while a change was being committed is loaded again on the
next use. A use costs one Redis GET instead of a query.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import redis_store

T = TypeVar("T")
_DIRTY = "erp_refcache_dirty"
_by_model: dict[type, list[RefCache]] = {}


class RefCache(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], *models: type) -> None:
        self.name = name
        self.load = load
        self._copies: dict[str, tuple[bytes, T]] = {}  # per Redis key: per installation
        for model in models:
            _by_model.setdefault(model, []).append(self)

    def _key(self) -> str:
        return redis_store.key("refcache", self.name)

    def get(self) -> T:
        key = self._key()
        token = redis_store.get(key)
        if token is None:
            token = secrets.token_hex(8).encode()
            if not redis_store.set(key, token, nx=True):
                token = redis_store.get(key) or token
        copy = self._copies.get(key)
        if copy is not None and copy[0] == token:
            return copy[1]
        value = self.load()
        self._copies[key] = (token, value)
        return value

    def changed(self) -> None:
        """Every process loads again on its next use."""
        redis_store.set(self._key(), secrets.token_hex(8))


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        for cache in _by_model.get(type(obj), ()):
            session.info.setdefault(_DIRTY, set()).add(cache)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _publish(session: Session) -> None:
    for cache in session.info.pop(_DIRTY, ()):
        cache.changed()
