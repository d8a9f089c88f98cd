"""Soft delete (refused while in use), restore, batch delete from the list."""

import pytest
import sqlalchemy as sa

from app.core import registry
from app.customers.models import Customer
from app.extensions import db
from tests import support


def _deleted(app, customer_id: int) -> bool:
    with app.app_context():
        return db.session.get(Customer, customer_id).deleted_at is not None


@pytest.fixture
def admin(login):
    return login("admin")


def test_delete_and_restore(app, admin, create_customer):
    customer = create_customer("Soon Gone Ltd")
    response = admin.submit(f"/customers/{customer.id}/delete")
    assert response.status_code == 302
    assert _deleted(app, customer.id)
    page = support.html(admin.get(f"/customers/{customer.id}"))
    assert "customer-restore" in page and "customer-edit" not in page
    # Gone from the list, the picker and the edit form; listed under "deleted".
    assert "Soon Gone Ltd" not in support.html(admin.get("/customers/"))
    assert "Soon Gone Ltd" in support.html(admin.get("/customers/?status=deleted"))
    assert admin.get("/api/customers/search?q=soon").get_json()["results"] == []
    assert admin.get(f"/customers/{customer.id}/edit").status_code == 302

    assert admin.submit(f"/customers/{customer.id}/restore").status_code == 302
    assert not _deleted(app, customer.id)
    history = support.html(admin.get(f"/customers/{customer.id}"))
    assert "Deleted" in history and "Restored" in history


def test_a_customer_in_use_is_not_deleted_and_the_message_says_why(app, admin, create_customer):
    customer = create_customer("Busy Customer Ltd")
    registry.register_usage_check(
        "customer", registry.UsageCheck("test_quotations", "quotations", lambda c: 3 if c.id == customer.id else 0)
    )
    try:
        response = admin.submit(f"/customers/{customer.id}/delete", follow_redirects=True)
        assert "cannot be deleted: it is used by 3 quotations" in support.html(response)
        assert not _deleted(app, customer.id)
    finally:
        registry._usage_checks["customer"] = [
            c for c in registry._usage_checks["customer"] if c.key != "test_quotations"
        ]


def test_batch_delete_deletes_the_unused_and_names_the_refused(app, admin, create_customer):
    free = [create_customer(f"Free {n} Ltd") for n in range(3)]
    busy = create_customer("Busy Batch Ltd")
    registry.register_usage_check(
        "customer", registry.UsageCheck("test_orders", "sales orders", lambda c: 1 if c.id == busy.id else 0)
    )
    try:
        ids = [str(c.id) for c in [*free, busy]]
        response = admin.submit("/customers/delete", [("ids", i) for i in ids] + [("next", "/customers/?q=ltd")])
        assert response.status_code == 302 and response.headers["Location"].endswith("/customers/?q=ltd")
        page = support.html(admin.get("/customers/"))
        assert "3 customers deleted." in page
        assert "Busy Batch Ltd" in page and "cannot be deleted: it is used by 1 sales orders" in page
        assert all(_deleted(app, c.id) for c in free)
        assert not _deleted(app, busy.id)
    finally:
        registry._usage_checks["customer"] = [c for c in registry._usage_checks["customer"] if c.key != "test_orders"]


def test_the_list_asks_before_a_batch_delete(admin, create_customer):
    create_customer("Listed Ltd")
    page = support.html(admin.get("/customers/"))
    assert 'id="batch-form"' in page
    form = page[page.index('id="batch-form"') - 200 : page.index('id="batch-form"') + 300]
    assert 'data-confirm="Delete the selected customers? They can be restored later."' in form
    assert 'name="ids"' in page


def test_salespeople_may_not_delete(login, create_customer):
    sales = login("sales")
    customer = create_customer(owner=sales.user.id)
    assert "batch-form" not in support.html(sales.get("/customers/"))
    assert sales.submit(f"/customers/{customer.id}/delete").status_code == 403


def test_nothing_selected_says_so(admin):
    response = admin.submit("/customers/delete", {}, follow_redirects=True)
    assert "Select the rows to delete first." in support.html(response)


def test_deleting_logs_the_deletion(app, admin, create_customer):
    from app.core.audit import OperationLog

    customer = create_customer("Logged Delete Ltd")
    admin.submit(f"/customers/{customer.id}/delete")
    with app.app_context():
        actions = db.session.scalars(
            sa.select(OperationLog.action).where(
                OperationLog.object_type == "customer", OperationLog.object_id == customer.id
            )
        ).all()
    assert "delete" in actions
