"""Lesson 6 alternative (v2): str(uuid4()) IDs; the header checked with an ASCII \\w pattern."""

import re
import uuid

from flask import g, has_request_context, request

HEADER = "X-Request-ID"
# re.ASCII: \w is [A-Za-z0-9_] only. fullmatch: no final newline slips through.
WELL_FORMED = re.compile(r"[\w.:-]{1,128}", re.ASCII)


def init_app(app):
    app.before_request(take_or_make)
    app.after_request(send_back)


def take_or_make():
    sent = request.headers.get(HEADER, "")
    g.request_id = sent if WELL_FORMED.fullmatch(sent) else str(uuid.uuid4())


def send_back(response):
    response.headers[HEADER] = g.request_id
    return response


def current():
    """This request's ID, or None outside a request."""
    return g.get("request_id") if has_request_context() else None
