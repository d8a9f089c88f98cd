"""Quotation PDF (报价单) and print page, in the document's language (app/core/pdf.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.core import pdf as core_pdf
from app.products.models import UNITS
from app.sales.models import STATUS_LABELS, Quotation, QuotationLine, QuotationStatus
from app.sales.quotations import effective_status

LANGUAGES = core_pdf.LANGUAGES
TEMPLATE = "sales/pdf/quotation.html"
# A document in one of these states is not an offer yet (or no longer one): it says so on every page.
WATERMARKED = {
    QuotationStatus.DRAFT: QuotationStatus.DRAFT,
    QuotationStatus.PENDING: QuotationStatus.DRAFT,
    QuotationStatus.CANCELLED: QuotationStatus.CANCELLED,
}
CURRENCY_NAMES = {"CNY": _l("Chinese yuan (CNY)")}
COLUMNS = {
    "position": _l("No."),
    "model": _l("Model"),
    "name": _l("Product name"),
    "requested": _l("Requested model / qty"),
    "quantity": _l("Quantity"),
    "unit_price": _l("Unit price"),
    "discount": _l("Discount %"),
    "amount": _l("Amount"),
    "lead_time": _l("Lead time"),
}


def document_language(quotation: Quotation, asked: str | None = None) -> str:
    """The language to print in: ``asked`` when it is one we print in, else the customer's."""
    customer = quotation.customer
    return core_pdf.document_language(customer.doc_language if customer is not None else None, asked)


def issued_on(quotation: Quotation) -> date:
    """The quotation's date: the day this revision was made, in the company's time zone."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return quotation.created_at.astimezone(zone).date()


@dataclass(frozen=True)
class PrintedLine:
    """One line as printed: what the customer reads, never cost or margin."""

    position: int
    brand: str
    model: str
    name: str
    note: str
    requested: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal
    amount: Decimal
    lead_time: str


def _printed(line: QuotationLine) -> PrintedLine:
    product = line.product
    requested = " / ".join(x for x in (line.requested_model, line.requested_quantity) if x)
    return PrintedLine(
        position=line.position,
        brand=product.brand.name if product.brand is not None else "",
        model=product.model,
        name=product.name,
        note=line.note,
        requested=requested,
        quantity=line.quantity,
        unit=str(UNITS.get(product.unit, product.unit)),
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        amount=line.amount,
        lead_time=line.lead_time,
    )


def _context(quotation: Quotation) -> dict:
    lines = [_printed(line) for line in quotation.lines]
    shown = {
        "requested": any(line.requested for line in lines),
        "discount": any(line.discount_percent for line in lines),
        "lead_time": any(line.lead_time for line in lines),
    }
    watermark = WATERMARKED.get(effective_status(quotation))
    return {
        "q": quotation,
        "customer": quotation.customer,
        "contact": quotation.contact,
        "salesperson": quotation.salesperson,
        "issued_on": issued_on(quotation),
        "lines": lines,
        "shown": shown,
        "columns": {key: str(label) for key, label in COLUMNS.items()},
        "tax_rate": f"{quotation.tax_rate.normalize():f}",
        "currency": str(CURRENCY_NAMES.get(quotation.currency, quotation.currency)),
        "watermark": str(STATUS_LABELS[watermark]) if watermark else None,
    }


def render_quotation_html(quotation: Quotation, lang: str, *, screen: bool = False, **extra) -> str:
    """The quotation's print HTML in ``lang``, whatever the language of the person printing it;
    ``screen`` makes the browser page (打印页面) that prints itself from the browser."""
    return core_pdf.render_html(TEMPLATE, lang, lambda: _context(quotation), screen=screen, **extra)


def is_cacheable(quotation: Quotation) -> bool:
    """Drafts change until submitted; anything else prints the same until its version moves."""
    return effective_status(quotation) not in (QuotationStatus.DRAFT, QuotationStatus.PENDING)


def render_quotation_pdf(quotation: Quotation, lang: str) -> bytes:
    """Render ``quotation`` as an A4 PDF in ``lang`` ("zh" or "en"), from the cache when it was
    printed before at the same version. The customer block can change without a new quotation
    version, so the customer's version is part of the key; product names may lag by an hour."""
    key = None
    if is_cacheable(quotation):
        key = ("quotation", quotation.id, quotation.version_id, quotation.customer.version_id)
    return core_pdf.render_pdf(TEMPLATE, lang, lambda: _context(quotation), cache_key=key)
