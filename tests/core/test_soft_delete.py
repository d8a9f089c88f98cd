"""Soft delete and the operation log's delete / restore entries, on a table of the test's own."""

from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.core.audit import Audited, OperationLog
from app.core.db import NAMING_CONVENTION, SoftDeleteMixin, TimestampMixin, VersionMixin, utcnow
from app.extensions import db

# DDL inside the test transaction is rolled back on SQLite and PostgreSQL, not on MariaDB, so this
# runs on the SQLite pass only; the mixins are engine-independent.
pytestmark = pytest.mark.once


class _Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Gadget(Audited, SoftDeleteMixin, TimestampMixin, VersionMixin, _Base):
    __tablename__ = "test_gadgets"
    __audit_type__ = "gadget"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50))

    def audit_label(self) -> str:
        return self.name


@pytest.fixture
def gadgets(ctx):
    _Base.metadata.create_all(db.session.connection())
    yield


def _log(gadget_id: int) -> list[OperationLog]:
    return list(
        db.session.scalars(
            sa.select(OperationLog)
            .where(OperationLog.object_type == "gadget", OperationLog.object_id == gadget_id)
            .order_by(OperationLog.id)
        )
    )


def test_soft_delete_and_restore_are_logged_as_such(gadgets):
    gadget = Gadget(name="bearing puller")
    db.session.add(gadget)
    db.session.flush()
    assert not gadget.is_deleted
    gadget.deleted_at = utcnow()
    db.session.flush()
    assert gadget.is_deleted
    assert isinstance(gadget.deleted_at, datetime)
    gadget.deleted_at = None
    db.session.flush()
    actions = [e.action for e in _log(gadget.id)]
    assert actions == ["create", "delete", "restore"]
    assert _log(gadget.id)[1].changes["deleted_at"][0] is None


def test_a_soft_deleted_row_is_still_in_the_table(gadgets):
    gadget = Gadget(name="grease gun")
    db.session.add(gadget)
    db.session.flush()
    gadget.deleted_at = utcnow()
    db.session.flush()
    db.session.expire_all()
    assert db.session.scalar(sa.select(Gadget.name).where(Gadget.id == gadget.id)) == "grease gun"


def test_a_hard_delete_is_logged_with_the_last_values(gadgets):
    gadget = Gadget(name="spare")
    db.session.add(gadget)
    db.session.flush()
    gid = gadget.id
    db.session.delete(gadget)
    db.session.flush()
    last = _log(gid)[-1]
    assert last.action == "purge"
    assert last.changes["name"] == ["spare", None]
