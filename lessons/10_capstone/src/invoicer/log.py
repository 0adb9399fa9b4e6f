"""Logging for the whole process, configured once with dictConfig before any app exists.

TODO (Task 3): one JSON object per line (time, level, logger, message, request_id) with a
formatter class of your own, instead of the text format below.
"""

import logging
import logging.config
import time

from .request_id import RequestIdFilter


class UTCFormatter(logging.Formatter):
    converter = time.gmtime  # the same clock on every server, whatever its time zone


LOGGING = {
    "version": 1,
    # Loggers that libraries made at import (SQLAlchemy's, for one) keep working.
    "disable_existing_loggers": False,
    # On the handler, not on a logger: a handler's filter sees every record it handles,
    # whichever logger it came from.
    "filters": {"request_id": {"()": RequestIdFilter}},
    "formatters": {
        "text": {
            "()": UTCFormatter,
            "format": "%(asctime)s.%(msecs)03dZ %(levelname)s [%(request_id)s] "
            "%(name)s: %(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S",
        },
    },
    "handlers": {
        "wsgi": {
            "class": "logging.StreamHandler",
            # The server's error log during a request (wsgi.errors), stderr outside one.
            "stream": "ext://flask.logging.wsgi_errors_stream",
            "filters": ["request_id"],
            "formatter": "text",
        }
    },
    # The root logger: records from app.logger, our modules and every library.
    "root": {"level": "INFO", "handlers": ["wsgi"]},
}


def configure_logging():
    """Replace the root logger's handlers with ours: run it again and there is still one."""
    logging.config.dictConfig(LOGGING)
