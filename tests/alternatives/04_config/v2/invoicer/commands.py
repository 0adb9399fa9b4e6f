"""Lesson 4 alternative (v2): lesson 3's init-db command, kept as it was."""

import click
from flask.cli import with_appcontext

from . import models  # noqa: F401 - create_all() only creates the tables of imported models
from .extensions import db


@click.command("init-db")
@with_appcontext  # also under app.test_cli_runner(), which pushes no context for add_command
def init_db_command():
    """Create the database tables that do not exist yet."""
    db.create_all()
    click.echo("Initialized the database.")
