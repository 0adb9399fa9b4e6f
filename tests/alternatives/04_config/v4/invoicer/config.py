"""Lesson 4 alternative (v4): getattr() on this module finds <Name>Config; a custom exception."""

import sys

KEY_RECIPE = 'python -c "import secrets; print(secrets.token_hex())"'


class ConfigError(RuntimeError):
    """The configuration cannot be used: the message says which setting and what to do."""


class Config:
    MAX_CONTENT_LENGTH = 1024 * 1024


class DevelopmentConfig(Config):
    SECRET_KEY = "dev"
    SQLALCHEMY_DATABASE_URI = "sqlite:///invoicer.sqlite"


class TestingConfig(DevelopmentConfig):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"


class ProductionConfig(Config):
    pass


def config_for(name):
    candidate = getattr(sys.modules[__name__], f"{name.title()}Config", None)
    # Guard the lookup: "" would find Config itself, and only lower-case names are accepted.
    if name != name.lower() or candidate is None or candidate is Config:
        raise ConfigError(f"INVOICER_CONFIG={name!r} is not a configuration of Invoicer")
    return candidate


def check_production(config):
    key = config.get("SECRET_KEY")
    if not isinstance(key, str | bytes):
        raise ConfigError(f"SECRET_KEY is {type(key).__name__}; set a string made by {KEY_RECIPE}")
    if key.strip() in ("", "dev", b"", b"dev"):
        raise ConfigError(f"SECRET_KEY is empty or 'dev'; set one made by {KEY_RECIPE}")
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        raise ConfigError("no SQLALCHEMY_DATABASE_URI: production needs a database URL")
