"""Fixtures for quotations: made through the service, as the editor would."""

from __future__ import annotations

from decimal import Decimal

import pytest


@pytest.fixture
def create_quotation(app):
    """Create a draft quotation for ``customer_id`` by ``salesperson_id`` with ``lines``
    (tuples of product id, quantity, unit price[, discount %]); returns its id."""
    from app.core.db import acting_as
    from app.extensions import db
    from app.sales import quotations as q

    def factory(customer_id: int, salesperson_id: int, lines, **header) -> int:
        rows = [
            q.LineData(
                product_id=p,
                quantity=Decimal(str(qty)),
                unit_price=Decimal(str(price)),
                discount_percent=Decimal(str(rest[0])) if rest else Decimal(0),
            )
            for p, qty, price, *rest in lines
        ]
        with app.test_request_context("/?lang=en"), acting_as(salesperson_id):
            quotation = q.create_quotation(
                q.HeaderData(customer_id=customer_id, salesperson_id=salesperson_id, **header),
                rows,
                actor_id=salesperson_id,
            )
            db.session.commit()
            return quotation.id

    return factory


@pytest.fixture
def service_as(app):
    """Run ``fn(quotation)`` as ``actor`` inside a request and commit."""
    from app.core.db import acting_as
    from app.extensions import db
    from app.sales.models import Quotation

    def run(actor: int, quotation_id: int, fn):
        with app.test_request_context("/?lang=en"), acting_as(actor):
            result = fn(db.session.get(Quotation, quotation_id))
            db.session.commit()
            return result

    return run
