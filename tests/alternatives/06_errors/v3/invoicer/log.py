"""Lesson 6 alternative (v3): JSON log lines; dictConfig names its classes by dotted path."""

import json
import logging
import logging.config
from datetime import UTC, datetime


class JSONFormatter(logging.Formatter):
    """One JSON object per line, for log collectors that search by field."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "request_id": record.request_id,  # set by the handler's RequestIdFilter
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "invoicer.request_id.RequestIdFilter"}},
    "formatters": {"json": {"()": "invoicer.log.JSONFormatter"}},
    "handlers": {
        "wsgi": {
            "class": "logging.StreamHandler",
            "stream": "ext://flask.logging.wsgi_errors_stream",
            "filters": ["request_id"],
            "formatter": "json",
        }
    },
    "root": {"level": "INFO", "handlers": ["wsgi"]},
}


def configure_logging():
    """Replace the root logger's handlers: however often it runs, there is one."""
    logging.config.dictConfig(LOGGING)
