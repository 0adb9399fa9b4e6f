"""The dashboard's settings: safe defaults, then FLASKLINGS_CLASSROOM_* environment variables.

`flasklings classroom` sets the secrets in the environment of the Gunicorn it starts, so that
every worker process shares them.
"""

from __future__ import annotations

import os

PREFIX = "FLASKLINGS_CLASSROOM"
# Values that are secrets or paths: kept as the exact text, never parsed as JSON (a join code
# such as 12345678 would otherwise become a number).
TEXT_SETTINGS = ("SECRET_KEY", "JOIN_CODE", "INSTRUCTOR_TOKEN", "DATABASE")


class Defaults:
    # No join code and no instructor token: nobody can join and nobody can see the room until
    # they are set. There is no default secret key either: create_app() refuses to start.
    SECRET_KEY = None
    JOIN_CODE = None
    INSTRUCTOR_TOKEN = None
    DATABASE = None  # None: classroom.sqlite3 in the instance folder
    # A check of a whole course is well under 64 KiB of names and states; more is refused (413).
    MAX_CONTENT_LENGTH = 64 * 1024
    # Its own cookie name: a lesson's app on the same host (cookies ignore the port) uses
    # "session", and the two would overwrite each other.
    SESSION_COOKIE_NAME = "flasklings_classroom"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Seconds between the page's updates (JavaScript), and its reload without JavaScript.
    POLL_SECONDS = 3
    REFRESH_SECONDS = 10


def load(config) -> None:
    """Fill a Flask config: defaults, then the environment."""
    config.from_object(Defaults)
    config.from_prefixed_env(PREFIX)  # FLASKLINGS_CLASSROOM_MAX_CONTENT_LENGTH=131072 is an int
    for key in TEXT_SETTINGS:
        if (value := os.environ.get(f"{PREFIX}_{key}")) is not None:
            config[key] = value
