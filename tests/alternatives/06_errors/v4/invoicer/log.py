"""Lesson 6 alternative (v4): dictConfig with a str.format-style ("{") log format."""

import logging.config

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A string reference, resolved when dictConfig runs: log.py need not import request_id.
    "filters": {"request_id": {"()": "invoicer.request_id.RequestIdFilter"}},
    "formatters": {
        "braces": {
            "format": "{asctime} {levelname:<7} [{request_id}] {name}: {message}",
            "style": "{",
        }
    },
    "handlers": {
        "wsgi": {
            "class": "logging.StreamHandler",
            "stream": "ext://flask.logging.wsgi_errors_stream",
            "filters": ["request_id"],
            "formatter": "braces",
        }
    },
    "root": {"level": "INFO", "handlers": ["wsgi"]},
}


def configure_logging():
    """Replace the root logger's handlers with one: a second call changes nothing."""
    logging.config.dictConfig(LOGGING)
