"""Quotation PDF (报价单): an HTML template rendered by WeasyPrint in the document's language.

The text follows the document language (the customer's, or the one asked for when printing), never
the reader's own: the template is rendered under ``force_locale``. Every glyph comes from the CJK
font bundled under ``static/fonts/``, so Chinese prints the same on a server without CJK fonts.
The letterhead logo is fetched from its URL through Flask-WeasyPrint, which runs that request
inside the application with the reader's session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import flask_weasyprint
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.products.models import UNITS
from app.sales.models import STATUS_LABELS, Quotation, QuotationLine, QuotationStatus
from app.sales.quotations import effective_status
from app.system.settings import company_settings

LANGUAGES = ("zh", "en")
FONT_FILES = {"normal": "fonts/NotoSansSC-Regular.otf", "bold": "fonts/NotoSansSC-Bold.otf"}
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
    "unit": _l("Unit"),
    "unit_price": _l("Unit price"),
    "discount": _l("Discount %"),
    "amount": _l("Amount"),
    "lead_time": _l("Lead time"),
}


def document_language(quotation: Quotation, asked: str | None = None) -> str:
    """The language to print in: ``asked`` when it is one we print in, else the customer's."""
    if asked in LANGUAGES:
        return asked
    language = quotation.customer.doc_language if quotation.customer is not None else None
    return language if language in LANGUAGES else LANGUAGES[0]


def _css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "")
    return f'"{escaped}"'


def page_counter() -> str:
    """CSS ``content`` for "Page 1 of 3" in the current language, from the translated sentence."""
    text = _("Page %(page)s of %(pages)s", page="\x01", pages="\x02")
    parts: list[str] = []
    for piece in text.replace("\x02", "\x00\x02\x00").replace("\x01", "\x00\x01\x00").split("\x00"):
        if piece == "\x01":
            parts.append("counter(page)")
        elif piece == "\x02":
            parts.append("counter(pages)")
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts)


def _font_urls() -> dict[str, str]:
    static = Path(current_app.static_folder)
    return {weight: (static / path).as_uri() for weight, path in FONT_FILES.items()}


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


def _context(quotation: Quotation, lang: str) -> dict:
    settings = company_settings()
    lines = [_printed(line) for line in quotation.lines]
    shown = {
        "requested": any(line.requested for line in lines),
        "discount": any(line.discount_percent for line in lines),
        "lead_time": any(line.lead_time for line in lines),
    }
    status = effective_status(quotation)
    watermark = WATERMARKED.get(status)
    return {
        "q": quotation,
        "lang": lang,
        "settings": settings,
        "company_name": settings.name(lang),
        "logo_url": url_for("system.settings_logo", v=settings.version_id) if settings.logo else None,
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
        "fonts": _font_urls(),
        "page_counter": page_counter(),
    }


def render_quotation_html(quotation: Quotation, lang: str) -> str:
    """The quotation's print HTML in ``lang``, whatever the language of the person printing it."""
    with force_locale(lang):
        return render_template("sales/pdf/quotation.html", **_context(quotation, lang))


def render_quotation_pdf(quotation: Quotation, lang: str) -> bytes:
    """Render ``quotation`` as an A4 PDF in ``lang`` ("zh" or "en"). Needs a request context: the
    logo is fetched from its URL as the person printing."""
    html = render_quotation_html(quotation, lang)
    return flask_weasyprint.HTML(string=html).write_pdf()
