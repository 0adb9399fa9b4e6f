"""Lesson 4 alternative (v2): config.load_config() fills the config; app.json is a new provider."""

from pathlib import Path

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from . import api, commands
from .config import load_config
from .extensions import db


class ApiJSON(DefaultJSONProvider):
    sort_keys = False
    ensure_ascii = False


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, test_config)
    app.json = ApiJSON(app)  # this app's provider; other apps keep DefaultJSONProvider

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    app.register_blueprint(api.bp)
    app.cli.add_command(commands.init_db_command)
    app.add_url_rule("/", "index", lambda: "Hello, Invoicer!")
    app.add_url_rule("/health", "health", lambda: {"status": "ok"})
    return app
