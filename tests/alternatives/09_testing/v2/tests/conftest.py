"""unittest-style suite: conftest fixtures, handed to TestCase classes by autouse hooks."""

import functools
import os
import re

import pytest
from invoicer import create_app
from invoicer.extensions import db
from invoicer.models import User
from werkzeug.security import generate_password_hash

PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(tmp_path, **settings):
    """A new testing app whose data lives in memory and in tmp_path only."""
    test_config = dict(
        TESTING=True,
        SECRET_KEY="unittest-style",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        AUDIT_DATABASE=str(tmp_path / "audit.sqlite"),
    )
    test_config.update(settings)
    return create_app(test_config)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """The shell's FLASK_* and INVOICER_* settings stay out; the instance folder is throwaway."""
    for name in [n for n in os.environ if n.startswith(("FLASK_", "INVOICER_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("INVOICER_INSTANCE_PATH", str(tmp_path / "instance"))


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch):
    """Hash with one PBKDF2 round: scrypt would make every login test slow."""
    monkeypatch.setattr(
        "invoicer.models.generate_password_hash",
        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"),
    )


@pytest.fixture
def app(tmp_path):
    """A new app with its tables created, for one test."""
    app = make_app(tmp_path)
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def user(app):
    """The id of ann, whose password is PASSWORD."""
    with app.app_context():
        ann = User(username="ann")
        ann.set_password(PASSWORD)
        db.session.add(ann)
        db.session.commit()
        return ann.id


@pytest.fixture
def logged_in(client, user):
    """The client, logged in as ann through session_transaction()."""
    with client.session_transaction() as session:
        session["user_id"] = user
    return client


def csrf_token(client, path="/dashboard/"):
    """The token in the form on `path`."""
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"{path} has no csrf_token field"
    return found.group(1)
