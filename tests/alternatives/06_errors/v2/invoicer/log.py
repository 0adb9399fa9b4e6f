"""Lesson 6 alternative (v2): a Formatter subclass that adds the request ID, no filter."""

import logging
import logging.config
import time

from . import request_id


class RequestIdFormatter(logging.Formatter):
    """Formats each record with the ID of the request it was logged in ("-" outside one)."""

    converter = time.gmtime  # UTC on every server

    def format(self, record):
        record.request_id = request_id.current() or "-"
        return super().format(record)


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,  # SQLAlchemy's loggers, and earlier apps', keep working
    "formatters": {
        "with_id": {
            "()": RequestIdFormatter,
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
        }
    },
    "handlers": {
        "wsgi": {
            "class": "logging.StreamHandler",
            "stream": "ext://flask.logging.wsgi_errors_stream",
            "formatter": "with_id",
        }
    },
    "root": {"level": "INFO", "handlers": ["wsgi"]},
}


def configure_logging():
    """Replace the root logger's handlers with this one: safe to run for every app."""
    logging.config.dictConfig(LOGGING)
