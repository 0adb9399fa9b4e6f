"""Lesson 8 alternative (v2): a scalar SELECT 1 through the session, rolled back on failure."""

import logging

from flask import Blueprint

from .extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.route("/health")
def health():
    return {"status": "ok"}  # liveness: no database, no other service


@bp.route("/ready")
def ready():
    try:
        answer = db.session.execute(db.text("SELECT 1")).scalar_one()
    except Exception:
        db.session.rollback()  # leave the session usable for the next check
        log.exception("readiness check failed")  # the details stay in the log
        return {"status": "unavailable"}, 503
    return {"status": "ready", "database": answer == 1}
