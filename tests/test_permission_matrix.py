"""Every registered endpoint, as an anonymous visitor and as each default role.

Denied requests must answer exactly: a redirect to the login page for anonymous visitors, 403 for
signed-in users without the permission. Allowed requests must never answer 403 or send the user to
the login page, and nothing may answer 500. New endpoints are covered automatically; one that
declares no access rule fails here.
"""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from app.auth.access import access_of
from tests.support import new_once

DEFAULT_ROLES = ["admin", "manager", "sales", "warehouse", "purchaser", "finance"]
# Endpoints that end the caller's own session are walked last.
LAST = {"auth.logout"}


def _endpoints(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            rules.append((rule, method))
    rules.sort(key=lambda rm: (rm[0].endpoint in LAST, rm[0].endpoint, rm[1]))
    return rules


@pytest.fixture
def samples(app, create_user, create_product):
    """Values for URL arguments: one record of each kind."""
    from app.auth.models import Role
    from app.core.contacts import ContactData
    from app.customers import services as customers
    from app.extensions import db
    from app.inventory import documents
    from app.inventory import services as inventory
    from app.inventory.models import DocType
    from app.suppliers import services as suppliers

    target = create_user("matrix_target", ["sales"])
    product = create_product()
    with app.app_context():
        role_id = db.session.scalar(sa.select(Role.id).where(Role.name == "finance"))
        warehouse = inventory.create_warehouse(inventory.WarehouseData(code="MX1", name="Matrix"))
        inventory.add_locations(warehouse, "M-01")
        db.session.commit()
        warehouse_id, location_id = warehouse.id, warehouse.locations[0].id
        # Owned by nobody: a salesperson gets 404 for it (own scope), which the matrix accepts.
        customer = customers.create_customer(
            customers.CustomerData(name="Matrix Customer", contacts=[ContactData(name="王伟")]),
            actor_id=None,
            may_assign_owner=True,
        )
        supplier = suppliers.create_supplier(
            suppliers.SupplierData(name="Matrix Supplier", contacts=[ContactData(name="李娜")])
        )
        db.session.commit()
        customer_id, supplier_id = customer.id, supplier.id
        # A draft adjustment: the roles that may adjust may post it, delete it, edit it.
        document = documents.create_document(
            DocType.ADJUSTMENT,
            documents.HeaderData(warehouse_id, reason_code="found"),
            [documents.LineData(product.id, location_id, Decimal(1))],
        )
        db.session.commit()
        document_id = document.id
        # A draft quotation of another salesperson: sales roles get 404 for it (own scope).
        from app.sales import quotations

        with app.test_request_context("/?lang=en"):
            quotation = quotations.create_quotation(
                quotations.HeaderData(customer_id=customer_id, salesperson_id=target.id),
                [quotations.LineData(product.id, Decimal(1), Decimal(10))],
                actor_id=target.id,
            )
            db.session.commit()
            quotation_id = quotation.id
            # A confirmed order of that salesperson with a draft delivery (nothing in stock: the
            # delivery cannot post, which the matrix accepts as a refusal with a message).
            from app.sales import deliveries, orders

            order = orders.create_order(
                orders.OrderHeader(customer_id=customer_id, warehouse_id=warehouse_id, salesperson_id=target.id),
                [orders.OrderLineData(product.id, Decimal(2), Decimal(10))],
                actor_id=target.id,
            )
            orders.confirm_order(order, actor_id=target.id)
            delivery = deliveries.create_delivery(
                order,
                deliveries.DeliveryHeader(),
                [deliveries.DeliveryLineData(order.lines[0].id, location_id, Decimal(1))],
            )
            db.session.commit()
            order_id, delivery_id = order.id, delivery.id
    return {
        "user_id": target.id,
        "role_id": role_id,
        "handle": "0" * 16,
        "product_id": product.id,
        "brand_id": product.brand_id,
        "category_id": product.category_id,
        "fmt": "csv",
        "token": "t" * 24,  # an import preview that does not exist
        "warehouse_id": warehouse_id,
        "location_id": location_id,
        "customer_id": customer_id,
        "supplier_id": supplier_id,
        "notification_id": _notification_for(app, target.id),
        "document_id": document_id,
        "quotation_id": quotation_id,
        "order_id": order_id,
        "delivery_id": delivery_id,
    }


def _notification_for(app, user_id: int) -> int:
    """Someone else's notification: every signed-in role gets 404 for it (only one's own is there)."""
    from app.extensions import db
    from app.notifications import services as notifications
    from app.notifications.models import Notification

    with app.app_context():
        notifications.notify([user_id], "test", "Matrix")
        db.session.commit()
        return db.session.scalar(sa.select(sa.func.max(Notification.id)).where(Notification.user_id == user_id))


def _url(rule, samples) -> str:
    values = {}
    for arg in rule.arguments:
        if arg not in samples:
            raise AssertionError(f"add a sample value for <{arg}> used by {rule.endpoint}")
        values[arg] = samples[arg]
    return rule.build(values, append_unknown=False)[1]


def _request(client, rule, method, samples):
    url = _url(rule, samples)
    if method == "GET":
        return url, client.get(url)
    token = client.csrf_token("/login") if client.user is None else client.csrf_token("/account/")
    return url, client.post(url, data={"csrf_token": token, "_once": new_once()})


def _is_login_redirect(response) -> bool:
    """The access check's answer to a visitor: the login page, remembering where they wanted to go.

    (Signing out, or switching language while signed out, also ends on /login, but without ``next``.)
    """
    if response.status_code != 302:
        return False
    location = urlsplit(response.headers["Location"])
    return location.path == "/login" and "next" in parse_qs(location.query)


def test_every_endpoint_declares_its_access(app):
    missing = [rule.endpoint for rule, _m in _endpoints(app) if access_of(app.view_functions[rule.endpoint]) is None]
    assert not missing, f"endpoints without an access rule: {missing}"


def test_anonymous_visitors(app, client, samples):
    client.user = None
    for rule, method in _endpoints(app):
        access = access_of(app.view_functions[rule.endpoint])
        url, response = _request(client, rule, method, samples)
        assert response.status_code != 500, f"{method} {url}"
        if access.kind == "public":
            assert not _is_login_redirect(response), f"{method} {url} is public"
        else:
            assert _is_login_redirect(response), f"{method} {url} answered {response.status_code} to a visitor"


@pytest.mark.parametrize("role", DEFAULT_ROLES)
def test_each_default_role(app, login, samples, role):
    from app.auth.access import permissions_from_db

    client = login(role)
    with app.app_context():
        held = permissions_from_db(client.user.id)
    for rule, method in _endpoints(app):
        access = access_of(app.view_functions[rule.endpoint])
        url, response = _request(client, rule, method, samples)
        assert response.status_code != 500, f"{role}: {method} {url}"
        if access.kind == "public":
            continue
        if access.kind == "login":
            allowed = True
        elif access.any_of:
            allowed = any(p in held for p in access.permissions)
        else:
            allowed = all(p in held for p in access.permissions)
        if allowed:
            assert response.status_code != 403, f"{role} was refused {method} {url}"
            assert not _is_login_redirect(response), f"{role} was sent to the login page by {method} {url}"
        else:
            assert response.status_code == 403, f"{role}: {method} {url} answered {response.status_code}, not 403"
