"""Seed a benchmark database: N products (and customers, once app/customers has a model), deterministic.

    .venv/bin/python bench/seed.py --products 1000000 --customers 200000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/erp_bench_pg \\
        .venv/bin/python bench/seed.py --products 1000000 --create-db
    DATABASE_URL='mysql+pymysql://root@127.0.0.1:3306/erp_bench_my?charset=utf8mb4' \\
        .venv/bin/python bench/seed.py --products 1000000 --create-db

The database is DATABASE_URL (default: a new SQLite file under /tmp/erp-bench/ named after the size).
The schema comes from the real migrations (``flask db upgrade``, run in process); brands and
categories from ``app.products.seed.ensure_brands_and_categories``; products are
``catalogue.bench_products(N)`` turned into rows by ``app.products.seed.product_row``, with fixed
timestamps so two runs give the same rows. Rows go in with executemany in batches inside one
transaction. For the load only:

* SQLite: ``journal_mode=OFF, synchronous=OFF`` and a large page cache (WAL is put back afterwards);
  the FTS5 insert trigger is dropped during the load and the index is rebuilt in one pass
  (``INSERT INTO fts_products(fts_products) VALUES('rebuild')``), then the trigger is re-created
  from its own saved definition (``--fts triggers`` keeps the trigger on instead).
* PostgreSQL: the pg_trgm GIN index is dropped and re-created from its saved definition.

Then ANALYZE (``--no-analyze`` skips it). Prints rows/s per table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta

import benchlib

BASE_TIME = datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC)
CUSTOMER_SEED = 20261121


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--products", type=int, default=1_000_000, help="number of products (max ~1,351,000)")
    parser.add_argument("--customers", type=int, default=200_000, help="number of customers (if the model exists)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="default: $DATABASE_URL, else sqlite:////tmp/erp-bench/erp-bench-p<N>.sqlite3",
    )
    parser.add_argument("--batch", type=int, default=10_000, help="rows per executemany")
    parser.add_argument("--force", action="store_true", help="replace an existing SQLite file / server database")
    parser.add_argument("--create-db", action="store_true", help="create the PostgreSQL/MariaDB database first")
    parser.add_argument("--fts", choices=("rebuild", "triggers"), default="rebuild", help="how the FTS index is filled")
    parser.add_argument("--no-analyze", action="store_true", help="skip ANALYZE after the load")
    return parser.parse_args(argv)


def _prepare_target(url: str, args: argparse.Namespace) -> None:
    path = benchlib.sqlite_path(url)
    if path is not None:
        if path.exists():
            if not args.force:
                sys.exit(f"{path} exists; use --force to replace it")
            for suffix in ("", "-wal", "-shm", "-journal"):
                p = path.with_name(path.name + suffix)
                if p.exists():
                    p.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    if args.create_db or args.force:
        benchlib.create_database(url)


def _report(label: str, rows: int, seconds: float) -> None:
    rate = rows / seconds if seconds else 0
    print(f"{label}: {rows:,} rows in {seconds:.1f} s = {rate:,.0f} rows/s", flush=True)


# --- products -------------------------------------------------------------------------------------


def product_rows(count: int, brands: dict[str, int], categories: dict[str, int]):
    from app.products import catalogue
    from app.products.seed import product_row

    # bench_products promises distinct (brand, model) pairs, but some differ only in separators
    # ("1200ETN9" and "1200E" + "-TN9"), which the unique (brand_id, model_key) refuses: 5,117 of
    # the first 1,000,000. Those are skipped and the next pairs taken instead. (Asking for more
    # than needed also avoids bench_products raising when asked for exactly its whole catalogue.)
    seen: set[tuple[int, str]] = set()
    skipped = 0
    pairs = catalogue.bench_products(count + count // 50 + 100)
    for brand, bearing in pairs:
        if len(seen) >= count:
            break
        row = product_row(brands[brand], categories[bearing.category], brand, bearing)
        key = (row["brand_id"], row["model_key"])
        if key in seen:
            skipped += 1
            continue
        # Fixed timestamps, one second apart, so the seed is the same on every run.
        row["created_at"] = row["updated_at"] = BASE_TIME + timedelta(seconds=len(seen))
        seen.add(key)
        yield row
    if len(seen) < count:
        raise ValueError(f"the bench catalogue holds only {len(seen):,} distinct brand + model keys")
    print(f"  skipped {skipped:,} catalogue pairs whose brand + model key repeats an earlier one", flush=True)


def _batches(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_products(app, count: int, args: argparse.Namespace) -> None:
    import sqlalchemy as sa

    from app.extensions import db
    from app.products.models import Product
    from app.products.seed import ensure_brands_and_categories

    with app.app_context():
        if db.session.scalar(sa.select(sa.func.count()).select_from(Product)):
            sys.exit("products already present; use --force to start from an empty database")
        brands, categories = ensure_brands_and_categories()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
        t0 = time.perf_counter()
        insert = Product.__table__.insert()
        fts_tables = ("products",) if args.fts == "rebuild" else ()
        with benchlib.bulk_load(db.engine, fts_tables) as conn:
            done = 0
            for batch in _batches(product_rows(count, brands, categories), args.batch):
                conn.execute(insert, batch)
                done += len(batch)
                if done % 100_000 < args.batch:
                    print(f"  products {done:,} ({done / (time.perf_counter() - t0):,.0f} rows/s)", flush=True)
            _report("products (rows)", done, time.perf_counter() - t0)
        _report("products (rows + full-text index, committed)", done, time.perf_counter() - t0)
        db.engine.dispose()


def check_fulltext(app, tables=(("products", "深沟球"), ("customers", "有限公"))) -> None:
    """Each FTS index must hold exactly its table's rows afterwards."""
    import sqlalchemy as sa

    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
        for table, probe in tables:
            fts = f"fts_{table}"
            if not sa.inspect(db.engine).has_table(fts):
                continue
            total = db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            # 'integrity-check' with rank 1 raises if the external-content index disagrees with the table.
            db.session.execute(sa.text(f"INSERT INTO {fts}({fts}, rank) VALUES('integrity-check', 1)"))
            hits = db.session.scalar(sa.text(f"SELECT count(*) FROM {fts} WHERE {fts} MATCH :p"), {"p": f'"{probe}"'})
            like = db.session.scalar(
                sa.text(f"SELECT count(*) FROM {table} WHERE search_text LIKE :p"), {"p": f"%{probe}%"}
            )
            triggers = db.session.scalars(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t ORDER BY name"),
                {"t": table},
            ).all()
            db.session.rollback()
            print(
                f"  FTS check {table}: integrity-check ok; MATCH {probe!r} {hits:,} = LIKE {like:,} of {total:,}; "
                f"triggers {', '.join(triggers)}",
                flush=True,
            )
            if hits != like:
                sys.exit(f"{fts} out of step with {table}")


# --- customers ------------------------------------------------------------------------------------


def load_customers(app, count: int, args: argparse.Namespace) -> None:
    model = benchlib.customer_model()
    if model is None:
        print(
            f"customers: skipped ({count:,} asked) - app/customers/models.py has no Customer model yet; "
            "run again once it exists",
            flush=True,
        )
        return
    import customers_seed

    customers_seed.load(app, model, count, args.batch, _report)


def analyze(app) -> None:
    import sqlalchemy as sa

    from app.extensions import db

    with app.app_context():
        t0 = time.perf_counter()
        dialect = db.engine.dialect.name
        with db.engine.connect() as conn:
            if dialect in ("mysql", "mariadb"):
                tables = [t for t in sa.inspect(conn).get_table_names() if t in ("brands", "products", "customers")]
                for table in tables:
                    conn.exec_driver_sql(f"ANALYZE TABLE {table}").all()
            else:
                conn.exec_driver_sql("ANALYZE")
            conn.commit()
        print(f"ANALYZE in {time.perf_counter() - t0:.1f} s", flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    url = args.database_url or benchlib.default_sqlite_url(args.products)
    _prepare_target(url, args)
    with benchlib.bench_environment(url):
        app = benchlib.make_app()
        t0 = time.perf_counter()
        benchlib.upgrade(app)
        print(f"schema: flask db upgrade in {time.perf_counter() - t0:.1f} s", flush=True)
        load_products(app, args.products, args)
        load_customers(app, args.customers, args)
        check_fulltext(app)
        if not args.no_analyze:
            analyze(app)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
    path = benchlib.sqlite_path(url)
    size = f", {path.stat().st_size / 1e6:,.0f} MB" if path else ""
    print(f"done: {url}{size}; total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
