"""What the quotation and order editors share: the customer in the user's scope, the contacts of
that customer, who may be the salesperson, and the labels of the products already on the lines."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_login import current_user

from app.auth.access import holders_of
from app.auth.models import User
from app.customers import scope as customer_scope
from app.customers.models import Customer
from app.extensions import db
from app.products.models import Product


def me() -> int:
    return int(current_user.get_id())


def visible_customer(customer_id: int | None) -> Customer | None:
    """The customer if the user may see it and it is not deleted."""
    if customer_id is None:
        return None
    return db.session.scalar(
        customer_scope.visible_customers().where(Customer.id == customer_id, Customer.deleted_at.is_(None))
    )


def salespeople(permission: str, current_id: int | None) -> list[tuple[int, str]]:
    """Who may be a document's salesperson: active holders of ``permission`` (and whoever it is now)."""
    query = sa.select(User.id, User.display_name).where(
        sa.or_(sa.and_(User.is_active.is_(True), User.id.in_(holders_of(permission))), User.id == (current_id or 0))
    )
    return [(i, name) for i, name in db.session.execute(query.order_by(User.display_name))]


def fill_party(form, *, view_all: bool, permission: str, salesperson_id: int | None) -> Customer | None:
    """Set the choices of the form's customer, contact and salesperson selects; without
    ``view_all`` the salesperson is always the user. Return the chosen customer, if visible."""
    customer = visible_customer(form.customer_id.data)
    form.customer_id.choices = [("", "—")] + ([(customer.id, f"{customer.code} {customer.name}")] if customer else [])
    form.contact_id.choices = [("", "—")] + [(c.id, c.name) for c in (customer.contacts if customer else [])]
    if view_all:
        form.salesperson_id.choices = salespeople(permission, salesperson_id)
    else:
        form.salesperson_id.choices = [(me(), current_user.display_name)]
        form.salesperson_id.data = me()
    return customer


def product_labels(product_ids: Iterable[int | None]) -> dict[int, str]:
    """ "Brand model" of the products already chosen on the lines, for their pickers."""
    ids = {p for p in product_ids if p}
    if not ids:
        return {}
    return {
        p.id: f"{p.brand.name} {p.model}" for p in db.session.scalars(sa.select(Product).where(Product.id.in_(ids)))
    }
