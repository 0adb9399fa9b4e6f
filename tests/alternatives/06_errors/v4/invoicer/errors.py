"""Lesson 6 alternative (v4): Blueprint.app_errorhandler, which registers app-wide handlers."""

from flask import Blueprint, current_app, request
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from . import request_id

# app_errorhandler, unlike errorhandler, puts the handler on the app: it sees routing 404
# and 405 too. The blueprint only groups the handlers.
bp = Blueprint("errors", __name__)


class ValidationError(BadRequest):
    """A 400 whose body also names each bad field."""

    def __init__(self, fields):
        super().__init__("the request body is not a valid invoice: see fields")
        self.fields = fields


@bp.app_errorhandler(HTTPException)
def http_error(e):
    if not (request.path == "/api" or request.path.startswith("/api/")):
        return e
    body = {"code": e.code, "name": e.name, "description": e.description}
    if isinstance(e, ValidationError):
        body["fields"] = e.fields
    body["request_id"] = request_id.current()
    response = e.get_response()
    response.set_data(current_app.json.dumps(body))
    response.mimetype = "application/json"
    return response


@bp.app_errorhandler(InternalServerError)
def internal_error(e):
    if e.original_exception is None:
        current_app.logger.error("500 raised on purpose: %s", e.description)
    return http_error(InternalServerError())


def init_app(app):
    app.register_blueprint(bp)
