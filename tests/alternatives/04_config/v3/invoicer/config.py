"""Lesson 4 alternative (v3): classes registered by a decorator; every problem reported at once."""

REGISTRY = {}
INSECURE_KEYS = {"dev"}
KEY_HOWTO = 'python -c "import secrets; print(secrets.token_hex())"'


def environment(name):
    """Class decorator: make the class selectable as INVOICER_CONFIG=<name>."""

    def register(cls):
        REGISTRY[name] = cls
        return cls

    return register


class Config:
    MAX_CONTENT_LENGTH = 1_048_576


@environment("development")
class DevelopmentConfig(Config):
    SECRET_KEY = "dev"
    SQLALCHEMY_DATABASE_URI = "sqlite:///invoicer.sqlite"


@environment("testing")
class TestingConfig(DevelopmentConfig):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"


@environment("production")
class ProductionConfig(Config):
    pass


def lookup(name):
    if name in REGISTRY:
        return REGISTRY[name]
    raise KeyError(f"no configuration called {name!r}: choose from {sorted(REGISTRY)}")


def production_problems(config):
    problems = []
    key = config.get("SECRET_KEY")
    if key is None or key == "" or key == b"":
        problems.append(f"SECRET_KEY is not set; generate one with {KEY_HOWTO}")
    elif not isinstance(key, str | bytes):
        problems.append(f"SECRET_KEY must be a string, not {type(key).__name__}: {KEY_HOWTO}")
    elif key in INSECURE_KEYS:
        problems.append(f"SECRET_KEY is the development key; generate one with {KEY_HOWTO}")
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        problems.append("SQLALCHEMY_DATABASE_URI is not set (e.g. a postgresql+psycopg:// URL)")
    return problems


def check_production(config):
    if problems := production_problems(config):
        raise RuntimeError("unsafe production settings:\n- " + "\n- ".join(problems))
