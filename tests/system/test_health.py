"""/healthz: what a load balancer or monitor sees, for a healthy app and for real broken ones."""

import contextlib
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db, limiter, redis_store


def test_a_healthy_app_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok", "redis": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_the_health_check_needs_no_sign_in_and_ignores_one(client, login):
    assert client.get("/healthz").status_code == 200
    assert login("sales").get("/healthz").get_json()["status"] == "ok"


@contextlib.contextmanager
def _separate_app(overrides: dict):
    """A second application built by the real factory.

    Flask-Limiter keeps its storage on the extension object, not per application, so building
    another app re-points it; it is put back afterwards so the other tests keep rate-limiting
    against the test run's Redis.
    """
    saved_limiter = {k: dict(v) if isinstance(v, dict) else v for k, v in vars(limiter).items()}
    other = create_app({"ERP_ENV": "test", **overrides})
    try:
        yield other
    finally:
        with other.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
            redis_store.client.close()
        vars(limiter).clear()
        vars(limiter).update(saved_limiter)


@pytest.fixture
def base_overrides(database_url, redis_url, tmp_root) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": "erpt-health:",
        "INSTANCE_DIR": str(tmp_root),
        "SECRET_KEY": "health-test",
    }


def test_a_separately_built_healthy_app_answers_ok(base_overrides):
    # The control for the two failure cases below: the same construction, nothing broken.
    with _separate_app(base_overrides) as other:
        response = other.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok", "redis": "ok"}


def test_unreachable_redis_answers_503_naming_redis(base_overrides):
    with _separate_app({**base_overrides, "REDIS_URL": "redis://127.0.0.1:1/0"}) as other:
        response = other.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert body["db"] == "ok"
    assert body["redis"].startswith("error")
    assert "ConnectionError" in body["redis"]
    assert response.headers["Cache-Control"] == "no-store"


def test_unreachable_database_answers_503_naming_the_database(base_overrides, tmp_root: Path):
    missing = tmp_root / "no-such-directory" / "erp.sqlite3"
    assert not missing.parent.exists()
    with _separate_app({**base_overrides, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"}) as other:
        response = other.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert body["redis"] == "ok"
    assert body["db"].startswith("error")
    assert "OperationalError" in body["db"]
    assert not missing.parent.exists()
