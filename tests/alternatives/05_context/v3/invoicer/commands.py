"""Lesson 5 alternative (v3): audit-report declared with @app.cli.command in register(app)."""

import click
from flask.cli import with_appcontext

from . import models  # noqa: F401 - create_all() only creates the tables of imported models
from .audit import all_events
from .extensions import db


@click.command("init-db")
@with_appcontext  # also under app.test_cli_runner(), which pushes no context for add_command
def init_db_command():
    """Create the database tables that do not exist yet."""
    db.create_all()
    click.echo("Initialized the database.")


def register(app):
    """Declare audit-report on app.cli, an AppGroup: its commands get an app context."""

    @app.cli.command("audit-report")
    def audit_report():
        """Print the audit log, oldest event first."""
        events = all_events()
        if not events:
            print("No audit events yet.")
        for e in events:
            print(f"{e['event']:>8}  invoice={e['invoice_id']}  {e['detail'] or ''}")
