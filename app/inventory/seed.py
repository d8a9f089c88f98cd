"""Demo data of inventory: two warehouses with their locations."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.inventory.models import Location, Warehouse

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
