"""Command-line commands, added to `flask --app invoicer ...` by create_app()."""

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


# TODO (Task 3): a command `audit-report` that prints one line per audit event, with its name
# and invoice id (all_events() from .audit returns them), or a message when there are none.
# Decorate it with @with_appcontext, like init-db: get_audit_db() needs current_app and g.
