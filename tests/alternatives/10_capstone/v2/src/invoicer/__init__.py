"""The application factory, binding the extensions and the migrations."""

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import audit, auth, dashboard, errors, health, request_id, security
from .api import bp as api_bp
from .commands import audit_report_command, create_user_command, init_db_command
from .config import check_key_fallbacks, check_production, config_class, database_url
from .extensions import csrf, db, migrate
from .log import configure_logging

# Lesson 10: the migrations ship inside the package, so `flask db upgrade` finds them from any
# working folder and in an installed wheel (Flask-Migrate's default is ./migrations).
MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")

# Logging belongs to the process, not to one app: configure it once, when the package is
# imported, before create_app() makes an app (whose app.logger would otherwise get Flask's
# own handler). dictConfig replaces the root handlers, so a second import adds none.
configure_logging()


def create_app(test_config=None):
    """Build and return a new, independent Invoicer app.

    Settings come in layers, each overriding the one before: the class named by the
    INVOICER_CONFIG environment variable (default "development"), the instance folder's
    config.py, FLASK_* environment variables, and last the mapping a test passes in.
    """
    # instance_relative_config: config files are looked up in the instance folder, which
    # holds this deployment's own settings and data and is never committed. Lesson 8: a
    # container keeps it on a volume, named by INVOICER_INSTANCE_PATH (an absolute path);
    # unset, Flask finds the folder beside the package as before.
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("INVOICER_INSTANCE_PATH") or None,
    )

    name = os.environ.get("INVOICER_CONFIG", "development")
    app.config.from_object(config_class(name))
    app.config.from_pyfile("config.py", silent=True)
    # Lesson 10: DATABASE_URL, as hosting platforms name it; FLASK_SQLALCHEMY_DATABASE_URI,
    # read next, still wins.
    if url := database_url(os.environ):
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    # FLASK_SECRET_KEY -> SECRET_KEY, each value parsed as JSON when it can be: "1048576" is an
    # int, "true" a bool, and FLASK_A__b sets config["A"]["b"].
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)
    check_key_fallbacks(app.config)  # lesson 7: in every environment
    if name == "production":
        check_production(app.config)  # before anything is created

    # JSON as the API writes it: keys in the order of the code, text as UTF-8 (not \u00eb).
    # app.json belongs to this app; the JSON_* settings of old guides were removed in 2.3.
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    # Lesson 8: behind N proxies, trust the last N entries of X-Forwarded-For, -Proto and
    # -Host, and nothing a client wrote before them. With no proxy (N = 0), trust none.
    hops = app.config["INVOICER_PROXY_COUNT"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    # Flask does not create the instance folder; the development database lives there.
    os.makedirs(app.instance_path, exist_ok=True)

    # Lesson 10: test a pooled connection before using it, so a database restart costs no
    # failed request. A new dict for every app: never one shared through a config class.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})

    # Bind the extensions once the configuration is final: init_app reads it. No create_all():
    # the schema comes from the migrations (`flask db upgrade`).
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    audit.init_app(app)

    request_id.init_app(app)  # first, so that every later hook and log line has the ID
    errors.init_app(app)
    # Lesson 7: forms need a CSRF token. The JSON API is exempt because the session cookie
    # does not authenticate it; an API that trusted the cookie would need the token too.
    csrf.init_app(app)
    csrf.exempt(api_bp)
    security.init_app(app)  # lesson 7: security headers on every response
    app.register_blueprint(api_bp)
    app.register_blueprint(health.bp)  # lesson 8: /health and /ready
    app.register_blueprint(auth.bp)  # lesson 7
    app.register_blueprint(dashboard.bp)  # lesson 7
    app.cli.add_command(init_db_command)
    app.cli.add_command(audit_report_command)
    app.cli.add_command(create_user_command)  # lesson 7

    @app.get("/")
    def index():
        return "Hello, Invoicer!"

    return app
