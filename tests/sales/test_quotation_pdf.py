"""The printed quotation: its language, letterhead, lines, totals, page numbers, font, and who may print it.

Rendering and reading PDFs does not depend on the database engine, so those tests run once, on the
SQLite pass; the access checks run on every engine.
"""

from __future__ import annotations

import io
import re
import subprocess
from decimal import Decimal

import pytest
import sqlalchemy as sa
from PIL import Image

from tests import support

COMPANY_ZH = "上海申达轴承贸易有限公司"
COMPANY_EN = "Shanghai Shenda Bearing Trading Co., Ltd."
CUSTOMER_ZH = "宁波甬达机电设备有限公司"


def pdf_text(data: bytes, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    result = subprocess.run(["pdftotext", "-layout", *pages, "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode()


def page_count(data: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def ink(data: bytes, page: int = 1) -> float:
    """The share of page ``page`` that is not white, rendered at 40 dpi."""
    png = subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", str(page), "-l", str(page), "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    with Image.open(io.BytesIO(png)) as picture:
        grey = picture.convert("L")
        dark = sum(count for level, count in enumerate(grey.histogram()) if level < 200)
        return dark / (grey.width * grey.height)


def logo_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (31, 58, 96)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def company(app):
    from app.extensions import db
    from app.system.models import CompanySettings

    with app.app_context():
        db.session.add(
            CompanySettings(
                id=1,
                name_zh=COMPANY_ZH,
                name_en=COMPANY_EN,
                address_zh="上海市闵行区虹梅南路 1888 号",
                address_en="1888 Hongmei South Road, Minhang, Shanghai",
                phone="021-5438 8866",
                quotation_terms_zh="本报价单经双方签字盖章后生效。",
                quotation_terms_en="This quotation is binding once signed by both parties.",
                logo=logo_png(),
                logo_type="image/png",
            )
        )
        db.session.commit()


@pytest.fixture
def make_quotation(app, login, create_customer, create_product, create_quotation):
    """A salesperson (a signed-in client) and a quotation of ``lines`` lines for a customer printing in ``lang``."""

    def factory(lines: int = 2, *, lang: str = "zh", ui: str = "en", customer: str = CUSTOMER_ZH):
        seller = login("sales", locale=ui)
        buyer = create_customer(customer, owner=seller.user.id, doc_language=lang, contacts=[{"name": "王伟"}])
        products = [
            create_product("6204-2RS", brand="SKF", list_price=Decimal("20")),
            create_product("NU2208ECP", brand="NSK", list_price=Decimal("300")),
        ]
        rows = [(products[i % 2].id, 10 + i, Decimal("12.50") + i, 5 if i == 0 else 0) for i in range(lines)]
        return seller, create_quotation(buyer.id, seller.user.id, rows, contact_id=buyer.contacts[0].id)

    return factory


def stored(app, quotation_id: int):
    from app.extensions import db
    from app.sales.models import Quotation

    with app.app_context():
        quotation = db.session.get(Quotation, quotation_id)
        db.session.expunge(quotation)
        return quotation


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


@pytest.mark.once
def test_a_chinese_customer_gets_a_chinese_pdf(app, company, make_quotation):
    seller, quotation_id = make_quotation(lang="zh", ui="en")
    response = seller.get(f"/quotations/{quotation_id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    text = pdf_text(response.data)
    quotation = stored(app, quotation_id)
    for expected in (COMPANY_ZH, CUSTOMER_ZH, "王伟", "SKF 6204-2RS", "NSK NU2208ECP", quotation.number, "报价单"):
        assert expected in text
    assert COMPANY_EN not in text
    for total in (quotation.total_net, quotation.total_tax, quotation.total_gross):
        assert money(total) in text
    assert "深沟球轴承" in text  # the product's Chinese name
    assert "本报价单经双方签字盖章后生效。" in text
    assert "第 1 页" in text and "Page 1" not in text


@pytest.mark.once
def test_printing_in_english_does_not_depend_on_the_readers_language(app, company, make_quotation):
    seller, quotation_id = make_quotation(lang="zh", ui="zh")
    response = seller.get(f"/quotations/{quotation_id}.pdf?doc_lang=en")
    assert response.status_code == 200
    text = pdf_text(response.data)
    quotation = stored(app, quotation_id)
    for expected in (COMPANY_EN, CUSTOMER_ZH, "SKF 6204-2RS", "Deep groove ball bearing", "Quotation", "Unit price"):
        assert expected in text
    assert money(quotation.total_gross) in text
    assert "This quotation is binding once signed by both parties." in text
    assert "Page 1 of 1" in text and "第 1 页" not in text
    assert COMPANY_ZH not in text.split(CUSTOMER_ZH)[0]  # the letterhead is English
    # The reader's own pages stay Chinese.
    assert '<html lang="zh-CN">' in support.html(seller.get("/"))


@pytest.mark.once
def test_the_customers_document_language_is_the_default(app, company, make_quotation):
    seller, quotation_id = make_quotation(lang="en", ui="zh", customer="鑫犇堃 Engineering Ltd.")
    text = pdf_text(seller.get(f"/quotations/{quotation_id}.pdf").data)
    assert COMPANY_EN in text and "鑫犇堃 Engineering Ltd." in text and "Page 1 of 1" in text
    assert "Page 1 of 1" not in pdf_text(seller.get(f"/quotations/{quotation_id}.pdf?doc_lang=zh").data)


@pytest.mark.once
def test_page_one_is_drawn_with_the_bundled_font_and_the_logo(app, company, make_quotation):
    seller, quotation_id = make_quotation(lang="zh")
    data = seller.get(f"/quotations/{quotation_id}.pdf").data
    assert ink(data) > 0.02, "page 1 is blank"
    fonts = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True).stdout.decode()
    embedded = [line for line in fonts.splitlines() if "Document-Sans" in line]
    # Regular and bold faces of static/fonts, embedded (not a system font that may be missing elsewhere).
    assert len(embedded) == 2 and all(" yes yes yes " in line for line in embedded), fonts
    images = subprocess.run(["pdfimages", "-list", "-"], input=data, capture_output=True, check=True)
    assert re.search(r"^\s*1\s+0\s+image\s+120\s+40\s", images.stdout.decode(), re.M), "the logo is missing"


@pytest.mark.once
def test_cost_and_margin_are_never_printed(app, company, make_quotation):
    from app.extensions import db
    from app.products.models import Product

    seller, quotation_id = make_quotation(lang="en")
    with app.app_context():
        db.session.execute(sa.update(Product).values(avg_cost=Decimal("7.7731")))
        db.session.commit()
    text = pdf_text(seller.get(f"/quotations/{quotation_id}.pdf").data)
    assert "7.77" not in text and "Margin" not in text and "cost" not in text.lower()


@pytest.mark.once
def test_a_long_quotation_repeats_the_table_header_on_every_page(app, company, make_quotation):
    seller, quotation_id = make_quotation(120, lang="en")
    data = seller.get(f"/quotations/{quotation_id}.pdf").data
    pages = page_count(data)
    assert pages > 1
    for page in range(1, pages + 1):
        text = pdf_text(data, page)
        assert re.search(r"No\.\s+Model\s+Product name", text), f"no table header on page {page}"
        assert f"Page {page} of {pages}" in text
    assert "120" in pdf_text(data, pages - 1) + pdf_text(data, pages)  # the last line is printed


def test_another_salespersons_quotation_is_not_found(app, login, company, make_quotation):
    _owner, quotation_id = make_quotation()
    assert login("sales").get(f"/quotations/{quotation_id}.pdf").status_code == 404
    # Someone who sees every quotation may print it.
    assert login("manager").get(f"/quotations/{quotation_id}.pdf?doc_lang=en").status_code == 200


def test_printing_needs_the_print_permission(app, login, create_role, make_quotation):
    _owner, quotation_id = make_quotation()
    viewer = create_role("quotation_viewer", ["quotations.view", "quotations.view_all"])
    assert login(viewer.name).get(f"/quotations/{quotation_id}.pdf").status_code == 403


def test_the_print_page_shows_the_document_in_its_language_with_a_print_button(app, company, make_quotation):
    seller, quotation_id = make_quotation(lang="zh", ui="en")
    response = seller.get(f"/quotations/{quotation_id}/print")
    assert response.status_code == 200
    page = support.html(response)
    assert '<html lang="zh-CN">' in page and "报价单" in page and COMPANY_ZH in page and CUSTOMER_ZH in page
    assert "data-print" in page and "js/print.js" in page
    # The browser's own fonts: the 16 MB bundled font is for PDFs only.
    assert "NotoSansSC" not in page
    english = support.html(seller.get(f"/quotations/{quotation_id}/print?doc_lang=en"))
    assert '<html lang="en">' in english and COMPANY_EN in english and "Unit price" in english
    assert f'href="/quotations/{quotation_id}.pdf?doc_lang=en"' in english
    # Reading it in English did not change the reader's pages.
    assert '<html lang="en">' in support.html(seller.get("/"))


def test_the_print_page_keeps_to_scope_and_permission(app, login, create_role, company, make_quotation):
    _owner, quotation_id = make_quotation()
    assert login("sales").get(f"/quotations/{quotation_id}/print").status_code == 404
    viewer = create_role("quotation_viewer", ["quotations.view", "quotations.view_all"])
    assert login(viewer.name).get(f"/quotations/{quotation_id}/print").status_code == 403


@pytest.mark.once
def test_a_sent_quotation_reprints_with_the_customers_new_address(
    app, company, make_quotation, service_as, create_user
):
    """A finished quotation's PDF may come from the cache, but never a stale one."""
    from app.customers.models import Customer
    from app.extensions import db
    from app.sales import quotations as qs
    from app.system.models import CompanySettings

    seller, quotation_id = make_quotation(lang="zh")
    boss = create_user("boss", ["manager"])
    service_as(seller.user.id, quotation_id, lambda q: qs.submit_quotation(q, actor_id=seller.user.id))
    service_as(boss.id, quotation_id, lambda q: qs.approve_quotation(q, actor_id=boss.id, comment=""))
    service_as(seller.user.id, quotation_id, qs.mark_sent)
    first = seller.get(f"/quotations/{quotation_id}.pdf").data
    assert seller.get(f"/quotations/{quotation_id}.pdf").data == first  # the same document again
    with app.app_context():
        customer = db.session.get(Customer, stored(app, quotation_id).customer_id)
        customer.address = "宁波市鄞州区天童南路 588 号"
        db.session.get(CompanySettings, 1).phone = "021-6000 1234"
        db.session.commit()
    text = pdf_text(seller.get(f"/quotations/{quotation_id}.pdf").data)
    assert "天童南路 588 号" in text and "021-6000 1234" in text


@pytest.mark.once
def test_a_draft_prints_what_was_last_saved(app, company, make_quotation, service_as):
    from app.sales import quotations as qs

    seller, quotation_id = make_quotation(lang="en")
    assert "19.99" not in pdf_text(seller.get(f"/quotations/{quotation_id}.pdf").data)

    def change(q):
        header = qs.HeaderData(
            customer_id=q.customer_id, salesperson_id=q.salesperson_id, note="Delivery within 3 days of payment."
        )
        lines = [qs.LineData(product_id=q.lines[0].product_id, quantity=Decimal(7), unit_price=Decimal("19.99"))]
        qs.update_quotation(q, header, lines, expected_version=q.version_id)

    service_as(seller.user.id, quotation_id, change)
    text = pdf_text(seller.get(f"/quotations/{quotation_id}.pdf").data)
    assert "Delivery within 3 days of payment." in text and "19.99" in text
