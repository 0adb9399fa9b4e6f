"""Lesson 3 alternative (v3): a click command named at add_command time, with with_appcontext."""

import click
from flask.cli import with_appcontext

from .extensions import db
from .models import Invoice  # noqa: F401 - registers the invoice table on db.metadata


@click.command()
@with_appcontext
def init_db_command():
    """Create the database tables that do not exist yet."""
    db.create_all()
    click.echo("Initialized the database.")
