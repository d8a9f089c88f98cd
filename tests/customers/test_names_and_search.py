"""Names are unique whatever their case, width or spacing; search ignores the same differences.

Decision (documented in core/text.py ``name_key``): spaces beside Chinese characters are dropped,
so "上海 恒通 轴承" and "上海恒通轴承" are the same name; between Latin words spaces are collapsed
but kept, so "Hengtong Bearing" and "HengtongBearing" are two names.
"""

import pytest
import sqlalchemy as sa

from app.core.contacts import ContactData
from app.core.errors import DomainError
from app.customers import services
from app.customers.models import Customer
from app.extensions import db
from tests import support


def _create(app, name: str, **fields) -> tuple[int, str]:
    """Create a customer through the service; return its id and code."""
    with app.app_context():
        customer = services.create_customer(
            services.CustomerData(name=name, **fields), actor_id=None, may_assign_owner=True
        )
        db.session.commit()
        return customer.id, customer.code


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("上海恒通轴承有限公司", "上海 恒通 轴承 有限公司"),
        ("上海恒通轴承有限公司", "上海恒通轴承有限公司 "),
        ("Shanghai Hengtong Bearing Co.", "SHANGHAI  hengtong   BEARING co."),
        ("Shanghai Hengtong Bearing Co.", "ＳＨＡＮＧＨＡＩ Ｈｅｎｇｔｏｎｇ Ｂｅａｒｉｎｇ Ｃｏ．"),
        ("SKF（上海）轴承", "skf(上海)轴承"),
    ],
)
def test_a_name_differing_only_in_case_width_or_spacing_is_refused(app, create_customer, first, second):
    create_customer(first)
    with app.test_request_context("/?lang=en"), pytest.raises(DomainError, match="already exists"):
        services.create_customer(services.CustomerData(name=second), actor_id=None, may_assign_owner=True)


def test_spaces_between_latin_words_still_separate_names(app, create_customer):
    create_customer("Hengtong Bearing")
    customer_id, _code = _create(app, "HengtongBearing")
    assert customer_id is not None


def test_the_name_is_stored_as_typed_but_tidied(app, create_customer):
    customer = create_customer("  上海  恒通\t轴承  ")
    assert customer.name == "上海 恒通 轴承"
    assert customer.name_key == "上海恒通轴承"


def test_a_deleted_customer_with_the_same_name_is_named_in_the_refusal(app, create_customer):
    customer = create_customer("Deleted Twin Ltd")
    with app.test_request_context("/?lang=en"):
        services.delete_customer(db.session.get(Customer, customer.id))
        db.session.commit()
        with pytest.raises(DomainError, match="A deleted customer is named Deleted Twin Ltd"):
            services.create_customer(
                services.CustomerData(name="deleted twin ltd"), actor_id=None, may_assign_owner=True
            )
        db.session.rollback()


def test_the_form_shows_the_clash_and_keeps_the_input(login, create_customer):
    manager = login("manager")
    create_customer("上海恒通轴承有限公司")
    fields = support.form_fields(support.html(manager.get("/customers/new")), "customer-form")
    fields = support.replace_field(fields, "name", "上海 恒通 轴承有限公司")
    response = manager.post("/customers/new", data=support.replace_field(fields, "address", "浦东新区 88 号"))
    assert response.status_code == 200
    page = support.html(response)
    assert "A customer named 上海恒通轴承有限公司 already exists." in page
    assert ("address", "浦东新区 88 号") in support.form_fields(page, "customer-form")


# --- codes ---------------------------------------------------------------------------------------


def test_codes_are_numbered_when_left_empty(create_customer):
    first, second = create_customer(), create_customer()
    assert first.code.startswith("C") and len(first.code) == 7
    assert int(second.code[1:]) == int(first.code[1:]) + 1


def test_a_typed_code_is_kept_upper_case_and_numbering_continues_after_it(create_customer):
    typed = create_customer(code="ｃ００５０００")
    assert typed.code == "C005000"
    assert create_customer().code == "C005001"
    assert create_customer(code="vip-01").code == "VIP-01"
    assert create_customer().code == "C005002"


def test_a_taken_code_or_a_malformed_one_is_refused(app, create_customer):
    create_customer(code="VIP-01")
    with app.test_request_context("/?lang=en"):
        with pytest.raises(DomainError, match="already taken"):
            services.create_customer(
                services.CustomerData(name="Other", code="vip-01"), actor_id=None, may_assign_owner=True
            )
        with pytest.raises(DomainError, match="up to 20 letters"):
            services.create_customer(
                services.CustomerData(name="Other", code="C#1"), actor_id=None, may_assign_owner=True
            )
        db.session.rollback()


def test_an_automatic_code_taken_at_the_same_moment_is_replaced_by_the_next(app, create_customer, monkeypatch):
    """Two people creating customers at once: the second write picks the next free number."""
    taken = create_customer()
    calls = []

    def stale_next_code(column, prefix, width=6):
        calls.append(1)
        from app.core.codes import next_code

        return taken.code if len(calls) == 1 else next_code(column, prefix, width)

    monkeypatch.setattr(services, "next_code", stale_next_code)
    _id, code = _create(app, "Raced Co", contacts=[ContactData(name="王伟")])
    assert code == f"C{int(taken.code[1:]) + 1:06d}"
    assert len(calls) == 2


def test_editing_with_an_empty_code_keeps_the_code(app, login, create_customer):
    manager = login("manager")
    customer = create_customer()
    url = f"/customers/{customer.id}/edit"
    fields = support.form_fields(support.html(manager.get(url)), "customer-form")
    assert manager.post(url, data=support.replace_field(fields, "code", "")).status_code == 302
    with app.app_context():
        assert db.session.get(Customer, customer.id).code == customer.code


# --- search ----------------------------------------------------------------------------------------


@pytest.fixture
def searchable(create_customer):
    return {
        "hengtong": create_customer(
            "Shanghai Hengtong Bearing Co., Ltd.", phone="021-5888 1234", contacts=[{"name": "David Tan"}]
        ),
        "jinqiao": create_customer("上海金桥机电设备有限公司", phone="(021) 6231-0000", contacts=[{"name": "王建华"}]),
        "ningbo": create_customer("宁波永泰传动机械贸易有限公司", phone="0574-87651234"),
    }


def _found(client, q: str) -> set[str]:
    rows = client.get("/api/customers/search", query_string={"q": q}).get_json()["results"]
    return {r["name"] for r in rows}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ＳＨＡＮＧＨＡＩ", {"hengtong"}),  # full-width, start of the name
        ("shanghai", {"hengtong"}),
        ("  SHANGHAI    hengtong  ", {"hengtong"}),  # case and extra spaces
        ("hengtong", {"hengtong"}),  # a word inside the name (full-text index)
        ("bearing shanghai", {"hengtong"}),  # words in any order
        ("上海", {"jinqiao"}),
        ("上海 金桥", {"jinqiao"}),  # spaces between Chinese words do not matter
        ("金桥机电", {"jinqiao"}),  # inside the name
        ("永泰", {"ningbo"}),  # two characters: still found
        ("建华", {"jinqiao"}),  # a contact's name
        ("david", {"hengtong"}),
        ("021-5888", {"hengtong"}),  # phone with and without separators
        ("0215888", {"hengtong"}),
        ("021 5888 12", {"hengtong"}),
        ("０２１６２３１", {"jinqiao"}),
        ("021", {"hengtong", "jinqiao"}),
        ("nothing like it", set()),
    ],
)
def test_search_ignores_case_width_spacing_and_separators(login, searchable, q, expected):
    manager = login("manager")
    names = {key: c.name for key, c in searchable.items()}
    assert _found(manager, q) == {names[k] for k in expected}


def test_search_by_code_prefix_and_exact_code(login, searchable):
    manager = login("manager")
    code = searchable["ningbo"].code
    assert _found(manager, code.lower()) == {searchable["ningbo"].name}
    assert searchable["ningbo"].name in _found(manager, code[:-1])


def test_the_list_page_searches_the_same_way(login, searchable):
    manager = login("manager")
    page = support.html(manager.get("/customers/", query_string={"q": "ＳＨＡＮＧＨＡＩ"}))
    assert "Shanghai Hengtong Bearing" in page and "上海金桥" not in page


def test_like_wildcards_in_a_search_are_taken_literally(login, searchable, create_customer):
    manager = login("manager")
    create_customer("100% Bearings Ltd")
    assert _found(manager, "100%") == {"100% Bearings Ltd"}
    assert _found(manager, "_") == set()


def test_the_stored_keys_follow_an_edit(app, login, searchable):
    manager = login("manager")
    customer = searchable["ningbo"]
    url = f"/customers/{customer.id}/edit"
    fields = support.form_fields(support.html(manager.get(url)), "customer-form")
    fields = support.replace_field(support.replace_field(fields, "name", "杭州永泰机械有限公司"), "phone", "0571-1234")
    assert manager.post(url, data=fields).status_code == 302
    assert _found(manager, "杭州") == {"杭州永泰机械有限公司"}
    assert _found(manager, "0571-12") == {"杭州永泰机械有限公司"}
    assert _found(manager, "宁波") == set()
    with app.app_context():
        stored = db.session.scalar(sa.select(Customer).where(Customer.id == customer.id))
        assert (stored.name_key, stored.phone_key) == ("杭州永泰机械有限公司", "05711234")
