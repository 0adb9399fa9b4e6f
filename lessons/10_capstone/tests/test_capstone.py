"""Task 4: tests for what lesson 10 adds to the service."""

# TODO (Task 4): test what this lesson adds, so that a bug in it fails a test:
#   - `flask db upgrade` on an empty database makes the models' schema (and create_app() none);
#   - DATABASE_URL reaches the app, postgres:// URLs become postgresql+psycopg://;
#   - a row the database refuses is a JSON 409, and the session works again afterwards;
#   - log lines are JSON objects that carry the request ID.
