"""Forms of stock documents: the header, the lines (rows edited inline), lines pasted from a
spreadsheet, and counted quantities."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.core.forms import DecimalTextField, IdField, VersionField
from app.core.forms import int_or_none as _int_or_none
from app.inventory.documents import MAX_LINES


class LineForm(Form):
    product_id = IdField(_l("Product"))
    location = StringField(_l("Location"), validators=[Optional(), Length(max=30)])
    to_location = StringField(_l("To location"), validators=[Optional(), Length(max=30)])
    quantity = DecimalTextField(_l("Quantity"), places=3)
    unit_cost = DecimalTextField(_l("Unit cost"), places=4, minimum=Decimal(0))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])


class DocumentForm(FlaskForm):
    warehouse_id = SelectField(_l("Warehouse"), coerce=_int_or_none)
    # Checked by the service (which knows the document type and the user's warehouses).
    to_warehouse_id = SelectField(_l("To warehouse"), coerce=_int_or_none, validate_choice=False)
    reason_code = SelectField(_l("Reason"), validate_choice=False)
    reason = StringField(_l("Reason details"), validators=[Optional(), Length(max=300)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(LineForm), max_entries=MAX_LINES)
    paste = TextAreaField(
        _l("Paste lines"),
        validators=[Optional(), Length(max=200_000)],
        description=_l(
            "Copy rows from a spreadsheet: brand (optional), model, location, quantity — and for a transfer the "
            "location it goes to, for opening stock the unit cost."
        ),
    )
    version_id = VersionField()


class CountStartForm(FlaskForm):
    warehouse_id = SelectField(_l("Warehouse"), coerce=_int_or_none)
    locations = StringField(
        _l("Locations"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Leave empty to count the whole warehouse, or list location codes separated by spaces."),
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class FoundLineForm(Form):
    product_id = IdField(_l("Product"))
    location = StringField(_l("Location"), validators=[Optional(), Length(max=30)])
    counted_qty = DecimalTextField(_l("Counted"), places=3, minimum=Decimal(0))


class CountEntryForm(FlaskForm):
    """Counted quantities come as ``counted-<line id>`` fields, read by the view; found stock not on
    the sheet comes as rows."""

    found = FieldList(FormField(FoundLineForm), max_entries=MAX_LINES)
    version_id = VersionField()
