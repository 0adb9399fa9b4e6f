"""JSON log lines with a microsecond UTC time from datetime.isoformat()."""

import json
import logging
import logging.config
from datetime import UTC, datetime

from .request_id import RequestIdFilter


class JSONFormatter(logging.Formatter):
    """A record as one line of JSON: time (UTC), level, logger, message, request_id."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # A message with a newline stays on one line: json.dumps escapes it.
        return json.dumps(entry, ensure_ascii=False)


LOGGING = {
    "version": 1,
    # Loggers that libraries made at import (SQLAlchemy's, Alembic's) keep working.
    "disable_existing_loggers": False,
    # On the handler, not on a logger: a handler's filter sees every record it handles,
    # whichever logger it came from.
    "filters": {"request_id": {"()": RequestIdFilter}},
    "formatters": {"json": {"()": JSONFormatter}},
    "handlers": {
        "wsgi": {
            "class": "logging.StreamHandler",
            # The server's error log during a request (wsgi.errors), stderr outside one.
            "stream": "ext://flask.logging.wsgi_errors_stream",
            "filters": ["request_id"],
            "formatter": "json",
        }
    },
    # The root logger: records from app.logger, our modules and every library.
    "root": {"level": "INFO", "handlers": ["wsgi"]},
}


def configure_logging():
    """Replace the root logger's handlers with ours: run it again and there is still one."""
    logging.config.dictConfig(LOGGING)
