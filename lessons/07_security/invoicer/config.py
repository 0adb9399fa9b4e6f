"""Invoicer's settings: one class per environment, chosen by name in create_app().

The classes hold defaults only. A deployment adds its own settings in the instance folder's
config.py or in FLASK_* environment variables; secrets never go in this file.
"""

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

    # TODO (Task 4): limits for multipart forms: 64 KiB per field (MAX_FORM_MEMORY_SIZE) and
    # 50 fields and files at most (MAX_FORM_PARTS).

    # TODO (Task 2): the session cookie: HttpOnly, SameSite "Lax", and a session lifetime of
    # 8 hours (PERMANENT_SESSION_LIFETIME, a timedelta) instead of Flask's 31 days.


class DevelopmentConfig(Config):
    SECRET_KEY = DEV_KEY
    # Relative: Flask-SQLAlchemy puts the file in the instance folder.
    SQLALCHEMY_DATABASE_URI = "sqlite:///invoicer.sqlite"


class TestingConfig(DevelopmentConfig):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # in memory: each app starts empty


class ProductionConfig(Config):
    """SECRET_KEY, SQLALCHEMY_DATABASE_URI and TRUSTED_HOSTS come from the environment."""

    # TODO (Task 2): the session cookie travels over HTTPS only.


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
            "production needs a database: set SQLALCHEMY_DATABASE_URI in the environment, "
            "e.g. FLASK_SQLALCHEMY_DATABASE_URI=postgresql+psycopg://user:password@host/invoicer"
        )
    # TODO (Task 4): refuse to start without TRUSTED_HOSTS, with a message that names it.


def check_key_fallbacks(config):
    """Lesson 7: refuse SECRET_KEY_FALLBACKS that is a string instead of a list of old keys.

    Flask iterates over the setting, so a string would make each of its characters a key
    that signs valid sessions. A value from the environment must be a JSON list.
    """
    # TODO (Task 2): raise an error that names SECRET_KEY_FALLBACKS when it is set but is not
    # a list (or tuple) of non-empty strings.


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
