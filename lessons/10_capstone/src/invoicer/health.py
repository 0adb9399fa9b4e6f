"""Lesson 8: what a load balancer and an orchestrator ask the service before sending it work.

/health answers while the process can answer at all (liveness): it touches nothing else, so a
database outage never gets healthy containers restarted. /ready says whether this instance
can do its job now (readiness): it asks the database, and a 503 takes the instance out of
the load balancer's rotation until the database is back.
"""

from flask import Blueprint, current_app

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    return {"status": "ok"}


@bp.get("/ready")
def ready():
    try:
        db.session.execute(db.text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not ready"
        # The log gets the cause; the response never does (the URL may hold a password).
        current_app.logger.exception("readiness: the database does not answer")
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ready", "database": "ok"}
