"""Errors as the API answers them: JSON with the code, the name and a description."""

from flask import current_app, request
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from . import request_id

API_PREFIX = "/api"


class ValidationError(BadRequest):
    """A 400 whose body also says what is wrong with each field."""

    def __init__(self, fields):
        super().__init__("the request body is not a valid invoice: see fields")
        self.fields = fields  # {"amount_cents": "must be a positive integer", ...}


def init_app(app):
    # On the app, not on the api Blueprint: when routing fails (404, 405) no blueprint is
    # known yet, so a Blueprint's handler never sees those errors.
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(InternalServerError, internal_error)
    # TODO (Task 3): a handler for sqlalchemy.exc.IntegrityError: roll the session back and
    # answer a JSON 409 Conflict.


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


def is_api(path):
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")
