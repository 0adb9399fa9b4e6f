"""Lesson 2 alternative: a defaults dict, config.update, and suppress(OSError) around makedirs."""

import os
from contextlib import suppress

from flask import Flask

DEFAULTS = {"SECRET_KEY": "dev"}


def health():
    """Answer load balancers: this process serves requests."""
    return {"status": "ok"}


def create_app(test_config=None):
    """Build and return a new, independent Invoicer app."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)

    if test_config is not None:
        app.config.update(test_config)
    else:
        app.config.from_pyfile("config.py", silent=True)

    # makedirs raises when the folder exists already (every call after the first).
    with suppress(OSError):
        os.makedirs(app.instance_path)

    @app.get("/")
    def index():
        return "Hello, Invoicer!"

    @app.get("/api/info")
    def info():
        return {"service": "invoicer", "version": "0.1.0"}

    app.add_url_rule("/health", "health", health)
    return app
