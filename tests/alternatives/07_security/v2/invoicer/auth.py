"""Lesson 7 alternative (v2): current_user() looked up on demand, the guard a before_request."""

import functools
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, redirect, render_template, request, session, url_for

from .extensions import db
from .models import User

bp = Blueprint("auth", __name__)


def current_user():
    """The logged-in User, or None. The session's identity map makes repeated calls cheap."""
    user_id = session.get("user_id")
    return db.session.get(User, user_id) if user_id is not None else None


@bp.app_context_processor
def inject_user():
    return {"current_user": current_user()}


def require_login():
    """None when someone is logged in, else the redirect to the login page (a hook's answer)."""
    if current_user() is None:
        back = request.full_path if request.query_string else request.path
        return redirect(url_for("auth.login", next=back))
    return None


def login_required(view):
    """The same guard as a decorator, for a view outside a guarded blueprint."""

    @functools.wraps(view)
    def wrapped(**kwargs):
        return require_login() or view(**kwargs)

    return wrapped


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = request.form.get("next") or request.args.get("next", "")
    if request.method == "GET":
        return render_template("auth/login.html", next=target)

    user = User.query.filter_by(username=request.form.get("username", "")).first()
    password = request.form.get("password", "")
    if not (user and password and user.check_password(password)):
        # One message for both cases: the form must not reveal which usernames exist.
        error = "Wrong username or password."
        return render_template("auth/login.html", next=target, error=error), 401

    session.clear()  # against session fixation
    session["user_id"] = user.id
    session.permanent = True  # expires after the lifetime; re-signed with the current key
    return redirect(safe_next(target))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("auth.login"))


def safe_next(target):
    """`target` when rebuilding it from its path, query and fragment alone gives it back."""
    if not target or not target.isprintable() or "\\" in target:
        return url_for("dashboard.index")  # tabs vanish and "\" turns to "/" in browsers
    parts = urlsplit(target)
    local = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    if local == target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.index")
