"""Own / all scope: a salesperson sees only the customers they own, by every URL."""

import csv
import io
import re

import openpyxl
import pytest

from tests import support


@pytest.fixture
def two_salespeople(login, create_customer):
    """Two salespeople ("sales" role), a customer of each, and one owned by nobody."""
    first, second = login("sales"), login("sales")
    mine = create_customer("上海恒通轴承有限公司", owner=first.user.id, phone="021-58881234")
    theirs = create_customer("上海恒通机电设备有限公司", owner=second.user.id, phone="021-58885678")
    nobodys = create_customer("上海恒通传动机械贸易有限公司", phone="021-58889999")
    return first, second, mine, theirs, nobodys


def _listed_codes(response) -> set[str]:
    assert response.status_code == 200
    page = support.html(response)
    if 'data-list="customers"' not in page:
        return set()
    body = page[page.index('data-list="customers"') :]
    return set(re.findall(r"<code>([^<]+)</code>", body))


def test_the_list_shows_a_salesperson_only_their_own_customers(two_salespeople):
    first, second, mine, theirs, _nobodys = two_salespeople
    assert _listed_codes(first.get("/customers/")) == {mine.code}
    assert _listed_codes(second.get("/customers/")) == {theirs.code}


def test_a_search_does_not_reach_another_salespersons_customers(two_salespeople):
    first, _second, mine, _theirs, _nobodys = two_salespeople
    assert _listed_codes(first.get("/customers/?q=上海恒通")) == {mine.code}
    assert _listed_codes(first.get("/customers/?q=021-5888")) == {mine.code}
    assert _listed_codes(first.get("/customers/?status=deleted")) == set()


def test_the_owner_filter_is_not_offered_and_not_obeyed_without_view_all(two_salespeople):
    first, _second, mine, theirs, _nobodys = two_salespeople
    page = support.html(first.get("/customers/"))
    assert 'name="owner"' not in page
    assert _listed_codes(first.get(f"/customers/?owner={theirs.owner_id}")) == {mine.code}


def test_a_manager_sees_every_customer_and_can_filter_by_owner(login, two_salespeople):
    _first, second, mine, theirs, nobodys = two_salespeople
    manager = login("manager")
    assert {mine.code, theirs.code, nobodys.code} <= _listed_codes(manager.get("/customers/"))
    assert _listed_codes(manager.get(f"/customers/?owner={second.user.id}")) == {theirs.code}
    assert nobodys.code in _listed_codes(manager.get("/customers/?owner=none"))
    assert mine.code not in _listed_codes(manager.get("/customers/?owner=none"))


@pytest.mark.parametrize(
    "path",
    ["/customers/{id}", "/customers/{id}/edit"],
)
def test_another_salespersons_customer_answers_404(two_salespeople, path):
    first, _second, mine, theirs, nobodys = two_salespeople
    assert first.get(path.format(id=mine.id)).status_code == 200
    assert first.get(path.format(id=theirs.id)).status_code == 404
    assert first.get(path.format(id=nobodys.id)).status_code == 404


def test_saving_another_salespersons_customer_answers_404_and_changes_nothing(app, two_salespeople):
    from app.customers.models import Customer
    from app.extensions import db

    first, _second, _mine, theirs, _nobodys = two_salespeople
    response = first.submit(f"/customers/{theirs.id}/edit", {"name": "Taken over", "type": "end_user"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Customer, theirs.id).name == theirs.name


def test_deleting_or_restoring_another_salespersons_customer_answers_404(
    app, login, create_role, create_user, create_customer
):
    """A role that may delete customers but not see all of them still deletes only its own."""
    from app.customers.models import Customer
    from app.extensions import db

    role = create_role(permissions=["customers.view", "customers.edit", "customers.delete"])
    me = create_user(roles=[role])
    client = app.test_client()
    client.login(me.username)
    other = create_customer("Other Owner Ltd", owner=create_user(roles=["sales"]).id)
    assert client.submit(f"/customers/{other.id}/delete").status_code == 404
    assert client.submit(f"/customers/{other.id}/restore").status_code == 404
    response = client.submit("/customers/delete", {"ids": str(other.id)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Customer, other.id).deleted_at is None


def test_exports_hold_only_the_salespersons_own_customers(two_salespeople):
    first, _second, mine, _theirs, _nobodys = two_salespeople
    text = first.get("/customers/export.csv").get_data(as_text=True)
    codes = [row[0] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))][1:]
    assert codes == [mine.code]
    workbook = openpyxl.load_workbook(io.BytesIO(first.get("/customers/export.xlsx").get_data()))
    sheet = workbook.active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [mine.code]


def test_the_typeahead_offers_only_the_salespersons_own_customers(two_salespeople):
    first, second, mine, theirs, _nobodys = two_salespeople
    found = first.get("/api/customers/search?q=上海恒通").get_json()["results"]
    assert [r["code"] for r in found] == [mine.code]
    found = second.get("/api/customers/search?q=").get_json()["results"]
    assert [r["code"] for r in found] == [theirs.code]


def test_a_salesperson_never_sees_the_history_of_another_salespersons_customer(two_salespeople):
    first, second, _mine, theirs, _nobodys = two_salespeople
    fields = support.form_fields(support.html(second.get(f"/customers/{theirs.id}/edit")), "customer-form")
    saved = second.post(f"/customers/{theirs.id}/edit", data=support.replace_field(fields, "note", "secret terms"))
    assert saved.status_code == 302
    own_history = support.html(second.get(f"/customers/{theirs.id}"))
    assert "secret terms" in own_history
    assert first.get(f"/customers/{theirs.id}").status_code == 404
    # The full operation log needs audit.view, which salespeople do not hold.
    assert first.get(f"/admin/audit/?type=customer&object_id={theirs.id}").status_code == 403


def test_the_scope_filter_is_one_condition_usable_without_a_request(app, two_salespeople):
    import sqlalchemy as sa

    from app.customers.models import Customer
    from app.customers.scope import visible_customers_filter
    from app.extensions import db

    first, _second, mine, _theirs, _nobodys = two_salespeople
    with app.app_context():
        own = db.session.scalars(
            sa.select(Customer.code).where(visible_customers_filter(user_id=first.user.id, view_all=False))
        ).all()
        every = db.session.scalars(sa.select(Customer.code).where(visible_customers_filter(view_all=True))).all()
    assert own == [mine.code]
    assert len(every) == 3


def test_a_reassigned_customer_moves_between_the_two_lists_at_once(app, two_salespeople):
    """Each salesperson's list is kept per person; a new owner shows in both on the next page."""
    from app.customers.models import Customer
    from app.extensions import db

    first, second, mine, theirs, _nobodys = two_salespeople
    assert _listed_codes(first.get("/customers/")) == {mine.code}
    assert _listed_codes(second.get("/customers/")) == {theirs.code}
    assert _listed_codes(first.get("/customers/")) == {mine.code}  # kept: each their own copy
    with app.app_context():
        db.session.get(Customer, mine.id).owner_id = second.user.id
        db.session.commit()
    assert _listed_codes(first.get("/customers/")) == set()
    assert _listed_codes(second.get("/customers/")) == {mine.code, theirs.code}
