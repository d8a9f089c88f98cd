"""The demo customers and suppliers: enough of them, owned as the demo needs, one primary contact each."""

import sqlalchemy as sa

from app.auth.models import User
from app.customers.models import Customer, CustomerContact
from app.extensions import db
from app.suppliers.models import Supplier, SupplierContact


def _seed(app):
    from app.auth import seed as auth_seed
    from app.customers import seed as customer_seed
    from app.suppliers import seed as supplier_seed

    messages = []
    with app.app_context():
        for module in (auth_seed, customer_seed, supplier_seed):
            module.seed_demo(messages.append)
        db.session.commit()
    return messages


def test_the_demo_seed_makes_customers_for_both_salespeople_and_some_for_nobody(app, ctx):
    _seed(app)
    owners = dict(
        db.session.execute(
            sa.select(User.username, sa.func.count())
            .select_from(Customer)
            .outerjoin(User, User.id == Customer.owner_id)
            .group_by(User.username)
        ).all()
    )
    assert sum(owners.values()) >= 200
    assert owners["sales"] >= 50 and owners["sales2"] >= 50 and owners[None] >= 20
    english = db.session.scalar(sa.select(sa.func.count()).select_from(Customer).where(Customer.doc_language == "en"))
    assert english >= 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Supplier)) >= 30


def test_every_demo_company_has_exactly_one_primary_contact(app, ctx):
    _seed(app)
    for parent, contact, key in (
        (Customer, CustomerContact, CustomerContact.customer_id),
        (Supplier, SupplierContact, SupplierContact.supplier_id),
    ):
        primaries = dict(
            db.session.execute(sa.select(key, sa.func.count()).where(contact.is_primary.is_(True)).group_by(key)).all()
        )
        ids = db.session.scalars(sa.select(parent.id)).all()
        assert ids and all(primaries.get(i) == 1 for i in ids)


def test_the_demo_seed_is_deterministic_and_runs_twice_without_duplicates(app, ctx):
    from app.customers.seed import demo_customers

    assert demo_customers() == demo_customers()
    _seed(app)
    first = db.session.scalar(sa.select(sa.func.count()).select_from(Customer))
    messages = _seed(app)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == first
    assert "customers: 0 created" in messages and "suppliers: 0 created" in messages


def test_demo_customers_are_found_by_the_search(app, login):
    _seed(app)
    manager = login("manager")
    rows = manager.get("/api/customers/search?q=ＳＨＡＮＧＨＡＩ").get_json()["results"]
    assert rows == [] or all("shanghai" in r["name"].lower() for r in rows)
    rows = manager.get("/api/customers/search?q=上海").get_json()["results"]
    assert rows and all(r["name"].startswith("上海") or "上海" in r["name"] for r in rows)
