"""Forms of quotations: the header, the lines (rows edited in the browser) and the small forms of
the workflow buttons."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import DecimalTextField, IdField, VersionField, int_or_none
from app.sales.quotations import MAX_LINES


class LineForm(Form):
    requested_model = StringField(_l("Requested model"), validators=[Optional(), Length(max=100)])
    requested_quantity = StringField(_l("Requested quantity"), validators=[Optional(), Length(max=40)])
    product_id = IdField(_l("Product"))
    quantity = DecimalTextField(_l("Quantity"), places=3, minimum=Decimal(0))
    unit_price = DecimalTextField(_l("Unit price"), places=4, minimum=Decimal(0))
    discount_percent = DecimalTextField(_l("Discount %"), places=2, minimum=Decimal(0))
    lead_time = StringField(_l("Lead time"), validators=[Optional(), Length(max=60)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class QuotationForm(FlaskForm):
    customer_id = SelectField(_l("Customer"), coerce=int_or_none, validate_choice=False)
    contact_id = SelectField(_l("Contact"), coerce=int_or_none, validate_choice=False)
    salesperson_id = SelectField(_l("Salesperson"), coerce=int_or_none, validate_choice=False)
    tax_rate = DecimalTextField(_l("Tax rate %"), places=2, minimum=Decimal(0))
    prices_include_tax = BooleanField(_l("Prices include tax"))
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    delivery_terms = StringField(_l("Delivery terms"), validators=[Optional(), Length(max=300)])
    payment_terms = StringField(_l("Payment terms"), validators=[Optional(), Length(max=300)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])
    lines = FieldList(FormField(LineForm), max_entries=MAX_LINES)
    version_id = VersionField()


class CommentForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=500)])
    version_id = VersionField()


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    version_id = VersionField()


class CopyForm(FlaskForm):
    customer_id = SelectField(_l("Customer"), coerce=int_or_none, validate_choice=False)


# --- sales orders -----------------------------------------------------------------------------


class OrderLineForm(Form):
    line_id = IdField()
    product_id = IdField(_l("Product"))
    customer_part_no = StringField(_l("Customer part no."), validators=[Optional(), Length(max=60)])
    quantity = DecimalTextField(_l("Quantity"), places=3, minimum=Decimal(0))
    unit_price = DecimalTextField(_l("Unit price"), places=4, minimum=Decimal(0))
    discount_percent = DecimalTextField(_l("Discount %"), places=2, minimum=Decimal(0))
    lead_time = StringField(_l("Lead time"), validators=[Optional(), Length(max=60)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class OrderForm(FlaskForm):
    customer_id = SelectField(_l("Customer"), coerce=int_or_none, validate_choice=False)
    contact_id = SelectField(_l("Contact"), coerce=int_or_none, validate_choice=False)
    salesperson_id = SelectField(_l("Salesperson"), coerce=int_or_none, validate_choice=False)
    warehouse_id = SelectField(_l("Ship from"), coerce=int_or_none, validate_choice=False)
    customer_reference = StringField(_l("Customer's order no."), validators=[Optional(), Length(max=60)])
    delivery_date = DateField(_l("Delivery date"), validators=[Optional()])
    tax_rate = DecimalTextField(_l("Tax rate %"), places=2, minimum=Decimal(0))
    prices_include_tax = BooleanField(_l("Prices include tax"))
    delivery_address = StringField(_l("Delivery address"), validators=[Optional(), Length(max=300)])
    delivery_terms = StringField(_l("Delivery terms"), validators=[Optional(), Length(max=300)])
    payment_terms = StringField(_l("Payment terms"), validators=[Optional(), Length(max=300)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])
    lines = FieldList(FormField(OrderLineForm), max_entries=MAX_LINES)
    version_id = VersionField()


class ConvertLineForm(Form):
    quotation_line_id = IdField()
    quantity = DecimalTextField(_l("Quantity"), places=3, minimum=Decimal(0))


class ConvertForm(FlaskForm):
    warehouse_id = SelectField(_l("Ship from"), coerce=int_or_none, validate_choice=False)
    customer_reference = StringField(_l("Customer's order no."), validators=[Optional(), Length(max=60)])
    delivery_date = DateField(_l("Delivery date"), validators=[Optional()])
    lines = FieldList(FormField(ConvertLineForm), max_entries=MAX_LINES)


class VersionForm(FlaskForm):
    version_id = VersionField()


# --- deliveries -------------------------------------------------------------------------------


class DeliveryLineForm(Form):
    order_line_id = IdField()
    location_id = SelectField(_l("Location"), coerce=int_or_none, validate_choice=False)
    quantity = DecimalTextField(_l("Quantity"), places=3, minimum=Decimal(0))


class DeliveryForm(FlaskForm):
    carrier = StringField(_l("Carrier"), validators=[Optional(), Length(max=100)])
    tracking_no = StringField(_l("Tracking no."), validators=[Optional(), Length(max=60)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])
    lines = FieldList(FormField(DeliveryLineForm), max_entries=MAX_LINES)
    version_id = VersionField()
