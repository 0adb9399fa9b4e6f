"""Lesson 4 alternative (v3): an absolute instance config path and config.update() for tests."""

import os
from os import environ

from flask import Flask

from .api import bp
from .commands import init_db_command
from .config import check_production, lookup
from .extensions import db


def create_app(test_config=None):
    app = Flask(__name__)  # instance files are addressed by full path below
    selected = environ.get("INVOICER_CONFIG", "development")

    app.config.from_object(lookup(selected))
    app.config.from_pyfile(os.path.join(app.instance_path, "config.py"), silent=True)
    app.config.from_prefixed_env()
    app.config.update(test_config or {})
    if selected == "production":
        check_production(app.config)

    for attribute in ("sort_keys", "ensure_ascii"):
        setattr(app.json, attribute, False)  # this app's provider only

    os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(init_db_command)

    @app.route("/")
    def index():
        return "Hello, Invoicer!"

    @app.route("/health")
    def health():
        return {"status": "ok"}

    return app
