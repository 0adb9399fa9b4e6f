"""Lesson 6 alternative (v2): a register_error_handler loop over Werkzeug's codes, jsonify."""

from flask import current_app, jsonify, request
from werkzeug.exceptions import BadRequest, InternalServerError, default_exceptions

from . import request_id


class ValidationError(BadRequest):
    """A 400 whose body also names each bad field."""

    def __init__(self, fields):
        super().__init__("the request body is not a valid invoice: see fields")
        self.fields = fields


def init_app(app):
    # One handler per standard error code, on the app (routing errors included). Subclasses
    # such as ValidationError are found through their code.
    for code in default_exceptions:
        app.register_error_handler(code, http_error)
    # Last, so that it replaces the loop's handler for 500.
    app.register_error_handler(InternalServerError, internal_error)


def http_error(e):
    if not (request.path + "/").startswith("/api/"):
        return e
    body = {"code": e.code, "name": e.name, "description": e.description}
    if isinstance(e, ValidationError):
        body["fields"] = e.fields
    body["request_id"] = request_id.current()
    # The exception's headers (Allow on a 405, Retry-After...), but not its HTML content type.
    headers = [(k, v) for k, v in e.get_headers() if k.lower() != "content-type"]
    return jsonify(body), e.code, headers


def internal_error(e):
    if e.original_exception is None:
        current_app.logger.error("500 on purpose: %s", e.description)
    return http_error(InternalServerError())
