"""Database base class, column types, mixins and transaction hooks shared by every domain."""

from __future__ import annotations

import contextvars
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored as naive UTC on every engine and returned as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def case_sensitive_string(length: int) -> sa.types.TypeEngine:
    """A VARCHAR that compares case-sensitively on every engine (binary collation on MariaDB)."""
    return sa.String(length).with_variant(mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb")


def key_string(length: int) -> sa.types.TypeEngine:
    """A search key compared byte by byte (C collation on PostgreSQL, binary on MariaDB), so range
    scans over a prefix use the index and mean the same thing on every engine."""
    return (
        sa.String(length)
        .with_variant(sa.String(length, collation="C"), "postgresql")
        .with_variant(mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb")
    )


def money_column() -> sa.Numeric:
    """An amount: 14 digits, 2 decimals."""
    return sa.Numeric(14, 2)


def price_column() -> sa.Numeric:
    """A unit price or cost: 14 digits, 4 decimals."""
    return sa.Numeric(14, 4)


def quantity_column() -> sa.Numeric:
    """A quantity: 14 digits, 3 decimals (bearings come in pieces; other goods by weight)."""
    return sa.Numeric(14, 3)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    """created_at / updated_at, both aware UTC, set by the ORM."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


class AuthorMixin:
    """Who created and who last changed a row; filled in by the flush hook from the acting user."""

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    @declared_attr
    def updated_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


class SoftDeleteMixin:
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class VersionMixin:
    """Optimistic locking: every UPDATE checks and increments version_id."""

    version_id: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version_id}


# --- acting user --------------------------------------------------------------------------

_actor_override: contextvars.ContextVar[int | None] = contextvars.ContextVar("actor_override", default=None)


def current_actor_id() -> int | None:
    """Return the id of the user on whose behalf the current code runs (request user or CLI actor)."""
    override = _actor_override.get()
    if override is not None:
        return override
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and current_user and current_user.is_authenticated:
        return int(current_user.get_id())
    return None


class acting_as:
    """Context manager for CLI jobs and tests: changes made inside are attributed to ``user_id``."""

    def __init__(self, user_id: int | None) -> None:
        self.user_id = user_id
        self._token: contextvars.Token | None = None

    def __enter__(self) -> acting_as:
        self._token = _actor_override.set(self.user_id)
        return self

    def __exit__(self, *exc) -> None:
        assert self._token is not None
        _actor_override.reset(self._token)


@event.listens_for(Session, "before_flush")
def _stamp_authors(session: Session, flush_context, instances) -> None:
    actor = current_actor_id()
    if actor is None:
        return
    for obj in session.new:
        if isinstance(obj, AuthorMixin):
            if obj.created_by_id is None:
                obj.created_by_id = actor
            obj.updated_by_id = actor
    for obj in session.dirty:
        if isinstance(obj, AuthorMixin) and session.is_modified(obj, include_collections=False):
            obj.updated_by_id = actor


# --- after-commit callbacks ---------------------------------------------------------------

_AFTER_COMMIT_KEY = "erp_after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's current transaction commits; drop it on rollback."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop(_AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        # The change is committed whatever happens here; a failing follow-up (Redis down) is
        # logged, not turned into an error page for a saved change. Nothing that guards access
        # depends on these callbacks alone.
        try:
            callback()
        except Exception:
            logging.getLogger(__name__).exception("after-commit step %r failed", callback)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_AFTER_COMMIT_KEY, None)


# --- writing transactions ------------------------------------------------------------------

SQLITE_BEGIN = "erp_sqlite_begin"
_WROTE = "erp_wrote"


@event.listens_for(Session, "after_flush")
def _mark_flush(session: Session, flush_context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _mark_dml(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def begin_write(session: Session) -> None:
    """Make sure the session holds the database's write lock before a posting reads stock.

    PostgreSQL and MariaDB lock rows with SELECT … FOR UPDATE, so nothing is needed there. SQLite
    has one writer at a time, and a transaction that has only read cannot safely become a writer
    once another one committed; so a posting on SQLite starts its transaction with BEGIN
    IMMEDIATE (waiting up to the busy timeout for the lock). A transaction that has only read is
    ended first — there is nothing in it to keep — and the ORM reloads what it had loaded.
    """
    if isinstance(session, sa.orm.scoped_session):
        session = session()
    bind = session.get_bind()
    if bind.dialect.name != "sqlite" or isinstance(bind, sa.engine.Connection):
        return  # (tests run inside one connection that already holds the lock)
    if session.in_transaction():
        if session.info.get(_WROTE):
            return  # it has written, so it holds the write lock already
        session.commit()
    session.connection(execution_options={SQLITE_BEGIN: "BEGIN IMMEDIATE"})
    # It holds the write lock now: a nested call (a document locked, then its moves posted) must
    # not end this transaction and lose the lock in between.
    session.info[_WROTE] = True


RETRYABLE_CODES = {"40P01", "40001", 1213, 1205}  # PostgreSQL deadlock / serialisation; MariaDB deadlock / lock wait


def is_retryable(exc: BaseException) -> bool:
    """True for a deadlock or serialisation failure, which repeating the transaction resolves."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return False
    code = getattr(orig, "sqlstate", None)
    if code is None and getattr(orig, "args", None):
        code = orig.args[0]
    return code in RETRYABLE_CODES


def run_with_retry(session: Session, work: Callable[[], object], attempts: int = 4) -> object:
    """Run ``work`` and commit; on a deadlock or serialisation failure roll back and run it again.

    ``work`` must load what it needs itself, so that a repeat starts from the committed state.
    """
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            session.commit()
            return result
        except sa.exc.DBAPIError as exc:
            session.rollback()
            if attempt == attempts or not is_retryable(exc):
                raise
            logging.getLogger(__name__).warning("retrying after %s (attempt %d)", type(exc.orig).__name__, attempt)
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")


# --- engine setup -------------------------------------------------------------------------


def configure_engine(engine: Engine) -> None:
    """Apply per-engine settings: SQLite pragmas and explicit transaction control."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection, connection_record) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit transactions break SAVEPOINT
        # and make BEGIN IMMEDIATE impossible).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get(SQLITE_BEGIN, "BEGIN"))
