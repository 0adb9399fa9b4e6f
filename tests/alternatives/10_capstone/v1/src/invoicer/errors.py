"""JSON errors, the 409 handler registered with the app.errorhandler decorator."""

from flask import current_app, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest, Conflict, HTTPException, InternalServerError

from . import request_id
from .extensions import db

API_PREFIX = "/api"


class ValidationError(BadRequest):
    """A 400 whose body also says what is wrong with each field."""

    def __init__(self, fields):
        super().__init__("the request body is not a valid invoice: see fields")
        self.fields = fields  # {"amount_cents": "must be a positive integer", ...}


def init_app(app):
    # On the app, not on the api Blueprint: when routing fails (404, 405) no blueprint is
    # known yet, so a Blueprint's handler never sees those errors.
    app.errorhandler(HTTPException)(http_error)
    app.errorhandler(InternalServerError)(internal_error)
    # A refused row (UNIQUE, CHECK, NOT NULL) conflicts with what is stored: 409, not 500.
    app.errorhandler(IntegrityError)(integrity_error)


def http_error(e):
    """Every HTTPException under /api as JSON; the rest of the site keeps Flask's pages."""
    if not is_api(request.path):
        return e
    body = {"code": e.code, "name": e.name, "description": e.description}
    if isinstance(e, ValidationError):
        body["fields"] = e.fields
    body["request_id"] = request_id.current()
    # Start from the exception's own response to keep its headers (Allow on a 405).
    response = e.get_response()
    response.set_data(current_app.json.dumps(body))
    response.content_type = "application/json"
    return response


def internal_error(e):
    """A 500: the client learns only that it failed, and which request to quote."""
    if e.original_exception is None:
        # abort(500) raised on purpose. For an unhandled exception, Flask has already logged
        # it with its traceback (app.log_exception) before calling this handler.
        current_app.logger.error("500 raised on purpose: %s", e.description)
    # A new InternalServerError: its generic description, never the exception's text.
    return http_error(InternalServerError())


def integrity_error(e):
    """A 409 for a row the database refused; the session is usable again afterwards."""
    # A failed flush leaves the session unusable until it is rolled back.
    db.session.rollback()
    # The constraint's name helps whoever reads the log; the client never sees the SQL.
    current_app.logger.warning("the database refused a change: %s", e.orig)
    return http_error(Conflict("the request conflicts with the data already stored"))


def is_api(path):
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")
