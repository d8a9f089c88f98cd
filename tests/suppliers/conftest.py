"""Fixtures for suppliers: create them through the service, as a user would."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.contacts import ContactData


@pytest.fixture
def create_supplier(app):
    """Create a supplier (committed to the test's savepoint)."""
    from app.extensions import db
    from app.suppliers import services
    from app.suppliers.models import Supplier

    counter = iter(range(1, 1_000_000))

    def factory(name: str | None = None, *, contacts=None, **fields):
        rows = [ContactData(**c) if isinstance(c, dict) else c for c in (contacts or [])]
        data = services.SupplierData(name=name or f"Test Supplier {next(counter)}", contacts=rows, **fields)
        with app.app_context():
            supplier = services.create_supplier(data)
            db.session.commit()
            supplier = db.session.scalar(sa.select(Supplier).where(Supplier.id == supplier.id))
            _ = supplier.contacts, supplier.primary_contact
            db.session.expunge_all()
            return supplier

    return factory
