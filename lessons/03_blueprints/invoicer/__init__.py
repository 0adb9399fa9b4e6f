"""Invoicer, lesson 3: extensions, an api Blueprint and a CLI command.

This is where lesson 2 ended. The tasks add to it: the extension in extensions.py, the model
in models.py, the routes in api.py, the command in commands.py, all wired up in create_app().
"""

import os

from flask import Flask


def create_app(test_config=None):
    """Build and return a new, independent Invoicer app."""
    # instance_relative_config: config files are looked up in the instance folder, which
    # holds this deployment's own settings and data and is never committed.
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY="dev")  # lesson 7 replaces this development key

    if test_config is None:
        # A deployment's settings, if it has any: instance/config.py.
        app.config.from_pyfile("config.py", silent=True)
    else:
        # Tests pass their settings in directly.
        app.config.from_mapping(test_config)

    # Flask does not create the instance folder; the database will live there.
    os.makedirs(app.instance_path, exist_ok=True)

    @app.get("/")
    def index():
        return "Hello, Invoicer!"

    @app.get("/api/info")
    def info():
        return {"service": "invoicer", "version": "0.1.0"}

    @app.get("/health")
    def health():
        return {"status": "ok"}

    return app
