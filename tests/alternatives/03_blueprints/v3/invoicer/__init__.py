"""Lesson 3 alternative (v3): a relative SQLite URI, resolved into the instance folder."""

import os

from flask import Flask

from . import commands
from .api import bp
from .extensions import db


def create_app(test_config=None):
    """Build and return a new, independent Invoicer app."""
    app = Flask(__name__, instance_relative_config=True)
    # Flask-SQLAlchemy 3 resolves a relative SQLite path against app.instance_path.
    app.config.from_mapping(SECRET_KEY="dev", SQLALCHEMY_DATABASE_URI="sqlite:///invoicer.sqlite")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(commands.init_db_command, name="init-db")

    @app.route("/")
    def index():
        return "Hello, Invoicer!"

    @app.route("/health")
    def health():
        return {"status": "ok"}

    return app
