"""Who may do what: the join code lets a learner join, the learner's own token lets them post
their results, and the instructor token (or the cookie it earns) shows the room.

Every secret is compared with hmac.compare_digest, which takes as long for a near miss as for
a wild guess.
"""

from __future__ import annotations

import hmac
import secrets
from functools import wraps

from flask import abort, current_app, request, session

from flasklings.classroom import store

# Letters and digits that cannot be confused when read aloud or off a projector (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_join_code() -> str:
    """Eight characters in two groups, e.g. K7QM-3XPD: easy to read out to a room."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _same(given: str, expected: str | None) -> bool:
    if not expected:
        return False  # not configured: nothing matches
    return hmac.compare_digest(given.encode(), expected.encode())


def join_code_matches(code: str) -> bool:
    # People type what they hear: case and the dash do not matter.
    def plain(text: str) -> str:
        return text.replace("-", "").replace(" ", "").upper()

    expected = current_app.config["JOIN_CODE"]
    return _same(plain(code), plain(expected) if expected else None)


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_learner():
    """The learner whose token came with the request; 401 without one that is known."""
    token = bearer()
    learner = store.learner_for(token) if token else None
    if learner is None:
        abort(401, "This request needs your learner token: join with `flasklings join URL CODE`.")
    return learner


def instructor_token_matches(token: str) -> bool:
    return _same(token, current_app.config["INSTRUCTOR_TOKEN"])


NOT_SIGNED_IN = (
    "The room is for the instructor: open the address with ?token= that `flasklings classroom` "
    "printed."
)


def instructor_required(view):
    """The instructor's cookie, or the token as a Bearer header (scripts): else 401 or 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if session.get("instructor"):
            return view(*args, **kwargs)
        token = bearer()
        if token is None:
            abort(401, NOT_SIGNED_IN)
        if not instructor_token_matches(token):
            abort(403, "That is not the instructor token of this dashboard.")
        return view(*args, **kwargs)

    return wrapper
