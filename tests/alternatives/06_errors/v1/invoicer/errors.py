"""Lesson 6 alternative (v1): @app.errorhandler decorators inside init_app, 500 by its code."""

import json

from flask import current_app, request
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from . import request_id


class ValidationError(BadRequest):
    """A 400 whose body also names each bad field."""

    def __init__(self, fields):
        super().__init__("the request body is not a valid invoice: see fields")
        self.fields = fields


def init_app(app):
    # On the app: routing 404 and 405 happen before any blueprint is known.
    @app.errorhandler(HTTPException)
    def http_error(e):
        if request.path != "/api" and not request.path.startswith("/api/"):
            return e  # Flask's own page outside the API
        return as_json(e)

    @app.errorhandler(500)
    def internal_error(e):
        if e.original_exception is None:  # abort(500): Flask logged nothing
            current_app.logger.error("abort(500): %s", e.description)
        # Flask has logged an unhandled exception already; the client gets the generic text.
        return http_error(InternalServerError())


def as_json(e):
    """The exception's own response (headers such as Allow included) with a JSON body."""
    body = {"code": e.code, "name": e.name, "description": e.description}
    if isinstance(e, ValidationError):
        body["fields"] = e.fields
    body["request_id"] = request_id.current()
    response = e.get_response()
    response.data = json.dumps(body)
    response.mimetype = "application/json"
    return response
