"""Lesson 3 alternative (v1): url_prefix at register_blueprint, @app.cli.command in the factory."""

import os

from flask import Flask

from .api import bp as api_bp
from .commands import init_db
from .extensions import db


def create_app(test_config=None):
    """Build and return a new, independent Invoicer app."""
    app = Flask(__name__, instance_relative_config=True)
    database = os.path.join(app.instance_path, "invoicer.sqlite")
    app.config.from_mapping(SECRET_KEY="dev", SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")

    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)

    os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)  # after the configuration is final: init_app reads it now

    app.register_blueprint(api_bp, url_prefix="/api")

    # app.cli.command wraps the function in with_appcontext, so the test runner works too.
    @app.cli.command("init-db")
    def init_db_command():
        """Create the database tables that do not exist yet."""
        init_db()

    @app.get("/")
    def index():
        return "Hello, Invoicer!"

    @app.get("/health")
    def health():
        return {"status": "ok"}

    return app
