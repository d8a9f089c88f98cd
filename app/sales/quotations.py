"""Quotation use cases: create and edit drafts, submit for approval, approve or return, send, the
customer's answer, cancel, revise and copy.

Every function flushes and never commits. Amounts are computed here in Decimal from quantities,
unit prices and discounts; whatever totals a browser posts are ignored. Only a draft changes: each
other status is reached through one function below, which checks the status it starts from.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import RolePermission, User, user_roles
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.locking import check_version
from app.core.money import HUNDRED, ZERO, line_amount, margin_percent, round_unit_price, split_tax
from app.core.numbers import next_number
from app.core.realtime import work_changed
from app.customers.models import Customer, CustomerContact
from app.extensions import db
from app.notifications import services as notifications
from app.products.models import Product
from app.sales.models import (
    NUMBER_PREFIX,
    REVISABLE,
    STATUS_LABELS,
    Quotation,
    QuotationLine,
    QuotationStatus,
    SalesOrder,
)
from app.system.settings import approval_limits, company_settings

log = logging.getLogger(__name__)

MAX_LINES = 500
NOTIFY_KIND = "quotation"
notifications.register_kind(NOTIFY_KIND, _l("Quotation"), "file-earmark-text")

# "My work" counts on the dashboard (app/sales/ui.py); open dashboards are told when they move.
WORK_APPROVALS = "approvals_waiting"
WORK_EXPIRING = "quotations_expiring"


def _approvals_moved(quotation: Quotation) -> None:
    work_changed(approvers_of(quotation), WORK_APPROVALS)


def _salesperson_work_moved(quotation: Quotation) -> None:
    work_changed([quotation.salesperson_id], WORK_EXPIRING)


@dataclass
class HeaderData:
    customer_id: int
    contact_id: int | None = None
    salesperson_id: int | None = None  # None: the person creating it
    tax_rate: Decimal | None = None  # None: the company's rate
    prices_include_tax: bool = True
    valid_until: date | None = None  # None: today + the company's validity days
    delivery_terms: str = ""
    payment_terms: str = ""
    note: str = ""


@dataclass
class LineData:
    product_id: int
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = ZERO
    requested_model: str = ""
    requested_quantity: str = ""
    lead_time: str = ""
    note: str = ""


@dataclass
class LineIssue:
    """A rule broken by one line, found when the whole quotation is checked."""

    index: int
    field: str
    message: str


@dataclass
class LinesInvalid(DomainError):
    issues: list[LineIssue] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"#{i.index + 1}: {i.message}" for i in self.issues)


# --- dates ------------------------------------------------------------------------------------


def company_today() -> date:
    """Today in the company's time zone: validity and expiry are counted in it."""
    return utcnow().astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def default_valid_until() -> date:
    return company_today() + timedelta(days=company_settings().quotation_valid_days)


def effective_status(quotation: Quotation, today: date | None = None) -> QuotationStatus:
    """The status as people see it: a sent quotation past its validity is expired."""
    status = QuotationStatus(quotation.status)
    if status == QuotationStatus.SENT and quotation.valid_until < (today or company_today()):
        return QuotationStatus.EXPIRED
    return status


def status_condition(status: QuotationStatus, today: date | None = None) -> sa.ColumnElement[bool]:
    """A WHERE condition selecting quotations whose effective status is ``status``."""
    today = today or company_today()
    if status == QuotationStatus.EXPIRED:
        return sa.and_(Quotation.status == QuotationStatus.SENT.value, Quotation.valid_until < today)
    if status == QuotationStatus.SENT:
        return sa.and_(Quotation.status == QuotationStatus.SENT.value, Quotation.valid_until >= today)
    return Quotation.status == status.value


def status_label(quotation: Quotation) -> str:
    return str(STATUS_LABELS[effective_status(quotation)])


# --- checks -----------------------------------------------------------------------------------


def _require_status(quotation: Quotation, *allowed: QuotationStatus) -> None:
    current = effective_status(quotation)
    if current not in allowed:
        raise DomainError(
            _(
                "Quotation %(number)s is %(status)s: this cannot be done now.",
                number=quotation.label,
                status=str(STATUS_LABELS[current]).lower(),
            )
        )


def _require_current(quotation: Quotation) -> None:
    if not quotation.is_current:
        raise DomainError(
            _(
                "Revision %(revision)d of %(number)s is an old revision.",
                revision=quotation.revision,
                number=quotation.number,
            )
        )


def check_party(header: HeaderData, salesperson_id: int) -> Customer:
    """Check a sales document's customer, contact, salesperson and tax rate; return the customer."""
    customer = db.session.get(Customer, header.customer_id)
    if customer is None or customer.is_deleted:
        raise DomainError(_("Choose a customer."))
    if header.contact_id is not None:
        contact = db.session.get(CustomerContact, header.contact_id)
        if contact is None or contact.customer_id != customer.id:
            raise DomainError(_("The contact does not belong to %(customer)s.", customer=customer.name))
    person = db.session.get(User, salesperson_id)
    if person is None or not person.is_active:
        raise DomainError(_("Choose an active salesperson."))
    rate = header.tax_rate
    if rate is not None and not (ZERO <= rate < HUNDRED):
        raise DomainError(_("The tax rate must be at least 0 and below 100."))
    return customer


def check_lines(lines: Sequence[LineData]) -> dict[int, Product]:
    """Check every line of a sales document (product, quantity, price, discount); return the products."""
    if len(lines) > MAX_LINES:
        raise DomainError(_("A document holds at most %(n)d lines.", n=MAX_LINES))
    products = {
        p.id: p
        for p in db.session.scalars(sa.select(Product).where(Product.id.in_({line.product_id for line in lines})))
    }
    issues: list[LineIssue] = []
    for i, line in enumerate(lines):
        product = products.get(line.product_id)
        if product is None or product.is_deleted:
            issues.append(LineIssue(i, "product_id", _("Choose a product.")))
        if line.quantity is None or line.quantity <= ZERO:
            issues.append(LineIssue(i, "quantity", _("Enter a quantity above 0.")))
        if line.unit_price is None or line.unit_price < ZERO:
            issues.append(LineIssue(i, "unit_price", _("Enter a unit price of 0 or more.")))
        if line.discount_percent is None or not (ZERO <= line.discount_percent <= HUNDRED):
            issues.append(LineIssue(i, "discount_percent", _("Enter a discount from 0 to 100 %.")))
    if issues:
        raise LinesInvalid(issues=issues)
    return products


# --- totals -----------------------------------------------------------------------------------


def compute_totals(quotation: Quotation | SalesOrder) -> None:
    """Round unit prices, compute each line's amount and the document's totals, in Decimal."""
    total = ZERO
    for line in quotation.lines:
        line.unit_price = round_unit_price(line.unit_price)
        line.amount = line_amount(line.quantity, line.unit_price, line.discount_percent)
        total += line.amount
    split = split_tax(total, quotation.tax_rate, quotation.prices_include_tax)
    quotation.total_net, quotation.total_tax, quotation.total_gross = split.net, split.tax, split.gross


def net_unit_price(quotation: Quotation, line: QuotationLine) -> Decimal:
    """The unit price after discount and without tax: what margins are computed on."""
    price = line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED
    if quotation.prices_include_tax:
        price = price / (1 + quotation.tax_rate / HUNDRED)
    return price


def effective_discount(quotation: Quotation, line: QuotationLine) -> Decimal:
    """The discount the customer gets: the line's discount, or more when the price itself is below
    the product's list price (compared on the same tax basis: list prices include tax when the
    quotation's prices do)."""
    discount = line.discount_percent
    list_price = line.product.list_price if line.product is not None else None
    if list_price:
        net = line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED
        below_list = ((list_price - net) / list_price * HUNDRED).quantize(Decimal("0.01"))
        discount = max(discount, below_list)
    return discount


def _set_lines(quotation: Quotation, lines: Sequence[LineData]) -> None:
    old = list(quotation.lines)
    new = []
    for position, data in enumerate(lines, start=1):
        line = old[position - 1] if position <= len(old) else QuotationLine()
        line.position = position
        line.product_id = data.product_id
        line.product = db.session.get(Product, data.product_id)
        line.quantity = data.quantity
        line.unit_price = data.unit_price
        line.discount_percent = data.discount_percent
        line.requested_model = (data.requested_model or "").strip()[:100]
        line.requested_quantity = (data.requested_quantity or "").strip()[:40]
        line.lead_time = (data.lead_time or "").strip()[:60]
        line.note = (data.note or "").strip()[:300]
        new.append(line)
    quotation.lines = new


def _apply_header(quotation: Quotation, header: HeaderData, salesperson_id: int) -> None:
    settings = company_settings()
    quotation.customer_id = header.customer_id
    quotation.contact_id = header.contact_id
    quotation.salesperson_id = salesperson_id
    quotation.tax_rate = header.tax_rate if header.tax_rate is not None else settings.tax_rate
    quotation.prices_include_tax = bool(header.prices_include_tax)
    quotation.valid_until = header.valid_until or default_valid_until()
    quotation.delivery_terms = header.delivery_terms.strip()[:300]
    quotation.payment_terms = header.payment_terms.strip()[:300]
    quotation.note = header.note.strip()


# --- drafts -----------------------------------------------------------------------------------


def create_quotation(header: HeaderData, lines: Sequence[LineData], *, actor_id: int) -> Quotation:
    """Create a draft quotation with a new number."""
    salesperson_id = header.salesperson_id or actor_id
    check_party(header, salesperson_id)
    check_lines(lines)
    quotation = Quotation(number=next_number(NUMBER_PREFIX), revision=1, is_current=True)
    quotation.status = QuotationStatus.DRAFT.value
    _apply_header(quotation, header, salesperson_id)
    _set_lines(quotation, lines)
    compute_totals(quotation)
    db.session.add(quotation)
    db.session.flush()
    log.info("quotation %s created (%d lines)", quotation.label, len(lines))
    return quotation


def _mine(header: HeaderData) -> dict[str, object]:
    return {
        "customer_id": header.customer_id,
        "contact_id": header.contact_id,
        "valid_until": header.valid_until,
        "delivery_terms": header.delivery_terms.strip(),
        "payment_terms": header.payment_terms.strip(),
        "note": header.note.strip(),
    }


def update_quotation(
    quotation: Quotation, header: HeaderData, lines: Sequence[LineData], *, expected_version: int | None
) -> None:
    """Change a draft; refused when someone else saved it since ``expected_version`` was read."""
    check_version(quotation, expected_version, _mine(header))
    _require_status(quotation, QuotationStatus.DRAFT)
    salesperson_id = header.salesperson_id or quotation.salesperson_id
    check_party(header, salesperson_id)
    check_lines(lines)
    _apply_header(quotation, header, salesperson_id)
    _set_lines(quotation, lines)
    compute_totals(quotation)
    db.session.flush()
    log.info("quotation %s saved (%d lines)", quotation.label, len(lines))


def delete_quotation(quotation: Quotation) -> None:
    """Delete a draft; the revision before it, if any, becomes the current one again."""
    _require_status(quotation, QuotationStatus.DRAFT)
    previous = None
    if quotation.revised_from_id is not None:
        previous = db.session.get(Quotation, quotation.revised_from_id)
    db.session.delete(quotation)
    db.session.flush()
    if previous is not None and quotation.is_current:
        previous.is_current = True
        db.session.flush()
    log.info("quotation %s deleted", quotation.label)


# --- approval ---------------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class ApprovalCheck:
    needs_approval: bool
    reasons: list[str]  # safe to show to anyone who may see the quotation (no cost figures)


def check_limits(quotation: Quotation) -> ApprovalCheck:
    """Whether the salesperson's limits let this quotation through without approval."""
    limits = approval_limits(quotation.salesperson_id)
    over_discount: list[str] = []
    under_margin: list[str] = []
    for line in quotation.lines:
        if limits.max_discount_percent is not None:
            discount = effective_discount(quotation, line)
            if discount > limits.max_discount_percent:
                over_discount.append(f"#{line.position} {line.product.model}")
        if limits.min_margin_percent is not None and line.product.avg_cost is not None:
            margin = margin_percent(net_unit_price(quotation, line), line.product.avg_cost)
            if margin is None or margin < limits.min_margin_percent:
                under_margin.append(f"#{line.position} {line.product.model}")
    reasons = []
    if over_discount:
        reasons.append(
            _(
                "Discount above %(limit)s %% on: %(lines)s",
                limit=_plain(limits.max_discount_percent),
                lines=", ".join(over_discount),
            )
        )
    if under_margin:
        reasons.append(
            _(
                "Margin below %(limit)s %% on: %(lines)s",
                limit=_plain(limits.min_margin_percent),
                lines=", ".join(under_margin),
            )
        )
    return ApprovalCheck(bool(reasons), reasons)


def approvers_of(quotation: Quotation, exclude: int | None = None) -> list[int]:
    """Active users who may approve ``quotation``: holders of quotations.approve who can see it."""
    holders = (
        sa.select(user_roles.c.user_id)
        .join(RolePermission, RolePermission.role_id == user_roles.c.role_id)
        .where(RolePermission.permission == "quotations.approve")
    )
    seeing_all = (
        sa.select(user_roles.c.user_id)
        .join(RolePermission, RolePermission.role_id == user_roles.c.role_id)
        .where(RolePermission.permission == "quotations.view_all")
    )
    query = sa.select(User.id).where(
        User.is_active.is_(True),
        User.id.in_(holders),
        sa.or_(User.id.in_(seeing_all), User.id == quotation.salesperson_id),
    )
    if exclude is not None:
        query = query.where(User.id != exclude)
    return list(db.session.scalars(query.order_by(User.id)))


def _link(quotation: Quotation) -> str:
    adapter = current_app.url_map.bind("localhost")
    return adapter.build("sales.quotation_detail", {"quotation_id": quotation.id})


def submit_quotation(quotation: Quotation, *, actor_id: int, expected_version: int | None = None) -> QuotationStatus:
    """Submit a draft: approved at once within the salesperson's limits, else pending approval."""
    check_version(quotation, expected_version, {})
    _require_status(quotation, QuotationStatus.DRAFT)
    _require_current(quotation)
    if not quotation.lines:
        raise DomainError(_("Add at least one line before submitting."))
    if quotation.valid_until < company_today():
        raise DomainError(_("The validity date has passed: choose a later one before submitting."))
    check_lines(
        [LineData(line.product_id, line.quantity, line.unit_price, line.discount_percent) for line in quotation.lines]
    )
    compute_totals(quotation)
    result = check_limits(quotation)
    quotation.submitted_at = utcnow()
    quotation.approval_comment = ""
    if result.needs_approval:
        quotation.status = QuotationStatus.PENDING.value
        quotation.needs_approval_reason = "\n".join(result.reasons)
        quotation.approved_by_id = None
        quotation.approved_at = None
        recipients = approvers_of(quotation, exclude=actor_id)
        number = quotation.label
        notifications.notify(
            recipients,
            NOTIFY_KIND,
            _l("Approval requested: %(number)s", number=number),
            "\n".join(result.reasons),
            _link(quotation),
        )
        _approvals_moved(quotation)
    else:
        quotation.status = QuotationStatus.APPROVED.value
        quotation.needs_approval_reason = ""
        quotation.approved_by_id = None  # within limits: no approver needed
        quotation.approved_at = utcnow()
    db.session.flush()
    log.info("quotation %s submitted: %s", quotation.label, quotation.status)
    return QuotationStatus(quotation.status)


def approve_quotation(
    quotation: Quotation, *, actor_id: int, comment: str = "", expected_version: int | None = None
) -> None:
    """Approve a quotation waiting for approval; nobody approves their own."""
    check_version(quotation, expected_version, {})
    _require_status(quotation, QuotationStatus.PENDING)
    if quotation.salesperson_id == actor_id:
        raise DomainError(_("You cannot approve your own quotation: another approver has to."))
    quotation.status = QuotationStatus.APPROVED.value
    quotation.approved_by_id = actor_id
    quotation.approved_at = utcnow()
    quotation.approval_comment = comment.strip()[:500]
    db.session.flush()
    _approvals_moved(quotation)
    notifications.notify(
        [quotation.salesperson_id],
        NOTIFY_KIND,
        _l("Quotation %(number)s approved", number=quotation.label),
        quotation.approval_comment,
        _link(quotation),
    )
    log.info("quotation %s approved", quotation.label)


def return_quotation(quotation: Quotation, *, actor_id: int, comment: str, expected_version: int | None = None) -> None:
    """Refuse approval: the quotation goes back to draft with the approver's comment."""
    check_version(quotation, expected_version, {})
    _require_status(quotation, QuotationStatus.PENDING)
    comment = comment.strip()
    if not comment:
        raise DomainError(_("Say why the quotation is not approved, so the salesperson can change it."))
    if quotation.salesperson_id == actor_id:
        raise DomainError(_("You cannot approve your own quotation: another approver has to."))
    quotation.status = QuotationStatus.DRAFT.value
    quotation.approval_comment = comment[:500]
    quotation.approved_by_id = actor_id
    quotation.approved_at = None
    db.session.flush()
    _approvals_moved(quotation)
    notifications.notify(
        [quotation.salesperson_id],
        NOTIFY_KIND,
        _l("Quotation %(number)s not approved", number=quotation.label),
        quotation.approval_comment,
        _link(quotation),
    )
    log.info("quotation %s returned to draft", quotation.label)


# --- the customer's side ----------------------------------------------------------------------


def mark_sent(quotation: Quotation, *, expected_version: int | None = None) -> None:
    """Record that an approved quotation went to the customer."""
    check_version(quotation, expected_version, {})
    _require_status(quotation, QuotationStatus.APPROVED)
    quotation.status = QuotationStatus.SENT.value
    quotation.sent_at = utcnow()
    db.session.flush()
    _salesperson_work_moved(quotation)
    log.info("quotation %s sent", quotation.label)


def mark_accepted(quotation: Quotation, *, expected_version: int | None = None) -> None:
    """Record the customer's acceptance of a sent quotation that is still valid."""
    check_version(quotation, expected_version, {})
    if effective_status(quotation) == QuotationStatus.EXPIRED:
        raise DomainError(
            _("Quotation %(number)s has expired: revise it with a new validity date.", number=quotation.label)
        )
    _require_status(quotation, QuotationStatus.SENT)
    quotation.status = QuotationStatus.ACCEPTED.value
    quotation.closed_at = utcnow()
    db.session.flush()
    _salesperson_work_moved(quotation)
    log.info("quotation %s accepted", quotation.label)


def mark_rejected(quotation: Quotation, *, reason: str, expected_version: int | None = None) -> None:
    """Record the customer's rejection, with the reason."""
    check_version(quotation, expected_version, {})
    _require_status(quotation, QuotationStatus.SENT, QuotationStatus.EXPIRED)
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Enter the reason the customer gave."))
    quotation.status = QuotationStatus.REJECTED.value
    quotation.rejection_reason = reason[:500]
    quotation.closed_at = utcnow()
    db.session.flush()
    _salesperson_work_moved(quotation)
    log.info("quotation %s rejected by the customer", quotation.label)


def cancel_quotation(quotation: Quotation, *, expected_version: int | None = None) -> None:
    """Cancel a quotation that has not been answered by the customer."""
    check_version(quotation, expected_version, {})
    _require_status(
        quotation,
        QuotationStatus.DRAFT,
        QuotationStatus.PENDING,
        QuotationStatus.APPROVED,
        QuotationStatus.SENT,
        QuotationStatus.EXPIRED,
    )
    was_pending = quotation.status == QuotationStatus.PENDING.value
    quotation.status = QuotationStatus.CANCELLED.value
    quotation.closed_at = utcnow()
    db.session.flush()
    if was_pending:
        _approvals_moved(quotation)
    _salesperson_work_moved(quotation)
    log.info("quotation %s cancelled", quotation.label)


# --- revisions and copies ---------------------------------------------------------------------


def _copy_lines(source: Quotation) -> list[QuotationLine]:
    return [
        QuotationLine(
            position=line.position,
            requested_model=line.requested_model,
            requested_quantity=line.requested_quantity,
            product_id=line.product_id,
            product=line.product,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            amount=line.amount,
            lead_time=line.lead_time,
            note=line.note,
        )
        for line in source.lines
    ]


def _header_copy(source: Quotation) -> dict:
    return {
        "contact_id": source.contact_id,
        "currency": source.currency,
        "tax_rate": source.tax_rate,
        "prices_include_tax": source.prices_include_tax,
        "delivery_terms": source.delivery_terms,
        "payment_terms": source.payment_terms,
        "note": source.note,
    }


def revise_quotation(quotation: Quotation, *, actor_id: int) -> Quotation:
    """Make revision n+1 of a sent, rejected or expired quotation, as a draft that becomes current."""
    _require_current(quotation)
    if effective_status(quotation) not in REVISABLE:
        _require_status(quotation, *REVISABLE)
    valid_until = max(quotation.valid_until, default_valid_until())
    quotation.is_current = False
    db.session.flush()  # the one-current index sees the old row leave before the new one arrives
    revision = Quotation(
        number=quotation.number,
        revision=quotation.revision + 1,
        is_current=True,
        status=QuotationStatus.DRAFT.value,
        customer_id=quotation.customer_id,
        salesperson_id=quotation.salesperson_id,
        valid_until=valid_until,
        revised_from_id=quotation.id,
        **_header_copy(quotation),
    )
    revision.lines = _copy_lines(quotation)
    compute_totals(revision)
    db.session.add(revision)
    db.session.flush()
    _salesperson_work_moved(quotation)
    log.info("quotation %s revised as %s", quotation.label, revision.label)
    return revision


def copy_quotation(quotation: Quotation, *, customer_id: int, actor_id: int, salesperson_id: int) -> Quotation:
    """Make a new draft (new number) with the same lines, for the same or another customer."""
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.is_deleted:
        raise DomainError(_("Choose a customer."))
    header = _header_copy(quotation)
    if customer_id != quotation.customer_id:
        header["contact_id"] = None
    copy = Quotation(
        number=next_number(NUMBER_PREFIX),
        revision=1,
        is_current=True,
        status=QuotationStatus.DRAFT.value,
        customer_id=customer_id,
        salesperson_id=salesperson_id,
        valid_until=default_valid_until(),
        copied_from_id=quotation.id,
        **header,
    )
    copy.lines = _copy_lines(quotation)
    compute_totals(copy)
    db.session.add(copy)
    db.session.flush()
    log.info("quotation %s copied to %s", quotation.label, copy.label)
    return copy


def revisions_of(number: str) -> list[Quotation]:
    return list(db.session.scalars(sa.select(Quotation).where(Quotation.number == number).order_by(Quotation.revision)))


# --- diff between revisions -------------------------------------------------------------------

DIFF_FIELDS = (
    "requested_model",
    "requested_quantity",
    "quantity",
    "unit_price",
    "discount_percent",
    "amount",
    "lead_time",
    "note",
)


@dataclass(frozen=True)
class LineDiff:
    kind: str  # "added", "removed", "changed", "same"
    old: QuotationLine | None
    new: QuotationLine | None
    changed: tuple[str, ...] = ()


def diff_lines(old: Quotation, new: Quotation) -> list[LineDiff]:
    """Lines of two revisions matched by product (in order of appearance), with what changed."""
    remaining: dict[int, list[QuotationLine]] = {}
    for line in old.lines:
        remaining.setdefault(line.product_id, []).append(line)
    result: list[LineDiff] = []
    for line in new.lines:
        candidates = remaining.get(line.product_id)
        if not candidates:
            result.append(LineDiff("added", None, line))
            continue
        before = candidates.pop(0)
        changed = tuple(f for f in DIFF_FIELDS if getattr(before, f) != getattr(line, f))
        result.append(LineDiff("changed" if changed else "same", before, line, changed))
    for lines in remaining.values():
        result.extend(LineDiff("removed", line, None) for line in lines)
    return result
