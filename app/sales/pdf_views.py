"""Quotation PDF and Excel downloads.

Both load the quotation through the own/all scope, so another salesperson's quotation answers 404.
The PDF is in the document language (``?doc_lang=zh|en``, else the customer's); the workbook is in
the reader's own language, with numbers and dates stored as such so it can be summed and sorted.
"""

from __future__ import annotations

import io
import logging
import time
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from flask import make_response, request, send_file, url_for
from flask_babel import gettext as _

from app.auth.access import require
from app.core.exports import XLSX_MIME
from app.products.models import UNITS
from app.sales import pdf
from app.sales.blueprint import bp
from app.sales.models import Quotation
from app.sales.quotations import status_label
from app.sales.scope import load_quotation_or_404

log = logging.getLogger(__name__)

PDF_MIME = "application/pdf"


def _download_name(quotation: Quotation, suffix: str) -> str:
    return f"{quotation.label}{suffix}"


@bp.get("/quotations/<int:quotation_id>.pdf")
@require("quotations.view", "quotations.print")
def quotation_pdf(quotation_id: int):
    quotation = load_quotation_or_404(quotation_id)
    lang = pdf.document_language(quotation, request.args.get("doc_lang"))
    started = time.perf_counter()
    data = pdf.render_quotation_pdf(quotation, lang)
    log.info(
        "quotation %s printed (%s, %d lines, %.1f s)",
        quotation.label,
        lang,
        len(quotation.lines),
        time.perf_counter() - started,
    )
    response = send_file(
        io.BytesIO(data),
        mimetype=PDF_MIME,
        as_attachment=request.args.get("download") == "1",
        download_name=_download_name(quotation, ".pdf"),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/quotations/<int:quotation_id>/print")
@require("quotations.view", "quotations.print")
def quotation_print(quotation_id: int):
    """The print page (打印页面): the PDF's layout as a web page that prints from the browser."""
    quotation = load_quotation_or_404(quotation_id)
    lang = pdf.document_language(quotation, request.args.get("doc_lang"))
    html = pdf.render_quotation_html(
        quotation,
        lang,
        screen=True,
        pdf_url=url_for("sales.quotation_pdf", quotation_id=quotation.id, doc_lang=lang),
        back_url=url_for("sales.quotation_detail", quotation_id=quotation.id),
    )
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Excel ------------------------------------------------------------------------------------

_MONEY = "#,##0.00"
_PRICE = "#,##0.00##"
# Whole quantities without a decimal point: Excel shows "#,##0.###" as "10." for 10.
_QUANTITY = {True: "#,##0", False: "#,##0.###"}


def quotation_workbook(quotation: Quotation) -> bytes:
    """The quotation as an xlsx workbook in the reader's language: header, lines, totals."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(quotation.label[:31])
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True})
    day = book.add_format({"num_format": "yyyy-mm-dd", "align": "left"})
    formats = {kind: book.add_format({"num_format": fmt}) for kind, fmt in (("money", _MONEY), ("price", _PRICE))}
    quantity_formats = {whole: book.add_format({"num_format": fmt}) for whole, fmt in _QUANTITY.items()}
    total_format = book.add_format({"bold": True, "num_format": _MONEY})
    number_left = book.add_format({"align": "left"})

    sheet.write_string(0, 0, _("Quotation %(number)s", number=quotation.label), title)
    customer, contact = quotation.customer, quotation.contact
    facts: list[tuple[str, object]] = [
        (_("Number"), quotation.number),
        (_("Revision"), quotation.revision),
        (_("Status"), status_label(quotation)),
        (_("Customer"), f"{customer.code} {customer.name}"),
        (_("Contact"), contact.name if contact else ""),
        (_("Salesperson"), quotation.salesperson.display_name),
        (_("Date"), pdf.issued_on(quotation)),
        (_("Valid until"), quotation.valid_until),
        (_("Currency"), quotation.currency),
        (_("Tax rate %"), quotation.tax_rate),
        (_("Prices include tax"), _("Yes") if quotation.prices_include_tax else _("No")),
        (_("Delivery terms"), quotation.delivery_terms),
        (_("Payment terms"), quotation.payment_terms),
        (_("Note"), quotation.note),
    ]
    row = 2
    for label, value in facts:
        sheet.write_string(row, 0, label, bold)
        if isinstance(value, date):
            sheet.write_datetime(row, 1, datetime(value.year, value.month, value.day), day)
        elif isinstance(value, int | Decimal):
            sheet.write_number(row, 1, float(value), number_left)
        elif value:
            sheet.write_string(row, 1, str(value))
        row += 1

    columns = [
        (_("No."), 6, None),
        (_("Brand"), 10, None),
        (_("Model"), 20, None),
        (_("Product name"), 28, None),
        (_("Requested model"), 16, None),
        (_("Requested quantity"), 12, None),
        (_("Quantity"), 10, "quantity"),
        (_("Unit"), 7, None),
        (_("Unit price"), 12, "price"),
        (_("Discount %"), 10, "percent"),
        (_("Amount"), 14, "money"),
        (_("Lead time"), 12, None),
        (_("Note"), 24, None),
    ]
    row += 1
    header_row = row
    for col, (label, width, _kind) in enumerate(columns):
        sheet.set_column(col, col, width)
        sheet.write_string(row, col, label, header)
    sheet.freeze_panes(row + 1, 0)
    for line in quotation.lines:
        row += 1
        product = line.product
        values = [
            line.position,
            product.brand.name if product.brand is not None else "",
            product.model,
            product.name,
            line.requested_model,
            line.requested_quantity,
            line.quantity,
            str(UNITS.get(product.unit, product.unit)),
            line.unit_price,
            line.discount_percent,
            line.amount,
            line.lead_time,
            line.note,
        ]
        for col, ((_label, _width, kind), value) in enumerate(zip(columns, values, strict=True)):
            if kind == "quantity":
                sheet.write_number(row, col, float(value), quantity_formats[value == value.to_integral_value()])
            elif kind is not None or isinstance(value, int):
                sheet.write_number(row, col, float(value), formats.get(kind))
            elif value:
                sheet.write_string(row, col, str(value))
    if quotation.lines:
        sheet.autofilter(header_row, 0, row, len(columns) - 1)

    amount_col = next(i for i, (_label, _w, kind) in enumerate(columns) if kind == "money")
    row += 1
    for label, value in (
        (_("Net total"), quotation.total_net),
        (_("Tax"), quotation.total_tax),
        (_("Total"), quotation.total_gross),
    ):
        row += 1
        sheet.write_string(row, amount_col - 1, label, bold)
        sheet.write_number(row, amount_col, float(value), total_format)
    book.close()
    return buffer.getvalue()


@bp.get("/quotations/<int:quotation_id>/export.xlsx")
@require("quotations.view", "quotations.export")
def quotation_export(quotation_id: int):
    quotation = load_quotation_or_404(quotation_id)
    response = send_file(
        io.BytesIO(quotation_workbook(quotation)),
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name=_download_name(quotation, ".xlsx"),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
