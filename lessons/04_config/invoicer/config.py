"""Invoicer's settings: one class per environment, chosen by name in create_app().

The classes hold defaults only. A deployment adds its own settings in the instance folder's
config.py or in FLASK_* environment variables; secrets never go in this file.
"""

# TODO (Task 1): a base class Config with what every environment shares
# (MAX_CONTENT_LENGTH = 1024 * 1024, and no DEBUG); DevelopmentConfig(Config) with
# SECRET_KEY = "dev" and SQLALCHEMY_DATABASE_URI = "sqlite:///invoicer.sqlite" (a relative
# path lands in the instance folder); TestingConfig(DevelopmentConfig) with TESTING = True
# (it keeps the development key, so tests can use the session) and the in-memory database
# "sqlite://"; ProductionConfig(Config) with no secret and no database. Then a
# function that returns the class for a name ("development", "testing", "production") and
# raises an error naming any other name.


def check_production(config):
    """Refuse to run in production with settings that are only fit for development."""
    # TODO (Task 3): raise an error when SECRET_KEY is missing, empty, "dev" or not a string,
    # with a message that names SECRET_KEY and says how to make a key:
    #     python -c "import secrets; print(secrets.token_hex())"
    # and one that names SQLALCHEMY_DATABASE_URI when there is no database URL.
