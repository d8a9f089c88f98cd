"""The product list is kept rendered per process until products, brands or categories change:
whoever changes them, by a form, in bulk or past the ORM, the next page shows it; each viewer sees
the columns and buttons of their own permissions and carries their own form tokens."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.support import form_fields, html


def _row(page: str, model: str) -> str:
    match = re.search(r"<tr[^>]*>(?:(?!</tr>).)*>" + re.escape(model) + r"</a>(?:(?!</tr>).)*</tr>", page, re.S)
    assert match, f"{model} not listed"
    return match.group(0)


@pytest.fixture
def list_runs(monkeypatch):
    """The names of the lists whose rows were read from the database (not answered from a kept copy)."""
    from app.core import listview

    runs: list[str] = []
    real = listview.run

    def counting(spec, can):
        runs.append(spec.name)
        return real(spec, can)

    monkeypatch.setattr(listview, "run", counting)
    return runs


def test_a_page_asked_again_is_answered_from_the_kept_copy(login, create_product, list_runs):
    product = create_product("6310-2Z", "SKF")
    admin = login("admin")
    sales = login("sales")
    first = html(admin.get("/products/?q=6310"))
    assert html(admin.get("/products/?q=6310")).count("6310-2Z</a>") == first.count("6310-2Z</a>") == 1
    assert list_runs == ["products"]
    sales.get("/products/?q=6310")  # another permission set: read and kept for it
    admin.get("/products/?q=6310&sort=model")  # another URL
    assert len(list_runs) == 3
    sales.get("/products/?q=6310")
    assert len(list_runs) == 3
    admin.submit(f"/products/{product.id}/delete", {})
    assert ">6310-2Z</a>" not in html(admin.get("/products/?q=6310"))
    assert len(list_runs) == 4


def test_an_edit_shows_on_the_list_at_once(login, create_product):
    product = create_product("6306-2RS", "SKF", list_price=Decimal("55.00"))
    admin = login("admin")
    assert "55.00" in _row(html(admin.get("/products/?q=6306")), "6306-2RS")
    assert "55.00" in _row(html(admin.get("/products/?q=6306")), "6306-2RS")  # the kept copy
    form = admin.get(f"/products/{product.id}/edit")
    fields = dict(form_fields(html(form), "product-form"))
    fields["list_price"] = "61.50"
    assert admin.post(f"/products/{product.id}/edit", data=fields).status_code == 302
    assert "61.50" in _row(html(admin.get("/products/?q=6306")), "6306-2RS")
    admin.submit(f"/products/{product.id}/delete", {})
    assert ">6306-2RS</a>" not in html(admin.get("/products/?q=6306"))


def test_a_cost_written_past_the_orm_shows_on_the_list(app, login, create_product):
    """Stock posting writes the moving average cost with a bulk UPDATE (PostgreSQL: a text
    statement): the list of someone who may see cost shows the new one on the next page."""
    from app.extensions import db
    from app.products.models import Product

    product = create_product("NJ2210", "NSK")
    purchaser = login("purchaser")  # products.view_cost
    assert ">123.45<" not in _row(html(purchaser.get("/products/?q=NJ2210")), "NJ2210")
    with app.app_context():
        db.session.execute(
            sa.update(Product.__table__).where(Product.__table__.c.id == product.id).values(avg_cost=Decimal("123.45"))
        )
        db.session.commit()
    assert ">123.45<" in _row(html(purchaser.get("/products/?q=NJ2210")), "NJ2210")
    with app.app_context():
        db.session.execute(sa.text("UPDATE products SET avg_cost = 98.76 WHERE id = :id"), {"id": product.id})
        db.session.commit()
    assert ">98.76<" in _row(html(purchaser.get("/products/?q=NJ2210")), "NJ2210")


def test_a_renamed_brand_and_category_show_on_the_list(app, login, create_product):
    from app.extensions import db
    from app.products.models import Brand, Category

    product = create_product("7205BEP", "FAG")
    admin = login("admin")
    assert "FAG" in _row(html(admin.get("/products/?q=7205")), "7205BEP")
    with app.app_context():
        db.session.get(Brand, product.brand_id).name = "SCHAEFFLER"
        db.session.get(Category, product.category_id).name_en = "Ball bearings, deep groove"
        db.session.commit()
    row = _row(html(admin.get("/products/?q=7205")), "7205BEP")
    assert "SCHAEFFLER" in row and "Ball bearings, deep groove" in row


def test_each_viewer_sees_their_own_columns_and_buttons(login, create_product):
    create_product("32210", "TIMKEN")
    admin = login("admin")
    sales = login("sales")
    page = html(admin.get("/products/"))  # kept for the admin's permission set first
    assert "Moving average cost" in page and 'id="batch-form"' in page and 'id="product-new"' in page
    page = html(sales.get("/products/"))
    assert "Moving average cost" not in page
    assert 'id="batch-form"' not in page and 'id="product-new"' not in page
    zh = login("sales", username="sales-zh", locale="zh")
    assert "产品" in html(zh.get("/products/")) and "Moving average cost" not in html(zh.get("/products/"))


def test_a_kept_page_carries_each_requests_own_tokens(login, create_product):
    first = create_product("6008-2Z", "NTN")
    second = create_product("6009-2Z", "NTN")
    admin = login("admin")
    other = login("admin", username="admin2")
    url = "/products/?q=NTN&sort=model"
    pages = [html(admin.get(url)), html(admin.get(url)), html(other.get(url))]
    forms = [dict(form_fields(page, "batch-form")) for page in pages]
    assert all(f["next"] == url for f in forms)
    assert len({f["_once"] for f in forms}) == 3  # a fresh one-time token on every page
    assert forms[0]["csrf_token"] != forms[2]["csrf_token"]  # each session's own CSRF token
    # The kept copy's form works: delete both from the second (cached) page.
    response = admin.post("/products/delete", data=[*forms[1].items(), ("ids", str(first.id)), ("ids", str(second.id))])
    assert response.status_code == 302 and response.headers["Location"] == url
    page = html(admin.get(response.headers["Location"]))
    assert "2 products deleted." in page and "6008-2Z" not in page


def test_a_transaction_reads_its_own_uncommitted_brands(app, create_brand):
    from app.extensions import db
    from app.products.lists import BRANDS
    from app.products.models import Brand

    create_brand("SKF")
    with app.test_request_context("/products/"):
        assert "SKF" in [name for _, name in BRANDS.get()]
        db.session.add(Brand(name="KOYO", name_key=Brand.key_for("KOYO"), name_zh="光洋"))
        db.session.flush()
        assert "KOYO" in [name for _, name in BRANDS.get()]
        db.session.rollback()
        assert "KOYO" not in [name for _, name in BRANDS.get()]
