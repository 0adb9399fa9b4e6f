"""Lesson 6 alternative (v1): secrets.token_hex IDs, the header checked against a character set."""

import logging
import secrets
import string

from flask import g, has_request_context, request

HEADER = "X-Request-ID"
ALLOWED = frozenset(string.ascii_letters + string.digits + "._:-")
MAX_LENGTH = 128


def init_app(app):
    @app.before_request
    def take_or_make():
        sent = request.headers.get(HEADER, "")
        g.request_id = sent if well_formed(sent) else secrets.token_hex(16)

    @app.after_request
    def send_back(response):
        response.headers[HEADER] = g.request_id
        return response


def well_formed(value):
    """Short and made of plain characters only: no newline, no space, nothing else."""
    return 0 < len(value) <= MAX_LENGTH and set(value) <= ALLOWED


def current():
    """This request's ID, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Copies the request ID onto each record; "-" outside a request."""

    def filter(self, record):
        record.request_id = current() or "-"
        return True
