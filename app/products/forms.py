"""Forms for products, brands and categories."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.core.forms import DecimalTextField, VersionField
from app.products.models import UNITS

ZERO = Decimal(0)


class ProductForm(FlaskForm):
    brand_id = SelectField(_l("Brand"), coerce=int, validators=[InputRequired()])
    model = StringField(_l("Model"), validators=[DataRequired(), Length(max=80)], description=_l("e.g. 6204-2RS"))
    name_zh = StringField(_l("Name (Chinese)"), validators=[Optional(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    category_id = SelectField(_l("Category"), coerce=lambda v: int(v) if v not in (None, "", "None") else None)
    unit = SelectField(_l("Unit"), default="pcs")
    bore_d = DecimalTextField(_l("Bore d (mm)"), places=2, minimum=ZERO)
    outer_d = DecimalTextField(_l("Outer D (mm)"), places=2, minimum=ZERO)
    width_b = DecimalTextField(_l("Width B (mm)"), places=2, minimum=ZERO)
    weight_kg = DecimalTextField(_l("Weight (kg)"), places=3, minimum=ZERO)
    list_price = DecimalTextField(_l("List price"), places=4, minimum=ZERO, validators=[InputRequired()])
    reorder_level = DecimalTextField(_l("Reorder level"), places=3, minimum=ZERO)
    is_active = BooleanField(_l("Active (offered on new documents)"), default=True)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    version_id = VersionField()

    def set_choices(self, brands, categories) -> None:
        self.brand_id.choices = [SelectChoice(b.id, b.name) for b in brands]
        self.category_id.choices = [SelectChoice("", "—")] + [SelectChoice(c.id, c.name) for c in categories]
        self.unit.choices = [SelectChoice(code, label) for code, label in UNITS.items()]


class BrandForm(FlaskForm):
    name = StringField(_l("Brand"), validators=[DataRequired(), Length(max=40)])
    name_zh = StringField(_l("Chinese name"), validators=[Optional(), Length(max=60)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class CategoryForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=30)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=60)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=60)])
