"""Lesson 5 alternative (v5): a Blueprint with cli_group=None whose commands join `flask`."""

import click
from flask import Blueprint

from . import models  # noqa: F401 - create_all() only creates the tables of imported models
from .audit import all_events
from .extensions import db

# No routes: the blueprint only carries commands. bp.cli is an AppGroup, so each command
# runs in the app's context, and cli_group=None puts them at the top level of `flask`.
bp = Blueprint("commands", __name__, cli_group=None)


@bp.cli.command("init-db")
def init_db_command():
    """Create the database tables that do not exist yet."""
    db.create_all()
    click.echo("Initialized the database.")


@bp.cli.command("audit-report")
def audit_report_command():
    """Print the audit log, oldest event first."""
    lines = [f"{e['event']}: invoice {e['invoice_id']} (#{e['id']})" for e in all_events()]
    click.echo("\n".join(lines) if lines else "Nothing in the audit log yet.")
