"""Company settings page (公司设置): letterhead, quotation defaults, the logo and approval limits per role.

The use cases come first; like every service they flush and never commit. The views below them
commit. One version number guards the whole page: saving the letterhead, changing a role's limits
or replacing the logo moves it, so an administrator holding an older copy of the page is refused
and shown the other person's values beside their own instead of overwriting them.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.access import login_only, require
from app.auth.models import Role
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError, FieldConflict, StaleEditError
from app.core.locking import check_version
from app.core.registry import MenuItem, register_menu_item
from app.core.templating import register_audit_event
from app.extensions import db
from app.system.models import SETTINGS_ID, CompanySettings, RoleApprovalLimit
from app.system.settings import company_settings
from app.system.settings_forms import MODE_DEFAULT, MODE_OWN, CompanySettingsForm, LogoForm
from app.system.views import bp

log = logging.getLogger(__name__)

LOGO_MAX_BYTES = 1024 * 1024
# Recognised by their first bytes, never by the name or the type the browser claims.
LOGO_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
LOGO_EVENT = "logo_changed"
CENT = Decimal("0.01")
TEXT_FIELDS = (
    "name_zh",
    "name_en",
    "address_zh",
    "address_en",
    "phone",
    "fax",
    "email",
    "website",
    "bank_zh",
    "bank_en",
    "quotation_terms_zh",
    "quotation_terms_en",
)
PERCENT_FIELDS = ("tax_rate", "max_discount_percent", "min_margin_percent")

register_audit_event(LOGO_EVENT, _l("Letterhead logo changed"))
register_menu_item(
    MenuItem("admin", "system.settings_edit", _l("Company settings"), "building-gear", ("system.settings",), order=50)
)


# --- use cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleLimitData:
    """A role's approval limits: ``own`` False means the company default; None means no limit."""

    role_id: int
    own: bool
    max_discount_percent: Decimal | None = None
    min_margin_percent: Decimal | None = None


def _percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT)


def _locked_settings() -> CompanySettings | None:
    query = (
        sa.select(CompanySettings)
        .where(CompanySettings.id == SETTINGS_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.session.scalar(query)


def _new_settings() -> CompanySettings:
    """The first save: a row made from the defaults."""
    row = company_settings()
    db.session.add(row)
    return row


def settings_version(settings: CompanySettings) -> int:
    """The version a form carries: 0 while nobody has saved the settings yet."""
    return settings.version_id or 0


def _flush() -> None:
    try:
        db.session.flush()
    except (sa.orm.exc.StaleDataError, sa.exc.IntegrityError):
        # Another administrator's save (or first save) won the race at the database.
        raise StaleEditError(
            _("Someone else saved the settings at the same moment. Reload the page, then make your change again."),
            changed_by=None,
            changed_at=None,
        ) from None


def describe_limits(limit: RoleApprovalLimit | RoleLimitData | None) -> str:
    """A role's limits in words, for the side-by-side view of a refused save."""
    if limit is None or (isinstance(limit, RoleLimitData) and not limit.own):
        return _("Company default")
    discount, margin = limit.max_discount_percent, limit.min_margin_percent
    return _(
        "Own limits: %(discount)s; %(margin)s",
        discount=_("no discount limit")
        if discount is None
        else _("discount up to %(percent)s %%", percent=f"{discount.normalize():f}"),
        margin=_("no margin limit")
        if margin is None
        else _("margin at least %(percent)s %%", percent=f"{margin.normalize():f}"),
    )


def _same_limits(row: RoleApprovalLimit | None, item: RoleLimitData) -> bool:
    if row is None or not item.own:
        return row is None and not item.own
    return (row.max_discount_percent, row.min_margin_percent) == (item.max_discount_percent, item.min_margin_percent)


def limit_field(role_id: int) -> str:
    return f"role_limit_{role_id}"


def _limit_conflicts(
    current: dict[int, RoleApprovalLimit], wanted: list[RoleLimitData], roles: dict[int, Role]
) -> list[FieldConflict]:
    return [
        FieldConflict(
            name=limit_field(item.role_id),
            label=roles[item.role_id].title,
            mine=describe_limits(item),
            theirs=describe_limits(current.get(item.role_id)),
        )
        for item in wanted
        if not _same_limits(current.get(item.role_id), item)
    ]


def _apply_limits(current: dict[int, RoleApprovalLimit], wanted: list[RoleLimitData]) -> bool:
    changed = False
    for item in wanted:
        row = current.get(item.role_id)
        if _same_limits(row, item):
            continue
        changed = True
        if not item.own:
            db.session.delete(row)
        elif row is None:
            db.session.add(
                RoleApprovalLimit(
                    role_id=item.role_id,
                    max_discount_percent=item.max_discount_percent,
                    min_margin_percent=item.min_margin_percent,
                )
            )
        else:
            row.max_discount_percent = item.max_discount_percent
            row.min_margin_percent = item.min_margin_percent
    return changed


def save_company_settings(
    values: dict[str, Any], limits: list[RoleLimitData], *, expected_version: int | None
) -> CompanySettings:
    """Save the company settings and the roles' approval limits; refused when someone else saved
    them after ``expected_version`` was read (0: before the first save)."""
    values = {
        **{key: (values.get(key) or "").strip() for key in TEXT_FIELDS},
        **{key: _percent(values.get(key)) for key in PERCENT_FIELDS},
        "quotation_valid_days": int(values["quotation_valid_days"]),
    }
    if values["tax_rate"] is None:
        raise DomainError(_("Enter the tax rate, e.g. 13."))
    roles = {role.id: role for role in db.session.scalars(sa.select(Role))}
    wanted = [
        RoleLimitData(
            item.role_id,
            item.own,
            _percent(item.max_discount_percent) if item.own else None,
            _percent(item.min_margin_percent) if item.own else None,
        )
        for item in limits
        if item.role_id in roles  # a role deleted meanwhile has no limits to keep
    ]
    settings = _locked_settings()
    current = {row.role_id: row for row in db.session.scalars(sa.select(RoleApprovalLimit))}
    if settings is None:
        settings = _new_settings()
    else:
        try:
            check_version(settings, expected_version, values)
        except StaleEditError as exc:
            exc.conflicts.extend(_limit_conflicts(current, wanted, roles))
            raise
    for key, value in values.items():
        setattr(settings, key, value)
    if _apply_limits(current, wanted) and settings.version_id is not None:
        # A change of limits is a change of the settings page: it moves the version.
        settings.updated_at = utcnow()
    _flush()
    log.info("company settings saved (version %s)", settings.version_id)
    return settings


def logo_type(data: bytes) -> str | None:
    """The image type ``data`` really is, from its first bytes: PNG or JPEG, else None."""
    for signature, mimetype in LOGO_SIGNATURES:
        if data.startswith(signature):
            return mimetype
    return None


def _logo_summary(settings: CompanySettings) -> str | None:
    if not settings.logo:
        return None
    digest = hashlib.sha256(settings.logo).hexdigest()[:8]
    return f"{settings.logo_type}, {len(settings.logo) / 1024:.1f} KB, #{digest}"


def _log_logo(settings: CompanySettings, before: str | None) -> None:
    audit.record(
        db.session,
        event_name=LOGO_EVENT,
        obj=settings,
        changes={"logo_type": [before, _logo_summary(settings)]},
    )


def set_logo(data: bytes) -> CompanySettings:
    """Store ``data`` as the letterhead logo: a PNG or JPEG image of at most 1 MB."""
    if len(data) > LOGO_MAX_BYTES:
        raise DomainError(
            _("The logo is larger than %(max)s MB. Save it smaller and upload it again.", max=LOGO_MAX_BYTES >> 20)
        )
    mimetype = logo_type(data)
    if mimetype is None:
        raise DomainError(_("The logo must be a PNG or JPEG image."))
    settings = _locked_settings() or _new_settings()
    before = _logo_summary(settings)
    settings.logo = data
    settings.logo_type = mimetype
    _flush()
    _log_logo(settings, before)
    log.info("letterhead logo replaced (%s, %d bytes)", mimetype, len(data))
    return settings


def remove_logo() -> None:
    """Print documents without a logo from now on."""
    settings = _locked_settings()
    if settings is None or not settings.logo:
        return
    before = _logo_summary(settings)
    settings.logo = None
    settings.logo_type = ""
    _flush()
    _log_logo(settings, before)
    log.info("letterhead logo removed")


# --- views ------------------------------------------------------------------------------------


def _roles() -> list[Role]:
    return list(db.session.scalars(sa.select(Role).order_by(Role.name)))


def _settings_form(settings: CompanySettings, *, posted: bool) -> CompanySettingsForm:
    """The form, filled from the request when it was posted, else from the stored settings."""
    if posted:
        return CompanySettingsForm()
    form = CompanySettingsForm(formdata=None, obj=settings)
    form.version_id.data = settings_version(settings)
    limits = {row.role_id: row for row in db.session.scalars(sa.select(RoleApprovalLimit))}
    for role in _roles():
        row = limits.get(role.id)
        form.limits.append_entry(
            {
                "role_id": role.id,
                "mode": MODE_OWN if row else MODE_DEFAULT,
                "max_discount_percent": row.max_discount_percent if row else None,
                "min_margin_percent": row.min_margin_percent if row else None,
            }
        )
    return form


def _values(form: CompanySettingsForm) -> dict[str, Any]:
    return {key: form[key].data for key in (*TEXT_FIELDS, *PERCENT_FIELDS, "quotation_valid_days")}


def _limits(form: CompanySettingsForm) -> list[RoleLimitData]:
    rows = []
    for entry in form.limits:
        sub = entry.form
        if sub.role_id.data is None:
            continue
        own = sub.mode.data == MODE_OWN
        rows.append(
            RoleLimitData(
                sub.role_id.data,
                own,
                sub.max_discount_percent.data if own else None,
                sub.min_margin_percent.data if own else None,
            )
        )
    return rows


def _render(
    form: CompanySettingsForm,
    logo_form: LogoForm,
    settings: CompanySettings,
    conflict: StaleEditError | None = None,
):
    roles = {role.id: role for role in _roles()}
    labels = dict(CompanySettings.__audit_labels__)
    labels.update({limit_field(role.id): _("Approval limits: %(role)s", role=role.title) for role in roles.values()})
    return render_template(
        "system/settings.html",
        form=form,
        logo_form=logo_form,
        settings=settings,
        version=settings_version(settings),
        roles=roles,
        conflict=conflict,
        labels=labels,
        logo_max_mb=LOGO_MAX_BYTES >> 20,
    )


@bp.route("/admin/settings/", methods=["GET", "POST"])
@require("system.settings")
def settings_edit():
    settings = company_settings()
    form = _settings_form(settings, posted=request.method == "POST")
    conflict = None
    if form.validate_on_submit():
        try:
            save_company_settings(_values(form), _limits(form), expected_version=form.version_id.data)
        except StaleEditError as exc:
            db.session.rollback()
            conflict = exc
            settings = company_settings()
            # The user has now seen the other values: saving again keeps theirs.
            form.version_id.data = settings_version(settings)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Company settings saved."), "success")
            return redirect(url_for("system.settings_edit"))
    return _render(form, LogoForm(), settings, conflict)


@bp.post("/admin/settings/logo")
@require("system.settings")
def settings_logo_upload():
    logo_form = LogoForm()
    if logo_form.validate_on_submit():
        # One byte more than allowed is enough to know it is too large.
        data = logo_form.logo.data.stream.read(LOGO_MAX_BYTES + 1)
        try:
            set_logo(data)
        except DomainError as exc:
            db.session.rollback()
            logo_form.logo.errors = [*logo_form.logo.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Logo saved. Documents print it from now on."), "success")
            return redirect(url_for("system.settings_edit"))
    settings = company_settings()
    return _render(_settings_form(settings, posted=False), logo_form, settings)


@bp.post("/admin/settings/logo/delete")
@require("system.settings")
def settings_logo_delete():
    remove_logo()
    db.session.commit()
    flash(_("Logo removed. Documents print without a logo from now on."), "success")
    return redirect(url_for("system.settings_edit"))


@bp.get("/admin/settings/logo")
@login_only
def settings_logo():
    """The letterhead logo, for the settings page and the PDFs (which fetch it as the user)."""
    settings = company_settings()
    if not settings.logo:
        abort(404)
    response = make_response(settings.logo)
    response.mimetype = settings.logo_type
    response.set_etag(hashlib.sha256(settings.logo).hexdigest()[:32])
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)
