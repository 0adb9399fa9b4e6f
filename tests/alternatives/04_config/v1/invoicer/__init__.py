"""Lesson 4 alternative (v1): a Flask subclass whose json_provider_class keeps the key order."""

import os

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from .api import bp as api_bp
from .commands import init_db_command
from .config import check_production, import_path
from .extensions import db


class OrderedJSONProvider(DefaultJSONProvider):
    sort_keys = False  # on this subclass only: plain Flask apps keep sorting
    ensure_ascii = False


class InvoicerFlask(Flask):
    json_provider_class = OrderedJSONProvider


def create_app(test_config=None):
    app = InvoicerFlask(__name__, instance_relative_config=True)

    name = os.environ.get("INVOICER_CONFIG", "development")
    app.config.from_object(import_path(name))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="FLASK")
    if test_config is not None:
        app.config.from_mapping(test_config)
    if name == "production":
        check_production(app.config)

    os.makedirs(app.instance_path, exist_ok=True)
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
