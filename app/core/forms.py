"""Form pieces shared by every domain."""

from __future__ import annotations

from wtforms import HiddenField


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
