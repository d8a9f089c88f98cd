"""The quotation lists: quotations (current revisions) and quote lines (报价明细, every line ever
quoted), shared by their pages and exports. Both take the same filters, so the lines of the
quotations a list shows can be exported from it."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, undefer

from app.auth.models import User
from app.core import listview as lv
from app.core.db import price_column
from app.core.listing import contains_pattern
from app.core.money import round_unit_price
from app.core.text import model_key, prefix_range
from app.customers.models import CODE_PREFIX, Customer
from app.extensions import db
from app.products.models import UNITS, Brand, Product
from app.products.search import apply_search
from app.sales import quotations, scope
from app.sales.models import STATUS_LABELS, Quotation, QuotationLine, QuotationStatus


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
    people = db.session.execute(
        sa.select(User.id, User.display_name)
        .where(User.id.in_(sa.select(Quotation.salesperson_id).where(scope.visible_quotations_filter())))
        .order_by(User.display_name)
    ).all()
    return [("", _l("All salespeople"))] + [(str(i), n) for i, n in people]


def _customer(query: sa.Select, value: str) -> sa.Select:
    """A customer by id (links from the customer's page), by code, or by a piece of its name."""
    value = value.strip()
    if value.isdigit():
        return query.where(Quotation.customer_id == int(value))
    return query.where(
        sa.or_(Customer.code == value.upper(), Customer.name.ilike(contains_pattern(value), escape="\\"))
    )


def _model_condition(value: str, product=Product) -> sa.ColumnElement[bool] | None:
    key = model_key(value)
    if not key:
        return None
    low, high = prefix_range(key)
    return sa.and_(product.model_key >= low, product.model_key < high)


def _quotation_model(query: sa.Select, value: str) -> sa.Select:
    """Quotations with a line offering a product whose model starts with ``value`` (separators ignored)."""
    condition = _model_condition(value)
    if condition is None:
        return query
    offered = (
        sa.select(QuotationLine.quotation_id).join(Product, Product.id == QuotationLine.product_id).where(condition)
    )
    return query.where(Quotation.id.in_(offered))


def _common_filters(model_filter) -> list[lv.Filter]:
    return [
        lv.Filter("status", _l("Status"), _status, choices=_status_choices),
        lv.Filter("salesperson", _l("Salesperson"), _salesperson, choices=_salesperson_choices),
        lv.Filter("customer", _l("Customer"), _customer, placeholder=_l("Customer code or name")),
        lv.Filter("model", _l("Model"), model_filter, placeholder=_l("Product model")),
        *lv.date_range_filters(Quotation.created_at),
    ]


# --- quotations -------------------------------------------------------------------------------


def _query() -> sa.Select:
    return (
        sa.select(Quotation)
        .join(Customer, Customer.id == Quotation.customer_id)
        .join(User, User.id == Quotation.salesperson_id)
        .where(scope.visible_quotations_filter(), Quotation.is_current.is_(True))
        .options(undefer(Quotation.line_count))
    )


def _number_condition(q: str) -> sa.ColumnElement[bool]:
    low, high = prefix_range(q.strip().upper())
    return sa.and_(Quotation.number >= low, Quotation.number < high)


def _search(query: sa.Select, q: str) -> sa.Select:
    return query.where(
        sa.or_(
            _number_condition(q),
            Customer.name.ilike(contains_pattern(q), escape="\\"),
            Customer.code == q.strip().upper(),
        )
    )


def _status_value(q: Quotation) -> str:
    return quotations.effective_status(q).value


STATUS_CHOICES = {s.value: label for s, label in STATUS_LABELS.items()}

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
            "status", _l("Status"), expr=Quotation.status, kind=lv.CHOICE, choices=STATUS_CHOICES, value=_status_value
        ),
        lv.Column("salesperson", _l("Salesperson"), expr=User.display_name, value=lambda q: q.salesperson.display_name),
        lv.Column("line_count", _l("Lines"), expr=Quotation.line_count, kind=lv.NUMBER, sortable=False),
        lv.Column("total_gross", _l("Total"), expr=Quotation.total_gross, kind=lv.MONEY, total=True),
        lv.Column("valid_until", _l("Valid until"), expr=Quotation.valid_until, kind=lv.DATE),
        lv.Column("created_at", _l("Created"), expr=Quotation.created_at, kind=lv.DATETIME),
        lv.Column("note", _l("Note"), expr=Quotation.note, in_list=False),
    ],
    filters=[
        *_common_filters(_quotation_model),
        lv.Filter("expires_within", _l("Validity"), _expires_within, choices=_expiry_choices),
    ],
    search=_search,
    search_placeholder=_l("Number or customer"),
    row_url=lambda q: url_for("sales.quotation_detail", quotation_id=q.id),
)


# --- quote lines (报价明细) -------------------------------------------------------------------

_LineBrand = aliased(Brand)
_NUMBER = re.compile(r"^[A-Za-z]{2}\d{4}(-\d*)?$")
_CUSTOMER_CODE = re.compile(rf"^{CODE_PREFIX}\d{{4,}}$", re.IGNORECASE)
REVISIONS = [("current", _l("Current revisions only"))]


def _line_query() -> sa.Select:
    return (
        sa.select(QuotationLine)
        .join(Quotation, Quotation.id == QuotationLine.quotation_id)
        .join(Customer, Customer.id == Quotation.customer_id)
        .join(User, User.id == Quotation.salesperson_id)
        .join(Product, Product.id == QuotationLine.product_id)
        .join(_LineBrand, _LineBrand.id == Product.brand_id)
        .where(scope.visible_quotations_filter())
    )


def _line_model(query: sa.Select, value: str) -> sa.Select:
    condition = _model_condition(value)
    return query if condition is None else query.where(condition)


def _revisions(query: sa.Select, value: str) -> sa.Select:
    return query.where(Quotation.is_current.is_(True)) if value == "current" else query


def _line_search(query: sa.Select, q: str) -> sa.Select:
    """A quotation number ("QT2026-0001"), else a model as people type it ("6204 2rs", "SKF 6204"),
    else a customer's code or a piece of its name. Each takes its own index; an OR of all of them
    would read every line."""
    text = q.strip()
    if _NUMBER.match(text):
        return query.where(_number_condition(text))
    if _CUSTOMER_CODE.match(text):
        return query.where(Customer.code == text.upper())
    if any(ch.isdigit() for ch in text):
        products = apply_search(sa.select(Product.id), text)
        return query.where(QuotationLine.product_id.in_(products))
    return query.where(sa.or_(Customer.code == text.upper(), Customer.name.ilike(contains_pattern(text), escape="\\")))


def _line_status(line: QuotationLine) -> str:
    return quotations.effective_status(line.quotation).value


_DISCOUNTED = QuotationLine.unit_price * (100 - QuotationLine.discount_percent) / 100


def _discounted_price(line: QuotationLine):
    """The unit price after the line's discount, on the quotation's own tax basis."""
    return round_unit_price(line.unit_price * (100 - line.discount_percent) / 100)


QUOTE_LINE_LIST = lv.ListSpec(
    name="quote_lines",
    base_query=_line_query,
    id_column=QuotationLine.id,
    # Newest lines first: line ids follow the order lines were written, and walking them backwards
    # needs no sort of the whole history.
    default_sort="-line",
    per_page=50,
    columns=[
        lv.Column("line", _l("Line"), expr=QuotationLine.id, in_list=False, in_export=False),
        lv.Column(
            "date", _l("Date"), expr=Quotation.created_at, value=lambda ln: ln.quotation.created_at, kind=lv.DATE
        ),
        lv.Column("number", _l("Number"), expr=Quotation.number, value=lambda ln: ln.quotation.label, link=True),
        lv.Column("revision", _l("Revision"), expr=Quotation.revision, in_list=False, kind=lv.NUMBER),
        lv.Column("customer", _l("Customer"), expr=Customer.name, value=lambda ln: ln.quotation.customer.name),
        lv.Column("brand", _l("Brand"), expr=_LineBrand.name, value=lambda ln: ln.product.brand.name),
        lv.Column("model", _l("Model"), expr=Product.model, value=lambda ln: ln.product.model),
        lv.Column("name_zh", _l("Name (Chinese)"), expr=Product.name_zh, in_list=False),
        lv.Column("name_en", _l("Name (English)"), expr=Product.name_en, in_list=False),
        lv.Column("requested_model", _l("Requested model"), expr=QuotationLine.requested_model, sortable=False),
        lv.Column(
            "requested_quantity", _l("Requested quantity"), expr=QuotationLine.requested_quantity, sortable=False
        ),
        lv.Column("quantity", _l("Quantity"), expr=QuotationLine.quantity, kind=lv.QUANTITY),
        lv.Column(
            "unit",
            _l("Unit"),
            expr=Product.unit,
            value=lambda ln: ln.product.unit,
            kind=lv.CHOICE,
            choices=UNITS,
            sortable=False,
        ),
        lv.Column("unit_price", _l("Unit price"), expr=QuotationLine.unit_price, kind=lv.PRICE),
        lv.Column("discount_percent", _l("Discount %"), expr=QuotationLine.discount_percent, kind=lv.NUMBER),
        lv.Column(
            "discounted_price",
            _l("Price after discount"),
            expr=sa.cast(_DISCOUNTED, price_column()),
            value=_discounted_price,
            kind=lv.PRICE,
            sortable=False,
        ),
        lv.Column(
            "prices_include_tax",
            _l("Prices include tax"),
            expr=Quotation.prices_include_tax,
            kind=lv.BOOL,
            in_list=False,
        ),
        lv.Column("amount", _l("Amount"), expr=QuotationLine.amount, kind=lv.MONEY, total=True),
        lv.Column("lead_time", _l("Lead time"), expr=QuotationLine.lead_time, sortable=False),
        lv.Column(
            "status", _l("Status"), expr=Quotation.status, kind=lv.CHOICE, choices=STATUS_CHOICES, value=_line_status
        ),
        lv.Column(
            "salesperson",
            _l("Salesperson"),
            expr=User.display_name,
            value=lambda ln: ln.quotation.salesperson.display_name,
        ),
        lv.Column("note", _l("Note"), expr=QuotationLine.note, in_list=False),
    ],
    filters=[
        *_common_filters(_line_model),
        lv.Filter("revisions", _l("Revisions"), _revisions, choices=lambda: [("", _l("All revisions")), *REVISIONS]),
        # The quotation list's search, so "export lines" there holds the lines of the quotations it lists.
        lv.Filter("quotation_q", _l("Quotation"), _search, hidden=True),
    ],
    search=_line_search,
    search_placeholder=_l("Model, number or customer"),
    row_url=lambda ln: url_for("sales.quotation_detail", quotation_id=ln.quotation_id),
)
