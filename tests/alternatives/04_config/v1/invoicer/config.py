"""Lesson 4 alternative (v1): classes named by import string, a tuple of names, ValueError."""

DEVELOPMENT_KEY = "dev"
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_hex())"'
NAMES = ("development", "testing", "production")


class Config:
    MAX_CONTENT_LENGTH = 1024 * 1024


class DevelopmentConfig(Config):
    SECRET_KEY = DEVELOPMENT_KEY
    SQLALCHEMY_DATABASE_URI = "sqlite:///invoicer.sqlite"  # relative: in the instance folder


class TestingConfig(DevelopmentConfig):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"


class ProductionConfig(Config):
    pass  # key and database come from the deployment, never from the code


def import_path(name):
    """The import string from_object() resolves for `name`, e.g. invoicer.config.TestingConfig."""
    if name not in NAMES:
        raise ValueError(f"unknown configuration {name!r} in INVOICER_CONFIG; known: {NAMES}")
    return f"{__name__}.{name.capitalize()}Config"


def check_production(config):
    key = config.get("SECRET_KEY")
    if isinstance(key, bytes):
        key = key.decode("utf-8", "replace")
    if not isinstance(key, str) or not key or key == DEVELOPMENT_KEY:
        raise ValueError(
            "refusing to start in production: SECRET_KEY must be a secret string, not missing, "
            f"empty or the development key. Make one with: {MAKE_A_KEY}"
        )
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        raise ValueError("refusing to start in production: SQLALCHEMY_DATABASE_URI is not set")
