"""Printed sales documents besides the quotation: the order confirmation for the customer, and the
delivery note and picking list for the warehouse — each in the customer's document language
(``?doc_lang=zh|en`` to choose), with the company letterhead and the bundled font
(app/core/pdf.py). Each loads its document through the own/all scope and the user's warehouses."""

from __future__ import annotations

import io
import logging
import time

from flask import make_response, request, send_file, url_for
from flask_babel import lazy_gettext as _l

from app.auth.access import require
from app.core import pdf as core_pdf
from app.sales.blueprint import bp
from app.sales.models import ORDER_STATUS_LABELS, Delivery, DeliveryStatus, OrderStatus, SalesOrder
from app.sales.pdf import CURRENCY_NAMES
from app.sales.scope import load_delivery_or_404, load_order_or_404

log = logging.getLogger(__name__)

PDF_MIME = "application/pdf"
# Documents that do not (yet, or any more) stand: they say so on every page.
ORDER_WATERMARK = {
    OrderStatus.DRAFT: ORDER_STATUS_LABELS[OrderStatus.DRAFT],
    OrderStatus.CANCELLED: ORDER_STATUS_LABELS[OrderStatus.CANCELLED],
}
DELIVERY_WATERMARK = {DeliveryStatus.DRAFT: _l("Draft"), DeliveryStatus.CANCELLED: _l("Cancelled")}


def _language(customer) -> str:
    return core_pdf.document_language(
        customer.doc_language if customer is not None else None, request.args.get("doc_lang")
    )


def _pdf_response(data: bytes, name: str):
    response = send_file(
        io.BytesIO(data), mimetype=PDF_MIME, as_attachment=request.args.get("download") == "1", download_name=name
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _html_response(html: str):
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response


def _printed(kind: str, number: str, lang: str, lines: int, started: float) -> None:
    log.info("%s %s printed (%s, %d lines, %.1f s)", kind, number, lang, lines, time.perf_counter() - started)


# --- order confirmation -----------------------------------------------------------------------


def _order_context(order: SalesOrder) -> dict:
    watermark = ORDER_WATERMARK.get(OrderStatus(order.status))
    return {
        "order": order,
        "customer": order.customer,
        "contact": order.contact,
        "salesperson": order.salesperson,
        "lines": order.lines,
        "shown": {
            "part_no": any(line.customer_part_no for line in order.lines),
            "discount": any(line.discount_percent for line in order.lines),
            "lead_time": any(line.lead_time for line in order.lines),
        },
        "tax_rate": f"{order.tax_rate.normalize():f}",
        "currency": str(CURRENCY_NAMES.get(order.currency, order.currency)),
        "watermark": str(watermark) if watermark else None,
    }


@bp.get("/sales-orders/<int:order_id>.pdf")
@require("sales_orders.view", "sales_orders.print")
def order_pdf(order_id: int):
    order = load_order_or_404(order_id)
    lang = _language(order.customer)
    started = time.perf_counter()
    data = core_pdf.render_pdf("sales/pdf/order.html", lang, lambda: _order_context(order))
    _printed("order", order.number, lang, len(order.lines), started)
    return _pdf_response(data, f"{order.number}.pdf")


@bp.get("/sales-orders/<int:order_id>/print")
@require("sales_orders.view", "sales_orders.print")
def order_print(order_id: int):
    order = load_order_or_404(order_id)
    lang = _language(order.customer)
    html = core_pdf.render_html(
        "sales/pdf/order.html",
        lang,
        lambda: _order_context(order),
        screen=True,
        pdf_url=url_for("sales.order_pdf", order_id=order.id, doc_lang=lang),
        back_url=url_for("sales.order_detail", order_id=order.id),
    )
    return _html_response(html)


# --- delivery note and picking list -----------------------------------------------------------


def _delivery_context(delivery: Delivery) -> dict:
    watermark = DELIVERY_WATERMARK.get(DeliveryStatus(delivery.status))
    order = delivery.order
    return {
        "delivery": delivery,
        "order": order,
        "customer": delivery.customer,
        "contact": order.contact,
        "lines": delivery.lines,
        "shown": {"part_no": any(line.order_line.customer_part_no for line in delivery.lines)},
        "watermark": str(watermark) if watermark else None,
    }


def _picking_context(delivery: Delivery) -> dict:
    context = _delivery_context(delivery)
    # Sorted for walking the warehouse: by location code (aisle, rack, level), then product.
    context["lines"] = sorted(delivery.lines, key=lambda line: (line.location.code, line.product.model))
    return context


@bp.get("/deliveries/<int:delivery_id>.pdf")
@require("deliveries.view", "deliveries.print")
def delivery_note_pdf(delivery_id: int):
    delivery = load_delivery_or_404(delivery_id)
    lang = _language(delivery.customer)
    started = time.perf_counter()
    data = core_pdf.render_pdf("sales/pdf/delivery_note.html", lang, lambda: _delivery_context(delivery))
    _printed("delivery note", delivery.number, lang, len(delivery.lines), started)
    return _pdf_response(data, f"{delivery.number}.pdf")


@bp.get("/deliveries/<int:delivery_id>/print")
@require("deliveries.view", "deliveries.print")
def delivery_note_print(delivery_id: int):
    delivery = load_delivery_or_404(delivery_id)
    lang = _language(delivery.customer)
    html = core_pdf.render_html(
        "sales/pdf/delivery_note.html",
        lang,
        lambda: _delivery_context(delivery),
        screen=True,
        pdf_url=url_for("sales.delivery_note_pdf", delivery_id=delivery.id, doc_lang=lang),
        back_url=url_for("sales.delivery_detail", delivery_id=delivery.id),
    )
    return _html_response(html)


@bp.get("/deliveries/<int:delivery_id>/picking.pdf")
@require("deliveries.view", "deliveries.print")
def picking_list_pdf(delivery_id: int):
    delivery = load_delivery_or_404(delivery_id)
    lang = _language(delivery.customer)
    started = time.perf_counter()
    data = core_pdf.render_pdf("sales/pdf/picking_list.html", lang, lambda: _picking_context(delivery))
    _printed("picking list", delivery.number, lang, len(delivery.lines), started)
    return _pdf_response(data, f"{delivery.number}-picking.pdf")
