"""Fixtures for customers: create them through the service, as a user would."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.contacts import ContactData


@pytest.fixture
def create_customer(app):
    """Create a customer (committed to the test's savepoint) owned by ``owner`` (a user id or None)."""
    from app.core.db import acting_as
    from app.customers import services
    from app.customers.models import Customer
    from app.extensions import db

    counter = iter(range(1, 1_000_000))

    def factory(
        name: str | None = None, *, owner: int | None = None, contacts=None, actor: int | None = None, **fields
    ):
        rows = [ContactData(**c) if isinstance(c, dict) else c for c in (contacts or [])]
        data = services.CustomerData(
            name=name or f"Test Customer {next(counter)}", contacts=rows, owner_id=owner, **fields
        )
        with app.app_context(), acting_as(actor):
            customer = services.create_customer(data, actor_id=actor, may_assign_owner=True)
            db.session.commit()
            customer = db.session.scalar(sa.select(Customer).where(Customer.id == customer.id))
            _ = customer.contacts, customer.owner, customer.primary_contact
            db.session.expunge_all()
            return customer

    return factory


def customer_form(client, url: str) -> list[tuple[str, str]]:
    """The fields of the customer form as the browser would send them."""
    from tests import support

    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return support.form_fields(support.html(response), "customer-form")
