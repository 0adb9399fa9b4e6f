"""Command-line commands, added to `flask --app invoicer ...` by create_app()."""

# TODO (Task 3): write an `init-db` click command that creates the tables (db.create_all())
# and prints "Initialized the database."; add it to app.cli in create_app().
