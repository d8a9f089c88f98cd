"""Load the peer benchmark's seed (../shared/peer-bench/seed_data.py) into our schema.

    .venv/bin/python bench/load_peer_seed.py --seed-db /tmp/bench-data/seed-p100000-c20000-s20240601.sqlite \\
        --database-url sqlite:////tmp/ours.sqlite --keep-plain 100000,50020,99744,50000

Run after ``flask db upgrade`` on the target database (bench/targets/ours.sh does both). Products
keep their seed ids, so the peer harness's expected rows (page 1, page 2,500, the first hit of
"6204", the record it shows and edits) are the same rows in our app. The mapping:

* brand: one ``brands`` row per seed brand (the catalogue's brands with their Chinese names through
  ``ensure_brands_and_categories``, then the seed's others: KOYO, INA, LYC);
* model as is; name split by script: words with Chinese characters to ``name_zh``, the others to
  ``name_en``; the category from the bearing family in the name;
* spec: ``d x D x B mm`` into bore/outer diameter and width; the whole spec text into ``note``
  (so the detail page shows it, as the peers' detail pages do);
* unit: 套/set -> set, 个/只/pcs -> pcs; list_price; cost -> avg_cost; created_at (UTC);
  qty is dropped (stock on hand belongs to the inventory domain, not to the product).

The seed repeats brand + model (100,000 rows hold 37,302 distinct pairs), which our unique
(brand_id, model_key) refuses. Within each group of rows sharing brand + normalised model, one row
keeps the model as it is: a row named in ``--keep-plain`` if the group has one (the harness checks
those rows' models verbatim, e.g. ``value="6321"`` on the edit form), else the lowest id. The other
rows get ``-D2``, ``-D3``, ... in id order (a number whose key is taken already is skipped). The
suffix is appended, so every renamed model still starts with the seed's model and a model search
finds exactly the rows the peers find.

Customers are loaded too when our schema has a ``customers`` table (name made unique the same
way, with " (2)", " (3)", ...); otherwise a note says they were skipped.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import benchlib

FAMILIES = {
    "深沟球轴承": "DGBB",
    "圆柱滚子轴承": "CRB",
    "调心滚子轴承": "SRB",
    "圆锥滚子轴承": "TRB",
    "角接触球轴承": "ACBB",
    "调心球轴承": "SABB",
    "推力球轴承": "TBB",
    "带座外球面轴承": "UNIT",
}
UNITS = {"套": "set", "set": "set", "个": "pcs", "只": "pcs", "pcs": "pcs"}
BRAND_ZH = {"KOYO": "光洋", "INA": "依纳", "LYC": "洛轴"}
_CJK = re.compile(r"[\u3400-\u9fff]")
_DIMS = re.compile(r"^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?) mm")
_BORE = re.compile(r"^bore (\d+(?:\.\d+)?) mm")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--seed-db", required=True, help="the peer seed (SQLite)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="default: $DATABASE_URL")
    parser.add_argument("--keep-plain", default="", help="comma-separated product ids that keep their model as is")
    parser.add_argument("--batch", type=int, default=5000)
    return parser.parse_args(argv)


def split_name(name: str) -> tuple[str, str]:
    zh, en = [], []
    for word in name.split():
        (zh if _CJK.search(word) else en).append(word)
    return " ".join(zh), " ".join(en)


def dimensions(spec: str) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    if m := _DIMS.match(spec or ""):
        return Decimal(m.group(1)), Decimal(m.group(2)), Decimal(m.group(3))
    if m := _BORE.match(spec or ""):
        return Decimal(m.group(1)), None, None
    return None, None, None


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def unique_models(rows: list[tuple], keep_plain: set[int], model_key) -> tuple[dict[int, str], int]:
    """{product id: model to store}; rows are (id, brand, model) in id order."""
    groups: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for pid, brand, model in rows:
        groups[(brand, model_key(model))].append((pid, model))
    taken = set(groups)
    out: dict[int, str] = {}
    renamed = 0
    for (brand, _key), members in groups.items():
        kept = [pid for pid, _m in members if pid in keep_plain]
        if len(kept) > 1:
            sys.exit(f"--keep-plain ids {kept} share brand {brand} and one model; only one can keep it")
        winner = kept[0] if kept else members[0][0]
        n = 1
        for pid, model in members:
            if pid == winner:
                out[pid] = model
                continue
            while True:
                n += 1
                candidate = f"{model}-D{n}"
                if (brand, model_key(candidate)) not in taken:
                    break
            taken.add((brand, model_key(candidate)))
            out[pid] = candidate
            renamed += 1
    return out, renamed


def load_products(app, seed: sqlite3.Connection, keep_plain: set[int], batch: int) -> None:
    import sqlalchemy as sa

    from app.core.text import model_key, normalize
    from app.extensions import db
    from app.products.models import Brand, Product
    from app.products.seed import ensure_brands_and_categories

    t0 = time.perf_counter()
    with app.app_context():
        if db.session.scalar(sa.select(sa.func.count()).select_from(Product)):
            sys.exit("the target database already holds products")
        brands, categories = ensure_brands_and_categories()
        for (name,) in seed.execute("SELECT DISTINCT brand FROM product ORDER BY brand"):
            if name not in brands:
                brand = Brand(name=name, name_key=Brand.key_for(name), name_zh=BRAND_ZH.get(name, ""), note="")
                db.session.add(brand)
                db.session.flush()
                brands[name] = brand.id
        db.session.commit()
        source = seed.execute(
            "SELECT id, brand, model, name, spec, unit, list_price, cost, qty, created_at FROM product ORDER BY id"
        ).fetchall()
        models, renamed = unique_models([(r[0], r[1], r[2]) for r in source], keep_plain, model_key)
        rows = []
        for pid, brand, _model, name, spec, unit, list_price, cost, _qty, created in source:
            name_zh, name_en = split_name(name)
            family = name_zh.split()[0] if name_zh else ""
            bore, outer, width = dimensions(spec)
            model = models[pid]
            rows.append(
                {
                    "id": pid,
                    "brand_id": brands[brand],
                    "model": model,
                    "model_key": model_key(model),
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "search_text": normalize(f"{name_zh} {name_en}")[:420],
                    "category_id": categories.get(FAMILIES.get(family, "")),
                    "unit": UNITS.get(unit, "pcs"),
                    "bore_d": bore,
                    "outer_d": outer,
                    "width_b": width,
                    "weight_kg": None,
                    "list_price": Decimal(str(list_price)),
                    "avg_cost": Decimal(str(cost)),
                    "reorder_level": Decimal(0),
                    "is_active": True,
                    "note": spec or "",
                    "created_at": utc(created),
                    "updated_at": utc(created),
                    "version_id": 1,
                }
            )
        table = Product.__table__
        db.session.remove()
        with benchlib.bulk_load(db.engine, ("products",)) as conn:
            for i in range(0, len(rows), batch):
                conn.execute(table.insert(), rows[i : i + batch])
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('products', 'id'), max(id)) FROM products")
        el = time.perf_counter() - t0
        print(
            f"products: {len(rows):,} loaded in {el:.1f} s ({len(rows) / el:,.0f} rows/s); {renamed:,} renamed "
            f"with a -D<n> suffix to make brand + model unique; {len(brands)} brands; kept plain: "
            + ", ".join(f"{pid}={models[pid]}" for pid in sorted(keep_plain) if pid in models),
            flush=True,
        )


def load_customers(app, seed: sqlite3.Connection, batch: int) -> None:
    import sqlalchemy as sa

    from app.extensions import db

    model = benchlib.customer_model()
    with app.app_context():
        present = model is not None and sa.inspect(db.engine).has_table(model.__tablename__)
    if not present:
        print("customers: skipped - our schema has no customers table yet", flush=True)
        return
    import customers_seed

    source = seed.execute("SELECT id, name, contact, phone, email, city, created_at FROM customer ORDER BY id")
    customers_seed.load_peer(app, model, source.fetchall(), batch)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.database_url:
        sys.exit("give --database-url or set DATABASE_URL")
    keep_plain = {int(x) for x in args.keep_plain.split(",") if x.strip()}
    seed = sqlite3.connect(f"file:{args.seed_db}?mode=ro", uri=True)
    with benchlib.bench_environment(args.database_url):
        app = benchlib.make_app()
        load_products(app, seed, keep_plain, args.batch)
        load_customers(app, seed, args.batch)
        with app.app_context():
            from app.extensions import db

            with db.engine.begin() as conn:
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("ANALYZE")
            db.engine.dispose()
    seed.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
