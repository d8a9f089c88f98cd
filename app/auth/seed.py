"""Demo data of auth: the default roles and one user per role."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from app.auth import services
from app.auth.defaults import default_roles
from app.auth.models import Role, RolePermission, User
from app.extensions import db

DEMO_USERS = [
    # username, display name, role, locale
    ("admin", "系统管理员", "admin", "zh"),
    ("manager", "王建国", "manager", "zh"),
    ("sales", "李娜", "sales", "zh"),
    ("sales2", "Zhang Wei", "sales", "en"),
    ("warehouse", "刘强", "warehouse", "zh"),
    ("purchaser", "陈静", "purchaser", "zh"),
    ("finance", "赵敏", "finance", "zh"),
]


def ensure_default_roles() -> dict[str, Role]:
    """Create any missing default role; roles that exist are left as their admins edited them."""
    existing = {r.name: r for r in db.session.scalars(sa.select(Role))}
    for spec in default_roles():
        if spec.name in existing:
            continue
        role = Role(
            name=spec.name,
            title_zh=spec.title_zh,
            title_en=spec.title_en,
            description=spec.description,
            grants=[RolePermission(permission=p) for p in sorted(spec.permissions)],
        )
        db.session.add(role)
        existing[spec.name] = role
    db.session.flush()
    return existing


def seed_demo(echo: Callable[[str], None]) -> None:
    roles = ensure_default_roles()
    password = current_app.config["DEMO_PASSWORD"]
    password_hash = None
    created = 0
    for username, display_name, role_name, locale in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
            continue
        services.validate_password(username, password)
        password_hash = password_hash or services.hash_password(password)
        db.session.add(
            User(
                username=username,
                display_name=display_name,
                email=f"{username}@example.com",
                locale=locale,
                password_hash=password_hash,
                roles=[roles[role_name]],
            )
        )
        created += 1
    db.session.flush()
    echo(f"auth: {len(roles)} roles, {created} demo users created")
