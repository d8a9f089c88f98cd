"""Products: the list (search, filters, sort, pagination), forms, history, delete/restore, exports, typeahead."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from tests.support import form_fields, html, replace_field


@pytest.fixture
def catalogue(create_product):
    """A few products people really ask for."""
    return {
        "skf6204": create_product(
            "6204-2RS", "SKF", name_zh="深沟球轴承 双面密封", name_en="Deep groove ball bearing, sealed"
        ),
        "nsk6204": create_product(
            "6204ZZ", "NSK", name_zh="深沟球轴承 防尘盖", name_en="Deep groove ball bearing, shielded"
        ),
        "fag6205": create_product("6205-2Z", "FAG", list_price=Decimal("40.00")),
        "nu2208": create_product(
            "NU2208ECP",
            "SKF",
            name_zh="圆柱滚子轴承",
            name_en="Cylindrical roller bearing",
            list_price=Decimal("380.50"),
        ),
        "srb": create_product("22220E", "SKF", name_zh="调心滚子轴承", name_en="Spherical roller bearing"),
    }


def _models(response) -> list[str]:
    import re

    return re.findall(r'href="/products/\d+">([^<]+)</a>', html(response))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("6204-2RS", {"6204-2RS"}),
        ("62042rs", {"6204-2RS"}),
        ("6204 2rs", {"6204-2RS"}),
        ("６２０４－２ＲＳ", {"6204-2RS"}),  # full-width, as typed with a Chinese input method
        ("6204", {"6204-2RS", "6204ZZ"}),
        ("skf 6204", {"6204-2RS"}),
        ("ＳＫＦ", {"6204-2RS", "NU2208ECP", "22220E"}),
        ("nu2208", {"NU2208ECP"}),
        ("NU 2208 ECP", {"NU2208ECP"}),
        ("深沟球", {"6204-2RS", "6204ZZ", "6205-2Z"}),
        ("6204 sealed", {"6204-2RS"}),
        ("cylindrical", {"NU2208ECP"}),
        ("ROLLER", {"NU2208ECP", "22220E"}),
        ("防尘", {"6204ZZ"}),
        ("深沟球 密封", {"6204-2RS"}),  # every name word must be there
        ("roller spherical", {"22220E"}),
        ("nu", {"NU2208ECP"}),  # letters only, short: also the start of a model (a series)
    ],
)
def test_search_ignores_case_width_spaces_and_separators(login, catalogue, q, expected):
    admin = login("admin")
    response = admin.get("/products/", query_string={"q": q})
    assert set(_models(response)) == expected


def test_the_list_shows_an_empty_state_and_keeps_the_search(login, catalogue):
    admin = login("admin")
    page = html(admin.get("/products/?q=nothing-like-this"))
    assert "data-empty-state" in page and "Nothing matches these filters." in page
    assert 'value="nothing-like-this"' in page


def test_filters_sort_and_page_links_are_bookmarkable(login, catalogue, create_product):
    admin = login("admin")
    for i in range(25):
        create_product(f"6300-{i:02d}", "SKF")
    page = admin.get("/products/?brand=&sort=model&per_page=20")
    models = _models(page)
    assert models == sorted(models)
    second = admin.get("/products/?sort=model&per_page=20&page=2")
    assert set(_models(second)).isdisjoint(models)
    descending = _models(admin.get("/products/?sort=-list_price"))
    assert descending[0] == "NU2208ECP"
    assert 'href="/products/?sort=model&amp;per_page=20&amp;page=1" rel="prev"' in html(second)


def test_a_name_search_pages_newest_first_without_gaps(login, create_product):
    # A name search reads the full-text index in product order; page 2 continues where page 1 ended.
    made = [
        create_product(f"7{i:03d}", "SKF", name_zh="角接触球轴承", name_en="Angular contact ball bearing")
        for i in range(25)
    ]
    create_product("6000", "SKF", name_zh="深沟球轴承", name_en="Deep groove ball bearing")
    admin = login("admin")
    first = _models(admin.get("/products/?q=角接触"))
    second = _models(admin.get("/products/?q=角接触&page=2"))
    assert first + second == [p.model for p in reversed(made)]
    assert "Rows 21–25 of 25" in html(admin.get("/products/?q=角接触&page=2&lang=en"))


def test_unknown_sort_falls_back_to_newest_first(login, catalogue):
    admin = login("admin")
    assert _models(admin.get("/products/?sort=password_hash"))[0] == "22220E"


def test_cost_is_shown_only_with_view_cost(login, catalogue):
    purchaser = login("purchaser")  # products.view_cost
    sales = login("sales")
    assert "Moving average cost" in html(purchaser.get("/products/"))
    assert "Moving average cost" not in html(sales.get("/products/"))
    product_id = catalogue["skf6204"].id
    assert "data-cost" in html(purchaser.get(f"/products/{product_id}"))
    assert "data-cost" not in html(sales.get(f"/products/{product_id}"))


def test_create_product_and_see_it_with_its_history(app, login, create_brand):
    admin = login("admin")
    brand = create_brand("TIMKEN")
    form = form_fields(html(admin.get("/products/new")), "product-form")
    form = replace_field(form, "brand_id", str(brand.id))
    form = replace_field(form, "model", " 30205 ")
    form = replace_field(form, "name_zh", "圆锥滚子轴承")
    form = replace_field(form, "list_price", "1,234.50")
    form = replace_field(form, "bore_d", "２５")  # full-width digits are fine
    response = admin.post("/products/new", data=form)
    assert response.status_code == 302, html(response)[-3000:]
    page = html(admin.get(response.headers["Location"]))
    assert "TIMKEN 30205" in page
    assert "¥1,234.50" in page or "CN¥1,234.50" in page
    assert "data-history" in page and "30205" in page


def test_form_errors_keep_what_was_typed(login, catalogue):
    admin = login("admin")
    form = form_fields(html(admin.get("/products/new")), "product-form")
    form = replace_field(form, "model", "6204-2rs")  # already exists for SKF (separators ignored)
    form = replace_field(form, "brand_id", str(catalogue["skf6204"].brand_id))
    form = replace_field(form, "name_en", "Typed name")
    form = replace_field(form, "list_price", "12,5x")
    response = admin.post("/products/new", data=form)
    page = html(response)
    assert "Enter a number, e.g. 1234.50." in page
    assert 'value="12,5x"' in page and 'value="Typed name"' in page
    form = replace_field(form, "list_price", "12.50")
    duplicate = html(admin.post("/products/new", data=form))
    assert "The product SKF 6204-2RS already exists." in duplicate


def test_negative_numbers_are_refused(login, catalogue):
    admin = login("admin")
    path = f"/products/{catalogue['fag6205'].id}/edit"
    form = replace_field(form_fields(html(admin.get(path)), "product-form"), "list_price", "-1")
    assert "Enter a number of at least 0." in html(admin.post(path, data=form))


def test_concurrent_edits_are_refused_side_by_side(app, login, catalogue):
    from app.extensions import db
    from app.products.models import Product

    one, two = login("admin", username="editor_one"), login("admin", username="editor_two")
    path = f"/products/{catalogue['fag6205'].id}/edit"
    a = form_fields(html(one.get(path)), "product-form")
    b = form_fields(html(two.get(path)), "product-form")
    assert one.post(path, data=replace_field(a, "list_price", "41.00")).status_code == 302
    refused = two.post(path, data=replace_field(b, "list_price", "39.00"))
    page = html(refused)
    assert "data-conflict" in page and "Editor_One saved it at" in page
    assert "41" in page and 'value="39.00"' in page
    with app.app_context():
        assert db.session.get(Product, catalogue["fag6205"].id).list_price == Decimal("41.0000")


def test_delete_restore_and_batch_delete(app, login, catalogue):
    from app.extensions import db
    from app.products.models import Product

    admin = login("admin")
    product_id = catalogue["nu2208"].id
    admin.submit(f"/products/{product_id}/delete", {})
    assert "NU2208ECP" not in _models(admin.get("/products/"))
    assert "NU2208ECP" in _models(admin.get("/products/?status=deleted"))
    admin.submit(f"/products/{product_id}/restore", {})
    assert "NU2208ECP" in _models(admin.get("/products/"))
    ids = [catalogue["skf6204"].id, catalogue["srb"].id]
    response = admin.submit("/products/delete", [("ids", str(i)) for i in ids] + [("next", "/products/?q=skf")])
    assert response.headers["Location"] == "/products/?q=skf"
    assert "2 products deleted." in html(admin.get("/products/"))
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Product)
                .where(Product.id.in_(ids), Product.deleted_at.is_not(None))
            )
            == 2
        )


def test_delete_is_refused_while_something_uses_the_product(app, login, catalogue):
    from app.core.registry import UsageCheck, _usage_checks, register_usage_check

    admin = login("admin")
    register_usage_check(
        "product", UsageCheck("test-lines", "quotation lines", lambda p: 3 if p.model == "22220E" else 0)
    )
    try:
        response = admin.submit(f"/products/{catalogue['srb'].id}/delete", {})
        page = html(admin.get(response.headers["Location"]))
        assert "SKF 22220E cannot be deleted: it is used by 3 quotation lines." in page
        batch = admin.submit(
            "/products/delete", [("ids", str(catalogue["srb"].id)), ("ids", str(catalogue["fag6205"].id))]
        )
        page = html(admin.get(batch.headers["Location"]))
        assert "1 products deleted." in page and "cannot be deleted" in page
    finally:
        _usage_checks["product"] = [c for c in _usage_checks["product"] if c.key != "test-lines"]


def test_cost_changes_are_hidden_in_history_without_view_cost(app, login, catalogue):
    from app.core.db import acting_as
    from app.extensions import db
    from app.products.models import Product

    with app.app_context(), acting_as(None):
        product = db.session.get(Product, catalogue["fag6205"].id)
        product.avg_cost = Decimal("25.1234")
        product.list_price = Decimal("45.00")
        db.session.commit()
    manager = login("manager")  # audit.view and view_cost
    warehouse_admin = login("admin")
    assert "25.1234" in html(manager.get(f"/products/{catalogue['fag6205'].id}"))
    from app.auth.models import Role, RolePermission

    with app.app_context():
        role = Role(
            name="no_cost",
            title_zh="无成本",
            title_en="No cost",
            description="",
            grants=[RolePermission(permission=p) for p in ("products.view", "products.edit", "audit.view")],
        )
        db.session.add(role)
        db.session.commit()
    no_cost = login("no_cost")
    page = html(no_cost.get(f"/products/{catalogue['fag6205'].id}"))
    assert "45.00" in page  # the list price change is shown
    assert "25.1234" not in page  # the cost change is not
    assert "25.1234" not in html(no_cost.get("/admin/audit/?type=product"))
    assert warehouse_admin.get("/products/").status_code == 200


def _export(client, fmt: str, query: str = ""):
    response = client.get(f"/products/export.{fmt}{query}")
    assert response.status_code == 200
    return response


def test_xlsx_export_holds_what_the_list_shows_with_numbers_as_numbers(login, catalogue):
    manager = login("manager")  # products.export and products.view_cost
    response = _export(manager, "xlsx", "?q=skf")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert "Brand" in header and "Model" in header and "Moving average cost" in header
    models = {r[header.index("Model")] for r in rows[1:]}
    assert models == {"6204-2RS", "NU2208ECP", "22220E"}
    price = next(r for r in rows[1:] if r[header.index("Model")] == "NU2208ECP")[header.index("List price")]
    assert isinstance(price, float) and price == 380.5
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]


def test_csv_export_has_a_bom_translated_headers_and_no_cost_without_view_cost(login, create_role, catalogue):
    exporter = login(create_role("exporter", ["products.view", "products.export"]).name, locale="zh")
    response = _export(exporter, "csv", "?lang=zh")
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:2] == ["品牌", "型号"]
    assert "移动加权平均成本" not in rows[0]
    assert len(rows) == 1 + len(catalogue)


def test_export_needs_the_export_permission(login):
    assert login("sales").get("/products/export.xlsx").status_code == 403
    assert login("admin").get("/products/export.pdf").status_code == 404


def test_typeahead_returns_products_and_cost_only_for_view_cost(login, catalogue):
    sales = login("sales")
    data = sales.get("/api/products/search?q=6204").get_json()["results"]
    assert {r["model"] for r in data} == {"6204-2RS", "6204ZZ"}
    assert all("avg_cost" not in r for r in data)
    assert "avg_cost" in login("purchaser").get("/api/products/search?q=6204").get_json()["results"][0]
    assert login("finance").get("/api/products/search?q=6204").status_code == 200


def test_typeahead_leaves_out_deleted_and_inactive_products(login, catalogue, create_product):
    admin = login("admin")
    create_product("6204-OLD", "SKF", is_active=False)
    admin.submit(f"/products/{catalogue['nsk6204'].id}/delete", {})
    data = admin.get("/api/products/search?q=6204").get_json()["results"]
    assert {r["model"] for r in data} == {"6204-2RS"}


def _filter_options(client, name: str) -> list[str]:
    import re

    page = html(client.get("/products/"))
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_brands_and_categories(app, login, catalogue):
    admin = login("admin")
    # The list's filters are cached per process; a change shows on the next request.
    assert "KOYO" not in _filter_options(admin, "brand")
    assert "Cylindrical roller bearings" not in _filter_options(admin, "category")
    response = admin.submit(
        "/products/brands/", {"name": " koyo ", "name_zh": "光洋", "note": ""}, token_from="/products/brands/"
    )
    assert response.status_code == 302
    page = html(admin.get("/products/brands/"))
    assert "KOYO" in page and "光洋" in page
    assert "KOYO" in _filter_options(admin, "brand")
    dup = admin.submit(
        "/products/brands/", {"name": "ＫＯＹＯ", "name_zh": "", "note": ""}, token_from="/products/brands/"
    )
    assert "The brand KOYO already exists." in html(dup)
    from app.extensions import db
    from app.products.models import Brand

    with app.app_context():
        skf = db.session.scalar(sa.select(Brand).where(Brand.name == "SKF"))
    refused = admin.submit(f"/products/brands/{skf.id}/delete", {}, token_from="/products/brands/")
    assert "SKF cannot be deleted: it is used by 3 products." in html(admin.get(refused.headers["Location"]))
    cat = admin.submit(
        "/products/categories/",
        {"code": "crb", "name_zh": "圆柱滚子轴承", "name_en": "Cylindrical roller bearings"},
        token_from="/products/categories/",
    )
    assert cat.status_code == 302
    assert "CRB" in html(admin.get("/products/categories/"))
    assert "Cylindrical roller bearings" in _filter_options(admin, "category")


def test_only_editors_change_brands(login):
    sales = login("sales")
    assert sales.get("/products/brands/").status_code == 200
    assert sales.submit("/products/brands/", {"name": "X1"}, token_from="/products/brands/").status_code == 403
