"""Settings classes; DATABASE_URL's scheme rewritten with urllib.parse.urlsplit."""

from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

DEV_KEY = "dev"  # good for a laptop, refused in production
KEY_COMMAND = 'python -c "import secrets; print(secrets.token_hex())"'


class Config:
    """Settings every environment shares.

    No DEBUG: debug mode comes from `flask run --debug` or FLASK_DEBUG only. No dicts or lists
    either: from_object() copies references, so a nested override such as
    FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_pre_ping would change the class, and every later app.
    """

    MAX_CONTENT_LENGTH = 1024 * 1024  # 1 MiB is plenty for JSON invoices; more gets 413
    INVOICER_MAIL_FROM = "invoices@invoicer.example"  # the sender of the invoices we e-mail

    # Lesson 7: multipart forms. One field held in memory (default 500_000 bytes) and the
    # number of fields and files (default 1_000); beyond either, 413. A urlencoded form is
    # bounded by MAX_CONTENT_LENGTH only.
    MAX_FORM_MEMORY_SIZE = 64 * 1024
    MAX_FORM_PARTS = 50

    # Lesson 7: the session cookie. HttpOnly is Flask's default, stated so nobody turns it off;
    # SameSite is None by default. A permanent session expires after the lifetime (default
    # 31 days) and is re-signed on every request (SESSION_REFRESH_EACH_REQUEST).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)

    # Lesson 8: how many proxies stand in front of the app and rewrite X-Forwarded-*. None on
    # a laptop: trusting a proxy that is not there lets every client pick its own address.
    INVOICER_PROXY_COUNT = 0


class DevelopmentConfig(Config):
    SECRET_KEY = DEV_KEY
    # Relative: Flask-SQLAlchemy puts the file in the instance folder.
    SQLALCHEMY_DATABASE_URI = "sqlite:///invoicer.sqlite"


class TestingConfig(DevelopmentConfig):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # in memory: each app starts empty


class ProductionConfig(Config):
    """SECRET_KEY, the database (DATABASE_URL) and TRUSTED_HOSTS come from the environment."""

    SESSION_COOKIE_SECURE = True  # lesson 7: the cookie travels over HTTPS only
    # Lesson 8: one load balancer in front; FLASK_INVOICER_PROXY_COUNT=2 if a CDN sits before it.
    INVOICER_PROXY_COUNT = 1


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_class(name):
    """The settings class called `name`; a typo must not quietly start another environment."""
    try:
        return CONFIGS[name]
    except KeyError:
        choices = ", ".join(CONFIGS)
        raise RuntimeError(f"INVOICER_CONFIG={name!r} is unknown: use one of {choices}") from None


def database_url(environ):
    """Lesson 10: the SQLAlchemy URL in DATABASE_URL, the variable hosting platforms set, or None.

    Platforms hand out postgres://user:pw@host/db. SQLAlchemy refuses the postgres:// scheme,
    and for postgresql:// SQLAlchemy 2.0 picks psycopg2 (2.1 picks psycopg): name psycopg (3).
    """
    url = environ.get("DATABASE_URL")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql"}:
        # Only the scheme changes: user, password, host, path and query stay as given.
        return urlunsplit(parts._replace(scheme="postgresql+psycopg"))
    return url


def check_production(config):
    """Refuse to run in production with settings that are only fit for development."""
    if problem := _key_problem(config.get("SECRET_KEY")):
        raise RuntimeError(
            f"production needs a real SECRET_KEY, but {problem}. Generate one with\n"
            f"    {KEY_COMMAND}\n"
            "and set it in the environment: FLASK_SECRET_KEY=<that value>"
        )
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        raise RuntimeError(
            "production needs a database (SQLALCHEMY_DATABASE_URI): set DATABASE_URL or "
            "FLASK_SQLALCHEMY_DATABASE_URI in the environment, e.g. "
            "DATABASE_URL=postgresql+psycopg://user:password@host/invoicer"
        )
    # Lesson 7: without a list, any Host header is accepted (and ends up in url_for links).
    if not config.get("TRUSTED_HOSTS"):
        raise RuntimeError(
            "production needs TRUSTED_HOSTS, the host names this service answers to: "
            """FLASK_TRUSTED_HOSTS='["invoicer.example.com"]'"""
        )


def check_key_fallbacks(config):
    """Lesson 7: refuse SECRET_KEY_FALLBACKS that is a string instead of a list of old keys.

    Flask iterates over the setting, so a string would make each of its characters a key
    that signs valid sessions. A value from the environment must be a JSON list.
    """
    fallbacks = config.get("SECRET_KEY_FALLBACKS")
    if fallbacks is None:
        return
    if not isinstance(fallbacks, list | tuple) or not all(
        isinstance(key, str | bytes) and key for key in fallbacks
    ):
        raise RuntimeError(
            "SECRET_KEY_FALLBACKS must be a list of old keys, got a "
            f"{type(fallbacks).__name__}: set it as JSON, "
            """FLASK_SECRET_KEY_FALLBACKS='["<old key>"]'. A plain string would make every """
            "one of its characters a valid signing key."
        )


def _key_problem(key):
    """What is wrong with a production SECRET_KEY, or None. Never repeats the key itself."""
    if not key:
        return "it is not set (or empty)"
    if key == DEV_KEY:
        return "it is the development key"
    if not isinstance(key, str | bytes):
        # FLASK_SECRET_KEY=123456 is parsed as JSON: an int, which breaks every session write.
        return f"it is of type {type(key).__name__}, not a string"
    return None
