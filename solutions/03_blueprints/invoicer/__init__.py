"""Invoicer, lesson 3: extensions, an api Blueprint and a CLI command."""

import os

from flask import Flask

from .api import bp as api_bp
from .commands import init_db_command
from .extensions import db


def create_app(test_config=None):
    """Build and return a new, independent Invoicer app."""
    # instance_relative_config: config files are looked up in the instance folder, which
    # holds this deployment's own settings and data and is never committed.
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",  # lesson 7 replaces this development key
        # The default database is a file in the instance folder, not next to the code.
        SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(app.instance_path, "invoicer.sqlite"),
    )

    if test_config is None:
        # A deployment's settings, if it has any: instance/config.py.
        app.config.from_pyfile("config.py", silent=True)
    else:
        # Tests pass their settings in directly.
        app.config.from_mapping(test_config)

    # Flask does not create the instance folder; the database lives there.
    os.makedirs(app.instance_path, exist_ok=True)

    # Bind the extensions once the configuration is final: init_app reads it.
    db.init_app(app)

    app.register_blueprint(api_bp)
    app.cli.add_command(init_db_command)

    @app.get("/")
    def index():
        return "Hello, Invoicer!"

    @app.get("/health")
    def health():
        return {"status": "ok"}

    return app
