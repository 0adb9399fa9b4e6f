"""Lesson 6 alternative (v1): logging.basicConfig(force=True) with a filtered handler."""

import logging
import time

from flask.logging import wsgi_errors_stream

from .request_id import RequestIdFilter

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def configure_logging():
    """Give the root logger exactly one handler: force=True first removes the ones it has."""
    # The server's error stream during a request, stderr outside one.
    handler = logging.StreamHandler(wsgi_errors_stream)
    # On the handler, so records from every logger (app, modules, libraries) get the ID.
    handler.addFilter(RequestIdFilter())
    formatter = logging.Formatter(FORMAT)
    formatter.converter = time.gmtime  # UTC on every server
    handler.setFormatter(formatter)
    # basicConfig never disables existing loggers, unlike dictConfig's default.
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
