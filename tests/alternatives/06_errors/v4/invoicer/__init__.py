"""Lesson 6 alternative (v4): errors and request IDs come as Blueprints with app-wide hooks."""

import os

from flask import Flask

from . import audit, errors, request_id
from .api import bp as api_bp
from .commands import audit_report_command, init_db_command
from .config import check_production, config_class
from .extensions import db
from .log import configure_logging

# Once per process, before create_app() can touch app.logger (and add Flask's own handler).
configure_logging()


def create_app(test_config=None):
    """Build and return a new, independent Invoicer app."""
    app = Flask(__name__, instance_relative_config=True)

    name = os.environ.get("INVOICER_CONFIG", "development")
    app.config.from_object(config_class(name))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)
    if name == "production":
        check_production(app.config)

    app.json.sort_keys = False
    app.json.ensure_ascii = False
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    audit.init_app(app)
    request_id.init_app(app)
    errors.init_app(app)
    app.register_blueprint(api_bp)
    app.cli.add_command(init_db_command)
    app.cli.add_command(audit_report_command)

    @app.get("/")
    def index():
        return "Hello, Invoicer!"

    @app.get("/health")
    def health():
        return {"status": "ok"}

    return app
