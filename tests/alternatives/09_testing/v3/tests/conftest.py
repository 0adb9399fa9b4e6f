"""Table-driven suite: an overridable `settings` fixture, and forms read with html.parser."""

import functools
import os
from html.parser import HTMLParser

import pytest
from invoicer import create_app
from invoicer.extensions import db
from invoicer.models import User
from werkzeug.security import generate_password_hash

PASSWORD = "correct horse battery staple"


def make_app(tmp_path, **settings):
    """A testing app on an in-memory database, with its audit log in tmp_path."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "table-driven",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "AUDIT_DATABASE": str(tmp_path / "audit.sqlite"),
            **settings,
        }
    )


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Settings from the shell never reach the app; its instance folder is in tmp_path."""
    for name in list(os.environ):
        if name.startswith(("FLASK_", "INVOICER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("INVOICER_INSTANCE_PATH", str(tmp_path / "instance"))


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch):
    """PBKDF2 with one round: fast, where scrypt is slow by design."""
    fast = functools.partial(generate_password_hash, method="pbkdf2:sha256:1")
    monkeypatch.setattr("invoicer.models.generate_password_hash", fast)


@pytest.fixture
def settings(request):
    """Extra settings for this test's app: parametrize it indirectly to change them."""
    return getattr(request, "param", {})


@pytest.fixture
def app(tmp_path, settings):
    """A new app with empty tables for every test."""
    app = make_app(tmp_path, **settings)
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
    """ann's id; she logs in with PASSWORD."""
    with app.app_context():
        ann = User(username="ann")
        ann.set_password(PASSWORD)
        db.session.add(ann)
        db.session.commit()
        return ann.id


@pytest.fixture
def logged_in(client, user):
    """The client with ann's id written into its session cookie."""
    with client.session_transaction() as session:
        session["user_id"] = user
    return client


class _FormFields(HTMLParser):
    """The name and value of every <input> of a page, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def form_fields(client, path):
    """The fields of the form(s) on `path`, hidden ones (the CSRF token) included."""
    parser = _FormFields()
    parser.feed(client.get(path).get_data(as_text=True))
    assert "csrf_token" in parser.fields, f"no csrf_token on {path}"
    return parser.fields


def submit(client, path, action, follow_redirects=False, **values):
    """Fill in the form found on `path` with `values` and post it to `action`."""
    data = form_fields(client, path) | values
    return client.post(action, data=data, follow_redirects=follow_redirects)
