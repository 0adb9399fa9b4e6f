"""Lesson 6 alternative (v4): a Blueprint whose before/after_app_request hooks run app-wide."""

import logging
import re
import uuid

from flask import Blueprint, g, has_request_context, request

HEADER = "X-Request-ID"
WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# No routes: the *_app_request hooks apply to the whole app, not only to this blueprint.
bp = Blueprint("request_id", __name__)


@bp.before_app_request
def take_or_make():
    sent = request.headers.get(HEADER, "")
    g.request_id = sent if WELL_FORMED.fullmatch(sent) else uuid.uuid4().hex


@bp.after_app_request
def send_back(response):
    response.headers[HEADER] = g.request_id
    return response


def init_app(app):
    app.register_blueprint(bp)


def current():
    """This request's ID, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = current() or "-"
        return True
