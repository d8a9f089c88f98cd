"""Use cases for users, roles and passwords. Services flush; the caller commits."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import available_timezones

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth import permissions as registry
from app.auth import sessions
from app.auth.access import NO_GRANTS, cache_grants, grants_from_db, permissions_from_db, permissions_of
from app.auth.models import Role, RolePermission, User, user_roles
from app.core import realtime
from app.core.db import after_commit, utcnow
from app.core.errors import DomainError
from app.core.locking import check_version
from app.extensions import db, socketio

log = logging.getLogger(__name__)

USERNAME_RE = re.compile(r"^[A-Za-z0-9._@-]{3,64}$")
ROLE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
PASSWORD_MAX_LENGTH = 128
LOCALES = ("zh", "en")
# A valid scrypt hash of a random string: checked against when the username is unknown, so
# an unknown user costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("unknown-user-timing-equaliser", method="scrypt")


def hash_password(password: str) -> str:
    """Hash ``password`` with scrypt."""
    return generate_password_hash(password, method="scrypt")


def validate_password(username: str, password: str) -> None:
    """Refuse a password that breaks the policy."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise DomainError(_("The password must be at least %(n)d characters long.", n=minimum))
    if len(password) > PASSWORD_MAX_LENGTH:
        raise DomainError(_("The password may be at most %(n)d characters long.", n=PASSWORD_MAX_LENGTH))
    if password.strip().casefold() == username.strip().casefold():
        raise DomainError(_("The password must not be the same as the username."))


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, or None (the same for every kind of failure)."""
    user = None
    if 0 < len(username) <= 64 and username.isprintable():
        user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    if not user.is_active:
        return None
    return user


def record_login(user: User, ip: str | None) -> None:
    """Note the time and address of a successful login.

    Written past the ORM so the user's record version does not move: signing in must not turn
    an administrator's open edit form into a conflict.
    """
    _update_quietly(user, last_login_at=utcnow(), last_login_ip=ip)


def _update_quietly(user: User, **values: object) -> None:
    db.session.execute(sa.update(User.__table__).where(User.__table__.c.id == user.id).values(**values))
    for name, value in values.items():
        set_committed_value(user, name, value)


# --- guards ----------------------------------------------------------------------------------


def _flush_unique(message: str) -> None:
    """Flush; a unique constraint hit by someone saving the same name at the same moment is a
    user-facing refusal, not a crash (the checks before the flush catch every other case)."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        raise DomainError(message) from None


def _held_by(actor: User | None) -> frozenset[str] | None:
    """The actor's permissions; None stands for the system itself (CLI), which may do anything."""
    return None if actor is None else permissions_of(actor)


def _require_can_grant(actor: User | None, names: Iterable[str]) -> None:
    held = _held_by(actor)
    if held is None:
        return
    missing = sorted(set(names) - held)
    if missing:
        labels = ", ".join(_permission_label(n) for n in missing)
        raise DomainError(
            _("You cannot grant or remove permissions you do not hold yourself: %(names)s.", names=labels)
        )


def _require_outranks(actor: User | None, target: User) -> None:
    """Refuse to manage a user who holds permissions the actor lacks (no takeover of an admin)."""
    held = _held_by(actor)
    if held is None:
        return
    # By the roles' grants, whether or not the account is active: reactivating a stronger
    # account is managing it too.
    if not permissions_from_db(target.id) <= held:
        raise DomainError(_("You cannot manage a user who holds permissions you do not hold yourself."))


def _permission_label(name: str) -> str:
    try:
        perm = registry.get(name)
    except KeyError:
        return name
    resource = next(r for r in registry.resources() if r.name == perm.resource)
    return f"{resource.label} · {perm.label}"


def _active_admin_count(exclude_user_id: int | None = None) -> int:
    """Count active users who could still manage roles and users."""
    holders = (
        sa.select(user_roles.c.user_id)
        .join(RolePermission, RolePermission.role_id == user_roles.c.role_id)
        .where(RolePermission.permission.in_(["roles.manage", "users.manage"]))
        .group_by(user_roles.c.user_id)
        .having(sa.func.count(sa.distinct(RolePermission.permission)) == 2)
    )
    query = sa.select(sa.func.count()).select_from(User).where(User.is_active.is_(True), User.id.in_(holders))
    if exclude_user_id is not None:
        query = query.where(User.id != exclude_user_id)
    return db.session.scalar(query) or 0


def _lock_roles(role_ids: Iterable[int] = ()) -> None:
    """Lock these roles and every role that grants user or role administration, in id order.

    Changes to a role's grants, to who holds a role and to who is active then happen one after
    another, each seeing the others' committed result: a role edit cannot miss a holder added at
    the same moment (whose cached permissions would then stay stale), and two administrators
    cannot each remove the other.
    """
    admin_roles = sa.select(RolePermission.role_id).where(
        RolePermission.permission.in_(["roles.manage", "users.manage"])
    )
    ids = set(role_ids) | set(db.session.scalars(admin_roles))
    if ids:
        db.session.execute(sa.select(Role.id).where(Role.id.in_(sorted(ids))).order_by(Role.id).with_for_update())


def _ensure_an_admin_remains(before: int) -> None:
    """Refuse a change that takes the number of active administrators from some to none."""
    db.session.flush()
    if before > 0 and _active_admin_count() == 0:
        raise DomainError(
            _("This change would leave nobody able to manage users and roles. Keep at least one active administrator.")
        )


# --- permission versions -----------------------------------------------------------------------


def bump_permissions(user_ids: Iterable[int]) -> None:
    """Invalidate the cached permissions of ``user_ids``; their next request loads the new set."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    db.session.flush()
    db.session.execute(
        sa.update(User)
        .where(User.id.in_(ids))
        .values(permissions_version=User.permissions_version + 1)
        .execution_options(synchronize_session="fetch")
    )
    rows = db.session.execute(
        sa.select(User.id, User.permissions_version, User.is_active).where(User.id.in_(ids))
    ).all()
    fresh = [(uid, version, grants_from_db(uid) if active else NO_GRANTS) for uid, version, active in rows]
    deactivated = [uid for uid, _version, active in rows if not active]

    def publish() -> None:
        for uid, version, grants in fresh:
            cache_grants(uid, version, grants)
        for uid in deactivated:
            sessions.end_all(uid)
        # Open pages: menus reload at once; a deactivated user's pages go to the sign-in page and
        # get nothing more pushed to them.
        socketio.emit_to_users([uid for uid in ids if uid not in deactivated], realtime.ACCESS_CHANGED)
        socketio.end_rooms(realtime.user_room(uid) for uid in deactivated)
        log.info("permissions reloaded for users %s", ids)

    after_commit(db.session(), publish)


# --- users -------------------------------------------------------------------------------------


@dataclass
class UserData:
    username: str
    display_name: str
    email: str | None = None
    phone: str | None = None
    locale: str = "zh"
    timezone: str = "Asia/Shanghai"


def _validate_user_data(data: UserData, user: User | None = None) -> None:
    if not USERNAME_RE.match(data.username):
        raise DomainError(_("A username is 3 to 64 characters: letters, digits and . _ @ - only."))
    clash = db.session.scalar(sa.select(User.id).where(User.username == data.username))
    if clash is not None and (user is None or clash != user.id):
        raise DomainError(_("The username %(name)s is already taken.", name=data.username))
    if not data.display_name.strip():
        raise DomainError(_("Enter a display name."))
    if data.locale not in LOCALES:
        raise DomainError(_("Choose a supported language."))
    if data.timezone not in available_timezones():
        raise DomainError(_("Choose a valid time zone."))


def _roles_by_id(role_ids: Iterable[int]) -> list[Role]:
    ids = sorted(set(role_ids))
    if not ids:
        return []
    roles = list(db.session.scalars(sa.select(Role).where(Role.id.in_(ids))))
    if len(roles) != len(ids):
        raise DomainError(_("One of the chosen roles no longer exists. Reload the page."))
    return roles


def create_user(data: UserData, password: str, role_ids: Iterable[int], *, by: User | None) -> User:
    """Create a user with a password and roles."""
    _validate_user_data(data)
    validate_password(data.username, password)
    roles = _roles_by_id(role_ids)
    _require_can_grant(by, {p for r in roles for p in r.permission_names})
    user = User(
        username=data.username,
        display_name=data.display_name.strip(),
        email=data.email or None,
        phone=data.phone or None,
        locale=data.locale,
        timezone=data.timezone,
        password_hash=hash_password(password),
        password_changed_at=utcnow(),
        is_active=True,
        roles=roles,
    )
    db.session.add(user)
    _flush_unique(_("The username %(name)s is already taken.", name=data.username))
    log.info("user %s created", user.username)
    return user


def update_user(user: User, data: UserData, role_ids: Iterable[int], *, expected_version: int, by: User | None) -> User:
    """Change a user's details and roles."""
    check_version(user, expected_version, _user_fields(data, role_ids))
    _validate_user_data(data, user)
    if by is not None and by.id != user.id:
        _require_outranks(by, user)
    user.username = data.username
    user.display_name = data.display_name.strip()
    user.email = data.email or None
    user.phone = data.phone or None
    user.locale = data.locale
    user.timezone = data.timezone
    set_roles(user, role_ids, by=by)
    _flush_unique(_("The username %(name)s is already taken.", name=data.username))
    return user


def _user_fields(data: UserData, role_ids: Iterable[int]) -> dict[str, object]:
    return {
        "username": data.username,
        "display_name": data.display_name,
        "email": data.email or None,
        "phone": data.phone or None,
        "locale": data.locale,
        "timezone": data.timezone,
        "roles": sorted(r.name for r in _roles_by_id(role_ids)),
    }


def set_roles(user: User, role_ids: Iterable[int], *, by: User | None) -> None:
    """Give ``user`` exactly these roles."""
    wanted = set(role_ids)
    db.session.expire(user, ["roles"])
    _lock_roles(wanted | {r.id for r in user.roles})
    db.session.expire(user, ["roles"])
    new_roles = _roles_by_id(wanted)
    old_ids = {r.id for r in user.roles}
    new_ids = {r.id for r in new_roles}
    if old_ids == new_ids:
        return
    if by is not None and by.id == user.id:
        raise DomainError(_("You cannot change your own roles. Ask another administrator."))
    changed = [r for r in (*user.roles, *new_roles) if (r.id in old_ids) != (r.id in new_ids)]
    _require_can_grant(by, {p for r in changed for p in r.permission_names})
    admins = _active_admin_count()
    user.roles = new_roles
    # Roles live in another table; touching the row makes its version move, so a form opened
    # before this change cannot silently undo it.
    user.updated_at = utcnow()
    _ensure_an_admin_remains(admins)
    bump_permissions([user.id])
    log.info("roles of %s set to %s", user.username, sorted(r.name for r in new_roles))


def set_active(user: User, active: bool, *, by: User | None) -> None:
    """Deactivate (ending every session at once) or reactivate a user."""
    if user.is_active == active:
        return
    if by is not None and by.id == user.id:
        raise DomainError(_("You cannot deactivate your own account."))
    _require_outranks(by, user)
    _lock_roles()
    admins = _active_admin_count()
    user.is_active = active
    if not active:
        _ensure_an_admin_remains(admins)
    bump_permissions([user.id])
    log.info("user %s %s", user.username, "reactivated" if active else "deactivated")


def reset_password(user: User, new_password: str, *, by: User | None) -> None:
    """Set a new password for another user and end all of that user's sessions."""
    if by is not None and by.id == user.id:
        raise DomainError(_("Use “Change password” to change your own password."))
    _require_outranks(by, user)
    validate_password(user.username, new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    db.session.flush()
    uid = user.id
    after_commit(db.session(), lambda: sessions.end_all(uid))
    log.info("password of %s reset", user.username)


class WrongPasswordError(DomainError):
    """The current password given to confirm a change was wrong."""


def change_own_password(user: User, current: str, new: str, *, keep_sid: str | None) -> None:
    """Change the user's own password after checking the current one; end their other sessions."""
    if not check_password_hash(user.password_hash, current):
        raise WrongPasswordError(_("The current password is not correct."))
    if current == new:
        raise DomainError(_("The new password must differ from the current one."))
    validate_password(user.username, new)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    db.session.flush()
    uid = user.id
    after_commit(db.session(), lambda: sessions.end_all(uid, keep_sid=keep_sid))
    log.info("user %s changed their password", user.username)


def update_profile(
    user: User, *, display_name: str, email: str | None, phone: str | None, locale: str, timezone: str
) -> None:
    """Change the user's own display name, contact details, language and time zone."""
    data = UserData(user.username, display_name, email, phone, locale, timezone)
    _validate_user_data(data, user)
    user.display_name = display_name.strip()
    user.email = email or None
    user.phone = phone or None
    user.locale = locale
    user.timezone = timezone
    db.session.flush()


def set_locale(user: User, locale: str) -> None:
    """Remember the user's UI language."""
    if locale not in LOCALES:
        raise DomainError(_("Choose a supported language."))
    _update_quietly(user, locale=locale)  # a preference, not an edit of the record


# --- roles -------------------------------------------------------------------------------------


@dataclass
class RoleData:
    name: str
    title_zh: str
    title_en: str
    description: str = ""


def _validate_role_data(data: RoleData, role: Role | None = None) -> None:
    if not ROLE_NAME_RE.match(data.name):
        raise DomainError(
            _("A role code is 2 to 64 characters: lowercase letters, digits and _, starting with a letter.")
        )
    clash = db.session.scalar(sa.select(Role.id).where(Role.name == data.name))
    if clash is not None and (role is None or clash != role.id):
        raise DomainError(_("A role with the code %(name)s already exists.", name=data.name))
    if not data.title_zh.strip() or not data.title_en.strip():
        raise DomainError(_("Enter the role's name in Chinese and in English."))


def _role_fields(data: RoleData, names: Iterable[str]) -> dict[str, object]:
    return {
        "name": data.name,
        "title_zh": data.title_zh,
        "title_en": data.title_en,
        "description": data.description,
        "grants": sorted(set(names)),
    }


def create_role(data: RoleData, permission_names: Iterable[str], *, by: User | None) -> Role:
    """Create a role granting ``permission_names``."""
    names = set(permission_names)
    registry.check_names(names)
    _validate_role_data(data)
    _require_can_grant(by, names)
    role = Role(
        name=data.name,
        title_zh=data.title_zh.strip(),
        title_en=data.title_en.strip(),
        description=data.description.strip(),
        grants=[RolePermission(permission=n) for n in sorted(names)],
    )
    db.session.add(role)
    _flush_unique(_("A role with the code %(name)s already exists.", name=data.name))
    log.info("role %s created", role.name)
    return role


def update_role(
    role: Role, data: RoleData, permission_names: Iterable[str], *, expected_version: int, by: User | None
) -> Role:
    """Change a role; the permissions of everyone holding it change on their next request."""
    names = set(permission_names)
    registry.check_names(names)
    _lock_roles([role.id])
    db.session.refresh(role)  # the committed state, now that nobody else can change it
    check_version(role, expected_version, _role_fields(data, names))
    _validate_role_data(data, role)
    old = role.permission_names
    _require_can_grant(by, old ^ names)
    renamed = (role.title_zh, role.title_en) != (data.title_zh.strip(), data.title_en.strip())
    role.name = data.name
    role.title_zh = data.title_zh.strip()
    role.title_en = data.title_en.strip()
    role.description = data.description.strip()
    if renamed and old == names:
        # Holders' user menus show the role's title, cached with their permissions.
        bump_permissions(db.session.scalars(sa.select(user_roles.c.user_id).where(user_roles.c.role_id == role.id)))
    if old != names:
        admins = _active_admin_count()
        keep = [g for g in role.grants if g.permission in names]
        role.grants = keep + [RolePermission(permission=n) for n in sorted(names - old)]
        role.updated_at = utcnow()  # the grants live in another table; move the role's version
        _ensure_an_admin_remains(admins)
        holders = db.session.scalars(sa.select(user_roles.c.user_id).where(user_roles.c.role_id == role.id))
        bump_permissions(list(holders))
        log.info("role %s permissions changed: +%s -%s", role.name, sorted(names - old), sorted(old - names))
    _flush_unique(_("A role with the code %(name)s already exists.", name=data.name))
    return role


def delete_role(role: Role, *, by: User | None) -> None:
    """Delete a role nobody holds."""
    _lock_roles([role.id])
    holders = db.session.scalar(
        sa.select(sa.func.count()).select_from(user_roles).where(user_roles.c.role_id == role.id)
    )
    if holders:
        raise DomainError(
            _("The role %(name)s is held by %(n)d user(s). Remove it from them first.", name=role.title, n=holders)
        )
    _require_can_grant(by, role.permission_names)
    db.session.delete(role)
    db.session.flush()
    log.info("role %s deleted", role.name)
