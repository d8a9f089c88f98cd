"""Domain errors and the HTTP error pages."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule refused an operation; the message is translated and shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass
class FieldConflict:
    name: str
    label: str
    mine: object
    theirs: object


class StaleEditError(DomainError):
    """Someone else saved the record after this user opened it."""

    def __init__(
        self,
        message: str,
        *,
        changed_by: str | None,
        changed_at: datetime | None,
        conflicts: list[FieldConflict] | None = None,
    ) -> None:
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.conflicts: list[FieldConflict] = conflicts or []


@dataclass
class ErrorPage:
    code: int
    title: str
    text: str
    extra: dict = field(default_factory=dict)


def _wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _page(code: int) -> ErrorPage:
    pages = {
        400: (_("Bad request"), _("The request could not be understood. Go back and try again.")),
        403: (_("Access denied"), _("You do not have permission to open this page or perform this action.")),
        404: (_("Not found"), _("The page or record does not exist, or you may not see it.")),
        405: (_("Method not allowed"), _("This address does not accept that kind of request.")),
        409: (_("Conflict"), _("The request conflicts with the current state of the record.")),
        413: (_("Too large"), _("The upload or form is larger than this server accepts.")),
        429: (_("Too many requests"), _("Too many requests. Wait a moment and try again.")),
        500: (
            _("Something went wrong"),
            _("The server hit an error. Your change was not saved. The error has been logged."),
        ),
        503: (_("Service unavailable"), _("A service this page needs is not available. Try again shortly.")),
    }
    title, text = pages.get(code, (_("Error"), _("The request failed.")))
    return ErrorPage(code=code, title=title, text=text)


def render_error(code: int, text: str | None = None):
    page = _page(code)
    if text:
        page.text = text
    if _wants_json():
        return jsonify({"error": page.title, "message": page.text}), code
    return render_template("errors/error.html", page=page), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        log.warning("CSRF failure on %s: %s", request.path, exc.description)
        return render_error(
            400,
            _("This form has expired or was not sent by this site. Go back, reload the page and submit it again."),
        )

    @app.errorhandler(sa_exc.OperationalError)
    def _database_busy(exc: sa_exc.OperationalError):
        from app.extensions import db

        db.session.rollback()
        if "locked" in str(exc.orig).lower() or "deadlock" in str(exc.orig).lower():
            log.warning("database busy on %s: %s", request.path, exc.orig)
            return render_error(503, _("The database was busy and your change was not saved. Please try again."))
        raise exc

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if exc.code >= 500:
            # Flask has logged the original exception; make sure nothing half-done is kept.
            from app.extensions import db

            db.session.rollback()
        custom = exc.description if exc.description != type(exc).description else None
        return render_error(exc.code, custom)
