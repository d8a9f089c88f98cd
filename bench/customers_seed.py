"""Customer rows for the benchmarks: generated (bench/seed.py) or taken from the peer seed
(bench/load_peer_seed.py). Not a script.

Each customer gets a code C000001.., a unique name (a repeated company name becomes "...(2分厂)" for
generated rows, "... (2)" for the peer seed), a phone, an e-mail, a city as address and one primary
contact. The stored search keys (name_key, phone_key, search_text) come from the model's own
``refresh_keys`` run on a transient object, so they follow whatever the customers code folds.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import benchlib

SEED = 20261121
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
CITIES = ["上海", "北京", "广州", "深圳", "无锡", "苏州", "杭州", "宁波", "青岛", "天津", "重庆", "成都", "武汉",
          "西安", "沈阳", "大连", "济南", "郑州", "长沙", "南京", "佛山", "东莞", "温州", "厦门", "合肥", "瓦房店",
          "哈尔滨"]  # fmt: skip
CITY_EN = ["Shanghai", "Beijing", "Guangzhou", "Shenzhen", "Wuxi", "Suzhou", "Hangzhou", "Ningbo", "Qingdao",
           "Tianjin", "Chongqing", "Chengdu", "Wuhan", "Xi'an", "Shenyang", "Dalian", "Jinan", "Zhengzhou",
           "Changsha", "Nanjing", "Foshan", "Dongguan", "Wenzhou", "Xiamen", "Hefei", "Wafangdian",
           "Harbin"]  # fmt: skip
WORDS = ["华东", "恒通", "宏达", "鑫源", "振华", "永信", "瑞丰", "金桥", "东方", "盛世", "长城", "天成", "博远", "汇通",
         "中联", "正泰", "联合", "新锐", "浩达", "德力"]  # fmt: skip
WORDS_EN = ["Huadong", "Hengtong", "Hongda", "Xinyuan", "Zhenhua", "Yongxin", "Ruifeng", "Jinqiao", "Dongfang",
            "Shengshi", "Changcheng", "Tiancheng", "Boyuan", "Huitong", "Zhonglian", "Zhengtai", "Lianhe", "Xinrui",
            "Haoda", "Deli"]  # fmt: skip
INDUSTRY = [("机械设备", "Machinery"), ("轴承", "Bearing"), ("传动科技", "Transmission"), ("五金机电", "Hardware"),
            ("重工", "Heavy Industry"), ("自动化", "Automation"), ("矿山机械", "Mining Machinery"), ("电机", "Motor"),
            ("纺织机械", "Textile Machinery"), ("汽车配件", "Auto Parts")]  # fmt: skip
SUFFIX = [("有限公司", "Co., Ltd."), ("贸易有限公司", "Trading Co., Ltd."), ("股份有限公司", "Corp."),
          ("工贸有限公司", "Industry & Trade Co., Ltd.")]  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭"
GIVEN = "伟芳娜敏静磊强军洋勇艳杰涛明超华平刚"


def _models(model):
    contact = model.contacts.property.mapper.class_
    return model, contact


def _keys(model, contact_model, name: str, phone: str, contact_names: list[str]) -> dict:
    customer = model(name=name, phone=phone)
    customer.contacts = [contact_model(name=n) for n in contact_names]
    customer.refresh_keys()
    return {"name_key": customer.name_key, "phone_key": customer.phone_key, "search_text": customer.search_text}


def generated(count: int):
    """(id, name, contact, phone, email, city, created_at) tuples, deterministic."""
    rng = random.Random(SEED)
    seen: Counter[str] = Counter()
    for cid in range(1, count + 1):
        ci, wi = rng.randrange(len(CITIES)), rng.randrange(len(WORDS))
        industry, suffix = rng.choice(INDUSTRY), rng.choice(SUFFIX)
        if rng.random() < 0.8:
            base = f"{CITIES[ci]}{WORDS[wi]}{industry[0]}{suffix[0]}"
        else:
            base = f"{CITY_EN[ci]} {WORDS_EN[wi]} {industry[1]} {suffix[1]}"
        seen[base] += 1
        name = base if seen[base] == 1 else f"{base}({seen[base]}分厂)"
        contact = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")
        if rng.random() < 0.7:
            phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        else:
            phone = f"0{rng.randint(10, 999)}-{rng.randint(2000000, 89999999)}"
        email = f"c{cid}@{WORDS_EN[wi].lower()}.cn"
        yield cid, name, contact, phone, email, CITIES[ci], BASE_TIME + timedelta(minutes=cid)


def _rows(model, source, unique_suffix):
    """Customer and contact row dicts from (id, name, contact, phone, email, city, created_at)."""
    model, contact_model = _models(model)
    keys_seen: Counter[str] = Counter()
    for cid, name, contact, phone, email, city, created in source:
        if isinstance(created, str):
            created = datetime.fromisoformat(created).replace(tzinfo=UTC)
        keys = _keys(model, contact_model, name, phone or "", [contact] if contact else [])
        if keys_seen[keys["name_key"]]:
            n = keys_seen[keys["name_key"]]
            while True:
                n += 1
                candidate = unique_suffix(name, n)
                k2 = _keys(model, contact_model, candidate, phone or "", [contact] if contact else [])
                if not keys_seen[k2["name_key"]]:
                    break
            keys_seen[keys["name_key"]] = n
            name, keys = candidate, k2
        keys_seen[keys["name_key"]] += 1
        mobile = phone if phone and phone.startswith("1") and len(phone) == 11 else ""
        customer = {
            "id": cid,
            "code": f"C{cid:06d}",
            "name": name,
            **keys,
            "type": "middleman" if cid % 4 == 0 else "end_user",
            "owner_id": None,
            "doc_language": "en" if name.isascii() else "zh",
            "address": city or "",
            "phone": phone or "",
            "email": email or "",
            "created_at": created,
            "updated_at": created,
            "version_id": 1,
        }
        person = {
            "customer_id": cid,
            "name": contact or name[:60],
            "mobile": mobile,
            "phone": "" if mobile else (phone or ""),
            "email": email or "",
            "is_primary": True,
            "position": 0,
            "created_at": created,
            "updated_at": created,
        }
        yield customer, person


def _insert(app, model, pairs, batch: int, report, label: str) -> None:
    from app.extensions import db

    model, contact_model = _models(model)
    t0 = time.perf_counter()
    with app.app_context():
        db.engine.dispose()
        done = 0
        with benchlib.bulk_load(db.engine, (model.__tablename__,)) as conn:
            customers, contacts = [], []
            for customer, person in pairs:
                customers.append(customer)
                contacts.append(person)
                if len(customers) >= batch:
                    conn.execute(model.__table__.insert(), customers)
                    conn.execute(contact_model.__table__.insert(), contacts)
                    done += len(customers)
                    customers, contacts = [], []
            if customers:
                conn.execute(model.__table__.insert(), customers)
                conn.execute(contact_model.__table__.insert(), contacts)
                done += len(customers)
            if conn.dialect.name == "postgresql":
                for table in (model.__tablename__, contact_model.__tablename__):
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                    )
        db.engine.dispose()
    report(f"{label} (+ one primary contact each)", done, time.perf_counter() - t0)


def load(app, model, count: int, batch: int, report) -> None:
    """Generated customers for bench/seed.py."""
    pairs = _rows(model, generated(count), lambda name, n: f"{name}({n}分厂)")
    _insert(app, model, pairs, batch, report, "customers")


def load_peer(app, model, rows: list[tuple], batch: int) -> None:
    """The peer seed's customers, keeping their ids."""

    def report(label: str, n: int, seconds: float) -> None:
        print(f"{label}: {n:,} loaded in {seconds:.1f} s ({n / seconds:,.0f} rows/s)", flush=True)

    pairs = _rows(model, rows, lambda name, n: f"{name} ({n})")
    _insert(app, model, pairs, batch, report, "customers")
