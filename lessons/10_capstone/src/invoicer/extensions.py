"""Extension objects: created here without an app, bound to each app in create_app()."""

from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """The declarative base every model inherits from (through db.Model)."""


# No app here: create_app() calls db.init_app(app) for every app it builds.
db = SQLAlchemy(model_class=Base)

# Lesson 7: a CSRF token for every POST, PUT, PATCH and DELETE, bound in create_app() too.
csrf = CSRFProtect()

# TODO (Task 2): a Migrate() object, bound in create_app(); and a MetaData naming convention
# on Base, so that every constraint gets a name Alembic can refer to later.
