"""Quotations at volume: saving a 200-line quotation through the editor, printing it as a PDF, and
the quotation list with 200,000 quotations.

    .venv/bin/python bench/quotations.py                      # SQLite under /tmp/erp-bench/
    .venv/bin/python bench/quotations.py --quotations 20000   # a quicker run
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/erp_bench_quotations \\
        .venv/bin/python bench/quotations.py --create-db

The database is built from scratch with the real migrations: ``--products`` products from the bench
catalogue (bench/seed.py's loader), ``--customers`` customers, ten salespeople and a manager, then
``--quotations`` quotations of 1 to 8 lines each (as a sales team's history looks: current revisions
in every status, dates over two years), loaded in bulk.

Every figure is the server time of a request made in process through Flask's test client, signed
in as a real user: routing, session and permission loading from Redis, the view, the SQL and the
template — what a gunicorn worker spends, without the network. Each is repeated ``--repeat`` times
after one warm-up; median and worst are printed.

- save: GET the editor (it carries the CSRF and one-time tokens), then POST 200 lines as the
  browser does (form parsing, validation of every row, Decimal recomputation, insert, commit).
- PDF: a one-page quotation and the 200-line one, in Chinese with the bundled font (the cache is
  cleared before every print, so each is a real render).
- list: first and deep pages, filters (status, expired, customer, model, dates), searches and sorts,
  as a manager (every quotation) and as a salesperson (own scope).

Targets (issue 5): a 200-line PDF under 2 s, a one-page PDF under 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import benchlib

D = Decimal
STATUSES = [
    ("accepted", 22),
    ("sent", 30),
    ("rejected", 12),
    ("cancelled", 6),
    ("approved", 6),
    ("pending_approval", 4),
    ("draft", 20),
]
PASSWORD = "bench-password-2026"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--quotations", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--create-db", action="store_true", help="(re)create the server database first")
    parser.add_argument("--drop-db", action="store_true", help="drop the server database at the end")
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


# --- seeding ------------------------------------------------------------------------------------


def _people(app) -> dict[str, int]:
    import sqlalchemy as sa

    from app.auth.models import Role, User
    from app.auth.seed import ensure_default_roles
    from app.auth.services import hash_password
    from app.extensions import db

    with app.app_context():
        ensure_default_roles()
        roles = {r.name: r for r in db.session.scalars(sa.select(Role))}
        password = hash_password(PASSWORD)
        for name, role in [("bench_manager", "manager")] + [(f"bench_sales{i}", "sales") for i in range(10)]:
            db.session.add(
                User(username=name, display_name=name, password_hash=password, roles=[roles[role]], locale="zh")
            )
        db.session.commit()
        return dict(db.session.execute(sa.select(User.username, User.id)).all())


def _assign_customers(app, people: dict[str, int]) -> list[tuple[int, int]]:
    """Give every customer one of the ten salespeople; return (customer id, owner id) pairs."""
    import sqlalchemy as sa

    from app.customers.models import Customer
    from app.extensions import db

    sellers = [people[f"bench_sales{i}"] for i in range(10)]
    with app.app_context():
        ids = list(db.session.scalars(sa.select(Customer.id).order_by(Customer.id)))
        pairs = [(cid, sellers[n % len(sellers)]) for n, cid in enumerate(ids)]
        with db.engine.begin() as conn:
            for seller in sellers:
                conn.execute(
                    sa.update(Customer)
                    .where(Customer.id.in_([c for c, s in pairs if s == seller]))
                    .values(owner_id=seller)
                )
        return pairs


def load_quotations(app, count: int, pairs, args) -> None:
    """Insert ``count`` current quotations with their lines in bulk, amounts computed as the service does."""
    import sqlalchemy as sa

    from app.core.money import line_amount, split_tax
    from app.extensions import db
    from app.products.models import Product
    from app.sales.models import Quotation, QuotationLine

    rng = random.Random(args.seed)
    with app.app_context():
        products = db.session.execute(sa.select(Product.id, Product.list_price).order_by(Product.id)).all()
        db.session.remove()
        db.engine.dispose()  # the bulk load needs the database to itself (SQLite leaves WAL only then)
        weights = [w for _s, w in STATUSES]
        statuses = [s for s, _w in STATUSES]
        today = date.today()
        quotations = QuotationLine.__table__, Quotation.__table__
        line_table, quote_table = quotations
        t0 = time.perf_counter()
        lines_total = 0
        with benchlib.bulk_load(db.engine, ()) as conn:
            next_line = 1
            for start in range(0, count, args.batch):
                q_rows, l_rows = [], []
                for n in range(start, min(count, start + args.batch)):
                    qid = n + 1
                    customer_id, seller = pairs[rng.randrange(len(pairs))]
                    created = datetime.now(UTC) - timedelta(days=rng.uniform(0, 730))
                    status = rng.choices(statuses, weights)[0]
                    net_sum = D(0)
                    for position in range(1, rng.randint(1, 8) + 1):
                        product_id, list_price = products[rng.randrange(len(products))]
                        quantity = D(rng.choice([1, 2, 5, 10, 20, 50, 100]))
                        price = (list_price or D(10)) * D(rng.choice([100, 98, 95, 90])) / 100
                        amount = line_amount(quantity, price.quantize(D("0.01")), D(0))
                        net_sum += amount
                        l_rows.append(
                            {
                                "id": next_line,
                                "quotation_id": qid,
                                "position": position,
                                "requested_model": "",
                                "requested_quantity": "",
                                "product_id": product_id,
                                "quantity": quantity,
                                "unit_price": price.quantize(D("0.01")),
                                "discount_percent": D(0),
                                "amount": amount,
                                "lead_time": "",
                                "note": "",
                            }
                        )
                        next_line += 1
                    split = split_tax(net_sum, D(13), True)
                    valid_until = (created + timedelta(days=7)).date()
                    q_rows.append(
                        {
                            "id": qid,
                            "number": f"QT{created.year}-{qid:06d}",
                            "revision": 1,
                            "is_current": True,
                            "status": status,
                            "customer_id": customer_id,
                            "salesperson_id": seller,
                            "currency": "CNY",
                            "tax_rate": D(13),
                            "prices_include_tax": True,
                            "valid_until": valid_until if status != "draft" else today + timedelta(days=7),
                            "delivery_terms": "",
                            "payment_terms": "",
                            "note": "",
                            "total_net": split.net,
                            "total_tax": split.tax,
                            "total_gross": split.gross,
                            "needs_approval_reason": "",
                            "approval_comment": "",
                            "rejection_reason": "",
                            "created_at": created,
                            "updated_at": created,
                            "created_by_id": seller,
                            "version_id": 1,
                        }
                    )
                conn.execute(quote_table.insert(), q_rows)
                conn.execute(line_table.insert(), l_rows)
                lines_total += len(l_rows)
            # The numbering counters continue after the loaded numbers, as if each had been allocated.
            from app.core.numbers import DocumentCounter

            counters = DocumentCounter.__table__
            for year in range(today.year - 3, today.year + 1):
                conn.execute(counters.insert().values(doc_type="QT", year=year, last_value=count))
        seconds = time.perf_counter() - t0
        print(f"quotations: {count:,} with {lines_total:,} lines loaded in {seconds:.1f} s", flush=True)
        benchlib_analyze(db)


def benchlib_analyze(db) -> None:
    with db.engine.connect() as conn:
        if db.engine.dialect.name in ("mysql", "mariadb"):
            for table in ("quotations", "quotation_lines", "customers", "products"):
                conn.exec_driver_sql(f"ANALYZE TABLE {table}").all()
        else:
            conn.exec_driver_sql("ANALYZE")
        conn.commit()


# --- measuring ----------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_ONCE = re.compile(r'name="_once"[^>]*value="([^"]+)"')


def signed_in(app, username: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": _CSRF.search(page).group(1)}
    )
    assert response.status_code == 302, f"sign-in of {username} failed: {response.status_code}"
    return client


def timed(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm-up: the first request of a kind loads templates and fills caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def _get(client, url: str, *, expect: int = 200):
    def run():
        response = client.get(url)
        assert response.status_code == expect, f"{url}: {response.status_code}"
        response.get_data()

    return run


def save_200_lines(app, client, customer_id: int, product_ids: list[int], repeat: int) -> None:
    import sqlalchemy as sa

    from app.extensions import db
    from app.sales.models import Quotation

    created: list[int] = []

    def run():
        page = client.get(f"/quotations/new?customer_id={customer_id}").get_data(as_text=True)
        data = {
            "csrf_token": _CSRF.search(page).group(1),
            "_once": _ONCE.search(page).group(1),
            "customer_id": str(customer_id),
            "salesperson_id": "",
            "tax_rate": "13",
            "prices_include_tax": "y",
            "valid_until": "",
        }
        for i, product_id in enumerate(product_ids[:200]):
            data |= {
                f"lines-{i}-product_id": str(product_id),
                f"lines-{i}-quantity": str(1 + i % 50),
                f"lines-{i}-unit_price": f"{12 + i % 90}.50",
                f"lines-{i}-discount_percent": "0",
                f"lines-{i}-requested_model": f"REQ-{i}",
                f"lines-{i}-lead_time": "现货",
            }
        response = client.post("/quotations/new", data=data)
        assert response.status_code == 302, f"save failed: {response.status_code}"
        created.append(int(response.headers["Location"].rsplit("/", 1)[1]))

    median, worst = timed(run, repeat)
    with app.app_context():
        lines = db.session.scalar(
            sa.select(Quotation.line_count).where(Quotation.id == created[-1]).execution_options()
        )
    print(f"  save a 200-line quotation (GET editor + POST): median {median:.0f} ms, worst {worst:.0f} ms"
          f" ({lines} lines stored)")  # fmt: skip
    return created[-1]


def print_pdfs(app, client, long_id: int, short_id: int, repeat: int) -> None:
    from app.extensions import redis_store

    def render(quotation_id: int):
        def run():
            with app.app_context():
                for key in redis_store.scan_iter(match=redis_store.key("pdf", "*")):
                    redis_store.delete(key)
            response = client.get(f"/quotations/{quotation_id}.pdf?doc_lang=zh")
            assert response.status_code == 200 and response.data.startswith(b"%PDF")

        return run

    for label, qid, target in (("one-page", short_id, 500), ("200-line", long_id, 2000)):
        median, worst = timed(render(qid), max(3, repeat // 3))
        verdict = "ok" if median < target else "MISSED"
        print(f"  PDF {label}: median {median:.0f} ms, worst {worst:.0f} ms (target < {target} ms: {verdict})")


def measure_list(app, people, pairs, repeat: int) -> None:
    import sqlalchemy as sa

    from app.customers.models import Customer
    from app.extensions import db

    manager = signed_in(app, "bench_manager")
    seller = signed_in(app, "bench_sales3")
    with app.app_context():
        customer_id, _owner = pairs[len(pairs) // 2]
        code = db.session.scalar(sa.select(Customer.code).where(Customer.id == customer_id))
    today = date.today()
    cases = [
        ("first page, newest first", "/quotations/"),
        ("page 500", "/quotations/?page=500"),
        ("page 5,000", "/quotations/?page=5000"),
        ("status = sent", "/quotations/?status=sent"),
        ("expired", "/quotations/?status=expired"),
        ("number prefix QT2026-0001", "/quotations/?q=QT2026-0001"),
        ("customer by code", f"/quotations/?customer={code}"),
        ("customer name contains", "/quotations/?customer=%E6%81%92%E9%80%9A"),
        ("model prefix 6204", "/quotations/?model=6204"),
        ("last 30 days", f"/quotations/?from={today - timedelta(days=30)}"),
        ("sorted by total", "/quotations/?sort=-total_gross"),
        ("sorted by customer", "/quotations/?sort=customer"),
        ("quote lines, first page", "/quotations/lines"),
        ("quote lines, model 6204", "/quotations/lines?q=6204"),
    ]
    for who, client in (("manager (all)", manager), ("salesperson (own)", seller)):
        print(f"  list as {who}:")
        for label, url in cases:
            median, worst = timed(_get(client, url), repeat)
            print(f"    {label:<28} median {median:6.1f} ms  worst {worst:6.1f} ms")


def main(argv=None) -> int:
    args = parse_args(argv)
    url = args.database_url or f"sqlite:///{benchlib.DEFAULT_SQLITE_DIR / 'erp-bench-quotations.sqlite3'}"
    _prepare_database(url, args)
    with benchlib.bench_environment(url, key_prefix="erpbench-q:"):
        import seed as bench_seed

        app = benchlib.make_app()
        t0 = time.perf_counter()
        benchlib.upgrade(app)
        load_args = argparse.Namespace(fts="rebuild", batch=args.batch)
        bench_seed.load_products(app, args.products, load_args)
        bench_seed.load_customers(app, args.customers, load_args)
        people = _people(app)
        with app.app_context():
            from app.extensions import db as _db
            from app.system.seed import seed_demo as seed_letterhead

            seed_letterhead(lambda _msg: None)  # the demo letterhead with its logo, as printed
            _db.session.commit()
        pairs = _assign_customers(app, people)
        load_quotations(app, args.quotations, pairs, args)
        print(f"seeded in {time.perf_counter() - t0:.0f} s ({benchlib.engine_name(url)})", flush=True)

        import sqlalchemy as sa

        from app.extensions import db
        from app.products.models import Product

        with app.app_context():
            product_ids = list(db.session.scalars(sa.select(Product.id).order_by(Product.id).limit(400)))
        seller_id = people["bench_sales3"]
        customer_id = next(c for c, s in pairs if s == seller_id)
        seller = signed_in(app, "bench_sales3")
        print("results (in-process server time):")
        long_id = save_200_lines(app, seller, customer_id, product_ids[::2], args.repeat)
        with app.app_context():
            short_id = db.session.scalar(
                sa.text(
                    "SELECT q.id FROM quotations q WHERE q.salesperson_id = :s AND "
                    "(SELECT count(*) FROM quotation_lines l WHERE l.quotation_id = q.id) = 5 LIMIT 1"
                ),
                {"s": seller_id},
            )
        print_pdfs(app, seller, long_id, short_id, args.repeat)
        measure_list(app, people, pairs, args.repeat)
        with app.app_context():
            db.engine.dispose()
    if args.drop_db and benchlib.sqlite_path(url) is None:
        benchlib.drop_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
