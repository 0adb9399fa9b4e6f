"""The instructor's side: the room as a page and as JSON, the token login, forgetting a learner."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from flasklings.classroom import auth, store, view

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    token = request.args.get("token")
    if token is not None:
        # The token in the address the CLI printed buys a session cookie; the redirect takes
        # the token out of the address bar and the browser's history.
        if not auth.instructor_token_matches(token):
            abort(403, "That is not the instructor token of this dashboard.")
        session.clear()
        session["instructor"] = True
        return redirect(url_for(".index"), code=303)
    return _room_page()


@auth.instructor_required
def _room_page():
    return render_template(
        "classroom/index.html", rows=view.rows(), updated=time.strftime("%H:%M:%S")
    )


@bp.get("/api/room")
@auth.instructor_required
def room():
    return jsonify(learners=view.rows(), updated=time.strftime("%H:%M:%S"))


@bp.post("/learners/<int:learner_id>/forget")
@auth.instructor_required
def forget(learner_id: int):
    """Remove a learner (and their token) from the room: they must join again to post."""
    if store.forget(learner_id):
        flash("The learner was removed from the room; their token no longer works.")
    return redirect(url_for(".index"), code=303)


@bp.get("/health")
def health():
    return {"status": "ok"}


@bp.get("/favicon.ico")
def favicon():
    return "", 204  # browsers ask for one; no icon, and no 404 in the console
