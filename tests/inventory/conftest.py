"""Fixtures for stock tests: a warehouse with locations, and products."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

D = Decimal


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
