"""Races between administrators, on connections that really commit (several threads at once).

On PostgreSQL and MariaDB the services lock the role rows involved, so the second transaction
waits and then sees the first one's committed result. SQLite has one writer at a time; a
transaction that read before another committed is refused ("database is locked") rather than
allowed to act on a stale view. Either way the invariants below hold.
"""

import threading

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from app.auth import services
from app.auth.access import permissions_from_db, permissions_of
from app.auth.models import Role, RolePermission, User
from app.core.db import acting_as
from app.extensions import db
from tests import support


def _user(app, username, role_names, *, active=True) -> int:
    with app.app_context():
        roles = list(db.session.scalars(sa.select(Role).where(Role.name.in_(role_names))))
        user = User(
            username=username,
            display_name=username,
            password_hash=support.password_hash(),
            roles=roles,
            is_active=active,
        )
        db.session.add(user)
        db.session.commit()
        return user.id


def _role(app, name, permissions) -> int:
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
        return role.id


def _run(app, work, *, hold: threading.Event | None = None, started: threading.Event | None = None):
    """Run ``work()`` in a thread with its own app context and transaction; commit when ``hold`` is set."""
    outcome = {}

    def target():
        with app.app_context():
            try:
                work()
                if started:
                    started.set()
                if hold:
                    hold.wait(10)
                db.session.commit()
                outcome["ok"] = True
            except (services.DomainError, sa_exc.OperationalError) as exc:
                db.session.rollback()
                outcome["error"] = exc
                if started:
                    started.set()
            finally:
                db.session.remove()

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def test_a_role_edit_racing_a_role_assignment_leaves_no_stale_permissions(committed_app):
    app = committed_app
    role_id = _role(app, "race_role", ["customers.view", "customers.export"])
    newcomer = _user(app, "race_newcomer", [])
    admin = _user(app, "race_admin", ["admin"])

    def assign():
        with acting_as(admin):
            services.set_roles(db.session.get(User, newcomer), [role_id], by=None)

    def drop_export():
        with acting_as(admin):
            role = db.session.get(Role, role_id)
            services.update_role(
                role,
                services.RoleData(role.name, role.title_zh, role.title_en, role.description),
                ["customers.view"],
                expected_version=role.version_id,
                by=None,
            )

    hold, started = threading.Event(), threading.Event()
    first, first_outcome = _run(app, assign, hold=hold, started=started)
    assert started.wait(10)
    second, second_outcome = _run(app, drop_export)
    threading.Timer(0.5, hold.set).start()  # the assignment commits while the edit waits
    first.join(20)
    second.join(20)
    assert first_outcome.get("ok"), first_outcome

    with app.app_context():
        user = db.session.get(User, newcomer)
        committed = permissions_from_db(newcomer)
        used = permissions_of(user)  # what the newcomer's next request would run with
        assert used == committed
        if second_outcome.get("ok"):
            assert "customers.export" not in used
        else:
            # Only SQLite refuses the second writer instead of making it wait.
            assert isinstance(second_outcome["error"], sa_exc.OperationalError)
            assert db.engine.dialect.name == "sqlite"


def test_two_administrators_cannot_deactivate_each_other_at_once(committed_app):
    app = committed_app
    with app.app_context():
        # Only these two may administer in this test's world.
        for other in db.session.scalars(sa.select(User).where(User.is_active.is_(True))):
            other.is_active = False
        db.session.commit()
    first = _user(app, "twin_a", ["admin"])
    second = _user(app, "twin_b", ["admin"])

    def deactivate(target, actor):
        def work():
            with acting_as(actor):
                services.set_active(db.session.get(User, target), False, by=db.session.get(User, actor))

        return work

    hold, started = threading.Event(), threading.Event()
    one, one_outcome = _run(app, deactivate(second, first), hold=hold, started=started)
    assert started.wait(10)
    two, two_outcome = _run(app, deactivate(first, second))
    threading.Timer(0.5, hold.set).start()
    one.join(20)
    two.join(20)
    with app.app_context():
        active = db.session.scalar(
            sa.select(sa.func.count()).select_from(User).where(User.id.in_([first, second]), User.is_active.is_(True))
        )
    assert active >= 1
    assert one_outcome.get("ok") != two_outcome.get("ok")  # exactly one succeeded


def test_every_engine_reads_what_others_committed(committed_app):
    """PostgreSQL's default, set on MariaDB (whose default, REPEATABLE READ, would let a service
    keep acting on the snapshot it took before waiting for a lock)."""
    with committed_app.app_context():
        name = db.engine.dialect.name
        if name == "postgresql":
            assert db.session.scalar(sa.text("SHOW transaction_isolation")) == "read committed"
        elif name in ("mysql", "mariadb"):
            assert db.session.scalar(sa.text("SELECT @@tx_isolation")) == "READ-COMMITTED"
        else:
            assert db.session.scalar(sa.text("PRAGMA read_uncommitted")) == 0
