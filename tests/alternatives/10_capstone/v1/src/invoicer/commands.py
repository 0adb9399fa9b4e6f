"""CLI commands; init-db runs the migrations with flask_migrate.upgrade()."""

import click
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .audit import all_events
from .extensions import db
from .models import User


@click.command("init-db")
@with_appcontext  # also under app.test_cli_runner(), which pushes no context for add_command
def init_db_command():
    """Bring the database schema up to date: the same as `flask db upgrade`.

    Lesson 10: the migrations in invoicer/migrations/ make the tables, not create_all(), which
    never changes a table that exists. Kept under its old name for scripts and habits.
    """
    upgrade()
    click.echo("Initialized the database.")


@click.command("audit-report")
@with_appcontext  # g and current_app work in here, and teardown closes the connection
def audit_report_command():
    """Print the audit log, oldest event first."""
    events = all_events()
    if not events:
        click.echo("The audit log is empty.")
    for event in events:
        detail = f" ({event['detail']})" if event["detail"] else ""
        click.echo(f"#{event['id']} {event['event']} invoice {event['invoice_id']}{detail}")


@click.command("create-user")
@click.argument("username")
# Asked for twice and never echoed: a password typed as an argument stays in the shell history.
@click.password_option()
@with_appcontext
def create_user_command(username, password):
    """Lesson 7: add a user who can log in to the dashboard."""
    if db.session.scalar(db.select(User).filter_by(username=username)) is not None:
        raise click.ClickException(f"a user called {username!r} exists already")
    user = User(username=username)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created user {username}.")
