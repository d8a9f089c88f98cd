"""Price history (价格历史): the prices a product was offered at, per customer.

Prices come from sources registered here: each is a function that answers a ``PriceQuery`` with
``PricePoint`` rows already limited to what the signed-in user may see. Quotations are the first
source; sales orders (sold prices) add theirs later through ``register_price_source`` without
touching the pages that show the history (the model lookup and the quotation editor's price help).

Only quotations that were really offered count: approved, sent (and so expired), accepted or
rejected — never drafts, those waiting for approval, or cancelled ones. A quotation is seen only
when the user may see both it (own/all by salesperson) and its customer (own/all by owner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.auth.access import can
from app.core.money import ZERO, margin_percent, round_unit_price
from app.customers.models import Customer
from app.customers.scope import visible_customers_filter
from app.extensions import db
from app.sales.models import STATUS_LABELS, Quotation, QuotationLine, QuotationStatus
from app.sales.quotations import company_today, effective_status, net_unit_price
from app.sales.scope import visible_quotations_filter

Checker = Callable[[str], bool]

# Stored statuses of quotations that went (or were cleared to go) to the customer.
OFFERED_STATUSES = (
    QuotationStatus.APPROVED.value,
    QuotationStatus.SENT.value,
    QuotationStatus.ACCEPTED.value,
    QuotationStatus.REJECTED.value,
)


@dataclass(frozen=True)
class PriceQuery:
    """Which prices to read: one product, optionally one customer, the latest ``per_customer``
    of each customer, for the ``max_customers`` customers offered it most recently."""

    product_id: int
    customer_id: int | None = None
    per_customer: int = 3
    max_customers: int = 50


@dataclass(frozen=True)
class PricePoint:
    """One price offered to a customer, from one line of one document."""

    source: str
    customer_id: int
    customer_name: str
    at: datetime  # when it was offered (aware UTC)
    document_id: int
    document_label: str
    endpoint: str  # the document's page, built with {"<source>_id": document_id}
    url_values: dict[str, Any]
    status: str
    status_label: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    net_unit_price: Decimal  # after discount and without tax: what margins are computed on
    prices_include_tax: bool


@dataclass(frozen=True)
class PriceSource:
    key: str
    label: Any
    fetch: Callable[[PriceQuery], list[PricePoint]]
    permissions: tuple[str, ...] = ()


@dataclass
class CustomerPrices:
    customer_id: int
    customer_name: str
    points: list[PricePoint] = field(default_factory=list)


@dataclass
class PriceHistory:
    customers: list[CustomerPrices]
    has_more_customers: bool = False

    @property
    def points(self) -> list[PricePoint]:
        return [p for c in self.customers for p in c.points]


_sources: dict[str, PriceSource] = {}


def register_price_source(source: PriceSource) -> None:
    """Add (or replace) a source of price points, read by every price history."""
    _sources[source.key] = source


def price_history(query: PriceQuery, check: Checker = can) -> PriceHistory:
    """Gather the visible prices of every source the user may read, grouped by customer.

    Customers come newest first (by their latest price), each with its latest prices first.
    """
    points: list[PricePoint] = []
    for source in _sources.values():
        if all(check(p) for p in source.permissions):
            points.extend(source.fetch(query))
    points.sort(key=lambda p: (p.at, p.source, p.document_id), reverse=True)
    groups: dict[int, CustomerPrices] = {}
    for point in points:
        group = groups.get(point.customer_id)
        if group is None:
            group = groups[point.customer_id] = CustomerPrices(point.customer_id, point.customer_name)
        if len(group.points) < query.per_customer:
            group.points.append(point)
    customers = list(groups.values())
    return PriceHistory(customers[: query.max_customers], len(customers) > query.max_customers)


def margin_for(net_price: Decimal, cost: Decimal | None) -> Decimal | None:
    """Margin % of a net price over ``cost``; None while no cost is known (a product never bought
    has a moving average of 0, and a margin of 100 % would mislead)."""
    if cost is None or cost <= ZERO:
        return None
    return margin_percent(net_price, cost)


# --- quotations, the first source ---------------------------------------------------------------


@dataclass(frozen=True)
class _Offer:
    """The fields of a quotation and its line that the quotation rules read, from one result row,
    so the net price and the expired status come from the same functions the editor uses."""

    status: str
    valid_until: date
    prices_include_tax: bool
    tax_rate: Decimal
    unit_price: Decimal
    discount_percent: Decimal


def _offered_at() -> sa.ColumnElement[datetime]:
    return sa.func.coalesce(Quotation.sent_at, Quotation.approved_at, Quotation.submitted_at, Quotation.created_at)


def quotation_prices(query: PriceQuery) -> list[PricePoint]:
    """Prices offered in the quotations the user may see, to customers the user may see."""
    offered_at = _offered_at()
    conditions = [
        QuotationLine.product_id == query.product_id,
        Quotation.status.in_(OFFERED_STATUSES),
        visible_quotations_filter(),
        visible_customers_filter(),
    ]
    if query.customer_id is not None:
        conditions.append(Quotation.customer_id == query.customer_id)
    # Rank lines within their customer (newest first) and customers by their newest line, in SQL,
    # so a product quoted thousands of times costs one indexed scan and returns only what is shown.
    per_line = (
        sa.select(
            QuotationLine.id.label("line_id"),
            Quotation.customer_id.label("customer_id"),
            offered_at.label("offered_at"),
            sa.func.row_number()
            .over(partition_by=Quotation.customer_id, order_by=(offered_at.desc(), QuotationLine.id.desc()))
            .label("line_rank"),
            sa.func.max(offered_at).over(partition_by=Quotation.customer_id).label("customer_latest"),
        )
        .join(Quotation, Quotation.id == QuotationLine.quotation_id)
        .join(Customer, Customer.id == Quotation.customer_id)
        .where(*conditions)
        .subquery()
    )
    ranked = sa.select(
        per_line,
        sa.func.dense_rank()
        .over(order_by=(per_line.c.customer_latest.desc(), per_line.c.customer_id.desc()))
        .label("customer_rank"),
    ).subquery()
    rows = db.session.execute(
        sa.select(
            ranked.c.offered_at,
            Quotation.id,
            Quotation.number,
            Quotation.revision,
            Quotation.status,
            Quotation.valid_until,
            Quotation.prices_include_tax,
            Quotation.tax_rate,
            Quotation.customer_id,
            Customer.name,
            QuotationLine.quantity,
            QuotationLine.unit_price,
            QuotationLine.discount_percent,
        )
        .select_from(ranked)
        .join(QuotationLine, QuotationLine.id == ranked.c.line_id)
        .join(Quotation, Quotation.id == QuotationLine.quotation_id)
        .join(Customer, Customer.id == Quotation.customer_id)
        .where(ranked.c.line_rank <= query.per_customer, ranked.c.customer_rank <= query.max_customers + 1)
        .order_by(ranked.c.customer_rank, ranked.c.line_rank)
    ).all()
    today = company_today()
    points = []
    for row in rows:
        offer = _Offer(
            row.status, row.valid_until, row.prices_include_tax, row.tax_rate, row.unit_price, row.discount_percent
        )
        status = effective_status(offer, today)
        points.append(
            PricePoint(
                source="quotation",
                customer_id=row.customer_id,
                customer_name=row.name,
                at=row.offered_at,
                document_id=row.id,
                document_label=row.number if row.revision == 1 else f"{row.number} R{row.revision}",
                endpoint="sales.quotation_detail",
                url_values={"quotation_id": row.id},
                status=status.value,
                status_label=str(STATUS_LABELS[status]),
                quantity=row.quantity,
                unit_price=row.unit_price,
                discount_percent=row.discount_percent,
                net_unit_price=round_unit_price(net_unit_price(offer, offer)),
                prices_include_tax=row.prices_include_tax,
            )
        )
    return points


register_price_source(PriceSource("quotation", _l("Quotation"), quotation_prices, permissions=("quotations.view",)))
