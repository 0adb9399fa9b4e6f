"""Lesson 3 alternative (v4): the bare extension, and nothing else imported from the package."""

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

__all__ = ["Base", "db"]


class Base(DeclarativeBase):
    """Models inherit from this through db.Model."""


db: SQLAlchemy = SQLAlchemy(model_class=Base)
