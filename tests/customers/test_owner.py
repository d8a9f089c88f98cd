"""Who owns a customer: the salesperson who creates it, unless someone who may assign owners chooses."""

import pytest
import sqlalchemy as sa

from app.customers.models import Customer
from app.extensions import db
from tests import support
from tests.customers.conftest import customer_form


def _stored(app, customer_id: int) -> Customer:
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        _ = customer.owner
        db.session.expunge(customer)
        return customer


def _created_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Customer.id).where(Customer.name == name))


def test_a_salesperson_creating_a_customer_becomes_its_owner(app, login):
    sales = login("sales")
    fields = customer_form(sales, "/customers/new")
    assert not [k for k, _v in fields if k == "owner_id"], "the owner field is shown only to who may assign it"
    fields = support.replace_field(fields, "name", "宁波永泰轴承商行")
    response = sales.post("/customers/new", data=fields)
    assert response.status_code == 302, support.html(response)[:3000]
    assert _stored(app, _created_id(app, "宁波永泰轴承商行")).owner_id == sales.user.id


def test_a_posted_owner_is_ignored_for_a_salesperson_creating_a_customer(app, login, create_user):
    sales = login("sales")
    other = create_user(roles=["sales"])
    fields = support.replace_field(customer_form(sales, "/customers/new"), "name", "Posted Owner Ltd")
    response = sales.post("/customers/new", data=[*fields, ("owner_id", str(other.id))])
    assert response.status_code == 302
    assert _stored(app, _created_id(app, "Posted Owner Ltd")).owner_id == sales.user.id


def test_a_posted_owner_is_ignored_for_a_salesperson_editing_their_customer(app, login, create_user, create_customer):
    sales = login("sales")
    other = create_user(roles=["sales"])
    customer = create_customer(owner=sales.user.id)
    fields = customer_form(sales, f"/customers/{customer.id}/edit")
    response = sales.post(f"/customers/{customer.id}/edit", data=[*fields, ("owner_id", str(other.id))])
    assert response.status_code == 302
    assert _stored(app, customer.id).owner_id == sales.user.id


def test_the_service_refuses_to_move_the_owner_for_who_may_not_assign_it(app, create_user, create_customer):
    from app.customers import services

    owner, other = create_user(roles=["sales"]), create_user(roles=["sales"])
    customer = create_customer(owner=owner.id)
    with app.app_context():
        stored = db.session.get(Customer, customer.id)
        data = services.CustomerData(name=stored.name, owner_id=other.id)
        services.update_customer(stored, data, expected_version=stored.version_id, may_assign_owner=False)
        db.session.flush()
        assert stored.owner_id == owner.id
        db.session.rollback()


def test_a_manager_chooses_the_owner_and_the_history_names_both(app, login, create_user, create_customer):
    manager = login("manager")
    first = create_user(roles=["sales"], display_name="First Seller")
    second = create_user(roles=["sales"], display_name="Second Seller")
    customer = create_customer(owner=first.id)
    fields = customer_form(manager, f"/customers/{customer.id}/edit")
    assert ("owner_id", str(first.id)) in fields
    response = manager.post(
        f"/customers/{customer.id}/edit", data=support.replace_field(fields, "owner_id", str(second.id))
    )
    assert response.status_code == 302, support.html(response)[:3000]
    assert _stored(app, customer.id).owner_id == second.id
    page = support.html(manager.get(f"/customers/{customer.id}"))
    history = page[page.index("data-history") :]
    assert "Owner changed" in history
    assert f"First Seller · {first.username}" in history and f"Second Seller · {second.username}" in history


def test_the_owner_choices_are_active_users_who_may_edit_customers(login, create_user, create_customer):
    manager = login("manager")
    seller = create_user(roles=["sales"], display_name="Active Seller")
    create_user(roles=["sales"], display_name="Gone Seller", is_active=False)
    create_user(roles=["warehouse"], display_name="Store Keeper")
    page = support.html(manager.get("/customers/new"))
    select = page[page.index('name="owner_id"') : page.index("</select>", page.index('name="owner_id"'))]
    assert "Active Seller" in select
    assert "Gone Seller" not in select and "Store Keeper" not in select
    assert f'value="{seller.id}"' in select


def test_a_manager_may_leave_a_customer_without_owner(app, login, create_customer, create_user):
    manager = login("manager")
    customer = create_customer(owner=create_user(roles=["sales"]).id)
    fields = customer_form(manager, f"/customers/{customer.id}/edit")
    response = manager.post(f"/customers/{customer.id}/edit", data=support.replace_field(fields, "owner_id", ""))
    assert response.status_code == 302
    assert _stored(app, customer.id).owner_id is None


def test_reassigning_needs_view_all_as_well_as_edit(app, create_role, create_user, create_customer):
    """With customers.view_all but no customers.edit nothing can be saved; with edit but not view_all
    the owner field is not shown."""
    viewer_role = create_role(permissions=["customers.view", "customers.view_all"])
    viewer = create_user(roles=[viewer_role])
    client = app.test_client()
    client.login(viewer.username)
    customer = create_customer(owner=create_user(roles=["sales"]).id)
    assert client.get(f"/customers/{customer.id}").status_code == 200
    assert client.get(f"/customers/{customer.id}/edit").status_code == 403
    assert client.submit(f"/customers/{customer.id}/edit", {"owner_id": str(viewer.id)}).status_code == 403


def test_a_new_customer_of_a_manager_is_theirs_unless_they_choose_another(app, login):
    manager = login("manager")
    fields = customer_form(manager, "/customers/new")
    assert ("owner_id", str(manager.user.id)) in fields
    response = manager.post("/customers/new", data=support.replace_field(fields, "name", "Manager's Own Co."))
    assert response.status_code == 302
    assert _stored(app, _created_id(app, "Manager's Own Co.")).owner_id == manager.user.id


def test_an_inactive_user_cannot_become_owner(app, create_user):
    from app.core.errors import DomainError
    from app.customers import services

    gone = create_user(roles=["sales"], is_active=False)
    with app.test_request_context("/?lang=en"):
        data = services.CustomerData(name="Gone Owner Co", owner_id=gone.id)
        with pytest.raises(DomainError, match="not an active user"):
            services.create_customer(data, actor_id=None, may_assign_owner=True)
        db.session.rollback()
