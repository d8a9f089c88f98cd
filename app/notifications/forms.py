"""The broadcast form (消息管理)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.auth.forms import MultiCheckboxField
from app.core.security import safe_next
from app.notifications.services import BODY_MAX, TITLE_MAX

EVERYONE, ROLES = "everyone", "roles"


class BroadcastForm(FlaskForm):
    audience = RadioField(
        _l("Send to"),
        choices=[SelectChoice(EVERYONE, _l("Everyone")), SelectChoice(ROLES, _l("Holders of these roles"))],
        default=EVERYONE,
    )
    roles = MultiCheckboxField(_l("Roles"), coerce=int, validate_choice=False)
    title = StringField(_l("Message title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    body = TextAreaField(_l("Message"), validators=[Optional(), Length(max=BODY_MAX)])
    link = StringField(
        _l("Link"),
        validators=[Optional(), Length(max=500)],
        description=_l("Optional: a page of this console the message points to, such as /quotations/."),
    )

    def validate_roles(self, field) -> None:
        if self.audience.data == ROLES and not field.data:
            raise ValidationError(_l("Choose at least one role, or send to everyone."))

    def validate_link(self, field) -> None:
        if field.data and safe_next(field.data.strip()) is None:
            raise ValidationError(_l("A link must be a path inside this console, such as /quotations/."))
