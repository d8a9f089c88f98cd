"""The supplier form, with its contacts edited inline as rows."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, FieldList, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from app.core.contacts import MAX_CONTACTS, ContactForm
from app.core.forms import VersionField
from app.suppliers.models import DOC_LANGUAGES


class SupplierForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[Optional(), Length(max=20)],
        description=_l("Leave empty to number it automatically (S000123)."),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    doc_language = SelectField(
        _l("Document language"), default="zh", description=_l("Enquiries and purchase orders are printed in it.")
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
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    contacts = FieldList(FormField(ContactForm), min_entries=0, max_entries=MAX_CONTACTS + 1)
    version_id = VersionField()

    def set_choices(self) -> None:
        self.doc_language.choices = [SelectChoice(k, v) for k, v in DOC_LANGUAGES.items()]
