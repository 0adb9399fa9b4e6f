"""Lesson 3 alternative (v2): two blueprints registered in the factory, one for the CLI."""

import os

from flask import Flask

from . import api, commands
from .extensions import db


def create_app(test_config=None):
    """Build and return a new, independent Invoicer app."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(app.instance_path, "invoicer.sqlite"),
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(commands.bp)

    @app.get("/")
    def index():
        return "Hello, Invoicer!"

    @app.get("/health")
    def health():
        return {"status": "ok"}

    return app
