"""Lesson 4 alternative (v2): a loader function with match, and a dataclass that validates."""

import os
from dataclasses import dataclass

DEV_SECRET = "dev"


class BaseConfig:
    MAX_CONTENT_LENGTH = 1 << 20


class DevelopmentConfig(BaseConfig):
    SECRET_KEY = DEV_SECRET
    SQLALCHEMY_DATABASE_URI = "sqlite:///invoicer.sqlite"


class TestingConfig(DevelopmentConfig):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"


class ProductionConfig(BaseConfig):
    """Nothing secret here: the deployment provides the key and the database URL."""


def settings_for(name):
    match name:
        case "development":
            return DevelopmentConfig
        case "testing":
            return TestingConfig
        case "production":
            return ProductionConfig
        case _:
            raise LookupError(f"INVOICER_CONFIG names no configuration: {name!r}")


@dataclass(frozen=True)
class ProductionSettings:
    secret_key: object
    database_uri: object

    def __post_init__(self):
        key = self.secret_key
        if not isinstance(key, str | bytes) or len(key) == 0 or key == DEV_SECRET:
            raise RuntimeError(
                f"SECRET_KEY {type(key).__name__} value is unusable in production (missing, "
                "empty, the development key or not a string). Create one: "
                'python -c "import secrets; print(secrets.token_hex())"'
            )
        if not self.database_uri:
            raise RuntimeError("production has no database: set SQLALCHEMY_DATABASE_URI")


def check_production(config):
    ProductionSettings(config.get("SECRET_KEY"), config.get("SQLALCHEMY_DATABASE_URI"))


def load_config(app, test_config=None):
    """Fill app.config layer by layer; return the name of the environment that was chosen."""
    name = os.environ.get("INVOICER_CONFIG", "development")
    app.config.from_object(settings_for(name))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    app.config.from_mapping(test_config)  # None adds nothing
    if name == "production":
        check_production(app.config)
    return name
