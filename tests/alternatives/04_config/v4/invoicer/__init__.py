"""Lesson 4 alternative (v4): the environment read through a helper, JSON set with vars()."""

import os

from flask import Flask

from .api import bp as api_bp
from .commands import init_db_command
from .config import check_production, config_for
from .extensions import db


def configure(app, test_config):
    """Class, instance file, FLASK_* variables, test mapping: each layer beats the one before."""
    name = os.getenv("INVOICER_CONFIG", "development")
    app.config.from_object(config_for(name))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("FLASK")
    if test_config:
        app.config.from_mapping(test_config)
    if name == "production":
        check_production(app.config)


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    configure(app, test_config)
    vars(app.json).update(sort_keys=False, ensure_ascii=False)  # instance attributes only

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
