"""Lesson 3 alternative (v1): the command's work as a plain function; create_app declares it."""

import click

from . import models  # noqa: F401 - create_all() creates the tables of imported models only
from .extensions import db


def init_db():
    """Create the database tables that do not exist yet, and say so."""
    db.create_all()
    click.echo("Initialized the database.")
