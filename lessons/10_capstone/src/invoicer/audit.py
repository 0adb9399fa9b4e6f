"""The audit log: a raw sqlite3 connection that lives as long as one app context.

get_audit_db() opens the connection the first time it is needed and keeps it on `g`, so every
later call in the same context reuses it. close_audit_db() runs when the context ends, after a
request, a CLI command or a `with app.app_context():` block, whether the work succeeded or not.
"""

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


def get_audit_db():
    """The audit database connection of the current app context, opened on first use."""
    if "audit_db" not in g:
        # current_app is the app handling this request or command: its config, not a global.
        g.audit_db = sqlite3.connect(current_app.config["AUDIT_DATABASE"])
        g.audit_db.row_factory = sqlite3.Row
        g.audit_db.execute(SCHEMA)
    return g.audit_db


def close_audit_db(exc=None):
    """Close this context's connection, if one was opened. Runs on success and on error."""
    audit_db = g.pop("audit_db", None)
    if audit_db is not None:
        audit_db.close()


def record(event, invoice_id, detail=None):
    """Append one event to the audit log and commit it."""
    audit_db = get_audit_db()
    audit_db.execute(
        "INSERT INTO audit_event (event, invoice_id, detail) VALUES (?, ?, ?)",
        (event, invoice_id, detail),
    )
    audit_db.commit()


def all_events():
    """Every event, oldest first, as dicts."""
    rows = get_audit_db().execute(
        "SELECT id, event, invoice_id, detail FROM audit_event ORDER BY id"
    )
    return [dict(row) for row in rows]


def init_app(app):
    """Give `app` a default audit database and close the connection when a context ends."""
    # Like an extension: a default this app's own settings may already have replaced.
    app.config.setdefault("AUDIT_DATABASE", os.path.join(app.instance_path, "audit.sqlite"))
    app.teardown_appcontext(close_audit_db)
