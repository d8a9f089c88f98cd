"""Two people editing one customer: the second save is refused with both values, nothing typed is lost."""

import html as html_lib
import re

from app.customers.models import Customer
from app.extensions import db
from tests import support
from tests.customers.conftest import customer_form


def _conflict_rows(response) -> list[tuple[str, str, str]]:
    page = support.html(response)
    table = page[page.index("data-conflict-table") : page.index("</table>", page.index("data-conflict-table"))]
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td[^>]*>(.*?)</td>", table, re.S)
    return [tuple(html_lib.unescape(cell.strip()) for cell in row) for row in rows]


def _two_editors(login, create_user):
    first = login("manager")
    second = login("manager")
    return first, second


def test_the_second_save_is_refused_showing_both_values(app, login, create_customer):
    alice, bob = login("manager"), login("manager")
    customer = create_customer("Shared Record Ltd", address="Old Road 1", contacts=[{"name": "王伟"}])
    url = f"/customers/{customer.id}/edit"
    alice_form, bob_form = customer_form(alice, url), customer_form(bob, url)

    saved = alice.post(url, data=support.replace_field(alice_form, "address", "Alice Street 2"))
    assert saved.status_code == 302

    refused = bob.post(url, data=support.replace_field(bob_form, "address", "Bob Avenue 3"))
    assert refused.status_code == 200
    page = support.html(refused)
    assert "data-conflict" in page
    assert alice.user.display_name in page[page.index("data-conflict") :][:2000]
    assert _conflict_rows(refused) == [("Address", "Alice Street 2", "Bob Avenue 3")]
    shown = support.form_fields(page, "customer-form")
    assert ("address", "Bob Avenue 3") in shown
    assert ("version_id", str(customer.version_id + 1)) in shown

    with app.app_context():
        assert db.session.get(Customer, customer.id).address == "Alice Street 2"

    # Having compared, Bob saves again on purpose.
    assert bob.post(url, data=shown).status_code == 302
    with app.app_context():
        assert db.session.get(Customer, customer.id).address == "Bob Avenue 3"


def test_a_contact_changed_meanwhile_is_shown_in_the_conflict(app, login, create_customer):
    alice, bob = login("manager"), login("manager")
    customer = create_customer("Contact Race Ltd", contacts=[{"name": "王伟", "mobile": "13800000001"}])
    url = f"/customers/{customer.id}/edit"
    alice_form, bob_form = customer_form(alice, url), customer_form(bob, url)
    assert (
        alice.post(url, data=support.replace_field(alice_form, "contacts-0-mobile", "13911112222")).status_code == 302
    )
    refused = bob.post(url, data=support.replace_field(bob_form, "contacts-0-mobile", "13733334444"))
    assert refused.status_code == 200
    rows = _conflict_rows(refused)
    assert len(rows) == 1 and rows[0][0] == "Contacts"
    assert "13911112222" in rows[0][1] and "13733334444" in rows[0][2]
    with app.app_context():
        assert db.session.get(Customer, customer.id).contacts[0].mobile == "13911112222"


def test_a_stale_copy_of_unchanged_fields_is_still_refused(app, login, create_customer):
    """Even when Bob changes a field Alice did not touch, he is told his copy was old."""
    alice, bob = login("manager"), login("manager")
    customer = create_customer("Partial Race Ltd")
    url = f"/customers/{customer.id}/edit"
    alice_form, bob_form = customer_form(alice, url), customer_form(bob, url)
    assert alice.post(url, data=support.replace_field(alice_form, "fax", "021-1")).status_code == 302
    refused = bob.post(url, data=support.replace_field(bob_form, "website", "www.example.com"))
    assert refused.status_code == 200 and "data-conflict" in support.html(refused)
    rows = _conflict_rows(refused)
    assert ("Fax", "021-1", "—") in rows and ("Website", "—", "www.example.com") in rows
