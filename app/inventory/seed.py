"""Demo data of inventory: two warehouses with their locations, and a ledger that tells a story —
opening stock in both warehouses, a few adjustments and transfers, one posted count and one count
still open, all posted through the same services as the pages use."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from app.auth.models import User
from app.core.db import acting_as
from app.extensions import db
from app.inventory import documents
from app.inventory.models import DocType, Location, StockBalance, StockDocument, Warehouse
from app.products.models import Product

WAREHOUSES = [
    # code, name, address, racks (aisle letters × rack numbers × levels)
    ("SH1", "上海总仓", "上海市嘉定区马陆镇宝安公路 2800 号", ("ABC", 5, 4)),
    ("WX1", "无锡分仓", "江苏省无锡市新吴区长江路 18 号", ("R", 20, 3)),
]


def seed_demo(echo: Callable[[str], None]) -> None:
    keeper = db.session.scalar(sa.select(User).where(User.username == "warehouse"))
    created_w = created_l = 0
    for code, name, address, (aisles, racks, levels) in WAREHOUSES:
        warehouse = db.session.scalar(sa.select(Warehouse).where(Warehouse.code == code))
        if warehouse is None:
            warehouse = Warehouse(code=code, name=name, address=address, keeper=keeper, note="")
            db.session.add(warehouse)
            db.session.flush()
            created_w += 1
        existing = set(db.session.scalars(sa.select(Location.code).where(Location.warehouse_id == warehouse.id)))
        for aisle in aisles:
            for rack in range(1, racks + 1):
                for level in range(1, levels + 1):
                    loc = f"{aisle}-{rack:02d}-{level:02d}"
                    if loc not in existing:
                        db.session.add(Location(warehouse=warehouse, code=loc, name=""))
                        created_l += 1
    db.session.flush()
    echo(f"inventory: {created_w} warehouses, {created_l} locations created")
    seed_stock(echo)


# --- stock ----------------------------------------------------------------------------------------

D = Decimal
SEED = 20261121
QUANTITIES = [0, 0, 2, 4, 6, 10, 10, 12, 20, 20, 30, 50, 60, 100, 150, 200, 300]


def _locations(code: str) -> list[Location]:
    warehouse = db.session.scalar(sa.select(Warehouse).where(Warehouse.code == code))
    return list(
        db.session.scalars(sa.select(Location).where(Location.warehouse_id == warehouse.id).order_by(Location.code))
    )


def _cost(product: Product, rng: random.Random) -> Decimal:
    share = D(rng.randint(55, 75)) / 100
    return (product.list_price * share).quantize(D("0.01"), ROUND_HALF_UP)


def _post(doc_type: DocType, header: documents.HeaderData, lines: list[documents.LineData]) -> StockDocument:
    document = documents.create_document(doc_type, header, lines)
    documents.post_document(document)
    return document


def _line(product_id: int, location: Location, quantity, **kw) -> documents.LineData:
    return documents.LineData(product_id=product_id, location_id=location.id, quantity=D(quantity), **kw)


def seed_stock(echo: Callable[[str], None]) -> None:
    if db.session.scalar(sa.select(StockDocument.id).where(StockDocument.doc_type == DocType.OPENING.value).limit(1)):
        echo("inventory: demo stock already there")
        return
    rng = random.Random(SEED)
    keeper = db.session.scalar(sa.select(User.id).where(User.username == "warehouse"))
    manager = db.session.scalar(sa.select(User.id).where(User.username == "manager"))
    sh, wx = _locations("SH1"), _locations("WX1")
    products = list(db.session.scalars(sa.select(Product).where(Product.deleted_at.is_(None)).order_by(Product.id)))
    sh_id, wx_id = sh[0].warehouse_id, wx[0].warehouse_id
    counts = {"documents": 0, "moves": 0}

    # Opening stock, entered by the manager (who sees costs): every product gets a place in SH1,
    # most of them some stock; every third one is stocked in WX1 as well.
    with acting_as(manager):
        for warehouse_id, places, share in ((sh_id, sh, 1), (wx_id, wx, 3)):
            lines = []
            for i, product in enumerate(products):
                if i % share:
                    continue
                quantity = rng.choice(QUANTITIES) // (2 if warehouse_id == wx_id else 1)
                if quantity:
                    location = places[(product.id * 7) % len(places)]
                    lines.append(_line(product.id, location, quantity, unit_cost=_cost(product, rng)))
            for start in range(0, len(lines), documents.MAX_LINES):
                chunk = lines[start : start + documents.MAX_LINES]
                _post(DocType.OPENING, documents.HeaderData(warehouse_id, note="期初库存导入 / opening balance"), chunk)
                counts["documents"] += 1
                counts["moves"] += len(chunk)

    stocked = {
        (b.product_id, b.location_id): b.on_hand
        for b in db.session.scalars(sa.select(StockBalance).where(StockBalance.warehouse_id == sh_id))
    }
    by_location = {loc.id: loc for loc in sh + wx}
    picks = [key for key, qty in sorted(stocked.items()) if qty >= 20][:12]

    with acting_as(keeper):
        # Adjustments with their reasons.
        p, loc = picks[0]
        _post(DocType.ADJUSTMENT, documents.HeaderData(sh_id, reason_code="damaged", reason="叉车碰撞，外圈破损"),
              [_line(p, by_location[loc], -2)])  # fmt: skip
        p, loc = picks[1]
        _post(DocType.ADJUSTMENT, documents.HeaderData(sh_id, reason_code="sample", reason="给客户寄送样品"),
              [_line(p, by_location[loc], -1)])  # fmt: skip
        p, loc = picks[2]
        _post(DocType.ADJUSTMENT, documents.HeaderData(sh_id, reason_code="found", reason="退货区找到"),
              [_line(p, by_location[loc], 3)])  # fmt: skip
        counts["documents"] += 3
        # Transfers: a few products sent to the Wuxi warehouse, one moved to a new rack.
        lines = [_line(p, by_location[loc], 5, to_location_id=wx[(p * 3) % len(wx)].id) for p, loc in picks[3:7]]
        _post(DocType.TRANSFER, documents.HeaderData(sh_id, to_warehouse_id=wx_id, note="补充无锡分仓"), lines)
        p, loc = picks[7]
        empty = next(x for x in sh if (p, x.id) not in stocked)
        _post(DocType.TRANSFER, documents.HeaderData(sh_id, to_warehouse_id=sh_id, note="移到新货架"),
              [_line(p, by_location[loc], 10, to_location_id=empty.id)])  # fmt: skip
        counts["documents"] += 2

        # A count of two racks in WX1, posted with one gain and one loss.
        held = sa.select(StockBalance.location_id).where(StockBalance.warehouse_id == wx_id, StockBalance.on_hand > 0)
        counted = sorted(set(db.session.scalars(held)))[:2]
        count = documents.start_count(wx_id, set(counted), note="月度循环盘点")
        values = {}
        for i, line in enumerate(count.lines):
            delta = 1 if i == 0 else (-1 if i == 1 else 0)
            values[line.id] = max(line.expected_qty + delta, D(0))
        documents.enter_counts(count, values, [], expected_version=None)
        documents.post_document(count)
        # And a count begun in SH1, still being counted.
        documents.start_count(sh_id, {sh[0].id, sh[1].id}, note="A 区抽盘")
        counts["documents"] += 2
    db.session.flush()
    echo(f"inventory: {counts['documents']} stock documents posted ({counts['moves']} opening lines)")
