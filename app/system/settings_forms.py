"""Forms of the company settings page: the letterhead and defaults, the logo, approval limits per role."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email as EmailAddress
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from app.core.forms import DecimalTextField, VersionField

HUNDRED = Decimal(100)
MODE_DEFAULT = "default"
MODE_OWN = "own"
TERMS_MAX = 5000


def percent_at_most(maximum: Decimal, *, below: bool = False, message=None):
    """A DecimalTextField's value must not exceed ``maximum`` (must stay below it with ``below``)."""

    def check(form, field) -> None:
        if field.data is None:
            return
        if field.data > maximum or (below and field.data == maximum):
            raise ValidationError(message)

    return check


def _percent(label, description=None, **kw) -> DecimalTextField:
    return DecimalTextField(
        label,
        validators=[percent_at_most(HUNDRED, message=_l("Enter a percentage from 0 to 100."))],
        places=2,
        minimum=Decimal(0),
        description=description,
        **kw,
    )


def _role_id(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class RoleLimitForm(Form):
    """One role's approval limits: the company's, or its own (an empty box meaning no limit).

    A plain ``Form`` (not FlaskForm): rows inside a FieldList carry no CSRF token of their own.
    """

    role_id = HiddenField(filters=[_role_id])
    mode = SelectField(
        _l("Limits"),
        choices=[SelectChoice(MODE_DEFAULT, _l("Company default")), SelectChoice(MODE_OWN, _l("Own limits"))],
        default=MODE_DEFAULT,
    )
    max_discount_percent = _percent(_l("Largest discount without approval %"))
    min_margin_percent = _percent(_l("Smallest margin without approval %"))


class CompanySettingsForm(FlaskForm):
    name_zh = StringField(_l("Company name (Chinese)"), validators=[Length(max=200)])
    name_en = StringField(_l("Company name (English)"), validators=[Optional(), Length(max=200)])
    address_zh = StringField(_l("Address (Chinese)"), validators=[Optional(), Length(max=300)])
    address_en = StringField(_l("Address (English)"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=60)])
    fax = StringField(_l("Fax"), validators=[Optional(), Length(max=60)])
    email = EmailField(_l("E-mail"), validators=[Optional(), EmailAddress(), Length(max=120)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=200)])
    bank_zh = TextAreaField(
        _l("Bank details (Chinese)"),
        validators=[Optional(), Length(max=500)],
        description=_l("Bank, account name and number, as printed on documents."),
    )
    bank_en = TextAreaField(_l("Bank details (English)"), validators=[Optional(), Length(max=500)])
    quotation_terms_zh = TextAreaField(
        _l("Quotation terms (Chinese)"),
        validators=[Optional(), Length(max=TERMS_MAX)],
        description=_l("Printed at the end of every quotation in Chinese."),
    )
    quotation_terms_en = TextAreaField(
        _l("Quotation terms (English)"),
        validators=[Optional(), Length(max=TERMS_MAX)],
        description=_l("Printed at the end of every quotation in English."),
    )
    quotation_valid_days = IntegerField(
        _l("Quotations valid for (days)"),
        validators=[
            InputRequired(_l("Enter the number of days, from 1 to 365.")),
            NumberRange(min=1, max=365, message=_l("Enter the number of days, from 1 to 365.")),
        ],
        description=_l("A new quotation is valid until today plus this many days; the salesperson may change it."),
    )
    tax_rate = DecimalTextField(
        _l("Tax rate %"),
        validators=[
            InputRequired(_l("Enter the tax rate, e.g. 13.")),
            percent_at_most(HUNDRED, below=True, message=_l("Enter a tax rate of at least 0 and below 100.")),
        ],
        places=2,
        minimum=Decimal(0),
        description=_l("The default for new quotations."),
    )
    max_discount_percent = _percent(
        _l("Largest discount without approval %"),
        description=_l("Leave empty for no limit."),
    )
    min_margin_percent = _percent(
        _l("Smallest margin without approval %"),
        description=_l("On net amounts, without tax. Leave empty for no limit."),
    )
    limits = FieldList(FormField(RoleLimitForm), min_entries=0, max_entries=500)
    version_id = VersionField()

    def validate_name_zh(self, field) -> None:
        if not (field.data or "").strip() and not (self.name_en.data or "").strip():
            raise ValidationError(_l("Enter the company name in Chinese or in English."))


class LogoForm(FlaskForm):
    logo = FileField(
        _l("Logo"),
        validators=[FileRequired(_l("Choose a PNG or JPEG image."))],
        render_kw={"accept": ".png,.jpg,.jpeg,image/png,image/jpeg"},
        description=_l("PNG or JPEG, at most 1 MB. It is printed at the top left of quotations."),
    )
