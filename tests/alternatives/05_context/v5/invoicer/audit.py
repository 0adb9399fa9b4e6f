"""Lesson 5 alternative (v5): g.get() in the getter and a LocalProxy over it for the queries."""

import sqlite3
from pathlib import Path

from flask import current_app, g
from werkzeug.local import LocalProxy

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_event (
    id INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    invoice_id INTEGER NOT NULL,
    detail TEXT
)
"""


def get_audit_db():
    """The current app context's connection, opened the first time it is asked for."""
    connection = g.get("audit_db")
    if connection is None:
        connection = sqlite3.connect(current_app.config["AUDIT_DATABASE"])
        connection.row_factory = sqlite3.Row
        connection.execute(SCHEMA)
        g.audit_db = connection
    return connection


# Like current_app: each use looks up the connection of the context that is active then.
audit_db = LocalProxy(get_audit_db)


def close_audit_db(exc=None):
    """Teardown function: `exc` may say why the context ended; close the connection anyway."""
    connection = g.pop("audit_db", None)
    if connection is not None:
        connection.close()


def record(event, invoice_id, detail=None):
    audit_db.execute(
        "INSERT INTO audit_event (event, invoice_id, detail) VALUES (?, ?, ?)",
        (event, invoice_id, detail),
    )
    audit_db.commit()


def all_events():
    rows = audit_db.execute("SELECT id, event, invoice_id, detail FROM audit_event ORDER BY id")
    # A Row iterates over its values; keys() gives the column names.
    return [dict(zip(row.keys(), row, strict=True)) for row in rows]


def init_app(app):
    app.config.setdefault("AUDIT_DATABASE", str(Path(app.instance_path, "audit.sqlite")))
    app.teardown_appcontext(close_audit_db)
