"""Logging for the whole process, configured once with dictConfig before any app exists."""

import logging.config  # noqa: F401 - for logging.config.dictConfig


def configure_logging():
    """Configure the root logger for the whole process."""
    # TODO (Task 3): logging.config.dictConfig({...}) with "version": 1,
    # "disable_existing_loggers": False, one logging.StreamHandler whose stream is
    # "ext://flask.logging.wsgi_errors_stream", and the root logger at level INFO using it.

    # TODO (Task 4): give the handler the RequestIdFilter (from .request_id) and put
    # %(request_id)s in the format.
