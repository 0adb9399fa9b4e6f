"""Lesson 7 alternative (v3): a MethodView login, the user cached on g by a before_request."""

import functools
import re
from urllib.parse import urlparse

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask.views import MethodView

from .extensions import db
from .models import User

bp = Blueprint("auth", __name__)
# Characters browsers drop or rewrite inside a URL: control characters and the backslash.
UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")


@bp.before_app_request
def load_user():
    """g.user for this request, from the id in the (signed) session cookie."""
    user_id = session.get("user_id")
    g.user = None if user_id is None else db.session.get(User, user_id)


def login_required(view):
    """Redirect to /login?next=<this page> when nobody is logged in."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if g.user is not None:
            return view(*args, **kwargs)
        # full_path always ends in "?" (and the query string): drop the bare "?".
        return redirect(url_for("auth.login", next=request.full_path.removesuffix("?")))

    return guarded


class LoginView(MethodView):
    """GET shows the form; POST checks the password and starts a fresh session."""

    def target(self):
        return request.form.get("next") or request.args.get("next", "")

    def get(self):
        return render_template("auth/login.html", next=self.target())

    def post(self):
        name = request.form.get("username", "")
        user = db.session.execute(db.select(User).where(User.username == name)).scalar()
        if user is None or not user.check_password(request.form.get("password", "")):
            # Unknown user or wrong password: one answer, so usernames stay secret.
            failed = "Wrong username or password."
            return render_template("auth/login.html", next=self.target(), error=failed), 401
        session.clear()  # session fixation: start from an empty session
        session.permanent = True  # after clear(): "permanent" is kept in the session itself
        session["user_id"] = user.id
        return redirect(safe_next(self.target()))


bp.add_url_rule("/login", view_func=LoginView.as_view("login"))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("auth.login"))


def safe_next(target):
    """`target` when it is a path on this site; otherwise the dashboard."""
    parts = urlparse(target)
    if (
        target.startswith("/")
        and not target.startswith("//")
        and not UNSAFE.search(target)
        and not (parts.scheme or parts.netloc)
    ):
        return target
    return url_for("dashboard.index")
