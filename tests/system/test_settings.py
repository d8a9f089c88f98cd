"""Company settings page: letterhead and defaults, the logo, approval limits per role, who may use it."""

from __future__ import annotations

import html as html_lib
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests import support

URL = "/admin/settings/"
LOGO_URL = "/admin/settings/logo"


def settings_fields(client) -> list[tuple[str, str]]:
    response = client.get(URL)
    assert response.status_code == 200, response.status_code
    return support.form_fields(support.html(response), "settings-form")


def replace(fields: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    for name, value in values.items():
        fields = support.replace_field(fields, name, value)
    return fields


def role_limit(fields: list[tuple[str, str]], role_id: int, mode: str, discount: str = "", margin: str = ""):
    """``fields`` with the limits row of ``role_id`` set."""
    prefix = next(k[: -len("role_id")] for k, v in fields if k.endswith("-role_id") and v == str(role_id))
    return replace(
        fields,
        **{prefix + "mode": mode, prefix + "max_discount_percent": discount, prefix + "min_margin_percent": margin},
    )


def conflict_rows(response) -> list[tuple[str, str, str]]:
    page = support.html(response)
    start = page.index("data-conflict-table")
    table = page[start : page.index("</table>", start)]
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td[^>]*>(.*?)</td>", table, re.S)
    return [tuple(html_lib.unescape(cell.strip()) for cell in row) for row in rows]


def stored(app):
    from app.extensions import db
    from app.system.models import CompanySettings

    with app.app_context():
        row = db.session.get(CompanySettings, 1)
        if row is not None:
            db.session.expunge(row)
        return row


def role_id(app, name: str) -> int:
    from app.auth.models import Role
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(sa.select(Role.id).where(Role.name == name))


def image(kind: str, size: tuple[int, int] = (40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 80, 160)).save(buffer, format=kind)
    return buffer.getvalue()


def upload(client, data: bytes, filename: str = "logo.png", mimetype: str = "image/png"):
    """POST the logo form. The body is encoded in memory: Werkzeug's test client would spool a large
    upload to a temporary file that nobody closes (a ResourceWarning, an error under this config)."""
    values = {
        "logo": FileStorage(io.BytesIO(data), filename=filename, content_type=mimetype),
        "csrf_token": client.csrf_token("/account/"),
        "_once": support.new_once(),
    }
    boundary, body = encode_multipart(values)
    return client.post(LOGO_URL, data=body, content_type=f"multipart/form-data; boundary={boundary}")


LETTERHEAD = {
    "name_zh": "上海申达轴承贸易有限公司",
    "name_en": "Shanghai Shenda Bearing Trading Co., Ltd.",
    "address_zh": "上海市闵行区虹梅路 100 号",
    "phone": "021-5555 0000",
    "email": "sales@shenda.example",
    "tax_rate": "9",
    "quotation_valid_days": "15",
    "quotation_terms_en": "Prices in CNY.\nDelivery ex works Shanghai.",
}


def test_the_settings_are_saved_and_logged(app, login):
    from app.core.audit import OperationLog
    from app.extensions import db
    from app.system.settings import company_settings

    admin = login("admin")
    response = admin.post(URL, data=replace(settings_fields(admin), **LETTERHEAD))
    assert response.status_code == 302 and response.headers["Location"] == URL
    assert "Company settings saved." in support.html(admin.get(URL))

    row = stored(app)
    assert row.name_zh == "上海申达轴承贸易有限公司"
    assert row.tax_rate == Decimal("9") and row.quotation_valid_days == 15
    assert row.quotation_terms_en == "Prices in CNY.\nDelivery ex works Shanghai."
    with app.app_context():
        assert company_settings().name("en") == "Shanghai Shenda Bearing Trading Co., Ltd."
        entry = db.session.scalar(
            sa.select(OperationLog).where(OperationLog.object_type == "company_settings").order_by(OperationLog.id)
        )
        assert entry.actor_id == admin.user.id
        assert entry.changes["name_zh"] == [None, "上海申达轴承贸易有限公司"]

    # A second save logs what changed, old → new.
    assert admin.post(URL, data=replace(settings_fields(admin), phone="021-6666 1111")).status_code == 302
    with app.app_context():
        last = db.session.scalar(
            sa.select(OperationLog)
            .where(OperationLog.object_type == "company_settings")
            .order_by(OperationLog.id.desc())
        )
        assert last.changes == {"phone": ["021-5555 0000", "021-6666 1111"]}


def test_a_refused_save_keeps_what_was_typed(app, login):
    admin = login("admin")
    typed = {
        "name_zh": "",
        "name_en": "",
        "phone": "021-7777 8888",
        "email": "not-an-address",
        "tax_rate": "100",
        "quotation_valid_days": "0",
        "max_discount_percent": "120",
    }
    response = admin.post(URL, data=replace(settings_fields(admin), **typed))
    assert response.status_code == 200
    page = support.html(response)
    assert "Please correct the marked fields." in page
    assert "Enter the company name in Chinese or in English." in page
    assert "Enter a tax rate of at least 0 and below 100." in page
    assert "Enter the number of days, from 1 to 365." in page
    assert "Enter a percentage from 0 to 100." in page
    assert "Invalid email address." in page
    shown = dict(support.form_fields(page, "settings-form"))
    assert shown["phone"] == "021-7777 8888"
    assert shown["tax_rate"] == "100"
    assert shown["max_discount_percent"] == "120"
    assert stored(app) is None


def test_a_second_administrators_save_is_refused_showing_both_values(app, login):
    alice, bob = login("admin", username="alice"), login("admin", username="bob")
    sales = role_id(app, "sales")
    alice_form = replace(settings_fields(alice), **LETTERHEAD)
    bob_form = replace(settings_fields(bob), **LETTERHEAD)

    saved = alice.post(url := URL, data=role_limit(replace(alice_form, phone="021-1111"), sales, "own", "15", ""))
    assert saved.status_code == 302
    refused = bob.post(url, data=role_limit(replace(bob_form, phone="021-2222"), sales, "default"))
    assert refused.status_code == 200
    page = support.html(refused)
    assert "data-conflict" in page and "Alice" in page[page.index("data-conflict") :][:2000]
    assert conflict_rows(refused) == [
        ("Phone", "021-1111", "021-2222"),
        ("Approval limits: Sales", "Own limits: discount up to 15 %; no margin limit", "Company default"),
    ]
    assert stored(app).phone == "021-1111"
    shown = support.form_fields(page, "settings-form")
    assert ("phone", "021-2222") in shown

    # Having compared, Bob saves his values on purpose.
    assert bob.post(url, data=shown).status_code == 302
    assert stored(app).phone == "021-2222"


def test_a_change_of_role_limits_alone_refuses_a_stale_page(app, login):
    alice, bob = login("admin"), login("admin")
    assert alice.post(URL, data=replace(settings_fields(alice), **LETTERHEAD)).status_code == 302
    alice_form, bob_form = settings_fields(alice), settings_fields(bob)
    finance = role_id(app, "finance")
    assert alice.post(URL, data=role_limit(alice_form, finance, "own", "5", "20")).status_code == 302
    refused = bob.post(URL, data=replace(bob_form, website="www.example.cn"))
    assert refused.status_code == 200 and "data-conflict" in support.html(refused)
    assert stored(app).website == ""


def test_role_limits_are_what_approval_limits_reads(app, login, create_user):
    from app.system.settings import ApprovalLimits, approval_limits

    admin = login("admin")
    seller, manager = create_user(roles=["sales"]), create_user(roles=["manager"])
    both = create_user(roles=["sales", "manager"])
    fields = replace(settings_fields(admin), **LETTERHEAD, max_discount_percent="10", min_margin_percent="8")
    fields = role_limit(fields, role_id(app, "sales"), "own", "12.5", "")
    assert admin.post(URL, data=fields).status_code == 302

    with app.app_context():
        assert approval_limits(seller.id) == ApprovalLimits(Decimal("12.5"), None)
        assert approval_limits(manager.id) == ApprovalLimits(Decimal("10"), Decimal("8"))
        # Several roles: the most generous of each limit.
        assert approval_limits(both.id) == ApprovalLimits(Decimal("12.5"), None)

    page = support.html(admin.get(URL))
    shown = dict(support.form_fields(page, "settings-form"))
    prefix = next(
        k[: -len("role_id")] for k, v in shown.items() if k.endswith("-role_id") and v == str(role_id(app, "sales"))
    )
    assert (shown[prefix + "mode"], shown[prefix + "max_discount_percent"]) == ("own", "12.5")

    # Back to the company default: the role's own row goes.
    fields = role_limit(settings_fields(admin), role_id(app, "sales"), "default")
    assert admin.post(URL, data=fields).status_code == 302
    with app.app_context():
        assert approval_limits(seller.id) == ApprovalLimits(Decimal("10"), Decimal("8"))


def test_the_logo_is_uploaded_served_replaced_and_removed(app, login):
    from app.core.audit import OperationLog
    from app.extensions import db

    admin = login("admin")
    png = image("PNG")
    assert upload(admin, png).status_code == 302
    assert stored(app).logo == png and stored(app).logo_type == "image/png"
    served = admin.get(LOGO_URL)
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == png
    assert admin.get(LOGO_URL, headers={"If-None-Match": served.headers["ETag"]}).status_code == 304
    assert "data-logo" in support.html(admin.get(URL))

    # Any signed-in user may see it (their PDFs print it); visitors may not.
    assert login("warehouse").get(LOGO_URL).status_code == 200
    assert support.Client(app).get(LOGO_URL).status_code == 302

    jpeg = image("JPEG")
    assert upload(admin, jpeg, "logo.jpg", "image/jpeg").status_code == 302
    assert admin.get(LOGO_URL).mimetype == "image/jpeg"

    assert admin.submit(LOGO_URL + "/delete").status_code == 302
    assert admin.get(LOGO_URL).status_code == 404
    assert "data-no-logo" in support.html(admin.get(URL))
    with app.app_context():
        events = list(
            db.session.scalars(
                sa.select(OperationLog.changes).where(OperationLog.event == "logo_changed").order_by(OperationLog.id)
            )
        )
    assert [(old is None, new is None) for old, new in (e["logo_type"] for e in events)] == [
        (True, False),
        (False, False),
        (False, True),
    ]
    assert events[1]["logo_type"][1].startswith("image/jpeg")


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"GIF89a" + b"\0" * 64, "logo.png", "The logo must be a PNG or JPEG image."),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.png", "The logo must be a PNG or JPEG image."),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024), "big.png", "The logo is larger than 1 MB."),
    ],
    ids=["gif-named-png", "svg", "over-1-mb"],
)
def test_a_logo_of_the_wrong_type_or_size_is_refused(app, login, data, filename, message):
    admin = login("admin")
    response = upload(admin, data, filename)
    assert response.status_code == 200
    assert message in support.html(response)
    assert stored(app) is None
    assert admin.get(LOGO_URL).status_code == 404


def test_exactly_1_mb_is_accepted(app, login):
    admin = login("admin")
    data = b"\xff\xd8\xff" + b"\0" * (1024 * 1024 - 3)
    assert upload(admin, data, "logo.jpg", "image/jpeg").status_code == 302
    assert len(stored(app).logo) == 1024 * 1024


def test_only_holders_of_system_settings_may_use_the_page(app, login):
    seller = login("sales")
    assert seller.get(URL).status_code == 403
    assert seller.submit(URL, {"name_zh": "X"}).status_code == 403
    assert upload(seller, image("PNG")).status_code == 403
    assert seller.submit(LOGO_URL + "/delete").status_code == 403
    assert "/admin/settings/" not in support.html(seller.get("/"))
    assert stored(app) is None

    assert 'href="/admin/settings/"' in support.html(login("admin").get("/"))
