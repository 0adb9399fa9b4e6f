"""Lesson 6 alternative (v3): the ID kept in the WSGI environ, new ones from secrets."""

import logging
import re
import secrets

from flask import has_request_context, request

HEADER = "X-Request-ID"
KEY = "invoicer.request_id"  # environ keys with a dot are free for applications (PEP 3333)
PLAIN = re.compile(r"[A-Za-z0-9._:-]+")
MAX_LENGTH = 128


def init_app(app):
    app.before_request(take_or_make)
    app.after_request(send_back)


def take_or_make():
    sent = request.headers.get(HEADER, "")
    ok = len(sent) <= MAX_LENGTH and PLAIN.fullmatch(sent)
    request.environ[KEY] = sent if ok else secrets.token_urlsafe(16)


def send_back(response):
    response.headers[HEADER] = request.environ[KEY]
    return response


def current():
    """This request's ID, or None outside a request."""
    return request.environ.get(KEY) if has_request_context() else None


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = current() or "-"
        return True
