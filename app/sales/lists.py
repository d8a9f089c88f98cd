"""The quotation list, shared by the page, the approval queue and the export."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import undefer

from app.auth.models import User
from app.core import listview as lv
from app.core.listing import contains_pattern
from app.core.text import prefix_range
from app.customers.models import Customer
from app.sales import quotations, scope
from app.sales.models import STATUS_LABELS, Quotation, QuotationStatus


def _query() -> sa.Select:
    return (
        sa.select(Quotation)
        .join(Customer, Customer.id == Quotation.customer_id)
        .join(User, User.id == Quotation.salesperson_id)
        .where(scope.visible_quotations_filter(), Quotation.is_current.is_(True))
        .options(undefer(Quotation.line_count))
    )


def _status(query: sa.Select, value: str) -> sa.Select:
    try:
        status = QuotationStatus(value)
    except ValueError:
        return query
    return query.where(quotations.status_condition(status))


def _status_choices() -> list[tuple[str, str]]:
    return [("", _l("All statuses"))] + [(s.value, label) for s, label in STATUS_LABELS.items()]


EXPIRY_WINDOWS = (3, 7)


def _expires_within(query: sa.Select, value: str) -> sa.Select:
    """Valid until today or within the next ``value`` days (combine with status "sent")."""
    if not value.isdigit() or int(value) not in EXPIRY_WINDOWS:
        return query
    today = quotations.company_today()
    return query.where(Quotation.valid_until.between(today, today + timedelta(days=int(value))))


def _expiry_choices() -> list[tuple[str, str]]:
    return [("", _l("Any validity"))] + [(str(n), _l("Expiring within %(n)d days", n=n)) for n in EXPIRY_WINDOWS]


def _salesperson(query: sa.Select, value: str) -> sa.Select:
    return query.where(Quotation.salesperson_id == int(value)) if value.isdigit() else query


def _salesperson_choices() -> list[tuple[str, str]]:
    from app.extensions import db

    people = db.session.execute(
        sa.select(User.id, User.display_name)
        .where(User.id.in_(sa.select(Quotation.salesperson_id).where(scope.visible_quotations_filter())))
        .order_by(User.display_name)
    ).all()
    return [("", _l("All salespeople"))] + [(str(i), n) for i, n in people]


def _search(query: sa.Select, q: str) -> sa.Select:
    number = q.strip().upper()
    low, high = prefix_range(number)
    pattern = contains_pattern(q)
    return query.where(
        sa.or_(
            sa.and_(Quotation.number >= low, Quotation.number < high),
            Customer.name.ilike(pattern, escape="\\"),
            Customer.code == q.strip().upper(),
        )
    )


def _status_value(q: Quotation) -> str:
    return quotations.effective_status(q).value


QUOTATION_LIST = lv.ListSpec(
    name="quotations",
    base_query=_query,
    id_column=Quotation.id,
    default_sort="-number",
    columns=[
        lv.Column("number", _l("Number"), expr=Quotation.number, link=True),
        lv.Column("revision", _l("Revision"), expr=Quotation.revision, kind=lv.NUMBER),
        lv.Column("customer", _l("Customer"), expr=Customer.name, value=lambda q: q.customer.name),
        lv.Column(
            "status",
            _l("Status"),
            expr=Quotation.status,
            kind=lv.CHOICE,
            choices={s.value: label for s, label in STATUS_LABELS.items()},
            value=_status_value,
        ),
        lv.Column("salesperson", _l("Salesperson"), expr=User.display_name, value=lambda q: q.salesperson.display_name),
        lv.Column("line_count", _l("Lines"), expr=Quotation.line_count, kind=lv.NUMBER, sortable=False),
        lv.Column("total_gross", _l("Total"), expr=Quotation.total_gross, kind=lv.MONEY, total=True),
        lv.Column("valid_until", _l("Valid until"), expr=Quotation.valid_until, kind=lv.DATE),
        lv.Column("created_at", _l("Created"), expr=Quotation.created_at, kind=lv.DATETIME),
        lv.Column("note", _l("Note"), expr=Quotation.note, in_list=False),
    ],
    filters=[
        lv.Filter("status", _l("Status"), _status, choices=_status_choices),
        lv.Filter("salesperson", _l("Salesperson"), _salesperson, choices=_salesperson_choices),
        lv.Filter("expires_within", _l("Validity"), _expires_within, choices=_expiry_choices),
    ],
    search=_search,
    search_placeholder=_l("Number or customer"),
    row_url=lambda q: url_for("sales.quotation_detail", quotation_id=q.id),
)
