"""Demo company settings: the letterhead every printed document carries (names, address, bank,
terms in both languages, and a drawn logo). Kept as it is once someone has saved settings."""

from __future__ import annotations

import io
import math
from collections.abc import Callable

from PIL import Image, ImageDraw

from app.extensions import db
from app.system.models import SETTINGS_ID, CompanySettings

TERMS_ZH = """1. 以上价格为人民币含 13% 增值税价格，有效期内有效。
2. 交期自收到预付款或订单确认之日起计算；现货以实际库存为准。
3. 质量按原厂标准，非人为损坏自发货之日起 12 个月内包换。
4. 本报价单经双方签字盖章后生效，传真件与原件具有同等效力。"""
TERMS_EN = """1. Prices are in Chinese yuan including 13% VAT, valid until the date shown.
2. Lead times count from the down payment or the order confirmation; items in stock are subject to prior sale.
3. Quality to the manufacturer's standard; defects not caused by use are replaced within 12 months of shipment.
4. This quotation is binding once signed and stamped by both parties; a scanned copy is as valid as the original."""


def _logo() -> bytes:
    """A bearing drawn in the company colour: outer ring, balls, inner ring."""
    size, colour = 240, (31, 58, 96)
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    centre = size / 2
    draw.ellipse((8, 8, size - 8, size - 8), outline=colour, width=22)
    draw.ellipse((68, 68, size - 68, size - 68), outline=colour, width=18)

    for n in range(10):
        angle = 2 * math.pi * n / 10
        x, y = centre + 72 * math.cos(angle), centre + 72 * math.sin(angle)
        draw.ellipse((x - 14, y - 14, x + 14, y + 14), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def seed_demo(echo: Callable[[str], None]) -> None:
    if db.session.get(CompanySettings, SETTINGS_ID) is not None:
        echo("system: company settings already there")
        return
    db.session.add(
        CompanySettings(
            id=SETTINGS_ID,
            name_zh="上海申达轴承贸易有限公司",
            name_en="Shanghai Shenda Bearing Trading Co., Ltd.",
            address_zh="上海市闵行区虹梅南路 1888 号 B 座 6 楼",
            address_en="6F, Block B, 1888 Hongmei South Road, Minhang District, Shanghai",
            phone="021-5438 8866",
            fax="021-5438 8867",
            email="sales@shenda-bearing.example",
            website="www.shenda-bearing.example",
            bank_zh="开户行：中国工商银行上海虹梅支行\n户名：上海申达轴承贸易有限公司\n账号：1001 2345 0910 0088 876",
            bank_en="Bank: ICBC Shanghai Hongmei Sub-branch\nBeneficiary: Shanghai Shenda Bearing Trading Co., Ltd.\n"
            "Account: 1001 2345 0910 0088 876 · SWIFT: ICBKCNBJSHI",
            quotation_terms_zh=TERMS_ZH,
            quotation_terms_en=TERMS_EN,
            logo=_logo(),
            logo_type="image/png",
        )
    )
    db.session.flush()
    echo("system: demo company settings (letterhead) saved")
