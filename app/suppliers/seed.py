"""Demo suppliers: 30 bearing makers and distributors with contacts. Deterministic and idempotent."""

from __future__ import annotations

import random
from collections.abc import Callable

import sqlalchemy as sa

from app.core.db import utcnow
from app.core.text import digits, name_key
from app.extensions import db
from app.suppliers.models import CODE_PREFIX, Supplier, SupplierContact, search_text

SEED = 20261122

# name, address, phone, document language
SUPPLIERS = [
    ("斯凯孚(中国)销售有限公司", "上海市浦东新区张江高科技园区", "021-51079888", "zh"),
    ("舍弗勒贸易(上海)有限公司", "上海市嘉定区安亭镇", "021-39576000", "zh"),
    ("恩斯克(中国)投资有限公司", "江苏省昆山市开发区", "0512-57963000", "zh"),
    ("恩梯恩(中国)投资有限公司", "上海市长宁区", "021-62185018", "zh"),
    ("铁姆肯(中国)投资有限公司", "上海市闵行区", "021-24195600", "zh"),
    ("瓦房店轴承集团有限责任公司", "辽宁省瓦房店市北共济街", "0411-62198000", "zh"),
    ("哈尔滨轴承集团有限公司", "黑龙江省哈尔滨市香坊区", "0451-86786000", "zh"),
    ("洛阳LYC轴承有限公司", "河南省洛阳市建设路", "0379-64366666", "zh"),
    ("人本集团有限公司", "浙江省温州市经济技术开发区", "0577-86556000", "zh"),
    ("万向钱潮股份有限公司", "浙江省杭州市萧山区", "0571-82832999", "zh"),
    ("SKF Asia Pacific Pte Ltd", "Singapore", "+65 6876 8877", "en"),
    ("Schaeffler (Singapore) Pte Ltd", "Singapore", "+65 6540 8600", "en"),
    ("NSK Singapore (Pte) Ltd", "Singapore", "+65 6496 8000", "en"),
    ("NTN Bearing-Singapore (Pte) Ltd", "Singapore", "+65 6469 1066", "en"),
    ("Timken Singapore Pte Ltd", "Singapore", "+65 6411 2100", "en"),
]
CITIES = [
    ("上海", "021"), ("北京", "010"), ("天津", "022"), ("广州", "020"), ("济南", "0531"), ("聊城", "0635"),
    ("临清", "0635"), ("无锡", "0510"), ("宁波", "0574"), ("沈阳", "024"), ("武汉", "027"), ("重庆", "023"),
]  # fmt: skip
TRADE_NAMES = ["鼎盛", "永兴", "宏达", "金环", "联创", "华轴", "中轴", "恒力", "昌盛", "汇通", "宝通", "捷达"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林"
GIVEN = ["建华", "国强", "海燕", "晓东", "丽娟", "志刚", "红梅", "文博", "春生", "玉兰"]
ENGLISH_CONTACTS = ["Kelvin Ng", "Rachel Lim", "Daniel Koh", "Priya Nair", "Marcus Teo"]


def demo_suppliers() -> list[dict]:
    """The demo suppliers, always the same ones in the same order."""
    rng = random.Random(SEED)
    companies = list(SUPPLIERS)
    seen = {c[0] for c in companies}
    while len(companies) < 30:
        city, area = rng.choice(CITIES)
        name = f"{city}{rng.choice(TRADE_NAMES)}轴承销售有限公司"
        if name not in seen:
            seen.add(name)
            companies.append(
                (
                    name,
                    f"{city}市轴承市场{rng.randrange(1, 500)}号",
                    f"{area}-{rng.randrange(5000_0000, 8999_9999)}",
                    "zh",
                )
            )
    result = []
    for n, (name, address, phone, lang) in enumerate(companies):
        contacts = []
        for position in range(rng.choice([1, 2, 2, 3])):
            if lang == "en":
                contact = ENGLISH_CONTACTS[(n + position) % len(ENGLISH_CONTACTS)]
                title = ["Sales Manager", "Key Account Manager", "Customer Service"][position % 3]
                department = "Sales"
                email = contact.split()[0].lower() + "@supplier.example"
                mobile = phone
            else:
                contact = rng.choice(SURNAMES) + rng.choice(GIVEN)
                title = ["销售经理", "区域经理", "客服专员"][position % 3]
                department = "销售部"
                email = ""
                mobile = f"1{rng.choice('358')}{rng.randrange(10**8, 10**9)}"
            contacts.append(
                {
                    "name": contact,
                    "title": title,
                    "department": department,
                    "mobile": mobile,
                    "phone": phone if position == 0 else "",
                    "email": email,
                    "is_primary": position == 0,
                    "position": position,
                }
            )
        result.append(
            {
                "name": name,
                "doc_language": lang,
                "address": address,
                "phone": phone,
                "payment_terms_days": rng.choice([0, 30, 45, 60]),
                "tax_id": f"91{rng.randrange(10**14, 10**15)}X" if lang == "zh" else "",
                "contacts": contacts,
            }
        )
    return result


def seed_demo(echo: Callable[[str], None]) -> None:
    known_codes = set(db.session.scalars(sa.select(Supplier.code)))
    known_names = set(db.session.scalars(sa.select(Supplier.name_key)))
    now = utcnow()
    rows, contacts_by_code = [], {}
    for n, company in enumerate(demo_suppliers(), 1):
        code = f"{CODE_PREFIX}{n:06d}"
        key = name_key(company["name"])
        if code in known_codes or key in known_names:
            continue
        contacts = company.pop("contacts")
        contacts_by_code[code] = contacts
        rows.append(
            {
                "fax": "",
                "email": "",
                "website": "",
                "bank_name": "",
                "bank_account": "",
                "invoice_address": "",
                "invoice_phone": "",
                "note": "",
                **company,
                "code": code,
                "name_key": key,
                "search_text": search_text(company["name"], [c["name"] for c in contacts]),
                "phone_key": digits(company["phone"]),
                "created_at": now,
                "updated_at": now,
                "version_id": 1,
            }
        )
    if rows:
        db.session.execute(sa.insert(Supplier.__table__), rows)
        ids = dict(
            db.session.execute(sa.select(Supplier.code, Supplier.id).where(Supplier.code.in_(contacts_by_code))).all()
        )
        db.session.execute(
            sa.insert(SupplierContact.__table__),
            [
                {**c, "supplier_id": ids[code], "created_at": now, "updated_at": now}
                for code, contacts in contacts_by_code.items()
                for c in contacts
            ],
        )
    echo(f"suppliers: {len(rows)} created")
