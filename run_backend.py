"""Start the console: migrate, seed demo data on first start, then serve with gunicorn.

`make run` calls this. Without DATABASE_URL and REDIS_URL it runs on the embedded default:
SQLite and an embedded Redis server, both under instance/. This process owns the embedded Redis
server for as long as gunicorn runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import sqlalchemy as sa

from app import create_app
from app.extensions import db


def main() -> int:
    os.environ.setdefault("FLASK_APP", "app:create_app")
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    # One process serves pages and Socket.IO here, and every open page holds a thread for its live
    # connection: enough threads for a small office's open pages plus its requests.
    threads = int(os.environ.get("WEB_THREADS", "64"))
    production = os.environ.get("ERP_ENV") == "production"

    app = create_app()
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        first_start = db.session.scalar(sa.text("SELECT COUNT(*) FROM users")) == 0
        if first_start and not production:
            from app.cli import run_demo_seed

            print("First start: creating demo data ...", flush=True)
            run_demo_seed(echo=lambda msg: print("  " + msg, flush=True))
        db.session.remove()
        db.engine.dispose()
        redis_url = app.extensions["erp_redis"].url
        demo_password = app.config["DEMO_PASSWORD"]

    # Without REDIS_URL the workers find the embedded server this process started (through
    # instance/redis.db.settings); it stays up until this process exits.
    url = f"http://{host}:{port}/"
    print(
        "\n"
        f"  Bearing ERP is starting at {url}\n"
        f"  Database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}\n"
        f"  Redis:    {redis_url.split('@')[-1]}\n",
        flush=True,
    )
    if not production:
        print(f"  Demo logins (password for all: {demo_password}):", flush=True)
        print("    admin, manager, sales, sales2, warehouse, purchaser, finance\n", flush=True)

    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--bind",
        f"{host}:{port}",
        "--access-logfile",
        "-",
        "--no-control-socket",
        "app:create_app()",
    ]
    child = subprocess.Popen(command)

    def forward(signum, frame):
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
