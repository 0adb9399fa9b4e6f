"""Readiness asks the database with engine.connect(), outside the ORM session."""

from flask import Blueprint, current_app

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    return {"status": "ok"}


@bp.get("/ready")
def ready():
    try:
        with db.engine.connect() as connection:
            connection.execute(db.text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not ready"
        # The log gets the cause; the response never does (the URL may hold a password).
        current_app.logger.exception("readiness: the database does not answer")
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ready", "database": "ok"}
