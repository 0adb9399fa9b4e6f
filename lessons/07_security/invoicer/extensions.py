"""Extension objects: created here without an app, bound to each app in create_app()."""

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """The declarative base every model inherits from (through db.Model)."""


# No app here: create_app() calls db.init_app(app) for every app it builds.
db = SQLAlchemy(model_class=Base)

# TODO (Task 3): csrf = CSRFProtect() (from flask_wtf.csrf): a CSRF token for every POST, PUT,
# PATCH and DELETE, once it is bound to each app in create_app().
