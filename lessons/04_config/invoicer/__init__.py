"""Invoicer, lesson 4: settings in layers, checked before a production start.

This is where lesson 3 ended. The tasks replace the settings at the top of create_app() with
classes in config.py and a layered load, and configure the JSON output.
"""

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

    # TODO (Task 1): load the class named by os.environ["INVOICER_CONFIG"] (default
    # "development") with app.config.from_object(), then instance/config.py, then test_config
    # on top: every layer every time, each overriding the one before.
    app.config.from_mapping(
        SECRET_KEY="dev",
        # The default database is a file in the instance folder, not next to the code.
        SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(app.instance_path, "invoicer.sqlite"),
    )
    if test_config is None:
        # A deployment's settings, if it has any: instance/config.py.
        app.config.from_pyfile("config.py", silent=True)
    else:
        # Tests pass their settings in directly.
        app.config.from_mapping(test_config)

    # TODO (Task 2): between instance/config.py and test_config, load the FLASK_* environment
    # variables with app.config.from_prefixed_env().

    # TODO (Task 3): in production, call check_production(app.config) (from .config) once every
    # layer is loaded, before anything else is set up.

    # TODO (Task 4): keep the JSON keys in the order the code writes them and write non-ASCII
    # text as UTF-8, through app.json (not the removed JSON_SORT_KEYS setting).

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
