"""Own / all scope of customers: the one query filter every page, export, picker and later document uses.

A user holding ``customers.view_all`` sees every customer; one holding only ``customers.view`` sees
the customers they own. Anything else answers 404, whatever the URL, so nobody learns that another
salesperson's customer exists by trying ids.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from app.auth.access import can
from app.customers.models import Customer
from app.extensions import db

VIEW_ALL = "customers.view_all"


def may_view_all(check: Callable[[str], bool] = can) -> bool:
    return check(VIEW_ALL)


def may_assign_owner(check: Callable[[str], bool] = can) -> bool:
    """Choosing or changing a customer's owner needs customers.view_all and customers.edit."""
    return check(VIEW_ALL) and check("customers.edit")


def visible_customers_filter(*, user_id: int | None = None, view_all: bool | None = None) -> sa.ColumnElement[bool]:
    """The condition limiting customers to those the user may see (the signed-in user by default)."""
    if view_all is None:
        view_all = current_user.is_authenticated and may_view_all()
    if view_all:
        return sa.true()
    if user_id is None:
        if not current_user.is_authenticated:
            return sa.false()
        user_id = int(current_user.get_id())
    return Customer.owner_id == user_id


def visible_customers() -> sa.Select:
    """Customers the signed-in user may see, deleted ones included."""
    return sa.select(Customer).where(visible_customers_filter())


def load_customer_or_404(customer_id: int, *, for_update: bool = False) -> Customer:
    """The customer if the signed-in user may see it, else 404; ``for_update`` locks its row for a save."""
    query = visible_customers().where(Customer.id == customer_id)
    if for_update:
        query = query.with_for_update(of=Customer.__table__).execution_options(populate_existing=True)
    customer = db.session.scalar(query)
    if customer is None:
        abort(404)
    return customer
