"""Class-based suite: yield fixtures that clean up, and factory fixtures for invoices and users."""

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
    """A new app on throwaway databases; `settings` override the test defaults."""
    defaults = {
        "TESTING": True,
        "SECRET_KEY": "class-based-suite",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",  # in memory: empty for every new app
        "AUDIT_DATABASE": os.fspath(tmp_path / "audit.sqlite"),
    }
    return create_app(defaults | settings)


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path):
    """No FLASK_* or INVOICER_* setting from the shell; the instance folder in tmp_path."""
    for name in list(os.environ):
        if name.startswith(("FLASK_", "INVOICER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("INVOICER_INSTANCE_PATH", os.fspath(tmp_path / "instance"))


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch):
    """One round of PBKDF2 instead of scrypt, which is slow on purpose."""
    fast = functools.partial(generate_password_hash, method="pbkdf2:sha256:1")
    monkeypatch.setattr("invoicer.models.generate_password_hash", fast)


@pytest.fixture
def app(tmp_path):
    """A new app with empty tables; its connections are closed when the test ends."""
    app = make_app(tmp_path)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_invoice(client):
    """Factory: create an invoice through the API; returns the JSON the API answered."""

    def make(**fields):
        response = client.post(
            "/api/invoices", json={"customer": "Acme", "amount_cents": 1250} | fields
        )
        assert response.status_code == 201, response.get_json()
        return response.json

    return make


@pytest.fixture
def make_user(app):
    """Factory: save a user in this test's database; returns the user's id."""

    def make(username, password=PASSWORD):
        with app.app_context():
            user = User(username=username)
            user.set_password(password)
            db.session.add(user)
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def user(make_user):
    """ann, who may log in with PASSWORD: her id."""
    return make_user("ann")


@pytest.fixture
def logged_in(client, user):
    """The client with ann's id in its session: logged in without the form."""
    with client.session_transaction() as session:
        session["user_id"] = user
    return client


@pytest.fixture
def csrf(client):
    """Factory: the CSRF token of the form on a page, read as a browser would."""

    def token(path="/dashboard/"):
        match = CSRF_FIELD.search(client.get(path).get_data(as_text=True))
        assert match, f"no csrf_token field on {path}"
        return match[1]

    return token
