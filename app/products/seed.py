"""Demo data of products: brands, categories and about 2,400 bearings."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from app.core.db import utcnow
from app.core.text import model_key, normalize
from app.extensions import db
from app.products import catalogue
from app.products.models import Brand, Category, Product


def ensure_brands_and_categories() -> tuple[dict[str, int], dict[str, int]]:
    brands = {b.name: b.id for b in db.session.scalars(sa.select(Brand))}
    for name, name_zh, _factor in catalogue.BRANDS:
        if name not in brands:
            brand = Brand(name=name, name_key=Brand.key_for(name), name_zh=name_zh, note="")
            db.session.add(brand)
            db.session.flush()
            brands[name] = brand.id
    categories = {c.code: c.id for c in db.session.scalars(sa.select(Category))}
    for code, zh, en in catalogue.CATEGORIES:
        if code not in categories:
            category = Category(code=code, name_zh=zh, name_en=en)
            db.session.add(category)
            db.session.flush()
            categories[code] = category.id
    return brands, categories


def product_row(brand_id: int, category_id: int, brand: str, bearing: catalogue.Bearing) -> dict:
    name_zh, name_en = bearing.names()
    now = utcnow()
    return {
        "brand_id": brand_id,
        "model": bearing.model,
        "model_key": model_key(bearing.model),
        "name_zh": name_zh,
        "name_en": name_en,
        "search_text": normalize(f"{name_zh} {name_en}"),
        "category_id": category_id,
        "unit": "pcs" if bearing.category != "UNIT" else "set",
        "bore_d": bearing.bore_d,
        "outer_d": bearing.outer_d,
        "width_b": bearing.width_b,
        "weight_kg": bearing.weight_kg,
        "list_price": catalogue.price_for(brand, bearing),
        "avg_cost": 0,
        "reorder_level": 10 if bearing.category == "DGBB" else 2,
        "is_active": True,
        "note": "",
        "created_at": now,
        "updated_at": now,
        "version_id": 1,
    }


def seed_demo(echo: Callable[[str], None]) -> None:
    brands, categories = ensure_brands_and_categories()
    existing = set(db.session.execute(sa.select(Product.brand_id, Product.model_key)).all())
    rows, seen = [], set(existing)
    for brand, bearing in catalogue.demo_products():
        key = (brands[brand], model_key(bearing.model))
        if key in seen:
            continue
        seen.add(key)
        rows.append(product_row(brands[brand], categories[bearing.category], brand, bearing))
    if rows:
        db.session.execute(sa.insert(Product.__table__), rows)
    echo(f"products: {len(brands)} brands, {len(categories)} categories, {len(rows)} products created")
