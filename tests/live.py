"""Real app processes on loopback for tests that cross processes or drive a browser.

A live environment is a database of its own (migrated and seeded with the demo data through the
real CLI), the test run's Redis with a key prefix of its own, and any number of gunicorn
instances started against them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests import support

ROOT = Path(__file__).resolve().parent.parent
_CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path
    secret_key: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class LiveEnvironment:
    env: dict[str, str]
    tmp: Path
    database_url: str
    servers: list[LiveServer] = field(default_factory=list)

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flask", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )

    def start_server(self, threads: int = 8, extra_env: dict[str, str] | None = None) -> LiveServer:
        port = free_port()
        log_path = self.tmp / f"server-{port}.log"
        with log_path.open("wb") as log:
            process = self._spawn(port, threads, extra_env, log)
        server = LiveServer(
            url=f"http://127.0.0.1:{port}", process=process, log_path=log_path, secret_key=self.env["SECRET_KEY"]
        )
        self.servers.append(server)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{server.log()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(server.url + "/healthz", timeout=2).status_code == 200:
                    return server
            time.sleep(0.2)
        server.stop()
        raise RuntimeError(f"server did not become healthy:\n{server.log()}")

    def _spawn(self, port: int, threads: int, extra_env: dict[str, str] | None, log) -> subprocess.Popen:
        return subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn",
                "--workers", "1", "--worker-class", "gthread", "--threads", str(threads),
                "--bind", f"127.0.0.1:{port}", "--no-control-socket", "--graceful-timeout", "5",
                "app:create_app()",
            ],
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


@contextlib.contextmanager
def live_environment(name: str, redis_url: str, run_id: str):
    """A migrated, demo-seeded database plus Redis settings, for gunicorn processes."""
    tmp = Path(tempfile.mkdtemp(prefix=f"erp-live-{name}-"))
    server = os.environ.get("ERP_TEST_DATABASE_URL")
    if server:
        database_url = support.create_database(server, f"erp_t_{run_id}_{name}")
    else:
        database_url = f"sqlite:///{tmp / 'live.sqlite3'}"
    env = {
        **os.environ,
        "ERP_ENV": "development",
        "FLASK_APP": "app:create_app",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": f"erplive{run_id}{name}:",
        "SECRET_KEY": f"live-secret-{run_id}",
        "ERP_INSTANCE_DIR": str(tmp),
        "ERP_DEMO_PASSWORD": support.PASSWORD,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    live = LiveEnvironment(env=env, tmp=tmp, database_url=database_url)
    try:
        live.flask("db", "upgrade")
        live.flask("seed-demo")
        yield live
    finally:
        live.stop()
        if server:
            support.drop_database(database_url)
        _clear_prefix(redis_url, env["REDIS_KEY_PREFIX"])
        shutil.rmtree(tmp, ignore_errors=True)


def _clear_prefix(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


class WebUser:
    """A signed-in person talking to a live server over HTTP, filling forms like a browser."""

    def __init__(self, server: LiveServer) -> None:
        self.base_url = server.url
        self.secret_key = server.secret_key
        self.http = requests.Session()

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base_url + path, allow_redirects=False, timeout=20, **kwargs)

    def csrf(self, path: str) -> str:
        match = _CSRF_RE.search(self.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str = support.PASSWORD) -> requests.Response:
        token = self.csrf("/login")
        return self.http.post(
            self.base_url + "/login",
            data={"username": username, "password": password, "csrf_token": token},
            allow_redirects=False,
            timeout=20,
        )

    def submit(self, path: str, data: dict | list, token_from: str | None = None) -> requests.Response:
        token = self.csrf(token_from or path)
        payload = list(data.items()) if isinstance(data, dict) else list(data)
        payload += [("csrf_token", token), ("_once", support.new_once(self.secret_key))]
        return self.http.post(self.base_url + path, data=payload, allow_redirects=False, timeout=20)

    def use(self, server: LiveServer) -> WebUser:
        """Send this person's next requests (same cookies) to another instance."""
        self.base_url = server.url
        return self

    def post_fields(self, path: str, fields: list[tuple[str, str]]) -> requests.Response:
        """POST a form exactly as read from its page (it carries its own CSRF and one-time tokens)."""
        return self.http.post(self.base_url + path, data=fields, allow_redirects=False, timeout=20)
