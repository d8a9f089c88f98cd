"""Commit → page latency of live notifications with many open pages.

Starts the realtime instance as deploy/ does (gunicorn -c deploy/gunicorn-realtime.conf.py: one
gevent worker, Socket.IO only), one web instance (gthread) and nginx with the deploy/ site in front
(the Debian package's binary, as a process of this script), on a fresh database with an embedded
Redis this script owns (or DATABASE_URL / REDIS_URL). It creates --clients users, signs each in over
HTTP and connects one Socket.IO client per session through nginx (WebSocket, in a separate process)
— the open pages. With --browser a headless Chromium page is signed in too and its bell is watched,
so that figure includes a real browser's Socket.IO client and DOM update.

Then this process acts as a web instance would: it writes notifications with the real service and
commits, and each open page notes when the push arrived. Latency is measured from just before the
commit (which includes it) to the moment the page received the event; both clocks are this
machine's.

  one     --events notifications, each to one random user, --rate per second
  fan-out --fanouts broadcasts to all users at once (the time until each page has it)

    .venv/bin/python bench/notify_latency.py [--clients 200] [--events 300] [--rate 20]
                                             [--fanouts 10] [--browser]

Goal (issue 7): p95 ≤ 50 ms with 200 pages open on loopback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

ROOT = benchlib.ROOT
PASSWORD = "bench-password-2026"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"server did not start:\n{log.read_text()}")


def sign_in(base: str, username: str) -> str:
    http = requests.Session()
    token = CSRF_RE.search(http.get(base + "/login", timeout=30).text).group(1)
    response = http.post(
        base + "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, f"sign-in of {username} failed: {response.status_code}"
    return http.cookies["erp_session"]


# --- the open pages, in a process of their own ---------------------------------------------------


def pages(url: str, cookies: list[str], ready, results, stop) -> None:
    """Connect one Socket.IO client per session and note (title, monotonic time) of every push."""
    import socketio

    received: list[tuple[str, float]] = []
    lock = threading.Lock()
    clients = []

    def on_notification(data):
        at = time.monotonic()
        with lock:
            received.append((data["notification"]["title"], at))

    for cookie in cookies:
        client = socketio.Client(reconnection=False)
        client.on("notification", on_notification)
        client.connect(url, headers={"Cookie": f"erp_session={cookie}"}, transports=["websocket"], wait_timeout=30)
        clients.append(client)
    ready.set()
    stop.wait()
    for client in clients:
        client.disconnect()
    results.put(received)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def report(name: str, latencies_ms: list[float], expected: int) -> None:
    if not latencies_ms:
        print(f"  {name}: nothing arrived (expected {expected})")
        return
    print(
        f"  {name}: {len(latencies_ms)}/{expected} arrived  p50 {percentile(latencies_ms, 50):.1f} ms  "
        f"p95 {percentile(latencies_ms, 95):.1f} ms  p99 {percentile(latencies_ms, 99):.1f} ms  "
        f"max {max(latencies_ms):.1f} ms  mean {statistics.fmean(latencies_ms):.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="single-recipient events per second")
    parser.add_argument("--fanouts", type=int, default=10)
    parser.add_argument("--browser", action="store_true", help="also watch a headless Chromium page")
    parser.add_argument("--page-processes", type=int, default=4, help="processes holding the pages' clients")
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{benchlib.DEFAULT_SQLITE_DIR / 'notify.sqlite3'}"
    on_server = benchlib.sqlite_path(database_url) is None
    if on_server:
        benchlib.create_database(database_url)
    else:
        benchlib.DEFAULT_SQLITE_DIR.mkdir(parents=True, exist_ok=True)
        benchlib.sqlite_path(database_url).unlink(missing_ok=True)

    with benchlib.bench_environment(database_url, key_prefix=f"erpbench{os.getpid()}:") as instance_dir:
        app = benchlib.make_app()
        benchlib.upgrade(app)
        user_ids = create_users(app, args.clients + 1)  # the last one: the Chromium page's
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PROXY_FIX_X_FOR": "1"}
        servers: list[subprocess.Popen] = []
        nginx = None
        try:
            web_port, rt_port = free_port(), free_port()
            web_log, rt_log = Path(instance_dir) / "web.log", Path(instance_dir) / "realtime.log"
            with web_log.open("wb") as log:
                web = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", "8",
                     "--bind", f"127.0.0.1:{web_port}", "--no-control-socket", "app:create_app()"],
                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                )  # fmt: skip
            servers.append(web)
            with rt_log.open("wb") as log:
                realtime = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn-realtime.conf.py", "app:create_app()"],
                    cwd=ROOT, env={**env, "BIND": f"127.0.0.1:{rt_port}"}, stdout=log, stderr=subprocess.STDOUT,
                )  # fmt: skip
            servers.append(realtime)
            web_url, rt_url = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{rt_port}"
            wait_healthy(web_url, web, web_log)
            wait_healthy(rt_url, realtime, rt_log)
            from tests.live import start_nginx

            nginx = start_nginx(
                Path(instance_dir), {"erp_web": [f"127.0.0.1:{web_port}"], "erp_realtime": [f"127.0.0.1:{rt_port}"]}
            )
            return measure(app, args, user_ids, nginx.url)
        finally:
            if nginx is not None:
                nginx.stop()
            for process in servers:
                process.terminate()
            for process in servers:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
            with app.app_context():
                # A Redis server outlives this run: leave none of its keys (sessions, caches) behind.
                from app.extensions import redis_store

                doomed = list(redis_store.scan_iter(match=redis_store.prefix + "*", count=1000))
                for start in range(0, len(doomed), 1000):
                    redis_store.delete(*doomed[start : start + 1000])
            if on_server:
                with app.app_context():
                    from app.extensions import db

                    db.engine.dispose()
                benchlib.drop_database(database_url)


def create_users(app, n: int) -> list[int]:
    from werkzeug.security import generate_password_hash

    from app.auth.models import User
    from app.auth.seed import ensure_default_roles
    from app.extensions import db

    password_hash = generate_password_hash(PASSWORD, method="scrypt")
    with app.app_context():
        ensure_default_roles()
        users = [
            User(username=f"page{i:03d}", display_name=f"Page {i}", password_hash=password_hash, locale="en")
            for i in range(n)
        ]
        db.session.add_all(users)
        db.session.commit()
        return [u.id for u in users]


def measure(app, args, all_ids: list[int], url: str) -> int:
    from app.extensions import db
    from app.notifications import services

    user_ids, browser_user = all_ids[:-1], len(all_ids) - 1
    print(f"signing in {len(user_ids)} users ...", flush=True)
    usernames = [f"page{i:03d}" for i in range(len(user_ids))]
    # One after the other: each costs a scrypt check (~0.1 s) on the web instance anyway.
    cookies = [sign_in(url, name) for name in usernames]

    ctx = multiprocessing.get_context("spawn")
    stop, results = ctx.Event(), ctx.Queue()
    # The pages are spread over a few processes, so that one process's GIL does not queue the
    # arrivals it is meant to time.
    shares = [cookies[k :: args.page_processes] for k in range(args.page_processes)]
    children, readies = [], []
    for share in shares:
        ready = ctx.Event()
        child = ctx.Process(target=pages, args=(url, share, ready, results, stop))
        child.start()
        children.append(child)
        readies.append(ready)
    print(
        f"connecting {len(cookies)} pages through nginx to the realtime instance ({args.page_processes} processes) ...",
        flush=True,
    )
    for ready in readies:
        if not ready.wait(180):
            for child in children:
                child.terminate()
            raise SystemExit("the pages did not connect")

    watcher = BrowserWatcher(url, f"page{browser_user:03d}") if args.browser else None
    time.sleep(1.0)

    sent: dict[str, tuple[float, int]] = {}  # title -> (monotonic before commit, recipients)
    browser_sent: dict[str, float] = {}  # title -> epoch before commit (the browser's clock)
    logging.getLogger("app").setLevel(logging.WARNING)  # no log line per notification
    with app.test_request_context("/?lang=en"):
        print(f"{args.events} single-recipient notifications at {args.rate:g}/s ...", flush=True)
        interval = 1.0 / args.rate
        next_at = time.monotonic()
        for n in range(args.events):
            title = f"one {n}"
            services.notify([random.choice(user_ids)], "bench", title)
            sent[title] = (time.monotonic(), 1)
            db.session.commit()
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))
        print(f"{args.fanouts} broadcasts to all {len(user_ids)} users ...", flush=True)
        for n in range(args.fanouts):
            title = f"all {n}"
            services.notify(all_ids, "bench", title)
            sent[title] = (time.monotonic(), len(user_ids))
            browser_sent[title] = time.time()
            db.session.commit()
            time.sleep(1.0)
    time.sleep(2.0)
    stop.set()
    received = [item for _child in children for item in results.get(timeout=120)]
    for child in children:
        child.join(60)

    one = [(at - sent[title][0]) * 1000 for title, at in received if title.startswith("one ")]
    fan = [(at - sent[title][0]) * 1000 for title, at in received if title.startswith("all ")]
    load = os.getloadavg()
    open_pages = len(user_ids) + (watcher is not None)
    print(f"\n{open_pages} open pages on one realtime instance; load average {load[0]:.2f} on {os.cpu_count()} cores")
    report("one recipient", one, args.events)
    report("all recipients (fan-out)", fan, args.fanouts * len(user_ids))
    if watcher is not None:
        # The bell counts up by one per broadcast (the page's user gets nothing else).
        seen = {int(count): at / 1000 for count, at in watcher.page.evaluate("window.erpSeen")}
        lat = [(seen[i + 1] - browser_sent[f"all {i}"]) * 1000 for i in range(args.fanouts) if i + 1 in seen]
        report("Chromium page, bell updated (fan-out)", lat, args.fanouts)
        watcher.close()
    return 0


class BrowserWatcher:
    """A signed-in Chromium page whose bell count is watched (its own clock: Date.now())."""

    def __init__(self, url: str, username: str) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        )  # fmt: skip
        self._context = self._browser.new_context(base_url=url)
        self.page = self._context.new_page()
        self.page.goto("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("#login-submit")
        self.page.wait_for_selector("body[data-live=connected]")
        self.page.evaluate(
            """() => {
              window.erpSeen = [];
              const bell = document.getElementById('nav-bell');
              let last = bell.dataset.unread;
              new MutationObserver(() => {
                if (bell.dataset.unread === last) return;
                last = bell.dataset.unread;
                window.erpSeen.push([last, Date.now()]);
              }).observe(bell, {attributes: true, attributeFilter: ['data-unread']});
            }"""
        )

    def close(self) -> None:
        self._browser.close()
        self._pw.stop()


if __name__ == "__main__":
    sys.exit(main())
