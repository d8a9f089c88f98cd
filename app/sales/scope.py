"""Own / all scope of quotations: the one query filter every list, page, export and PDF uses.

A user holding ``quotations.view_all`` sees every quotation; one holding only ``quotations.view``
sees those where they are the salesperson. Anything else answers 404, whatever the URL.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from app.auth.access import can
from app.extensions import db
from app.sales.models import Quotation

VIEW_ALL = "quotations.view_all"


def may_view_all(check: Callable[[str], bool] = can) -> bool:
    return check(VIEW_ALL)


def visible_quotations_filter(*, user_id: int | None = None, view_all: bool | None = None) -> sa.ColumnElement[bool]:
    """The condition limiting quotations to those the user may see (the signed-in user by default)."""
    if view_all is None:
        view_all = current_user.is_authenticated and may_view_all()
    if view_all:
        return sa.true()
    if user_id is None:
        if not current_user.is_authenticated:
            return sa.false()
        user_id = int(current_user.get_id())
    return Quotation.salesperson_id == user_id


def visible_quotations() -> sa.Select:
    return sa.select(Quotation).where(visible_quotations_filter())


def load_quotation_or_404(quotation_id: int, *, for_update: bool = False) -> Quotation:
    """The quotation (any revision) if the signed-in user may see it, else 404; ``for_update``
    locks its row for a change of state."""
    query = visible_quotations().where(Quotation.id == quotation_id)
    if for_update:
        query = query.with_for_update(of=Quotation.__table__).execution_options(populate_existing=True)
    quotation = db.session.scalar(query)
    if quotation is None:
        abort(404)
    return quotation
