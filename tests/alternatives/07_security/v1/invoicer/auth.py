"""Lesson 7 alternative (v1): a FlaskForm login form, and a regular expression for next."""

import functools
import re

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired

from .extensions import db
from .models import User

bp = Blueprint("auth", __name__)

# One leading "/", not followed by another "/" or a "\" (both make a host), and no control
# character (browsers drop tabs and newlines, which could join two slashes). A path that
# starts with "/" can have neither a scheme nor a host.
LOCAL_PATH = re.compile(r"/(?![/\\])[^\x00-\x1f\x7f]*")
LOGIN_FAILED = "Wrong username or password."


class LoginForm(FlaskForm):
    """The login form; its CSRF field comes from FlaskForm."""

    username = StringField("Username", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    next = HiddenField()


@bp.before_app_request
def load_user():
    """g.user: the logged-in User, or None."""
    user_id = session.get("user_id")
    g.user = db.session.get(User, user_id) if user_id is not None else None


def login_required(view):
    """Send anyone not logged in to the login page, with the page asked for in next."""

    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            back = request.full_path if request.query_string else request.path
            return redirect(url_for("auth.login", next=back))
        return view(**kwargs)

    return wrapped


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        return render_template("auth/login.html", form=form)

    target = form.next.data or request.args.get("next", "")
    user = None
    if form.validate():
        user = db.session.scalar(db.select(User).filter_by(username=form.username.data))
    if user is None or not user.check_password(form.password.data):
        # One answer for a missing field, an unknown user and a wrong password.
        return render_template("auth/login.html", form=form, error=LOGIN_FAILED), 401

    session.clear()  # session fixation: nothing from before the login survives it
    session["user_id"] = user.id
    session.permanent = True  # the lifetime applies, and each request re-signs the cookie
    return redirect(safe_next(target))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("auth.login"))


def safe_next(target):
    """`target` when it is a plain path on this site, else the dashboard."""
    if target and LOCAL_PATH.fullmatch(target):
        return target
    return url_for("dashboard.index")
