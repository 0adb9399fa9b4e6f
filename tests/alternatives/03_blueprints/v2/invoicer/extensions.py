"""Lesson 3 alternative (v2): the bare extension, with a base class that has a body of its own."""

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """The declarative base; a readable repr helps when debugging in `flask shell`."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'id', None)}>"


db = SQLAlchemy(model_class=Base)  # no app: create_app() calls db.init_app(app)
