"""The learners' side: join with the code, post results with your own token, leave.

It is exempt from CSRF protection because no cookie authenticates it: each request carries
the learner's token in its Authorization header, which another site cannot make a browser send.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from flasklings.classroom import auth, schema, store

bp = Blueprint("api", __name__, url_prefix="/api")


def _json() -> object:
    # silent=True: a body that is not JSON becomes the 400 below, with our own message.
    data = request.get_json(silent=True)
    if data is None:
        abort(400, "Send a JSON object (Content-Type: application/json).")
    return data


@bp.post("/join")
def join():
    try:
        code, name = schema.join_request(_json())
    except schema.Invalid as exc:
        abort(400, str(exc))
    if not auth.join_code_matches(code):
        abort(403, "That join code is not this room's: check it with your instructor.")
    token = auth.new_token()
    learner_id = store.add_learner(name, token)
    if learner_id is None:
        abort(409, f"Someone in the room is already called {name!r}: choose another --name.")
    return jsonify(learner=learner_id, name=name, token=token), 201


@bp.post("/results")
def results():
    learner = auth.current_learner()  # before reading the body: strangers learn nothing
    try:
        listed = schema.results(_json())
    except schema.Invalid as exc:
        abort(400, str(exc))
    store.record(learner["id"], listed)
    return jsonify(recorded=len(listed))


@bp.post("/leave")
def leave():
    learner = auth.current_learner()
    store.forget(learner["id"])
    return "", 204
