"""Lesson 3 alternative (v3): the bare extension, with session options passed at creation."""

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# Still no app: the options only shape the sessions each app gets after init_app(app).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": True})
