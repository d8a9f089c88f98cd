"""Server time of the stock pages at 1,000,000 balances: overview by product and by location
(first and deep pages, filters, search, sorts, totals), ledger, valuation, typeahead, exports.

    .venv/bin/python bench/stock_overview.py                       # seed (once) + measure, SQLite
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/erp_bench_stock \\
        .venv/bin/python bench/stock_overview.py --create-db        # the same on PostgreSQL

The seed is deterministic and goes into a throw-away database (default: a SQLite file under
/tmp/erp-bench/, named after the size; on PostgreSQL the database in DATABASE_URL, recreated with
``--create-db``). The schema comes from the real migrations; ``--products`` products (250,000 by
default) are loaded by bench/seed.py's loader. The stock itself is **bulk-inserted**, bypassing
the posting service — far too slow for a million rows, and what is measured here is reading —
but kept consistent as the service would: two warehouses of 2,000 locations each; every product
at two locations in each warehouse (250,000 × 2 × 2 = 1,000,000 balances, about 5 % of them
emptied to zero, one product in fifty nearly out of stock); a level per product × warehouse equal
to the sum of its balances, with a reservation row behind every reserved quantity (one product in
five has some reserved); one opening move per balance (plus, for one "busy" product,
``--busy-moves`` alternating moves so its ledger has deep pages), with the moving average cost
after each move equal to the product's cost.

Measured: each case ``--warmup`` times, then ``--runs`` times in process through the Flask test
client (the whole WSGI app: session from Redis, user, permissions, queries, template), signed in as
an administrator (all warehouses) or as a user limited to one warehouse; reported: median, p95, the
number of SQL statements and the time inside ``cursor.execute``. Exports are timed once each, read
to the end. ``--explain`` prints each statement's query plan. The target: under 100 ms a page.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import benchlib

BASE_TIME = datetime(2025, 6, 1, 0, 0, 0, tzinfo=UTC)
ADMIN, LIMITED, PASSWORD = "stockbench", "stockbench_w2", "bench-password-2026"
LOCATIONS_PER_WAREHOUSE = 2000
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_TBODY_ROW = re.compile(r"<tr[ >]")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--products", type=int, default=250_000, help="products; balances = 4 × products")
    parser.add_argument("--busy-moves", type=int, default=20_000, help="moves of the one busy product")
    parser.add_argument("--create-db", action="store_true", help="(re)create the PostgreSQL/MariaDB database")
    parser.add_argument("--reseed", action="store_true", help="seed again even when the database holds stock")
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--only", default="", help="run only the cases whose label contains this text")
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--explain", action="store_true")
    return parser.parse_args(argv)


# --- seeding -----------------------------------------------------------------------------------


def _quantity(product_id: int, warehouse: int, slot: int) -> int:
    """On hand of a balance: 1..200, zero for about one balance in twenty, and 0..2 for one product
    in fifty (so some fall below their reorder level)."""
    if (product_id * 7 + warehouse * 3 + slot) % 20 == 0:
        return 0
    if product_id % 50 == 0:
        return (product_id + warehouse + slot) % 3
    return (product_id * 37 + warehouse * 11 + slot * 5) % 200 + 1


def _cost(product_id: int) -> Decimal:
    return Decimal(5 + product_id % 400) + Decimal(product_id % 100) / 100


def _rows(products: list[int], warehouses: list[int], locations: dict[int, list[int]]):
    """Balances, levels, reservations and opening moves, one product at a time."""
    for product_id in products:
        cost = _cost(product_id)
        for w_index, warehouse_id in enumerate(warehouses):
            locs = locations[warehouse_id]
            first = (product_id * 7 + w_index * 13) % len(locs)
            total = 0
            balances, moves = [], []
            for slot, location_id in enumerate((locs[first], locs[(first + 1) % len(locs)])):
                qty = _quantity(product_id, w_index, slot)
                total += qty
                balances.append((product_id, warehouse_id, location_id, qty))
                if qty:
                    moves.append((product_id, warehouse_id, location_id, qty, cost))
            reserved = total // 4 if product_id % 5 == 0 else 0
            yield balances, (product_id, warehouse_id, total, reserved), moves


def seed(app, args: argparse.Namespace) -> None:
    import sqlalchemy as sa

    from app.extensions import db
    from app.inventory.models import (
        Location,
        StockBalance,
        StockLevel,
        StockMove,
        StockReservation,
        Warehouse,
    )
    from app.products.models import Product

    with app.app_context():
        have_products = db.session.scalar(sa.select(sa.func.count()).select_from(Product)) > 0
        db.session.remove()
        db.engine.dispose()
    if not have_products:
        import seed as product_seed

        product_seed.load_products(app, args.products, argparse.Namespace(batch=args.batch, fts="rebuild"))
        product_seed.check_fulltext(app)
    with app.app_context():
        if db.session.scalar(sa.select(sa.func.count()).select_from(StockBalance)):
            print("stock already seeded", flush=True)
            return
        t0 = time.perf_counter()
        warehouses = []
        for code, name in (("BW1", "Bench warehouse 1"), ("BW2", "Bench warehouse 2")):
            warehouse = Warehouse(code=code, name=name, address="", note="")
            db.session.add(warehouse)
            db.session.flush()
            warehouses.append(warehouse.id)
            db.session.execute(
                sa.insert(Location.__table__),
                [
                    {
                        "warehouse_id": warehouse.id,
                        "code": f"{'ABCDEFGHIJ'[i // 200]}-{i // 10 % 20 + 1:02d}-{i % 10 + 1:02d}",
                        "name": "",
                        "is_active": True,
                        "created_at": BASE_TIME,
                        "updated_at": BASE_TIME,
                        "version_id": 1,
                    }
                    for i in range(LOCATIONS_PER_WAREHOUSE)
                ],
            )
        db.session.commit()
        locations = {
            w: list(db.session.scalars(sa.select(Location.id).where(Location.warehouse_id == w).order_by(Location.id)))
            for w in warehouses
        }
        products = list(db.session.scalars(sa.select(Product.id).order_by(Product.id)))
        db.session.remove()
        db.engine.dispose()
        counts = {"balances": 0, "levels": 0, "reservations": 0, "moves": 0}
        with benchlib.bulk_load(db.engine, ()) as conn:
            # Costs and reorder levels first, so the moves and the products agree.
            for start in range(0, len(products), args.batch):
                chunk = products[start : start + args.batch]
                conn.execute(
                    sa.update(Product.__table__)
                    .where(Product.__table__.c.id == sa.bindparam("b_id"))
                    .values(avg_cost=sa.bindparam("b_cost"), last_purchase_price=sa.bindparam("b_cost")),
                    [{"b_id": p, "b_cost": _cost(p)} for p in chunk],
                )
            buffers: dict[str, list[dict]] = {k: [] for k in counts}
            tables = {
                "balances": StockBalance.__table__,
                "levels": StockLevel.__table__,
                "reservations": StockReservation.__table__,
                "moves": StockMove.__table__,
            }

            def flush(kind: str, force: bool = False) -> None:
                if buffers[kind] and (force or len(buffers[kind]) >= args.batch):
                    conn.execute(sa.insert(tables[kind]), buffers[kind])
                    counts[kind] += len(buffers[kind])
                    buffers[kind].clear()

            line = 0
            for balances, level, moves in _rows(products, warehouses, locations):
                for product_id, warehouse_id, location_id, qty in balances:
                    buffers["balances"].append(
                        {
                            "product_id": product_id,
                            "warehouse_id": warehouse_id,
                            "location_id": location_id,
                            "on_hand": qty,
                            "updated_at": BASE_TIME,
                        }
                    )
                product_id, warehouse_id, total, reserved = level
                buffers["levels"].append(
                    {
                        "product_id": product_id,
                        "warehouse_id": warehouse_id,
                        "on_hand": total,
                        "reserved": reserved,
                        "updated_at": BASE_TIME,
                    }
                )
                if reserved:
                    line += 1
                    buffers["reservations"].append(
                        {
                            "product_id": product_id,
                            "warehouse_id": warehouse_id,
                            "source_type": "bench_order",
                            "source_id": line,
                            "source_line_id": line,
                            "quantity": reserved,
                            "created_at": BASE_TIME,
                            "updated_at": BASE_TIME,
                        }
                    )
                for product_id, warehouse_id, location_id, qty, cost in moves:
                    buffers["moves"].append(_move(product_id, warehouse_id, location_id, qty, cost, "opening", 0))
                for kind in counts:
                    flush(kind)
                if counts["balances"] and counts["balances"] % 200_000 == 0 and not buffers["balances"]:
                    print(f"  balances {counts['balances']:,} ({time.perf_counter() - t0:.0f} s)", flush=True)
            for kind in counts:
                flush(kind, force=True)
            # The busy product: stock moved back and forth between its two locations in the first
            # warehouse (out of one, into the other, and back), so its balances stay as seeded.
            busy = next(p for p in products[len(products) // 2 :] if _quantity(p, 0, 0) and _quantity(p, 0, 1))
            (first, second), _level, _moves = next(_rows([busy], warehouses, locations))
            steps = [(first, -1, "transfer_out"), (second, 1, "transfer_in"), (second, -1, "transfer_out"),
                     (first, 1, "transfer_in")]  # fmt: skip
            for i in range(args.busy_moves // 4 * 4):
                place, qty, kind = steps[i % 4]
                buffers["moves"].append(_move(busy, place[1], place[2], qty, _cost(busy), kind, i + 1))
                flush("moves")
            flush("moves", force=True)
        print(
            "stock: "
            + ", ".join(f"{v:,} {k}" for k, v in counts.items())
            + f" in {time.perf_counter() - t0:.0f} s (bulk insert, not the posting service)",
            flush=True,
        )
        analyze(app)


def _move(product_id, warehouse_id, location_id, qty, cost, kind, n) -> dict:
    return {
        "created_at": BASE_TIME + timedelta(minutes=n),
        "move_type": kind,
        "product_id": product_id,
        "warehouse_id": warehouse_id,
        "location_id": location_id,
        "quantity": qty,
        "unit_cost": cost,
        "avg_cost_after": cost,
        "source_type": "bench",
        "source_id": None,
        "source_number": "BENCH",
        "reason": "",
        "user_id": None,
    }


def analyze(app) -> None:
    from app.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        if db.engine.dialect.name in ("mysql", "mariadb"):
            for table in ("products", "stock_balances", "stock_levels", "stock_moves", "locations", "warehouses"):
                conn.exec_driver_sql(f"ANALYZE TABLE {table}").all()
        else:
            conn.exec_driver_sql("ANALYZE")
        conn.commit()


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    path: str
    user: str = ADMIN
    kind: str = "html"  # html | json | export


@dataclass
class Result:
    case: Case
    status: int
    rows: int
    times_ms: list[float]
    statements: int
    sql_ms: float
    plans: list = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class SqlRecorder:
    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.count, self.seconds, self.statements, self.keep = 0, 0.0, [], False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self, keep: bool = False) -> None:
        self.count, self.seconds, self.statements, self.keep = 0, 0.0, [], keep

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.seconds += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
        self.count += 1
        if self.keep:
            self.statements.append((statement, parameters))


def ensure_users(app) -> None:
    import sqlalchemy as sa

    from app.auth.models import Role, User
    from app.extensions import db
    from app.inventory.models import Warehouse
    from app.inventory.scope import set_user_warehouses

    with app.app_context():
        for username in (ADMIN, LIMITED):
            if db.session.scalar(sa.select(User.id).where(User.username == username)) is None:
                result = app.test_cli_runner().invoke(
                    args=["create-admin", "--username", username, "--display-name", username, "--email", "",
                          "--password", PASSWORD]
                )  # fmt: skip
                if result.exit_code != 0:
                    sys.exit(f"create-admin failed: {result.output}")
        limited = db.session.scalar(sa.select(User).where(User.username == LIMITED))
        # An administrator limited to the second warehouse (with cost, as a keeper with cost would be).
        assert db.session.scalar(sa.select(Role.id).where(Role.name == "admin"))
        set_user_warehouses(limited.id, {db.session.scalar(sa.select(Warehouse.id).where(Warehouse.code == "BW2"))})
        db.session.commit()
        db.session.remove()


def signed_in(app, username: str):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        sys.exit(f"login as {username} failed: HTTP {response.status_code}")
    return client


def cases(app) -> list[Case]:
    import sqlalchemy as sa

    from app.extensions import db
    from app.inventory.models import StockMove, Warehouse
    from app.products.models import Brand, Category, Product

    with app.app_context():
        w1 = db.session.scalar(sa.select(Warehouse.id).where(Warehouse.code == "BW1"))
        skf = db.session.scalar(sa.select(Brand.id).where(Brand.name == "SKF"))
        category = db.session.scalar(sa.select(Category.id).order_by(Category.id).offset(3).limit(1))
        products = db.session.scalar(sa.select(sa.func.count()).select_from(Product))
        busy = db.session.scalar(sa.select(StockMove.product_id).where(StockMove.move_type == "transfer_out").limit(1))
        some = db.session.scalar(sa.select(Product.id).where(Product.id > products // 3).limit(1))
        db.session.remove()
    deep = 2500
    return [
        Case("overview, first page", "/inventory/"),
        Case(f"overview, page {deep:,}", f"/inventory/?page={deep}"),
        Case("overview, warehouse filter", f"/inventory/?warehouse={w1}"),
        Case("overview, brand filter", f"/inventory/?brand={skf}"),
        Case("overview, category filter", f"/inventory/?category={category}"),
        Case("overview, below reorder level", "/inventory/?show=low"),
        Case("overview, all products", "/inventory/?show=all"),
        Case("overview, search q=6204", "/inventory/?q=6204"),
        Case("overview, search q=6204-2RS", "/inventory/?q=6204-2RS"),
        Case("overview, search q=深沟球", "/inventory/?q=深沟球"),
        Case("overview, sort=brand", "/inventory/?sort=brand"),
        Case("overview, sort=-on_hand", "/inventory/?sort=-on_hand"),
        Case("overview, sort=available", "/inventory/?sort=available"),
        Case("overview, sort=-value", "/inventory/?sort=-value"),
        Case("overview, warehouse + sort=-on_hand", f"/inventory/?warehouse={w1}&sort=-on_hand"),
        Case("overview, totals of all rows", "/inventory/?totals=1"),
        Case("overview, totals of one brand", f"/inventory/?brand={skf}&totals=1"),
        Case("overview, totals of q=6204 (automatic)", "/inventory/?q=6204"),
        Case("overview, limited user, first page", "/inventory/", user=LIMITED),
        Case("overview, limited user, sort=-on_hand", "/inventory/?sort=-on_hand", user=LIMITED),
        Case("by location, first page", "/inventory/by-location"),
        Case(f"by location, page {deep:,}", f"/inventory/by-location?page={deep}"),
        Case("by location, warehouse + location A-01", f"/inventory/by-location?warehouse={w1}&location=A-01"),
        Case("by location, search q=6204", "/inventory/by-location?q=6204"),
        Case("by location, sort=location", "/inventory/by-location?sort=location"),
        Case("by location, warehouse + sort=location", f"/inventory/by-location?warehouse={w1}&sort=location"),
        Case("by location, sort=-on_hand", "/inventory/by-location?sort=-on_hand"),
        Case("by location, totals of all rows", "/inventory/by-location?totals=1"),
        Case("by location, limited user", "/inventory/by-location", user=LIMITED),
        Case("ledger, a product with 4 moves", f"/inventory/products/{some}/ledger"),
        Case("ledger, busy product, first page", f"/inventory/products/{busy}/ledger"),
        Case("ledger, busy product, page 300", f"/inventory/products/{busy}/ledger?page=300"),
        Case("ledger, busy product, oldest first, type filter, page 100",
             f"/inventory/products/{busy}/ledger?sort=date&type=transfer_in&page=100"),
        Case("valuation, today", "/inventory/valuation"),
        Case("valuation, a past date", "/inventory/valuation?date=2025-06-01"),
        Case("valuation, one warehouse, sort=-value", f"/inventory/valuation?warehouse={w1}&sort=-value"),
        Case("typeahead q=6204 (with stock)", "/api/products/search?q=6204", kind="json"),
        Case("product detail (stock panel)", f"/products/{some}"),
        Case("export csv, overview, one brand", f"/inventory/export.csv?brand={skf}", kind="export"),
        Case("export xlsx, overview, one brand", f"/inventory/export.xlsx?brand={skf}", kind="export"),
        Case("export csv, overview, everything", "/inventory/export.csv", kind="export"),
        Case("export csv, by location, everything", "/inventory/by-location/export.csv", kind="export"),
    ]  # fmt: skip


def explain(engine, statements) -> list[tuple[str, list[str]]]:
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
            lines = [str(r[3]) if dialect == "sqlite" else " | ".join(str(c) for c in r) for r in rows]
            out.append((" ".join(statement.split())[:300], lines))
        raw.rollback()
    finally:
        raw.close()
    return out


def measure(app, args: argparse.Namespace) -> list[Result]:
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    recorder = SqlRecorder(engine)
    clients = {user: signed_in(app, user) for user in (ADMIN, LIMITED)}
    results = []
    for case in cases(app):
        if args.only and args.only not in case.label:
            continue
        if case.kind == "export" and args.skip_exports:
            continue
        client = clients[case.user]
        runs, warmup = (1, 0) if case.kind == "export" else (args.runs, args.warmup)
        for _ in range(warmup):
            client.get(case.path).get_data()
        times, status, rows, statements, sql_ms, kept = [], 0, 0, 0, 0.0, []
        for i in range(runs):
            recorder.reset(keep=i == 0)
            t0 = time.perf_counter()
            response = client.get(case.path)
            body = response.get_data()
            times.append((time.perf_counter() - t0) * 1000)
            if i == 0:
                status, statements, sql_ms, kept = (
                    response.status_code,
                    recorder.count,
                    recorder.seconds * 1000,
                    recorder.statements,
                )
                rows = _count(case, body)
        result = Result(case, status, rows, times, statements, sql_ms)
        if args.explain:
            result.plans = explain(engine, kept)
        results.append(result)
        over = "" if case.kind == "export" or result.median < 100 else "  <-- over 100 ms"
        print(
            f"  {case.label}: HTTP {status}, {rows:,} rows, median {result.median:,.1f} ms, p95 {result.p95:,.1f} ms, "
            f"{statements} stmts / {sql_ms:,.1f} ms SQL{over}",
            flush=True,
        )
        for statement, lines in result.plans:
            print(f"      {statement}")
            for line in lines:
                print(f"        {line}")
    return results


def _count(case: Case, body: bytes) -> int:
    import json

    if case.kind == "json":
        return len(json.loads(body)["results"])
    if case.kind == "export":
        if case.path.split("?")[0].endswith(".csv"):
            return body.count(b"\n") - 1
        return len(body)  # bytes of the workbook
    text = body.decode("utf-8", "replace")
    if "<tbody>" not in text:
        return 0
    return len(_TBODY_ROW.findall(text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]))


def main(argv=None) -> int:
    args = parse_args(argv)
    url = args.database_url or f"sqlite:///{benchlib.DEFAULT_SQLITE_DIR / f'erp-bench-stock-p{args.products}.sqlite3'}"
    path = benchlib.sqlite_path(url)
    if path is not None:
        if args.reseed and path.exists():
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    elif args.create_db or args.reseed:
        benchlib.create_database(url)
    with benchlib.bench_environment(url, key_prefix="erpbench-stock:"):
        app = benchlib.make_app()
        benchlib.upgrade(app)
        seed(app, args)
        ensure_users(app)
        print(f"measuring on {benchlib.engine_name(url)} ({url.split('@')[-1]})", flush=True)
        measure(app, args)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
