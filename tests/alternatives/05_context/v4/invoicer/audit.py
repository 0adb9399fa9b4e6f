"""Lesson 5 alternative (v4): EAFP on g, an autocommit connection and a dict row factory."""

import os
import sqlite3

from flask import current_app, g

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_event (
    id INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    invoice_id INTEGER NOT NULL,
    detail TEXT
)
"""


def _as_dict(cursor, row):
    """Row factory: each row as a dict keyed by column name."""
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


def get_audit_db():
    """This app context's connection: the one on g, or a new one kept there."""
    try:
        return g.audit_db
    except AttributeError:
        # isolation_level=None: autocommit, every INSERT is durable once execute() returns.
        connection = sqlite3.connect(current_app.config["AUDIT_DATABASE"], isolation_level=None)
        connection.row_factory = _as_dict
        connection.execute(SCHEMA)
        g.audit_db = connection
        return connection


def close_audit_db(exc=None):
    """Teardown: close the context's connection, on success and on error alike."""
    if (connection := g.pop("audit_db", None)) is not None:
        connection.close()


def record(event, invoice_id, detail=None):
    get_audit_db().execute(
        "INSERT INTO audit_event (event, invoice_id, detail) VALUES (?, ?, ?)",
        (event, invoice_id, detail),
    )


def all_events():
    cursor = get_audit_db().execute(
        "SELECT id, event, invoice_id, detail FROM audit_event ORDER BY id ASC"
    )
    return cursor.fetchall()


def init_app(app):
    if "AUDIT_DATABASE" not in app.config:
        app.config["AUDIT_DATABASE"] = os.path.join(app.instance_path, "audit.sqlite")
    app.teardown_appcontext(close_audit_db)
