"""Login and logout for the dashboard, as in lesson 7."""

import functools
from urllib.parse import urlsplit

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
        if g.user is None:
            back = request.full_path if request.query_string else request.path
            return redirect(url_for("auth.login", next=back))
        return view(**kwargs)

    return wrapped


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = request.form.get("next") or request.args.get("next", "")
    if request.method == "GET":
        return render_template("auth/login.html", next=target)

    username = request.form.get("username", "")
    user = db.session.scalar(db.select(User).filter_by(username=username))
    if user is None or not user.check_password(request.form.get("password", "")):
        # The same answer for an unknown user and a wrong password: no hint which one it was.
        error = "Wrong username or password."
        return render_template("auth/login.html", next=target, error=error), 401

    # Session fixation: nothing a visitor had in the session before survives the login.
    session.clear()
    session["user_id"] = user.id
    # Expires after PERMANENT_SESSION_LIFETIME, and is re-signed on every request (with the
    # current SECRET_KEY, so a cookie signed with a fallback key is renewed).
    session.permanent = True
    return redirect(safe_next(target))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("auth.login"))


def safe_next(target):
    """`target` if it is a path on this site, else the dashboard: never a way off-site."""
    # Browsers drop tabs and newlines from URLs: "/\t/evil.example" would become
    # "//evil.example", another host. Accept a plain path only.
    if target and target.isprintable() and target.startswith("/"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith(("//", "/\\")):
            return target
    return url_for("dashboard.index")
