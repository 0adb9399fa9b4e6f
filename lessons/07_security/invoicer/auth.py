"""Logging in and out of the dashboard. The session holds the user's id, and nothing else."""

import functools

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from .extensions import db
from .models import User

bp = Blueprint("auth", __name__)


@bp.before_app_request
def load_user():
    """g.user: the logged-in User, or None. A forged or outdated cookie gives an empty session."""
    user_id = session.get("user_id")
    g.user = db.session.get(User, user_id) if user_id is not None else None


def login_required(view):
    """Send anyone not logged in to the login page, with a way back."""

    @functools.wraps(view)
    def wrapped(**kwargs):
        # TODO (Task 1): when g.user is None, redirect to the login page with next= the page
        # that was asked for (request.path, with the query string if there is one).
        return view(**kwargs)

    return wrapped


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = request.form.get("next") or request.args.get("next", "")
    if request.method == "GET":
        return render_template("auth/login.html", next=target)

    # TODO (Task 1): find the user by request.form["username"] (db.select(User).filter_by(...)).
    # When there is none, or user.check_password() refuses request.form["password"], show the
    # form again with an error, status 401. Otherwise clear the session, store
    # session["user_id"] = user.id and redirect to safe_next(target).
    # TODO (Task 2): make the session permanent, so that it expires and is re-signed.
    error = "Logging in is not written yet (Task 1)."
    return render_template("auth/login.html", next=target, error=error), 401


@bp.post("/logout")
def logout():
    # TODO (Task 1): forget the user.
    return redirect(url_for("auth.login"))


def safe_next(target):
    """`target` if it is a path on this site, else the dashboard: never a way off-site."""
    # TODO (Task 1): return `target` when it is a plain path on this site: it starts with one
    # "/", has no scheme and no host (urlsplit), and no tab or newline.
    return url_for("dashboard.index")
