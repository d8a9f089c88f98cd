"""Forms for login, the user's own account, and user and role administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import VersionField

LANGUAGE_CHOICES = [SelectChoice("zh", "中文"), SelectChoice("en", "English")]
TIMEZONES = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
]


def timezone_choices(current: str | None = None) -> list[SelectChoice]:
    """The curated time zones, plus ``current`` when a user has another one."""
    zones = TIMEZONES if current in (None, *TIMEZONES) else [*TIMEZONES, current]
    return [SelectChoice(tz) for tz in zones]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two new passwords do not match."))],
    )
    submit = SubmitField(_l("Change password"))


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = SelectField(_l("Time zone"), choices=timezone_choices())
    submit = SubmitField(_l("Save"))


class UserForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(min=3, max=64)],
        description=_l("Letters, digits and . _ @ -; case-sensitive."),
    )
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="zh")
    timezone = SelectField(_l("Time zone"), choices=timezone_choices(), default="Asia/Shanghai")
    roles = MultiCheckboxField(_l("Roles"), coerce=int)
    password = PasswordField(_l("Initial password"), validators=[Optional()])
    version_id = VersionField()
    submit = SubmitField(_l("Save"))


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two new passwords do not match."))],
    )
    submit = SubmitField(_l("Set password"))


class RoleForm(FlaskForm):
    name = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(min=2, max=64)],
        description=_l("Lowercase letters, digits and _, e.g. sales_manager."),
    )
    title_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=100)])
    title_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    permissions = MultiCheckboxField(_l("Permissions"))
    version_id = VersionField()
    submit = SubmitField(_l("Save"))
