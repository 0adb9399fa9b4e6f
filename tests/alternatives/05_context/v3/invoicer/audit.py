"""Lesson 5 alternative (v3): getattr(g) lookup, tuple rows, a 'with conn:' transaction."""

import sqlite3
from pathlib import Path

from flask import current_app, g

SCHEMA = """CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT, invoice_id INTEGER, detail TEXT)"""


def get_audit_db():
    conn = getattr(g, "_audit", None)
    if conn is None:
        conn = g._audit = sqlite3.connect(Path(current_app.config["AUDIT_DATABASE"]))
        conn.execute(SCHEMA)
    return conn


def close_audit_db(exc=None):
    # Whatever exc is: a failed request must not leak its connection.
    conn = g.pop("_audit", None)
    if conn is not None:
        conn.close()


def record(event, invoice_id, detail=None):
    db = get_audit_db()
    with db:
        db.execute(
            "INSERT INTO events (event, invoice_id, detail) VALUES (?, ?, ?)",
            (event, invoice_id, detail),
        )


def all_events():
    cur = get_audit_db().execute("SELECT id, event, invoice_id, detail FROM events ORDER BY id")
    return [{"id": r[0], "event": r[1], "invoice_id": r[2], "detail": r[3]} for r in cur]


def init_app(app):
    app.config.setdefault("AUDIT_DATABASE", str(Path(app.instance_path) / "audit.sqlite"))
    app.teardown_appcontext(close_audit_db)
