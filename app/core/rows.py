"""Rows edited inline on a form (contacts now, document lines later): ``FieldList(FormField(...))``.

The page renders one blank row into a ``<template>`` whose names and ids carry ``__index__``;
static/js/rows.js clones it for "Add row" with the next free index, so rows are added and removed
in the browser without a reload. WTForms reads whatever indices come back, gaps included.
"""

from __future__ import annotations

from wtforms import FieldList

PLACEHOLDER = "__index__"


def template_row(field_list: FieldList):
    """A blank row of ``field_list`` (not one of its entries) named with the ``__index__`` placeholder."""
    options = {
        "name": f"{field_list.name}{field_list._separator}{PLACEHOLDER}",
        "id": f"{field_list.id}{field_list._separator}{PLACEHOLDER}",
        "_meta": field_list.meta,
        "translations": field_list._translations,
    }
    field = field_list.meta.bind_field(field_list._form, field_list.unbound_field, options)
    field.process(None)
    return field.form if hasattr(field, "form") else field
