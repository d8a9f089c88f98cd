"""Posting throughput: stock documents of 1,000 lines through ``app.inventory.posting.post_moves``.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/erp_bench_posting \\
        .venv/bin/python bench/posting_bench.py --create-db          # the goal: >= 5,000 moves/s
    .venv/bin/python bench/posting_bench.py                           # SQLite, for reference
    ... --profile                                                      # cProfile of the timed documents
    DATABASE_URL='mysql+pymysql://root@127.0.0.1:3306/erp_bench_posting?charset=utf8mb4' ...

The database is built from scratch: the real migrations, ``--products`` products from the bench
catalogue (bench/seed.py's loader), two warehouses of ``--locations`` locations each, the default
roles with a warehouse keeper and a purchaser (so the low-stock check has recipients to resolve),
and opening stock of every product at the first location of each warehouse, posted through the
service in documents of ``--lines`` lines (timed too, reported apart).

Each timed document has ``--lines`` lines on distinct products chosen at random, mixed as a
warehouse sees them: receipts into a random location (many of them a product × location pair that
has never held stock, so a new balance row), deliveries and negative adjustments out of the opening
stock (existing balance rows), positive adjustments. The time of a document is the wall time of
``post_moves`` plus the commit, in one connection, as a posting view runs it (``run_with_retry``).
Reported: moves per second over all timed documents, and the median and p95 time per document;
the SQL statements one document sends (executemany batches count once) and the time spent
inside ``cursor.execute``.

SQLite gets a file under /tmp/erp-bench/ (replaced each run); PostgreSQL and MariaDB a database
of their own (``--create-db`` creates it, ``--drop-db`` drops it afterwards).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time
from decimal import Decimal

import benchlib

D = Decimal


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--products", type=int, default=20_000, help="products in the catalogue")
    parser.add_argument("--locations", type=int, default=200, help="locations per warehouse")
    parser.add_argument("--lines", type=int, default=1000, help="lines per document")
    parser.add_argument("--documents", type=int, default=30, help="timed documents")
    parser.add_argument("--warmup", type=int, default=3, help="untimed documents first")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--create-db", action="store_true", help="(re)create the server database first")
    parser.add_argument("--drop-db", action="store_true", help="drop the server database at the end")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the timed documents")
    return parser.parse_args(argv)


def _prepare_database(url: str, args: argparse.Namespace) -> None:
    path = benchlib.sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            candidate = path.with_name(path.name + suffix)
            if candidate.exists():
                candidate.unlink()
    elif args.create_db:
        benchlib.create_database(url)


def _seed(app, args: argparse.Namespace) -> dict:
    import seed as bench_seed
    import sqlalchemy as sa

    from app.auth.models import Role, User
    from app.auth.seed import ensure_default_roles
    from app.auth.services import hash_password
    from app.extensions import db
    from app.inventory import services as inventory
    from app.inventory.models import Location
    from app.products.models import Product

    t0 = time.perf_counter()
    bench_seed.load_products(app, args.products, argparse.Namespace(fts="rebuild", batch=10_000))
    with app.app_context():
        ensure_default_roles()
        roles = {r.name: r for r in db.session.scalars(sa.select(Role))}
        password = hash_password("bench-password-2026")
        for name, role in (("bench_keeper", "warehouse"), ("bench_buyer", "purchaser"), ("bench_admin", "admin")):
            db.session.add(User(username=name, display_name=name, password_hash=password, roles=[roles[role]]))
        places = {}
        for code in ("BW1", "BW2"):
            warehouse = inventory.create_warehouse(inventory.WarehouseData(code=code, name=f"Bench {code}"))
            inventory.add_locations(warehouse, "\n".join(f"L-{i:04d}" for i in range(args.locations)))
            db.session.flush()
            places[warehouse.id] = list(
                db.session.scalars(
                    sa.select(Location.id).where(Location.warehouse_id == warehouse.id).order_by(Location.code)
                )
            )
        product_ids = list(db.session.scalars(sa.select(Product.id).order_by(Product.id)))
        db.session.commit()
    print(
        f"seed: {len(product_ids):,} products, 2 warehouses x {args.locations} locations"
        f" in {time.perf_counter() - t0:.1f} s"
    )
    return {"products": product_ids, "places": places}


def _opening(app, world: dict, lines_per_doc: int) -> None:
    from app.core.db import run_with_retry
    from app.extensions import db
    from app.inventory import posting
    from app.inventory.models import MoveType

    lines = [
        posting.MoveLine(MoveType.OPENING, p, w, locations[0], D(500), D("12.5"))
        for w, locations in world["places"].items()
        for p in world["products"]
    ]
    t0 = time.perf_counter()
    with app.test_request_context("/?lang=en"):
        for n, start in enumerate(range(0, len(lines), lines_per_doc)):
            chunk = lines[start : start + lines_per_doc]
            run_with_retry(db.session, lambda chunk=chunk, n=n: posting.post_moves(chunk, posting.Source("opening", n)))
    seconds = time.perf_counter() - t0
    print(f"opening stock: {len(lines):,} moves in {seconds:.1f} s = {len(lines) / seconds:,.0f} moves/s")


def _document(world: dict, rng: random.Random, size: int):
    from app.inventory import posting
    from app.inventory.models import MoveType

    lines = []
    warehouses = list(world["places"])
    for product in rng.sample(world["products"], size):
        warehouse = rng.choice(warehouses)
        locations = world["places"][warehouse]
        kind = rng.random()
        if kind < 0.45:  # a receipt, mostly into a location that has not held the product
            lines.append(
                posting.MoveLine(
                    MoveType.RECEIPT, product, warehouse, rng.choice(locations[1:]), D(rng.randint(1, 20)), D("11.2")
                )
            )
        elif kind < 0.85:  # a delivery out of the opening stock
            lines.append(posting.MoveLine(MoveType.DELIVERY, product, warehouse, locations[0], D(-rng.randint(1, 3))))
        else:  # an adjustment either way
            qty = D(rng.randint(1, 2)) * (1 if rng.random() < 0.5 else -1)
            lines.append(posting.MoveLine(MoveType.ADJUSTMENT, product, warehouse, locations[0], qty))
    return lines


class StatementCounter:
    """SQL statements and the time inside cursor.execute, per document."""

    def __init__(self, engine) -> None:
        import sqlalchemy as sa

        self.engine = engine
        self.count = 0
        self.seconds = 0.0
        self._started: list[float] = []
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *args) -> None:
        self.count += 1
        self._started.append(time.perf_counter())

    def _after(self, *args) -> None:
        self.seconds += time.perf_counter() - self._started.pop()

    def reset(self) -> tuple[int, float]:
        result = (self.count, self.seconds)
        self.count, self.seconds = 0, 0.0
        return result


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def run(app, world: dict, args: argparse.Namespace) -> dict:
    from app.core.db import run_with_retry
    from app.extensions import db
    from app.inventory import posting

    rng = random.Random(args.seed)
    documents = [_document(world, rng, args.lines) for _ in range(args.warmup + args.documents)]
    with app.app_context():
        counter = StatementCounter(db.engine)
    times, statements, sql_seconds = [], [], []
    profiler = cProfile.Profile() if args.profile else None
    with app.test_request_context("/?lang=en"):
        for n, lines in enumerate(documents):
            timed = n >= args.warmup
            counter.reset()
            if timed and profiler:
                profiler.enable()
            t0 = time.perf_counter()
            run_with_retry(db.session, lambda lines=lines, n=n: posting.post_moves(lines, posting.Source("bench", n)))
            elapsed = time.perf_counter() - t0
            if timed and profiler:
                profiler.disable()
            count, inside = counter.reset()
            if timed:
                times.append(elapsed)
                statements.append(count)
                sql_seconds.append(inside)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())
    moves = args.lines * len(times)
    return {
        "moves_per_s": moves / sum(times),
        "p50_ms": statistics.median(times) * 1000,
        "p95_ms": _percentile(times, 95) * 1000,
        "statements": statistics.median(statements),
        "sql_share": sum(sql_seconds) / sum(times),
    }


def check(app) -> None:
    """The posted figures still agree with the ledger."""
    from app.extensions import db
    from app.inventory import verify

    with app.app_context():
        left = verify.find_differences()
        db.session.rollback()
    print("stock verify after the run:", "clean" if not left else f"{len(left)} DIFFERENCES")
    if left:
        sys.exit(1)


def main(argv=None) -> int:
    args = parse_args(argv)
    url = args.database_url or benchlib.default_sqlite_url(args.products).replace(".sqlite3", "-posting.sqlite3")
    _prepare_database(url, args)
    engine = benchlib.engine_name(url)
    with benchlib.bench_environment(url, key_prefix="erpbench-posting:"):
        app = benchlib.make_app()
        benchlib.upgrade(app)
        world = _seed(app, args)
        _opening(app, world, args.lines)
        result = run(app, world, args)
        check(app)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
    print(
        f"{engine}: {args.documents} documents of {args.lines:,} lines: {result['moves_per_s']:,.0f} moves/s; "
        f"per document p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms; "
        f"{result['statements']:.0f} SQL statements per document, {result['sql_share']:.0%} of the time inside "
        "cursor.execute"
    )
    if args.drop_db and benchlib.sqlite_path(url) is None:
        benchlib.drop_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
