"""Lesson 3 alternative (v4): commands collected in a list and added by a register() helper."""

import click
from flask.cli import with_appcontext

from . import models  # noqa: F401 - create_all() creates the tables of imported models only
from .extensions import db


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database tables that do not exist yet."""
    db.create_all()
    click.echo("Initialized the database.")


COMMANDS = [init_db_command]


def register(app):
    """Add every command of this module to `flask --app invoicer ...` for this app."""
    for command in COMMANDS:
        app.cli.add_command(command)
