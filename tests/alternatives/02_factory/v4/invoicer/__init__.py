"""Lesson 2 alternative: a factory split into small helpers for configuration and routes."""

import os

from flask import Flask, make_response


def _configure(app, test_config):
    """Defaults first, then the instance file or the caller's settings: the last one wins."""
    app.config.from_mapping(SECRET_KEY="dev")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(**test_config)


def _add_routes(app):
    @app.get("/")
    def index():
        return make_response("Hello, Invoicer!", 200)

    @app.get("/api/info")
    def info():
        return make_response({"service": "invoicer", "version": "0.1.0"})

    @app.get("/health")
    def health():
        return make_response({"status": "ok"}, 200)


def create_app(test_config=None):
    """Build and return a new, independent Invoicer app."""
    app = Flask(__name__, instance_relative_config=True)
    _configure(app, test_config)
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    _add_routes(app)
    return app
