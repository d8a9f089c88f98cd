"""Forms for warehouses and locations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import VersionField


class WarehouseForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)], description=_l("e.g. SH1"))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    keeper_id = SelectField(_l("Keeper"), coerce=lambda v: int(v) if v not in (None, "", "None") else None)
    allow_negative = BooleanField(
        _l("Allow negative stock"),
        description=_l("Off by default: deliveries and adjustments that would take stock below zero are refused."),
    )
    is_active = BooleanField(_l("Active"), default=True)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    version_id = VersionField()


class LocationsForm(FlaskForm):
    lines = TextAreaField(
        _l("New locations"),
        validators=[DataRequired(), Length(max=40000)],
        description=_l("One per line: the code, then an optional description, e.g. “A-01-02 upper shelf”."),
    )


class LocationForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=30)])
    name = StringField(_l("Description"), validators=[Optional(), Length(max=100)])
    is_active = BooleanField(_l("Active"))
    version_id = VersionField()
