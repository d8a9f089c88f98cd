"""Contacts: edited inline on the customer form, exactly one primary, part of the customer's history."""

import pytest
import sqlalchemy as sa

from app.customers.models import Customer, CustomerContact
from app.extensions import db
from tests import support
from tests.customers.conftest import customer_form


def _contacts(app, customer_id: int) -> list[tuple[str, bool]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(CustomerContact.name, CustomerContact.is_primary)
            .where(CustomerContact.customer_id == customer_id)
            .order_by(CustomerContact.position)
        ).all()
        return [(name, bool(primary)) for name, primary in rows]


def _without_contacts(fields):
    return [(k, v) for k, v in fields if not k.startswith("contacts-")]


def _rows(*rows: dict, start: int = 0, step: int = 1) -> list[tuple[str, str]]:
    """Contact rows as the form posts them (a checkbox is sent only when ticked)."""
    fields = []
    for n, row in enumerate(rows):
        index = start + n * step
        for key, value in row.items():
            if key == "is_primary":
                if value:
                    fields.append((f"contacts-{index}-is_primary", "y"))
            else:
                fields.append((f"contacts-{index}-{key}", str(value)))
    return fields


@pytest.fixture
def manager(login):
    return login("manager")


def _new(manager, name: str, rows: list[tuple[str, str]]):
    fields = support.replace_field(_without_contacts(customer_form(manager, "/customers/new")), "name", name)
    return manager.post("/customers/new", data=fields + rows)


def _id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Customer.id).where(Customer.name == name))


def test_the_first_contact_becomes_primary_when_none_is_ticked(app, manager):
    response = _new(manager, "Primary By Default Co", _rows({"name": "王伟"}, {"name": "李娜"}))
    assert response.status_code == 302, support.html(response)[:3000]
    assert _contacts(app, _id(app, "Primary By Default Co")) == [("王伟", True), ("李娜", False)]


def test_the_ticked_contact_is_primary(app, manager):
    response = _new(manager, "Ticked Primary Co", _rows({"name": "王伟"}, {"name": "李娜", "is_primary": True}))
    assert response.status_code == 302
    assert _contacts(app, _id(app, "Ticked Primary Co")) == [("王伟", False), ("李娜", True)]


def test_two_primary_contacts_are_refused_naming_the_rows_and_nothing_is_saved(app, manager):
    rows = _rows({"name": "王伟", "is_primary": True}, {"name": "李娜"}, {"name": "张强", "is_primary": True})
    response = _new(manager, "Two Primaries Co", rows)
    assert response.status_code == 200
    page = support.html(response)
    assert "Only one contact can be the primary contact, but rows 1, 3 are ticked." in page
    assert _id(app, "Two Primaries Co") is None
    # What was typed is still there.
    shown = support.form_fields(page, "customer-form")
    assert ("contacts-2-name", "张强") in shown and ("contacts-2-is_primary", "y") in shown


def test_empty_rows_are_ignored_and_a_row_without_a_name_is_refused(app, manager):
    response = _new(manager, "Blank Rows Co", _rows({"name": ""}, {"name": "王伟"}, {"name": "  "}))
    assert response.status_code == 302
    assert _contacts(app, _id(app, "Blank Rows Co")) == [("王伟", True)]
    response = _new(manager, "Nameless Contact Co", _rows({"name": "王伟"}, {"name": "", "mobile": "13800000000"}))
    assert response.status_code == 200
    assert "Contact row 2: enter the contact" in support.html(response)


def test_rows_added_in_the_browser_may_leave_gaps_in_their_numbers(app, manager):
    """rows.js numbers a new row after the highest index; removed rows leave gaps."""
    response = _new(manager, "Gappy Rows Co", _rows({"name": "甲"}, {"name": "乙"}, {"name": "丙"}, start=0, step=3))
    assert response.status_code == 302
    assert _contacts(app, _id(app, "Gappy Rows Co")) == [("甲", True), ("乙", False), ("丙", False)]


def test_the_form_carries_a_blank_row_template_for_the_browser(manager, create_customer):
    page = support.html(manager.get("/customers/new"))
    template = page[page.index("<template data-row-template>") : page.index("</template>")]
    assert 'name="contacts-__index__-name"' in template
    assert 'data-row-exclusive="is_primary"' in template
    assert 'src="/static/js/rows.js' in page
    # A new customer starts with one empty contact row.
    assert ("contacts-0-name", "") in support.form_fields(page, "customer-form")


def test_moving_the_primary_tick_to_another_contact(app, manager, create_customer):
    """The database allows one primary contact at a time: the old one loses it before the new one gains it."""
    customer = create_customer(contacts=[{"name": "王伟"}, {"name": "李娜"}])
    fields = customer_form(manager, f"/customers/{customer.id}/edit")
    fields = [(k, v) for k, v in fields if k != "contacts-0-is_primary"] + [("contacts-1-is_primary", "y")]
    response = manager.post(f"/customers/{customer.id}/edit", data=fields)
    assert response.status_code == 302, support.html(response)[:3000]
    assert _contacts(app, customer.id) == [("王伟", False), ("李娜", True)]


def test_removing_the_primary_contact_makes_the_next_one_primary(app, manager, create_customer):
    customer = create_customer(contacts=[{"name": "王伟"}, {"name": "李娜"}, {"name": "张强"}])
    fields = [
        (k, v) for k, v in customer_form(manager, f"/customers/{customer.id}/edit") if not k.startswith("contacts-0-")
    ]
    response = manager.post(f"/customers/{customer.id}/edit", data=fields)
    assert response.status_code == 302
    assert _contacts(app, customer.id) == [("李娜", True), ("张强", False)]


def test_replacing_the_primary_contact_by_a_new_one(app, manager, create_customer):
    customer = create_customer(contacts=[{"name": "王伟"}])
    fields = [
        (k, v) for k, v in customer_form(manager, f"/customers/{customer.id}/edit") if not k.startswith("contacts-")
    ]
    response = manager.post(f"/customers/{customer.id}/edit", data=fields + _rows({"name": "赵敏", "is_primary": True}))
    assert response.status_code == 302
    assert _contacts(app, customer.id) == [("赵敏", True)]


def test_the_database_refuses_a_second_primary_contact(app, create_customer):
    """The last guard, on every engine: a partial unique index (a generated column on MariaDB)."""
    customer = create_customer(contacts=[{"name": "王伟"}])
    with app.app_context():
        db.session.add(CustomerContact(customer_id=customer.id, name="李娜", is_primary=True))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.session.add(CustomerContact(customer_id=customer.id, name="李娜", is_primary=False))
        db.session.flush()  # any number of others
        db.session.rollback()


def test_contact_changes_are_in_the_customers_history(app, manager, create_customer):
    customer = create_customer(contacts=[{"name": "王伟", "mobile": "13800000001"}])
    fields = customer_form(manager, f"/customers/{customer.id}/edit")
    fields = support.replace_field(fields, "contacts-0-mobile", "13900000002")
    response = manager.post(f"/customers/{customer.id}/edit", data=fields + _rows({"name": "李娜"}, start=1))
    assert response.status_code == 302
    page = support.html(manager.get(f"/customers/{customer.id}"))
    history = page[page.index("data-history") :]
    assert "13800000001" in history and "13900000002" in history
    assert "Contact 李娜" in history


def test_a_contact_only_change_moves_the_customers_version(app, manager, create_customer):
    customer = create_customer(contacts=[{"name": "王伟"}])
    fields = support.replace_field(
        customer_form(manager, f"/customers/{customer.id}/edit"), "contacts-0-title", "采购经理"
    )
    assert manager.post(f"/customers/{customer.id}/edit", data=fields).status_code == 302
    with app.app_context():
        assert db.session.get(Customer, customer.id).version_id == customer.version_id + 1


def test_saving_unchanged_contacts_changes_nothing(app, manager, create_customer):
    customer = create_customer(contacts=[{"name": "王伟"}, {"name": "李娜"}])
    assert (
        manager.post(
            f"/customers/{customer.id}/edit", data=customer_form(manager, f"/customers/{customer.id}/edit")
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Customer, customer.id).version_id == customer.version_id
    assert _contacts(app, customer.id) == [("王伟", True), ("李娜", False)]


def test_a_contact_of_another_customer_cannot_be_taken_over_by_its_id(app, manager, create_customer):
    victim = create_customer(contacts=[{"name": "王伟"}])
    attacker = create_customer(contacts=[{"name": "李娜"}])
    fields = customer_form(manager, f"/customers/{attacker.id}/edit")
    fields = support.replace_field(fields, "contacts-0-id", str(victim.contacts[0].id))
    assert manager.post(f"/customers/{attacker.id}/edit", data=fields).status_code == 302
    assert _contacts(app, victim.id) == [("王伟", True)]
    assert _contacts(app, attacker.id) == [("李娜", True)]


def test_the_detail_page_lists_the_contacts_with_the_primary_marked(manager, create_customer):
    customer = create_customer(contacts=[{"name": "王伟", "title": "采购经理"}, {"name": "李娜"}])
    page = support.html(manager.get(f"/customers/{customer.id}"))
    table = page[page.index("data-contacts") :]
    assert table.index("王伟") < table.index("李娜")
    assert "data-primary-contact" in table[: table.index("王伟")]
    assert "采购经理" in table
