"""Lesson 8: what a load balancer and an orchestrator ask the service before sending it work.

/health answers while the process can answer at all (liveness): it touches nothing else, so a
database outage never gets healthy containers restarted. /ready says whether this instance
can do its job now (readiness).
"""

from flask import Blueprint

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    return {"status": "ok"}


# TODO (Task 3): GET /ready: run a query (db.session.execute(db.text("SELECT 1")), with db from
# .extensions) and answer 200 with JSON when it works; when it raises, log the error and
# answer 503 with JSON that says nothing of the URL or the error.
