"""Fixtures for stock tests: a warehouse with locations, and products."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

D = Decimal


@pytest.fixture
def create_warehouse(app):
    from app.extensions import db
    from app.inventory import services

    def factory(code: str = "SH1", locations: str = "A-01\nA-02\nB-01", allow_negative: bool = False):
        with app.app_context():
            warehouse = services.create_warehouse(
                services.WarehouseData(code=code, name=f"Warehouse {code}", allow_negative=allow_negative)
            )
            services.add_locations(warehouse, locations)
            db.session.commit()
            from app.inventory.models import Location

            locs = {
                loc.code: loc.id
                for loc in db.session.scalars(sa.select(Location).where(Location.warehouse_id == warehouse.id))
            }
            return warehouse.id, locs

    return factory


@pytest.fixture
def stock(app):
    """Read stock figures for assertions."""
    from app.extensions import db
    from app.inventory.models import StockBalance, StockLevel

    class Reader:
        def on_hand(self, product_id, warehouse_id, location_id=None) -> Decimal:
            with app.app_context():
                if location_id is None:
                    level = db.session.scalar(
                        sa.select(StockLevel).where(
                            StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id
                        )
                    )
                    return level.on_hand if level else D(0)
                value = db.session.scalar(
                    sa.select(StockBalance.on_hand).where(
                        StockBalance.product_id == product_id,
                        StockBalance.warehouse_id == warehouse_id,
                        StockBalance.location_id == location_id,
                    )
                )
                return value if value is not None else D(0)

        def reserved(self, product_id, warehouse_id) -> Decimal:
            with app.app_context():
                value = db.session.scalar(
                    sa.select(StockLevel.reserved).where(
                        StockLevel.product_id == product_id, StockLevel.warehouse_id == warehouse_id
                    )
                )
                return value if value is not None else D(0)

    return Reader()
