"""Alembic's entry point, run by `flask db ...` inside the app's context.

Written from Flask-Migrate's template, with one change: the template calls
logging.config.fileConfig(), which replaces the app's logging (and silences the loggers that
exist) in the middle of a running process. The app's dictConfig already covers Alembic.
"""

from alembic import context
from flask import current_app

config = context.config
migrate = current_app.extensions["migrate"]


def run_migrations_offline():
    """`flask db upgrade --sql`: print the SQL instead of running it."""
    url = migrate.db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=migrate.db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations on the app's own database engine."""

    def skip_empty(context, revision, directives):
        # `flask db migrate` with no model change writes no empty revision file.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []

    options = {"process_revision_directives": skip_empty, **migrate.configure_args}
    with migrate.db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=migrate.db.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
