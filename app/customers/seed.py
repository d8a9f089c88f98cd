"""Demo customers: 220 companies (200 Chinese, 20 abroad) with contacts, owned by the demo
salespeople "sales" and "sales2" and some by nobody. Deterministic and idempotent."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from decimal import Decimal

import sqlalchemy as sa

from app.auth.models import User
from app.core.db import utcnow
from app.core.text import digits, name_key
from app.customers.models import CODE_PREFIX, Customer, CustomerContact, search_text
from app.extensions import db

CHINESE_COUNT = 200
SEED = 20261121

CITIES = [
    ("上海", "021"), ("北京", "010"), ("天津", "022"), ("广州", "020"), ("深圳", "0755"), ("苏州", "0512"),
    ("无锡", "0510"), ("宁波", "0574"), ("杭州", "0571"), ("青岛", "0532"), ("济南", "0531"), ("沈阳", "024"),
    ("大连", "0411"), ("武汉", "027"), ("重庆", "023"), ("成都", "028"), ("西安", "029"), ("郑州", "0371"),
    ("长沙", "0731"), ("南京", "025"), ("佛山", "0757"), ("东莞", "0769"), ("唐山", "0315"), ("太原", "0351"),
    ("合肥", "0551"), ("福州", "0591"), ("厦门", "0592"), ("洛阳", "0379"), ("包头", "0472"), ("柳州", "0772"),
]  # fmt: skip
TRADE_NAMES = [
    "恒通", "华信", "金桥", "鑫达", "永泰", "宏远", "盛世", "东方", "联合", "隆昌", "德润", "正泰",
    "精工", "博远", "中联", "四海", "嘉禾", "瑞丰", "天成", "万向", "广源", "兴业", "安达", "顺发",
]  # fmt: skip
# (business, suffix, type)
TRADES = [
    ("轴承", "有限公司", "middleman"),
    ("轴承", "商行", "middleman"),
    ("机电设备", "有限公司", "middleman"),
    ("传动机械", "贸易有限公司", "middleman"),
    ("五金机电", "经营部", "middleman"),
    ("工业自动化", "科技有限公司", "middleman"),
    ("钢铁", "股份有限公司", "end_user"),
    ("水泥", "有限公司", "end_user"),
    ("造纸", "有限责任公司", "end_user"),
    ("矿山机械", "制造有限公司", "end_user"),
    ("电机", "有限公司", "end_user"),
    ("风电设备", "有限公司", "end_user"),
]
ABROAD = [
    ("Pacific Rim Bearings Ltd.", "Singapore", "+65 6745 1200", "middleman"),
    ("Bangkok Industrial Supply Co., Ltd.", "Bangkok, Thailand", "+66 2 712 4410", "middleman"),
    ("Saigon Motion Parts JSC", "Ho Chi Minh City, Vietnam", "+84 28 3822 5561", "middleman"),
    ("PT Jakarta Power Transmission", "Jakarta, Indonesia", "+62 21 4585 7700", "middleman"),
    ("Gulf Bearing Trading LLC", "Dubai, UAE", "+971 4 266 3050", "middleman"),
    ("Karachi Machinery Stores", "Karachi, Pakistan", "+92 21 3241 8812", "middleman"),
    ("Manila Mill Supplies Inc.", "Manila, Philippines", "+63 2 8527 3310", "middleman"),
    ("KL Engineering Sdn Bhd", "Kuala Lumpur, Malaysia", "+60 3 9221 0456", "middleman"),
    ("Anadolu Rulman Ticaret A.S.", "Istanbul, Turkey", "+90 212 511 4020", "middleman"),
    ("Lagos Industrial Spares Ltd.", "Lagos, Nigeria", "+234 1 270 5521", "middleman"),
    ("Mumbai Precision Bearings Pvt Ltd", "Mumbai, India", "+91 22 2345 8890", "middleman"),
    ("Almaty Industrial Parts LLP", "Almaty, Kazakhstan", "+7 727 250 3311", "middleman"),
    ("Dhaka Engineering Works", "Dhaka, Bangladesh", "+880 2 955 7120", "end_user"),
    ("Colombo Motion Components", "Colombo, Sri Lanka", "+94 11 243 6650", "middleman"),
    ("Nairobi Mining Supplies", "Nairobi, Kenya", "+254 20 444 1180", "end_user"),
    ("Rodamientos Santiago S.A.", "Santiago, Chile", "+56 2 2698 4400", "middleman"),
    ("Transmisiones Lima S.A.C.", "Lima, Peru", "+51 1 427 9930", "middleman"),
    ("Hai Phong Steel Rolling Mill", "Hai Phong, Vietnam", "+84 225 3842 117", "end_user"),
    ("Siam Cement Works Co., Ltd.", "Saraburi, Thailand", "+66 36 373 120", "end_user"),
    ("Tashkent Textile Machinery JV", "Tashkent, Uzbekistan", "+998 71 233 4567", "end_user"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "丽",
    "华",
    "平",
    "刚",
]
TITLES = [
    ("采购经理", "采购部"), ("采购员", "采购部"), ("总经理", "总经办"), ("设备主管", "设备部"),
    ("仓库主管", "仓储部"), ("会计", "财务部"), ("技术工程师", "技术部"),
]  # fmt: skip
ENGLISH_CONTACTS = [
    ("David Tan", "Purchasing Manager"), ("Somchai Prasert", "Buyer"), ("Nguyen Van Minh", "Director"),
    ("Budi Santoso", "Procurement"), ("Ahmed Khan", "General Manager"), ("Maria Santos", "Buyer"),
    ("Lim Wei Ling", "Maintenance Manager"), ("Mehmet Yilmaz", "Sales Director"), ("John Okafor", "Procurement"),
    ("Rahul Mehta", "Purchasing Manager"), ("Aigerim Bekova", "Buyer"), ("Carlos Rojas", "Gerente de Compras"),
]  # fmt: skip
BANKS = ["中国工商银行", "中国建设银行", "中国银行", "招商银行", "交通银行", "中国农业银行"]
TERMS = [0, 30, 30, 60, 90]
LIMITS = [Decimal(0), Decimal(50000), Decimal(100000), Decimal(200000), Decimal(500000)]


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}"


def _chinese_companies(rng: random.Random) -> Iterator[dict]:
    seen: set[str] = set()
    while len(seen) < CHINESE_COUNT:
        city, area = rng.choice(CITIES)
        trade_name = rng.choice(TRADE_NAMES)
        business, suffix, kind = rng.choice(TRADES)
        name = f"{city}{trade_name}{business}{suffix}"
        if name in seen:
            continue
        seen.add(name)
        phone = f"{area}-{rng.randrange(5000_0000, 8999_9999)}"
        with_tax = rng.random() < 0.7
        bank = f"{rng.choice(BANKS)}{city}分行"
        contacts = []
        for n in range(rng.choice([1, 1, 2, 2, 3])):
            title, department = rng.choice(TITLES)
            contacts.append(
                {
                    "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "title": title,
                    "department": department,
                    "mobile": _mobile(rng),
                    "phone": phone if n == 0 else "",
                    "email": "",
                    "is_primary": n == 0,
                    "position": n,
                }
            )
        yield {
            "name": name,
            "type": kind,
            "doc_language": "zh",
            "address": f"{city}市{rng.choice(['工业园区', '经济开发区', '高新区', '机电城'])}{rng.randrange(1, 300)}号",
            "phone": phone,
            "fax": phone[:-1] + str((int(phone[-1]) + 1) % 10) if rng.random() < 0.4 else "",
            "email": "",
            "website": "",
            "tax_id": f"91{rng.randrange(10**14, 10**15)}X" if with_tax else "",
            "bank_name": bank if with_tax else "",
            "bank_account": str(rng.randrange(10**18, 10**19)) if with_tax else "",
            "invoice_address": "",
            "invoice_phone": phone if with_tax else "",
            "payment_terms_days": rng.choice(TERMS),
            "credit_limit": rng.choice(LIMITS),
            "contacts": contacts,
        }


def _companies_abroad(rng: random.Random) -> Iterator[dict]:
    for n, (name, address, phone, kind) in enumerate(ABROAD):
        contact, title = ENGLISH_CONTACTS[n % len(ENGLISH_CONTACTS)]
        domain = "".join(ch for ch in name.split()[0].lower() if ch.isalpha()) or "example"
        yield {
            "name": name,
            "type": kind,
            "doc_language": "en",
            "address": address,
            "phone": phone,
            "fax": "",
            "email": f"purchasing@{domain}.example",
            "website": f"www.{domain}.example",
            "tax_id": "",
            "bank_name": "",
            "bank_account": "",
            "invoice_address": "",
            "invoice_phone": "",
            "payment_terms_days": rng.choice([0, 30]),
            "credit_limit": rng.choice(LIMITS[:3]),
            "contacts": [
                {
                    "name": contact,
                    "title": title,
                    "department": "",
                    "mobile": f"{phone.split()[0]} {rng.randrange(900, 1000)} {rng.randrange(1000, 10000)}",
                    "phone": phone,
                    "email": f"{contact.split()[0].lower()}@{domain}.example",
                    "is_primary": True,
                    "position": 0,
                }
            ],
        }


def demo_customers() -> list[dict]:
    """The demo companies, always the same ones in the same order."""
    rng = random.Random(SEED)
    abroad = list(_companies_abroad(rng))
    companies = []
    for n, company in enumerate(_chinese_companies(rng), 1):
        companies.append(company)
        if n % 10 == 0 and abroad:
            companies.append(abroad.pop(0))
    return companies + abroad


def seed_demo(echo: Callable[[str], None]) -> None:
    owners = dict(
        db.session.execute(sa.select(User.username, User.id).where(User.username.in_(["sales", "sales2"]))).all()
    )
    rotation = [owners.get("sales"), owners.get("sales"), owners.get("sales2"), owners.get("sales2"), None]
    known_codes = set(db.session.scalars(sa.select(Customer.code)))
    known_names = set(db.session.scalars(sa.select(Customer.name_key)))
    now = utcnow()
    rows, contacts_by_code = [], {}
    for n, company in enumerate(demo_customers(), 1):
        code = f"{CODE_PREFIX}{n:06d}"
        key = name_key(company["name"])
        if code in known_codes or key in known_names:
            continue
        contacts = company.pop("contacts")
        contacts_by_code[code] = contacts
        rows.append(
            {
                **company,
                "code": code,
                "name_key": key,
                "search_text": search_text(company["name"], [c["name"] for c in contacts]),
                "phone_key": digits(company["phone"]),
                "owner_id": rotation[n % len(rotation)],
                "note": "",
                "created_at": now,
                "updated_at": now,
                "version_id": 1,
            }
        )
    if rows:
        db.session.execute(sa.insert(Customer.__table__), rows)
        ids = dict(
            db.session.execute(sa.select(Customer.code, Customer.id).where(Customer.code.in_(contacts_by_code))).all()
        )
        contact_rows = [
            {**c, "customer_id": ids[code], "created_at": now, "updated_at": now}
            for code, contacts in contacts_by_code.items()
            for c in contacts
        ]
        db.session.execute(sa.insert(CustomerContact.__table__), contact_rows)
    echo(f"customers: {len(rows)} created")
