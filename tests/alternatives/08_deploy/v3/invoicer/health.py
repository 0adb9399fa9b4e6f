"""Lesson 8 alternative (v3): views registered with add_url_rule, try/except/else and jsonify."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .extensions import db

bp = Blueprint("health", __name__)


def health():
    """Liveness: the process can answer."""
    return jsonify({"status": "ok"})


def ready():
    """Readiness: the database answers a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        current_app.logger.exception("/ready: database unreachable")
        return jsonify({"status": "unavailable"}), 503
    else:
        return jsonify({"status": "ready"})


bp.add_url_rule("/health", view_func=health, methods=["GET"])
bp.add_url_rule("/ready", view_func=ready, methods=["GET"])
