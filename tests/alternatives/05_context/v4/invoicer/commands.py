"""Lesson 5 alternative (v4): plain functions; create_app declares them with app.cli.command."""

import click

from . import models  # noqa: F401 - create_all() only creates the tables of imported models
from .audit import all_events
from .extensions import db


def init_db():
    """Create the database tables that do not exist yet."""
    db.create_all()
    click.echo("Initialized the database.")


def audit_report():
    """Print the audit log, oldest event first."""
    events = all_events()
    for event in events:
        click.echo(f"{event['event']} invoice {event['invoice_id']} (event #{event['id']})")
    if not events:
        click.echo("No audit events yet.")
