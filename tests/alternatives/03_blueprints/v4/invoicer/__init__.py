"""Lesson 3 alternative (v4): the database default filled in with setdefault after the layers."""

import os

from flask import Flask

from . import commands
from .api import bp as api_bp
from .extensions import db


def index():
    return "Hello, Invoicer!"


def health():
    return {"status": "ok"}


def create_app(test_config=None):
    """Build and return a new, independent Invoicer app."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY="dev")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    # Only when neither instance/config.py nor test_config named a database.
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI",
        "sqlite:///" + os.path.join(app.instance_path, "invoicer.sqlite"),
    )
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    app.register_blueprint(api_bp)
    commands.register(app)
    app.add_url_rule("/", view_func=index)
    app.add_url_rule("/health", view_func=health)
    return app
