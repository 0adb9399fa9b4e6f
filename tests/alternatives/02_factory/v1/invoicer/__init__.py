"""Lesson 2 alternative: defaults from a class with from_object, pathlib mkdir, add_url_rule."""

from pathlib import Path

from flask import Flask


class DefaultConfig:
    """Settings every app starts from; only the upper-case names become config keys."""

    SECRET_KEY = "dev"


def index():
    return "Hello, Invoicer!"


def info():
    return {"service": "invoicer", "version": "0.1.0"}


def health():
    return {"status": "ok"}


def create_app(test_config=None):
    """Build and return a new, independent Invoicer app."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(DefaultConfig)

    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)

    # Flask only computes the instance path; the folder is ours to create.
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    # The views are module-level functions, bound to each new app here.
    app.add_url_rule("/", view_func=index)
    app.add_url_rule("/api/info", view_func=info)
    app.add_url_rule("/health", view_func=health)
    return app
