"""Lesson 3 alternative (v1): the bare extension, its declarative base named in the constructor."""

import flask_sqlalchemy
import sqlalchemy.orm


class Base(sqlalchemy.orm.DeclarativeBase):
    """Every model's base class, reached through db.Model."""


db = flask_sqlalchemy.SQLAlchemy(model_class=Base)  # bound to each app by create_app()
