"""The classroom dashboard: a Flask app that shows an instructor where every learner is.

Built the way the course teaches: a factory, Blueprints, settings from the environment,
CSRF on its forms, security headers, served by Gunicorn (`flasklings classroom` starts it).
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from flasklings.classroom import api, config, dashboard, security, store


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    config.load(app.config)
    if test_config is not None:
        app.config.from_mapping(test_config)
    if not app.config["SECRET_KEY"]:
        raise RuntimeError(
            f"Set {config.PREFIX}_SECRET_KEY: the dashboard's cookies and forms are signed "
            "with it (`flasklings classroom` sets one for you)."
        )
    app.json.ensure_ascii = False  # learners' names as they typed them

    store.init_app(app)
    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)  # authenticated by a token header, never by a cookie
    security.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(dashboard.bp)
    app.register_error_handler(HTTPException, _error)
    return app


def _error(exc: HTTPException):
    # Under /api as JSON with a sentence (the learner's client prints it); a page otherwise.
    if request.path.startswith("/api/"):
        return jsonify(error=exc.name, message=exc.description), exc.code
    return render_template("classroom/error.html", error=exc), exc.code
