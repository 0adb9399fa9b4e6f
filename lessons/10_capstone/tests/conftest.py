"""Fixtures shared by every test: a new app on a throwaway database for each test.

pytest finds this file by its name and gives its fixtures to every test in this folder.
"""

import functools
import os
import re

import pytest
from invoicer import create_app
from invoicer.extensions import db
from invoicer.models import User
from werkzeug.security import generate_password_hash

PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(tmp_path, **settings):
    """A new app whose databases live in tmp_path; `settings` override the test defaults."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-key",
        # In memory: new and empty for every app, gone with it, and fast (no file to sync).
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "AUDIT_DATABASE": str(tmp_path / "audit.sqlite"),  # the audit log is a second database
        **settings,
    }
    return create_app(config)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Nothing from the shell reaches the app, and its instance folder is throwaway too."""
    for name in list(os.environ):
        if name.startswith(("FLASK_", "INVOICER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("INVOICER_INSTANCE_PATH", str(tmp_path / "instance"))


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch):
    """scrypt is slow on purpose (about 0.1 s a hash): tests use one round of PBKDF2."""
    fast = functools.partial(generate_password_hash, method="pbkdf2:sha256:1")
    monkeypatch.setattr("invoicer.models.generate_password_hash", fast)


@pytest.fixture
def app(tmp_path):
    """An app with empty tables, for this test only."""
    app = make_app(tmp_path)
    with app.app_context():
        db.create_all()  # TODO (Task 4): the schema the migrations make: flask_migrate.upgrade()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def user(app):
    """A user who may log in: (id, username)."""
    with app.app_context():
        ann = User(username="ann")
        ann.set_password(PASSWORD)
        db.session.add(ann)
        db.session.commit()
        return ann.id, ann.username


@pytest.fixture
def logged_in(client, user):
    """The client with ann logged in: her id put in the session, no login form needed."""
    with client.session_transaction() as session:
        session["user_id"] = user[0]
    return client


def csrf_token(client, path="/dashboard/"):
    """The CSRF token of the form on `path`, as a browser would find it in the page."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF_FIELD.search(page)
    assert match, f"no csrf_token field in the page at {path}"
    return match[1]
