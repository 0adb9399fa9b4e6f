"""Lesson 8 alternative (v1): readiness through engine.connect(), SQLAlchemyError caught."""

from http import HTTPStatus

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    # Liveness: the process answers. Nothing else is touched, the database least of all.
    return jsonify(status="ok")


@bp.get("/ready")
def ready():
    # Readiness: a connection from the pool and one round trip, returned to the pool at once.
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        # The cause (which may name the URL) goes to the log only.
        current_app.logger.warning("not ready: the database does not answer", exc_info=True)
        return jsonify(status="unavailable"), HTTPStatus.SERVICE_UNAVAILABLE
    return jsonify(status="ready")
