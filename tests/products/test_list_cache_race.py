"""A product changed by another worker while a list request is under way, on connections that
really commit: the page that request keeps must not outlive the change.

On SQLite a request's reads share one snapshot from its first SELECT (the signed-in user) on; the
data versions a kept page is filed under are read before that, with the session, so a copy read
from an older snapshot is never filed under a newer version.
"""

import threading
from decimal import Decimal

import sqlalchemy as sa

from tests import support


def _price_in_list(client, model: str) -> str:
    page = support.html(client.get(f"/products/?q={model}"))
    row = page[page.index(f">{model}</a>") :]
    return row[: row.index("</tr>")]


def test_a_change_committed_during_a_list_request_shows_on_the_next_page(committed_app, monkeypatch):
    from app.auth import sessions
    from app.auth.models import Role, User
    from app.extensions import db
    from app.products import services
    from app.products.models import Product

    app = committed_app
    with app.app_context():
        admin = User(
            username="race-admin",
            display_name="race-admin",
            password_hash=support.password_hash(),
            roles=list(db.session.scalars(sa.select(Role).where(Role.name == "admin"))),
        )
        db.session.add(admin)
        brand = services.save_brand(None, name="RACEBRAND", name_zh="", note="")
        db.session.flush()
        product = services.create_product(
            services.ProductData(
                brand_id=brand.id,
                model="RACE6204",
                name_zh="深沟球轴承",
                name_en="Deep groove ball bearing",
                category_id=None,
                list_price=Decimal("10.00"),
            )
        )
        db.session.commit()
        product_id = product.id

    client = support.Client(app, app.response_class)
    assert client.login("race-admin").status_code == 302
    assert ">10.00<" in _price_in_list(client, "RACE6204")  # kept now

    real = sessions.registered_and_get
    done = []

    def another_worker_commits_first(*args, **kwargs):
        # Runs after this request has read its user (its SQLite snapshot has begun).
        if not done:
            done.append(True)
            worker = threading.Thread(target=change_price)
            worker.start()
            worker.join(10)
        return real(*args, **kwargs)

    def change_price() -> None:
        with app.app_context():
            db.session.execute(
                sa.update(Product.__table__)
                .where(Product.__table__.c.id == product_id)
                .values(list_price=Decimal("20.00"))
            )
            db.session.commit()
            db.session.remove()

    monkeypatch.setattr(sessions, "registered_and_get", another_worker_commits_first)
    _price_in_list(client, "RACE6204")  # the request the change overtook: old or new, either is fair
    assert done
    assert ">20.00<" in _price_in_list(client, "RACE6204")
