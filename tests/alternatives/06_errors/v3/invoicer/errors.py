"""Lesson 6 alternative (v3): handlers registered for HTTPException and for the code 500."""

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
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(500, internal_error)


def in_api():
    # "/api/x".split("/") is ["", "api", "x"]: the first segment, not a prefix of "/apidocs".
    return request.path.split("/")[1] == "api"


def http_error(e):
    if not in_api():
        return e
    body = {
        "code": e.code,
        "name": e.name,
        "description": e.description,
        "fields": getattr(e, "fields", None),
        "request_id": request_id.current(),
    }
    if body["fields"] is None:
        del body["fields"]
    response = e.get_response()  # keeps Allow and the other headers of the exception
    response.set_data(json.dumps(body, ensure_ascii=False))
    response.headers["Content-Type"] = "application/json"
    return response


def internal_error(e):
    cause = e.original_exception
    if cause is None:
        current_app.logger.error("deliberate 500: %s", e.description)
    return http_error(InternalServerError())
