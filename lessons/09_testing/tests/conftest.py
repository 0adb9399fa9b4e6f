"""Fixtures shared by every test in this folder (pytest finds this file by its name).

You write the tests of this lesson; the service in invoicer/ is finished (it is lesson 8's
solution): do not edit it. The grader runs your tests next to its own copy of the service.
"""

import functools
import os
import re

import pytest
from invoicer import create_app
from werkzeug.security import generate_password_hash

PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(tmp_path, **settings):
    """A new app for one test; `settings` override the test defaults."""
    # TODO (Task 1): pass create_app() a test_config: TESTING on, a SECRET_KEY, an in-memory
    # database ("sqlite://") and AUDIT_DATABASE in tmp_path, then the `settings`. As it
    # stands, the app uses the development settings and writes into instance/.
    return create_app()


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
    # TODO (Task 1): create the tables (db.create_all() inside `with app.app_context():`).
    return app


# TODO (Task 1): a `client` fixture (app.test_client()) and a `runner` fixture
# (app.test_cli_runner()), each taking `app` as its argument.


# TODO (Task 3): a `user` fixture that saves a User (username "ann", password PASSWORD) and
# returns its id, and a `logged_in` fixture that puts that id in the client's session with
# client.session_transaction(). And a helper that reads a page's CSRF token:


def csrf_token(client, path="/dashboard/"):
    """The CSRF token of the form on `path`, as a browser would find it in the page."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF_FIELD.search(page)
    assert match, f"no csrf_token field in the page at {path}"
    return match[1]
