"""Model lookup (价格查询) and price help for quotation lines.

The lookup is the sales team's daily screen: type a model, see the product, its stock in your
warehouses and the prices last offered to your customers. The price help answers the quotation
editor with the same history for one customer and one product, as JSON.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from markupsafe import Markup
from werkzeug.routing import BuildError
from wtforms import Form, SearchField

from app.auth.access import can, require
from app.core.i18n import format_day, format_price, grouped
from app.core.registry import MenuItem, register_menu_item
from app.core.text import model_key
from app.customers import scope as customer_scope
from app.extensions import db
from app.inventory import ui as inventory_ui
from app.products.models import COST_PERMISSION, Brand, Product
from app.products.search import apply_search
from app.sales import prices
from app.sales.blueprint import bp

register_menu_item(
    MenuItem(
        "sales",
        "sales.price_lookup",
        _l("Model lookup"),
        "search",
        ("products.view",),
        order=5,
        active_prefix="sales.price_lookup",
    )
)

MATCH_LIMIT = 20  # products listed to choose from
PER_CUSTOMER = 3  # prices shown per customer on the lookup page
MAX_CUSTOMERS = 50
HELP_ROWS = 5  # prices in the quotation editor's price help
NEW_QUOTATION = "sales.quotation_new"


class LookupForm(Form):
    q = SearchField(_l("Model"))


def optional_url(endpoint: str, **values) -> str | None:
    """The URL of ``endpoint``, or None while no blueprint serves it (pages built by later issues)."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


# --- finding the product ------------------------------------------------------------------------


def _find(q: str) -> list[Product]:
    query = apply_search(sa.select(Product).where(Product.deleted_at.is_(None)), q)
    # Ordered by key, an exact model comes before the longer models it is a prefix of.
    query = query.order_by(Product.model_key, Product.is_active.desc(), Product.id).limit(MATCH_LIMIT + 1)
    return list(db.session.scalars(query))


def _is_exact(product: Product, q: str) -> bool:
    """The whole query is the product's model, alone or with its brand before or after it."""
    typed = model_key(q)
    brand = Brand.key_for(product.brand.name)
    return typed in (product.model_key, brand + product.model_key, product.model_key + brand)


def _choose(q: str) -> tuple[Product | None, list[Product], set[int]]:
    """The product the query names (if exactly one), the other products it matches, and which of
    those are the exact model (several brands make the same one)."""
    found = _find(q)
    exact = {p.id for p in found if _is_exact(p, q)}
    if len(exact) == 1:
        chosen = next(p for p in found if p.id in exact)
    elif len(found) == 1:
        chosen = found[0]
    else:
        return None, found, exact
    return chosen, [p for p in found if p.id != chosen.id], set()


# --- the page -----------------------------------------------------------------------------------


def _may_quote(product: Product) -> bool:
    return can("quotations.edit") and product.is_active and not product.is_deleted


def _stock_panel(product: Product) -> Markup:
    """Inventory's own stock panel (the product page's), covering the user's warehouses only."""
    return Markup(render_template("inventory/_stock_product_panel.html", **inventory_ui.product_stock(product)))


def _cost_of(product: Product) -> dict[str, object]:
    return {"avg_cost": product.avg_cost, "last_purchase_price": product.last_purchase_price}


def _product_context(product: Product) -> dict[str, object]:
    """What the page shows about the chosen product, each part only to those who may see it."""
    show_cost = can(COST_PERMISSION)
    history = None
    if can("quotations.view"):
        query = prices.PriceQuery(product.id, per_customer=PER_CUSTOMER, max_customers=MAX_CUSTOMERS)
        history = prices.price_history(query)
    return {
        "show_cost": show_cost,
        "cost": _cost_of(product) if show_cost else None,
        "stock_panel": _stock_panel(product) if can("inventory.view") else None,
        "history": history,
        "new_quotation_url": optional_url(NEW_QUOTATION, product_id=product.id) if _may_quote(product) else None,
    }


@bp.get("/sales/lookup")
@bp.get("/sales/lookup/<int:product_id>")
@require("products.view")
def price_lookup(product_id: int | None = None):
    form = LookupForm(request.args)
    q = (form.q.data or "").strip()[:100]
    if product_id is not None:
        product = db.session.get(Product, product_id)
        if product is None:
            abort(404)
        matches = [p for p in _find(q) if p.id != product.id] if q else []
        exact_ids: set[int] = set()
        form.q.data = q or product.model
    else:
        product, matches, exact_ids = _choose(q) if q else (None, [], set())
    context: dict[str, object] = {
        "form": form,
        "q": q,
        "product": product,
        "matches": matches[:MATCH_LIMIT],
        "more_matches": len(matches) > MATCH_LIMIT,
        "exact_ids": exact_ids,
        "per_customer": PER_CUSTOMER,
        "optional_url": optional_url,
        "margin_for": prices.margin_for,
    }
    if product is not None:
        context.update(_product_context(product))
    return render_template("sales/lookup.html", **context)


# --- price help for the quotation editor ------------------------------------------------------


def _number(value) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _point_json(point: prices.PricePoint, cost) -> dict[str, object]:
    row: dict[str, object] = {
        "date": to_user_timezone(point.at).date().isoformat(),
        "date_text": format_day(point.at),
        "number": point.document_label,
        "url": optional_url(point.endpoint, **point.url_values),
        "status": point.status,
        "status_label": point.status_label,
        "quantity": _number(point.quantity),
        "quantity_text": grouped(point.quantity),
        "unit_price": _number(point.unit_price),
        "unit_price_text": format_price(point.unit_price),
        "discount_percent": _number(point.discount_percent),
        "net_unit_price": _number(point.net_unit_price),
        "net_unit_price_text": format_price(point.net_unit_price),
        "prices_include_tax": point.prices_include_tax,
    }
    if cost is not None:
        row["margin_percent"] = _number(prices.margin_for(point.net_unit_price, cost))
    return row


@bp.get("/api/sales/price-help")
@require("quotations.edit")
def price_help():
    """List price and the last prices offered to one customer for one product; cost and margins
    only for those who may see cost."""
    product_id = request.args.get("product_id", type=int)
    customer_id = request.args.get("customer_id", type=int)
    product = db.session.get(Product, product_id) if product_id else None
    if product is None:
        abort(404)
    customer = customer_scope.load_customer_or_404(customer_id or 0)
    history = prices.price_history(
        prices.PriceQuery(product.id, customer_id=customer.id, per_customer=HELP_ROWS, max_customers=1)
    )
    show_cost = can(COST_PERMISSION)
    payload: dict[str, object] = {
        "product": {"id": product.id, "label": product.audit_label(), "unit": product.unit},
        "customer": {"id": customer.id, "name": customer.name},
        "list_price": _number(product.list_price),
        "list_price_text": format_price(product.list_price),
        "history": [_point_json(p, product.avg_cost if show_cost else None) for p in history.points],
    }
    if show_cost:
        payload["avg_cost"] = _number(product.avg_cost)
        payload["avg_cost_text"] = format_price(product.avg_cost)
        payload["last_purchase_price"] = _number(product.last_purchase_price)
        payload["last_purchase_price_text"] = format_price(product.last_purchase_price)
    response = jsonify(payload)
    response.headers["Cache-Control"] = "private, no-store"
    return response
