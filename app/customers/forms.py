"""The customer form, with its contacts edited inline as rows."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, FieldList, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from app.core.contacts import MAX_CONTACTS, ContactForm
from app.core.forms import DecimalTextField, VersionField
from app.customers.models import CUSTOMER_TYPES, DOC_LANGUAGES

NO_OWNER = ""


def _owner_id(value):
    return int(value) if value not in (None, "", "None") else None


class CustomerForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[Optional(), Length(max=20)],
        description=_l("Leave empty to number it automatically (C000123)."),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    type = SelectField(_l("Type"), default="end_user")
    owner_id = SelectField(_l("Owner (salesperson)"), coerce=_owner_id)
    doc_language = SelectField(
        _l("Document language"), default="zh", description=_l("Quotations and other documents are printed in it.")
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    fax = StringField(_l("Fax"), validators=[Optional(), Length(max=40)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=120)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=200)])
    tax_id = StringField(_l("Tax ID"), validators=[Optional(), Length(max=30)])
    bank_name = StringField(_l("Bank"), validators=[Optional(), Length(max=100)])
    bank_account = StringField(_l("Bank account"), validators=[Optional(), Length(max=40)])
    invoice_address = StringField(_l("Invoice address"), validators=[Optional(), Length(max=300)])
    invoice_phone = StringField(_l("Invoice phone"), validators=[Optional(), Length(max=40)])
    payment_terms_days = IntegerField(
        _l("Payment terms (days)"), default=0, validators=[Optional(), NumberRange(min=0, max=3650)]
    )
    credit_limit = DecimalTextField(_l("Credit limit"), places=2, minimum=Decimal(0))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    contacts = FieldList(FormField(ContactForm), min_entries=0, max_entries=MAX_CONTACTS + 1)
    version_id = VersionField()

    def set_choices(self, owners=None) -> None:
        """Fill the selects; without ``owners`` the owner field is removed (the user may not assign it)."""
        self.type.choices = [SelectChoice(k, v) for k, v in CUSTOMER_TYPES.items()]
        self.doc_language.choices = [SelectChoice(k, v) for k, v in DOC_LANGUAGES.items()]
        if owners is None:
            del self.owner_id
        else:
            self.owner_id.choices = [SelectChoice(NO_OWNER, _l("— no owner —"))] + [
                SelectChoice(u.id, f"{u.display_name} · {u.username}") for u in owners
            ]
