"""Form pieces shared by every domain."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from decimal import Decimal

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import ValidationError

from app.core.money import to_decimal


class VersionField(HiddenField):
    """The record version a form was loaded at (optimistic locking).

    It always renders its current ``data``, never the value that was posted, so after a refused
    save the form carries the version the user has now seen.
    """

    def process_formdata(self, valuelist):
        try:
            self.data = int(valuelist[0]) if valuelist and valuelist[0] else None
        except ValueError:
            self.data = None

    def _value(self):
        return "" if self.data is None else str(self.data)


class DecimalTextField(StringField):
    """A number typed the way people type it: "1,234.50", "１２３", " 12 " — kept as Decimal.

    Empty input is None (use a validator to require it). Bad input is a translated field error and
    the typed text stays in the box.
    """

    def __init__(self, label=None, validators=None, places: int | None = None, minimum: Decimal | None = None, **kw):
        super().__init__(label, validators, **kw)
        self.places = places
        self.minimum = minimum

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        text = unicodedata.normalize("NFKC", self.raw or "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = to_decimal(text)
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a number, e.g. 1234.50.")) from None

    def pre_validate(self, form):
        if self.data is None:
            return
        if self.minimum is not None and self.data < self.minimum:
            raise ValidationError(_l("Enter a number of at least %(min)s.", min=self.minimum))
        if self.places is not None and self.data != round(self.data, self.places):
            raise ValidationError(_l("Use at most %(n)d decimal places.", n=self.places))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format(self.data.normalize(), "f")


def large_form(max_parts: int, max_memory: int) -> Callable:
    """Raise Werkzeug's form limits (1,000 fields, 500 kB) for one endpoint only, e.g. an editor
    posting hundreds of lines; everywhere else the defaults keep guarding against oversized posts."""

    def mark(view: Callable) -> Callable:
        view.erp_form_limits = (max_parts, max_memory)
        return view

    return mark


def init_form_limits(app) -> None:
    """Apply ``large_form`` limits before anything (the CSRF check first of all) reads the form."""

    @app.before_request
    def _apply_form_limits() -> None:
        view = app.view_functions.get(request.endpoint or "")
        limits = getattr(view, "erp_form_limits", None)
        if limits is not None:
            request.max_form_parts, request.max_form_memory_size = limits


def int_or_none(value) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class IdField(HiddenField):
    """The id of a record picked with a typeahead on the page (None when nothing is picked)."""

    def process_formdata(self, valuelist):
        self.data = int_or_none(valuelist[0]) if valuelist else None

    def _value(self):
        return "" if self.data is None else str(self.data)
