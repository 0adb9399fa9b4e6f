"""Lesson 3 alternative (v2): the command on a blueprint's cli group, merged into `flask` itself."""

import click
from flask import Blueprint

from . import models  # noqa: F401 - create_all() creates the tables of imported models only
from .extensions import db

# cli_group=None puts this blueprint's commands at the top level: `flask --app invoicer init-db`.
bp = Blueprint("commands", __name__, cli_group=None)


@bp.cli.command("init-db")  # an AppGroup command: it pushes an app context by itself
def init_db_command():
    """Create the database tables that do not exist yet."""
    db.create_all()
    click.echo("Initialized the database.")
