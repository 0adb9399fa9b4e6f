"""Checks for lesson 7, Security (lessons/07_security/invoicer/)."""

import hashlib
import importlib
import json
import logging
import os
import re
import shutil
import sqlite3
import threading
import time
import warnings
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import flask.logging
import pytest
import sqlalchemy as sa
import werkzeug.security
from flask import Flask, abort, current_app, url_for
from flask_sqlalchemy import SQLAlchemy
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import DeclarativeBase
from werkzeug.exceptions import BadRequest

from flasklings.checks import fact, not_an_app

NAME_VARIABLE = "INVOICER_CONFIG"
PASSWORD = "correct horse battery staple"
OLD_KEY = "old-0f3b9c2e5d7a41688e2c"
NEW_KEY = "new-7c1d2b8a9e6f40331b5d"
HOST = "invoicer.example.com"
HTTPS = f"https://{HOST}"
HTTP = "http://localhost"
MEMORY = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
CSRF_OFF = {**MEMORY, "WTF_CSRF_ENABLED": False}  # on purpose: these checks are about logins
DASHBOARD = "/dashboard/"
XSS = '<script>alert("xss")</script>'
REDIRECTS = (301, 302, 303, 307, 308)
KIB = 1024
PLAIN_DIGESTS = ("md5", "sha1", "sha256", "sha512")
# Referrer policies that hide full URLs from other sites and still send a Referer to this one,
# which Flask-WTF demands for a form POST over HTTPS (WTF_CSRF_SSL_STRICT).
REFERRER_POLICIES = (
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "origin",
    "origin-when-cross-origin",
)
# next= values that lead off-site: a browser drops the tab, and "https:evil" has a scheme.
OFF_SITE = [
    "https://evil.example/login",
    "//evil.example/login",
    "/\t/evil.example/login",
    "https:evil.example/login",
]


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No FLASK_* or INVOICER_* variable from the learner's shell reaches a check."""
    for variable in list(os.environ):
        if variable.startswith(("FLASK_", "INVOICER_")):
            monkeypatch.delenv(variable)


class QuickHashlib:
    """hashlib as werkzeug.security sees it during a check: scrypt with its cost capped."""

    def __getattr__(self, name):
        return getattr(hashlib, name)

    @staticmethod
    def scrypt(password, *, salt, n, r, p, maxmem=0, dklen=64):
        return hashlib.scrypt(
            password, salt=salt, n=min(n, 2**10), r=r, p=p, maxmem=maxmem, dklen=dklen
        )


@pytest.fixture(autouse=True)
def quick_scrypt(monkeypatch):
    """Werkzeug's scrypt (n=2**15) takes a tenth of a second per hash and these checks log in
    some thirty times. No check is about the work factor, so while they run scrypt's n is at
    most 2**10: the learner's own set_password and check_password still do all the hashing,
    salted, with the method they chose (the stored hash still reads scrypt:32768:8:1)."""
    if getattr(werkzeug.security, "hashlib", None) is hashlib:  # else leave Werkzeug as it is
        monkeypatch.setattr(werkzeug.security, "hashlib", QuickHashlib())


@pytest.fixture
def invoicer(load):
    """The learner's invoicer package (imported once: these checks call create_app)."""
    return load("invoicer", fresh=False)


@pytest.fixture
def build(invoicer, monkeypatch):
    """build(test_config, CONFIG=name, FLASK_X=value, ...) sets those environment variables,
    calls create_app(test_config) and returns the app. Engines are closed afterwards."""
    made = []

    def _build(test_config=None, **environment):
        for variable, value in environment.items():
            monkeypatch.setenv(NAME_VARIABLE if variable == "CONFIG" else variable, value)
        app = invoicer.create_app(None if test_config is None else dict(test_config))
        assert not (problem := not_an_app(f"create_app({test_config!r})", app)), problem
        made.append(app)
        return app

    yield _build
    for app in made:  # close the connection pools so no file stays open
        ext = app.extensions.get("sqlalchemy")
        if isinstance(ext, SQLAlchemy):
            with app.app_context():
                for engine in ext.engines.values():
                    engine.dispose()


@pytest.fixture(scope="session")
def templates() -> dict:
    """lesson folder -> (database with alice and bob, or None; why not), for this run only (a
    grading in the browser runs again in the same process, on other files)."""
    return {}


@pytest.fixture
def users_database(build, lesson_dir, tmp_path_factory, templates):
    """A database made by the learner's `flask init-db` and `flask create-user` for alice and
    bob (same password), made once per run: hashing a password takes a tenth of a second."""
    if lesson_dir not in templates:
        path = tmp_path_factory.mktemp("users") / "invoicer.sqlite"
        app = build({**CSRF_OFF, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(path)})
        try:
            init_db(app)
            create_user(app, "alice")
            create_user(app, "bob")
            templates[lesson_dir] = (path, None)
        except AssertionError as exc:
            templates[lesson_dir] = (None, str(exc))
    path, error = templates[lesson_dir]
    if error:
        raise AssertionError(error)
    return path


@pytest.fixture
def database(users_database, tmp_path):
    """This check's own copy of the users' database, as a URL."""
    copy = tmp_path / "invoicer.sqlite"
    shutil.copyfile(users_database, copy)
    return "sqlite:///" + str(copy)


@pytest.fixture
def site(build, database):
    """site(test_config=CSRF_OFF, FLASK_X=value, ...): an app on this check's copy of the
    users' database (alice and bob, each with PASSWORD)."""

    def _site(test_config=CSRF_OFF, **environment):
        return build({**test_config, "SQLALCHEMY_DATABASE_URI": database}, **environment)

    return _site


@pytest.fixture
def bare(build):
    """bare(test_config=CSRF_OFF, ...): an app with its tables and no users, in memory."""

    def _bare(test_config=CSRF_OFF, **environment):
        app = build(test_config, **environment)
        init_db(app)
        return app

    return _bare


@pytest.fixture
def production(build, tmp_path):
    """production(database=None, FLASK_X=value, ...): an app built with
    INVOICER_CONFIG=production, a real key, that database (or an empty file) and TRUSTED_HOSTS
    for invoicer.example.com."""

    def _production(database=None, **environment):
        settings = {
            "CONFIG": "production",
            "FLASK_SECRET_KEY": NEW_KEY,
            "FLASK_SQLALCHEMY_DATABASE_URI": database
            or "sqlite:///" + str(tmp_path / "production.sqlite"),
            "FLASK_TRUSTED_HOSTS": f'["{HOST}"]',
            **environment,
        }
        try:
            app = build(**settings)
        except AssertionError:
            raise
        except Exception as exc:  # explained to the learner
            raise AssertionError(
                "create_app() with INVOICER_CONFIG=production, a real FLASK_SECRET_KEY, "
                f"FLASK_SQLALCHEMY_DATABASE_URI and FLASK_TRUSTED_HOSTS='[\"{HOST}\"]' raised "
                f"{type(exc).__name__}: {exc}, expected an app"
            ) from None
        return app

    return _production


def init_db(app):
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, (
        f"flask init-db → exit code {result.exit_code}, {result.output.strip()!r}, expected 0 "
        "as in lesson 3 (it also creates the users' table once User is imported in models.py)"
    )


def create_user(app, username="alice", password=PASSWORD):
    """Run `flask create-user USERNAME` and type the password twice, as a person would."""
    result = app.test_cli_runner().invoke(
        args=["create-user", username], input=f"{password}\n{password}\n"
    )
    error = result.exception if not isinstance(result.exception, SystemExit) else None
    shown = result.output.replace(password, "<password>").strip()
    assert result.exit_code == 0 and error is None, (
        f"flask create-user {username} (password typed twice) → exit code {result.exit_code}"
        f"{f', {type(error).__name__}: {error}' if error else ''}, output {shown!r}, expected "
        "0: the command asks for the password (click.password_option()), hashes it with "
        "user.set_password() and saves the user"
    )


class Forms(HTMLParser):
    """The forms of an HTML page (action, the inputs' names and values) and its visible text."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.text = []

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "fields": {}, "types": {}})
        elif tag in ("input", "textarea", "select") and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""
            self.forms[-1]["types"][attrs["name"]] = attrs.get("type", "text")


def forms_of(response):
    parser = Forms()
    parser.feed(response.get_data(as_text=True))
    return parser.forms


def text_of(response):
    """The words a visitor reads on the page (no markup, no hidden field values)."""
    parser = Forms()
    parser.feed(response.get_data(as_text=True))
    return " ".join(parser.text)


def form_posting_to(client, url, path, what):
    """GET `url`; the form whose action is `path`, and its action as a full path."""
    page = client.get(url)
    for form in forms_of(page):
        action = urljoin(url, form["action"] or url)
        if urlsplit(action).path == path:
            return form, action
    raise AssertionError(
        fact(f"GET {url}", page, f'200 with {what}: a <form method="post" action="{path}">')
    )


def login_form(client, url, base):
    """GET the login page at `url`; the form with a password field, and where it posts to."""
    page = client.get(url, base_url=base)
    assert page.status_code == 200, fact(f"GET {url}", page, "200 with the login form")
    for form in forms_of(page):
        if "password" in form["types"].values() or "password" in form["fields"]:
            return form, urljoin(url, form["action"] or url)
    raise AssertionError(
        fact(f"GET {url}", page, 'a page with a <form> that has an input name="password"')
    )


def log_in(client, password=PASSWORD, username="alice", next=None, base=HTTP, token=True):
    """Fill in the login form as a browser would (hidden fields included) and submit it.

    Returns (what was done, the response to the POST). token=False drops the CSRF token.
    """
    url = "/login" + (f"?{urlencode({'next': next})}" if next is not None else "")
    form, action = login_form(client, url, base)
    data = {**form["fields"], "username": username, "password": password}
    if not token:
        data.pop("csrf_token", None)
    # A browser sends the page it came from; Flask-WTF demands it over HTTPS.
    response = client.post(action, data=data, base_url=base, headers={"Referer": base + url})
    shown = f"POST {action} username={username} password=" + (
        "<right password>" if password == PASSWORD else repr(password)
    )
    return shown + ("" if token else " (no csrf_token)"), response


def assert_logged_in(client, done, base=HTTP):
    r = client.get(DASHBOARD, base_url=base)
    assert r.status_code == 200, fact(
        f"{done}, then GET {DASHBOARD}", r, "200 with the invoices: the user is logged in"
    )


def assert_logged_out(client, done, why, base=HTTP):
    r = client.get(DASHBOARD, base_url=base)
    location = r.headers.get("Location", "")
    assert r.status_code in REDIRECTS and urlsplit(location).path == "/login", fact(
        f"{done}, then GET {DASHBOARD}", r, f"a redirect to /login: {why}"
    )


def session_cookie(client, app, base=HTTP):
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"], domain=urlsplit(base).hostname)
    return cookie.value if cookie else None


def set_cookies(response, name):
    """The Set-Cookie headers of `response` for the cookie `name`."""
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]


def signed_session(payload, key):
    """A session cookie with `payload`, signed the way Flask signs it, with `key` (even "")."""
    how = Flask("forger").session_interface
    signer = {"key_derivation": how.key_derivation, "digest_method": how.digest_method}
    serializer = URLSafeTimedSerializer(
        [key], salt=how.salt, serializer=how.serializer, signer_kwargs=signer
    )
    return serializer.dumps(payload)


def session_payload(app, value):
    return app.session_interface.get_signing_serializer(app).loads(value)


def stored_passwords(app):
    """{username: stored value} from the table with a password_hash column."""
    ext = app.extensions.get("sqlalchemy")
    assert isinstance(ext, SQLAlchemy), "create_app() must keep calling db.init_app(app)"
    with app.app_context():
        inspector = sa.inspect(ext.engine)
        for table in inspector.get_table_names():
            columns = {c["name"] for c in inspector.get_columns(table)}
            if {"username", "password_hash"} <= columns:
                query = sa.text(f'SELECT username, password_hash FROM "{table}"')
                with ext.engine.connect() as connection:
                    return dict(connection.execute(query).all())
        tables = {
            t: [c["name"] for c in inspector.get_columns(t)] for t in inspector.get_table_names()
        }
    raise AssertionError(
        f"after flask create-user, the database has the tables {tables}, expected one with "
        "the columns username and password_hash (the User model in models.py)"
    )


def browser_target(location, base):
    """Where a browser goes for this Location: it drops tabs and newlines, then resolves it."""
    cleaned = "".join(ch for ch in location if ch not in "\t\n\r")
    return urlsplit(urljoin(base + "/login", cleaned))


def token_from(client, url, base=HTTP):
    """The csrf_token hidden field of the first form on the page at `url` that has one."""
    page = client.get(url, base_url=base)
    for form in forms_of(page):
        if form["fields"].get("csrf_token"):
            return form["fields"]["csrf_token"]
    raise AssertionError(
        fact(
            f"GET {url}",
            page,
            'a form with <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">',
        )
    )


def api_invoices(client):
    r = client.get("/api/invoices")
    assert r.status_code == 200 and r.is_json, fact("GET /api/invoices", r, "200 and JSON")
    return r.get_json()["invoices"]


def new_invoice_by_api(client, customer):
    body = {"customer": customer, "amount_cents": 1250}
    r = client.post("/api/invoices", json=body)
    assert r.status_code == 201, fact(f"POST /api/invoices {body}", r, "201 as in lesson 3")


# --- Task 1: Users and logins ---------------------------------------------------------------


@pytest.mark.task(1)
def test_passwords_are_never_stored_in_clear(site):
    """flask create-user stores a hash of the password, never the password itself."""
    app = site()
    stored = stored_passwords(app).get("alice")
    assert isinstance(stored, str) and stored and PASSWORD not in stored, (
        f"after flask create-user alice, the password_hash column holds {stored!r}, expected "
        "a hash made by generate_password_hash() (werkzeug.security), never the password"
    )


@pytest.mark.task(1)
def test_password_hashes_are_salted(site):
    """Two users with the same password get different hashes (a random salt each)."""
    app = site()
    stored = stored_passwords(app)
    digests = {hashlib.new(name, PASSWORD.encode()).hexdigest() for name in PLAIN_DIGESTS}
    alice, bob = stored.get("alice"), stored.get("bob")
    assert alice != bob and not {alice, bob} & digests, (
        f"alice and bob, created with the same password, have the password_hash values "
        f"{alice!r} and {bob!r}, expected two different salted hashes: generate_password_hash() "
        "(scrypt in Werkzeug 3.1), not a plain hashlib digest, which every attacker has "
        "precomputed tables for"
    )


@pytest.mark.task(1)
def test_create_user_says_what_it_did(site):
    """flask create-user names the user it created, and refuses a taken name with a clear error."""
    app = site()
    runner = app.test_cli_runner()
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    for attempt in ("first", "second"):
        result = runner.invoke(args=["create-user", "carol"], input=typed)
        shown = result.output.replace(PASSWORD, "<password>").strip()
        error = result.exception if not isinstance(result.exception, SystemExit) else None
        if attempt == "first":
            ok = result.exit_code == 0 and "carol" in shown.split("confirmation:")[-1]
            expected = "exit code 0 and a line that names carol, e.g. 'Created user carol.'"
        else:
            ok = result.exit_code != 0 and error is None and "carol" in shown
            expected = (
                "an error that names carol, e.g. \"Error: a user called 'carol' exists already\" "
                "(click.ClickException), not a database exception"
            )
        assert ok, (
            f"flask create-user carol ({attempt} time) → exit code {result.exit_code}"
            f"{f', {type(error).__name__}: {str(error)[:120]}' if error else ''}, output "
            f"{shown[-200:]!r}, expected {expected}"
        )
    assert set(stored_passwords(app)) == {"alice", "bob", "carol"}, (
        f"after flask create-user carol twice, the users are {sorted(stored_passwords(app))}, "
        "expected alice, bob and one carol"
    )
    with app.app_context():
        inspector = sa.inspect(app.extensions["sqlalchemy"].engine)
        table = next(
            t
            for t in inspector.get_table_names()
            if {"username", "password_hash"} <= {c["name"] for c in inspector.get_columns(t)}
        )
        unique = [c["column_names"] for c in inspector.get_unique_constraints(table)]
        unique += [i["column_names"] for i in inspector.get_indexes(table) if i["unique"]]
    assert ["username"] in unique, (
        f"the table {table!r} has the unique column sets {unique}, expected username to be "
        "unique in the database too (mapped_column(String(80), unique=True) in the User model, "
        "as the starter has it): a second account with a taken name must be impossible"
    )


@pytest.mark.task(1)
def test_dashboard_needs_a_login(site):
    """The dashboard sends anyone not logged in to /login, with next= the page they wanted."""
    app = site()
    client = app.test_client()
    r = client.get(DASHBOARD)
    location = urlsplit(r.headers.get("Location", ""))
    assert r.status_code in REDIRECTS and location.path == "/login", fact(
        f"GET {DASHBOARD} without logging in",
        r,
        "a redirect to /login (decorate the dashboard's views with @login_required)",
    )
    wanted = parse_qs(location.query).get("next", [""])[0]
    assert urlsplit(wanted).path == DASHBOARD, (
        f"GET {DASHBOARD} without logging in redirects to {r.headers['Location']!r}, expected "
        f"/login?next=... naming {DASHBOARD}, so the user comes back there after logging in"
    )
    asked = DASHBOARD + "?page=2"
    r = client.get(asked)
    wanted = parse_qs(urlsplit(r.headers.get("Location", "")).query).get("next", [""])[0]
    assert wanted == asked, fact(
        f"GET {asked} without logging in",
        r,
        f"a redirect to /login?next={asked} (URL-encoded): next is the path with its query "
        "string, request.full_path, never the full URL (safe_next() refuses a scheme and host)",
    )
    r = client.post("/dashboard/invoices", data={"customer": "Mallory", "amount_cents": "100"})
    assert r.status_code in REDIRECTS and not api_invoices(client), fact(
        "POST /dashboard/invoices customer=Mallory without logging in",
        r,
        "a redirect to /login and no invoice created",
    )


@pytest.mark.task(1)
def test_dashboard_form_checks_its_fields(site):
    """The New invoice form refuses a bad customer or amount (400) and audits what it creates."""
    app = site()
    client = app.test_client()
    log_in(client)
    good = {"customer": "Acme", "amount_cents": "1250"}
    shown = text_of(client.get(DASHBOARD))
    for fields in [
        {"customer": ""},
        {"customer": "   "},
        {"customer": "x" * 201},
        {"amount_cents": ""},
        {"amount_cents": "0"},
        {"amount_cents": "-5"},
        {"amount_cents": "12.50"},
        {"customer": None},  # no customer field at all
    ]:
        data = {k: v for k, v in {**good, **fields}.items() if v is not None}
        customer = data.get("customer")
        if customer is None or len(customer) < 12:
            customer = "(no field)" if customer is None else repr(customer)
        else:
            customer = f"<{len(customer)} characters>"
        amount = data["amount_cents"]
        request = f"logged in, POST /dashboard/invoices customer={customer} amount_cents={amount!r}"
        r = client.post("/dashboard/invoices", data=data)
        assert r.status_code == 400 and text_of(r) != shown, fact(
            request,
            r,
            "400 with the dashboard and an error that says what is wrong: a customer of 1 to "
            "200 characters and an amount that is a positive whole number of cents "
            "(dashboard.py, create_invoice, as given in the starter)",
        )
    assert not api_invoices(client), (
        "refused New invoice forms created invoices: GET /api/invoices lists them"
    )
    for data in ({"customer": "x" * 200, "amount_cents": "1"}, good):
        r = client.post("/dashboard/invoices", data=data)
        assert r.status_code in REDIRECTS, fact(
            f"logged in, POST /dashboard/invoices customer of {len(data['customer'])} "
            f"characters, amount_cents={data['amount_cents']}",
            r,
            "a redirect (303) back to the dashboard: the invoice is valid",
        )
    invoices = api_invoices(client)
    events = client.get("/api/audit").get_json(silent=True) or {}
    created = [e.get("invoice_id") for e in events.get("events", []) if e.get("event") == "created"]
    ids = sorted(invoice["id"] for invoice in invoices)
    assert len(invoices) == 2 and sorted(created) == ids, (
        f"after two valid New invoice forms, GET /api/invoices lists {len(invoices)} invoice(s) "
        f"with the ids {ids} and GET /api/audit has 'created' events for {created}, expected "
        "two invoices, each with its 'created' event: audit.record('created', invoice.id) as "
        "the API does (dashboard.py, as given in the starter)"
    )


@pytest.mark.task(1)
def test_login_required_keeps_the_views_arguments(site):
    """A view guarded by login_required still gets the values from its URL once logged in."""
    app = site()
    guard = importlib.import_module("invoicer.auth").login_required

    def checker_invoice(number):
        return f"invoice {number}"

    app.add_url_rule("/checker-invoice/<int:number>", "checker_invoice", guard(checker_invoice))
    client = app.test_client()
    asked = "/checker-invoice/7"
    r = client.get(asked)
    wanted = parse_qs(urlsplit(r.headers.get("Location", "")).query).get("next", [""])[0]
    assert r.status_code in REDIRECTS and wanted == asked, fact(
        f"GET {asked}, a view the checker guards with your login_required, without logging in",
        r,
        f"a redirect to /login?next={asked}",
    )
    done, r = log_in(client)
    r = client.get(asked)
    assert r.status_code == 200 and r.get_data(as_text=True) == "invoice 7", fact(
        f"{done}, then GET {asked} (the checker's view, guarded by login_required, returns "
        "f'invoice {number}')",
        r,
        "200 'invoice 7': the wrapper passes the URL's values on, return view(**kwargs)",
    )


@pytest.mark.task(1)
def test_right_password_logs_in(site):
    """Logging in with the right password redirects to the dashboard, which then answers 200."""
    app = site()
    client = app.test_client()
    done, r = log_in(client)
    target = browser_target(r.headers.get("Location", ""), HTTP)
    assert r.status_code in REDIRECTS and target.path == DASHBOARD, fact(
        done, r, f"a redirect to {DASHBOARD} (no next= given)"
    )
    assert_logged_in(client, done)


@pytest.mark.task(1)
def test_wrong_password_or_user_does_not_log_in(site):
    """A wrong password, an unknown user or an empty password leaves the visitor logged out."""
    app = site()
    pages = {}
    for username, password in [("alice", "wrong password"), ("mallory", PASSWORD), ("alice", "")]:
        client = app.test_client()
        done, r = log_in(client, password=password, username=username)
        assert r.status_code == 401, fact(
            done, r, "401 with the login form and an error, not the dashboard"
        )
        assert_logged_out(client, done, "a failed login must not log anyone in")
        pages[done] = text_of(r)
    (wrong, wrong_text), (unknown, unknown_text) = list(pages.items())[:2]
    plain = text_of(app.test_client().get("/login"))
    assert wrong_text != plain, (
        f"{wrong} → 401 showing {wrong_text!r}, the same words as the empty login form, "
        "expected the form again with an error that says the login failed: "
        "render_template('auth/login.html', next=target, error=error)"
    )
    assert wrong_text == unknown_text, (
        f"{wrong} → 401 showing {wrong_text!r}, but {unknown} → 401 showing {unknown_text!r}, "
        "expected the same page for both: an error that tells which part was wrong confirms "
        "to an attacker that the username exists"
    )


@pytest.mark.task(1)
def test_login_starts_a_fresh_session(site):
    """Logging in clears what the session held before (no session fixation)."""
    app = site()
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    done, r = log_in(client)
    with client.session_transaction() as session:
        kept = dict(session)
    assert "planted" not in kept, (
        f"session['planted'] was set before the login; after {done} → {r.status_code}, the "
        f"session holds {sorted(kept)}, expected 'planted' gone: call session.clear() before "
        "storing the user's id"
    )


@pytest.mark.task(1)
def test_next_never_leads_off_site(site):
    """After logging in, next= is followed when it is a path on this site, and ignored otherwise."""
    app = site()
    client = app.test_client()
    asked = DASHBOARD + "?page=2"
    sent_to = client.get(asked).headers.get("Location", "")
    form, action = login_form(client, sent_to, HTTP)
    data = {**form["fields"], "username": "alice", "password": PASSWORD}
    r = client.post(action, data=data)
    target = browser_target(r.headers.get("Location", ""), HTTP)
    assert r.status_code in REDIRECTS and (target.path, target.query) == (DASHBOARD, "page=2"), (
        fact(
            f"GET {asked} → redirect to {sent_to}, then the right password in that login form",
            r,
            f"a redirect back to {asked}, the page asked for",
        )
    )
    client = app.test_client()
    failed = client.post(action, data={**data, "password": "wrong password"})
    shown = [f for f in forms_of(failed) if "password" in f["types"].values()]
    again = shown[0] if shown else {"fields": {}, "action": None}
    retry = {**again["fields"], "username": "alice", "password": PASSWORD}
    r = client.post(urljoin(action, again["action"] or action), data=retry)
    target = browser_target(r.headers.get("Location", ""), HTTP)
    assert r.status_code in REDIRECTS and (target.path, target.query) == (DASHBOARD, "page=2"), (
        fact(
            f"the login form from {sent_to} with a wrong password → {failed.status_code}, then "
            "the right password in the form shown again",
            r,
            f"a redirect back to {asked}: the form shown after a failed login keeps next "
            "(render_template('auth/login.html', next=target, error=error))",
        )
    )
    for evil in OFF_SITE:
        client = app.test_client()
        done, r = log_in(client, next=evil)
        target = browser_target(r.headers.get("Location", ""), HTTP)
        assert target.hostname in (None, "localhost") and target.scheme in ("", "http"), fact(
            f"{done} (form from /login?next={evil!r})",
            r,
            "a redirect that stays on this site (the dashboard): accept next only when it is "
            "a plain path, starting with one / (not // or /\\), with no scheme, no host and no "
            "tab or newline",
        )
    client = app.test_client()
    done, r = log_in(client)
    target = browser_target(r.headers.get("Location", ""), HTTP)
    assert r.status_code in REDIRECTS and target.path == DASHBOARD, fact(
        f"{done} (the form from /login, no next)",
        r,
        f"a redirect to the dashboard, {DASHBOARD}: where a login leads when nothing was asked "
        "for (request.args.get('next', '') is empty, and an empty next is not followed)",
    )


@pytest.mark.task(1)
def test_safe_next_accepts_only_plain_paths(bare):
    """safe_next(target) gives back a plain path on this site, and the dashboard for the rest."""
    app = bare()
    safe_next = importlib.import_module("invoicer.auth").safe_next
    # Werkzeug writes a Location with its backslashes quoted (%5C), tabs dropped and "///" made
    # "/", so these reach a browser harmless: only a direct call shows what safe_next() allows.
    refused = [
        *OFF_SITE,
        "evil.example/login",
        "///evil.example/login",
        "/\\evil.example/login",
        "/\t\\evil.example/login",
    ]
    with app.test_request_context():
        home = url_for("dashboard.index")
        for target in ["/dashboard/?page=2", "/api/info"]:
            got = safe_next(target)
            assert got == target, (
                f"safe_next({target!r}) returned {got!r}, expected {target!r}: a plain path on "
                "this site is where the user wanted to go"
            )
        for target in refused:
            got = safe_next(target)
            assert got == home, (
                f"safe_next({target!r}) returned {got!r}, expected {home!r} (the dashboard): "
                "accept only a path that starts with one / (not // or /\\), is printable "
                "(target.isprintable()) and has no scheme or host (urlsplit)"
            )


@pytest.mark.task(1)
def test_logout_ends_the_session(site):
    """The Log out form (POST /logout) logs the user out; a GET /logout, which any page can trigger, does not."""  # noqa: E501
    app = site(MEMORY)
    client = app.test_client()
    done, r = log_in(client)
    assert_logged_in(client, done)
    by_get = client.get("/logout")
    r = client.get(DASHBOARD)
    assert r.status_code == 200, fact(
        f"{done}, GET /logout → {by_get.status_code}, then GET {DASHBOARD}",
        r,
        "200, still logged in: logout must be POST only (@bp.post), or an <img "
        'src="/logout"> on any site logs the user out',
    )
    form, action = form_posting_to(client, DASHBOARD, "/logout", "the Log out form (base.html)")
    r = client.post(action, data=form["fields"])
    assert r.status_code in (*REDIRECTS, 200), fact(
        f"the Log out form on {DASHBOARD} submitted as rendered (CSRF on): POST {action}",
        r,
        "a redirect (to /login) after clearing the session; a 400 means the form has no "
        '<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">',
    )
    assert_logged_out(client, f"{done}, POST /logout", "session.clear() in the logout view")


# --- Task 2: Keys and cookies ---------------------------------------------------------------


@pytest.mark.task(2)
def test_production_session_cookie_flags(production, database):
    """In production the session cookie is Secure, HttpOnly, SameSite=Lax and expires."""
    app = production(database)
    client = app.test_client()
    done, r = log_in(client, base=HTTPS)
    name = app.config["SESSION_COOKIE_NAME"]
    cookies = set_cookies(r, name)
    assert cookies, fact(f"{done} over HTTPS", r, f"a Set-Cookie header for {name}")
    flags = {
        part.strip().split("=")[0].lower(): part.strip() for part in cookies[-1].split(";")[1:]
    }
    missing = [
        want
        for want, ok in [
            ("Secure", "secure" in flags),
            ("HttpOnly", "httponly" in flags),
            ("SameSite=Lax", flags.get("samesite", "").lower() == "samesite=lax"),
            ("Expires", "expires" in flags),
        ]
        if not ok
    ]
    shown = cookies[-1].split(";", 1)[-1].strip()
    assert not missing, (
        f"INVOICER_CONFIG=production, {done} over HTTPS → Set-Cookie {name}=…; {shown}, "
        f"missing {', '.join(missing)}: SESSION_COOKIE_SECURE = True in ProductionConfig, "
        'SESSION_COOKIE_HTTPONLY = True and SESSION_COOKIE_SAMESITE = "Lax" in Config, and '
        "session.permanent = True at login (a permanent session's cookie has an expiry)"
    )


@pytest.mark.task(2)
def test_cookie_not_secure_outside_production(site):
    """Outside production the session cookie has no Secure flag, so logins work on http://localhost."""
    app = site()
    client = app.test_client()
    done, r = log_in(client)
    name = app.config["SESSION_COOKIE_NAME"]
    cookies = set_cookies(r, name)
    assert cookies, fact(done, r, f"a Set-Cookie header for {name}")
    flags = [part.strip().lower() for part in cookies[-1].split(";")[1:]]
    assert "secure" not in flags, (
        f"INVOICER_CONFIG=development, {done} over http:// → Set-Cookie {name}=…; "
        f"{cookies[-1].split(';', 1)[-1].strip()}, expected no Secure: a browser does not send "
        "a Secure cookie back over plain HTTP. SESSION_COOKIE_SECURE = True in ProductionConfig "
        "only"
    )


@pytest.mark.task(2)
def test_sessions_last_a_working_day(site):
    """A login session is permanent and lasts a working day, 8 hours (PERMANENT_SESSION_LIFETIME)."""  # noqa: E501
    app = site()
    lifetime = app.permanent_session_lifetime
    assert lifetime.total_seconds() == 8 * 3600, (
        f"create_app() gave PERMANENT_SESSION_LIFETIME {lifetime}, expected 8:00:00, a working "
        "day (Flask's default is 31 days): PERMANENT_SESSION_LIFETIME = timedelta(hours=8) in "
        "Config"
    )
    client = app.test_client()
    done, r = log_in(client)
    with client.session_transaction() as session:
        permanent = session.permanent
    assert permanent, (
        f"after {done} → {r.status_code}, session.permanent is False, expected True: set "
        "session.permanent = True at login, or the lifetime is never applied to the cookie"
    )


@pytest.mark.task(2)
def test_rotated_key_keeps_sessions_and_resigns_them(site):
    """After a key rotation, a session signed with the old key still works and comes back signed with the new one."""  # noqa: E501
    before = site(FLASK_SECRET_KEY=OLD_KEY)
    client = before.test_client()
    done, r = log_in(client)
    # The dashboard puts a csrf_token in the session: later pages then change nothing in it,
    # and only SESSION_REFRESH_EACH_REQUEST re-signs the cookie.
    client.get(DASHBOARD)
    done += f", GET {DASHBOARD}"
    old_cookie = session_cookie(client, before)
    assert old_cookie, fact(done, r, "a session cookie")
    name = before.config["SESSION_COOKIE_NAME"]

    fallbacks = f'["{OLD_KEY}"]'
    after = site(FLASK_SECRET_KEY=NEW_KEY, FLASK_SECRET_KEY_FALLBACKS=fallbacks)
    client = after.test_client()
    client.set_cookie(name, old_cookie)
    situation = (
        f"a cookie signed with the old key, sent to an app with FLASK_SECRET_KEY=<new key> and "
        f"FLASK_SECRET_KEY_FALLBACKS='[\"<old key>\"]': GET {DASHBOARD}"
    )
    r = client.get(DASHBOARD)
    assert r.status_code == 200, fact(
        situation, r, "200: the old key is still accepted for reading sessions"
    )
    renewed = set_cookies(r, name)
    assert renewed, fact(
        situation,
        r,
        f"a Set-Cookie for {name}, signed with the new key: a permanent session "
        "(session.permanent = True at login) is re-signed on every request, even when "
        "nothing in it changed (SESSION_REFRESH_EACH_REQUEST, on by default)",
    )
    new_cookie = renewed[-1].split(";")[0].split("=", 1)[1]
    only_new = site(FLASK_SECRET_KEY=NEW_KEY, FLASK_SECRET_KEY_FALLBACKS="[]")
    client = only_new.test_client()
    client.set_cookie(name, new_cookie)
    r = client.get(DASHBOARD)
    assert r.status_code == 200, fact(
        f"the re-signed cookie, sent to an app with the new key and no fallbacks: GET {DASHBOARD}",
        r,
        "200: the cookie must now be signed with the new key",
    )
    client = only_new.test_client()
    client.set_cookie(name, old_cookie)
    assert_logged_out(
        client,
        "a cookie signed with the old key, sent to an app with the new key and no fallbacks",
        "once the old key is retired, its cookies are worthless",
    )


@pytest.mark.task(2)
def test_forged_session_is_rejected(site):
    """A session cookie signed with any other key logs nobody in."""
    app = site(FLASK_SECRET_KEY=NEW_KEY)
    client = app.test_client()
    done, r = log_in(client)
    genuine = session_cookie(client, app)
    assert genuine, fact(done, r, "a session cookie")
    payload = session_payload(app, genuine)
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], signed_session(payload, "guessed-key"))
    assert_logged_out(
        client,
        f"a cookie with the same content {payload} signed with another key",
        "Flask rejects the signature, so the session is empty",
    )


@pytest.mark.task(2)
def test_fallbacks_must_be_a_list_of_keys(site):
    """FLASK_SECRET_KEY_FALLBACKS as a plain string, or with an empty key, is refused: no cookie signed with a character or "" logs in."""  # noqa: E501
    app = site(FLASK_SECRET_KEY=NEW_KEY)
    client = app.test_client()
    done, r = log_in(client)
    genuine = session_cookie(client, app)
    assert genuine, fact(done, r, "a session cookie")
    payload = session_payload(app, genuine)
    for value, forged_with, why in [
        (
            OLD_KEY,
            OLD_KEY[0],
            "a string, not a JSON list: Flask iterates over it, so each character is a key",
        ),
        ('[""]', "", "an empty key: anyone can sign a cookie with the empty string"),
    ]:
        situation = f"FLASK_SECRET_KEY_FALLBACKS={value!r} ({why})"
        try:
            app = site(FLASK_SECRET_KEY=NEW_KEY, FLASK_SECRET_KEY_FALLBACKS=value)
        except AssertionError:
            raise
        except Exception as exc:  # refusing is the right answer
            assert "SECRET_KEY_FALLBACKS" in str(exc), (
                f"create_app() with {situation} raised {type(exc).__name__}: {exc}, expected a "
                "message that names SECRET_KEY_FALLBACKS and says it must be a list of keys"
            )
            continue
        client = app.test_client()
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], signed_session(payload, forged_with))
        assert_logged_out(
            client,
            f"create_app() with {situation}, and alice's session signed with the key "
            f"{forged_with!r}",
            "check_key_fallbacks() must refuse a SECRET_KEY_FALLBACKS that is not a list of "
            "non-empty keys",
        )


# --- Task 3: CSRF and escaping --------------------------------------------------------------


@pytest.mark.task(3)
def test_csrf_is_on_in_every_configuration(site, production, database):
    """A login POST without the token is refused in production (over HTTPS) and under INVOICER_CONFIG=testing."""  # noqa: E501
    app = site({}, CONFIG="testing")
    done, r = log_in(app.test_client(), token=False)
    assert r.status_code == 400, fact(
        f"INVOICER_CONFIG=testing, {done}",
        r,
        "400: CSRF protection stays on under TESTING too; a test that is not about CSRF turns "
        "it off in its own settings, not in TestingConfig",
    )
    # Last: production() sets FLASK_* variables for the rest of this check.
    app = production(database)
    done, r = log_in(app.test_client(), base=HTTPS, token=False)
    assert r.status_code == 400, fact(
        f"INVOICER_CONFIG=production, {done} over HTTPS",
        r,
        "400: CSRF protection stays on in production (no WTF_CSRF_ENABLED = False in any "
        "config class)",
    )


@pytest.mark.task(3)
def test_login_form_needs_a_csrf_token(site):
    """With CSRF on (the default, also under TESTING), a login POST without the token is refused."""
    app = site(MEMORY)
    client = app.test_client()
    done, r = log_in(client, token=False)
    assert r.status_code == 400, fact(
        done,
        r,
        "400: bind CSRFProtect in create_app (csrf.init_app(app)); a login form can be forged too",
    )
    assert_logged_out(client, done, "a refused form must not log anyone in")
    done, r = log_in(app.test_client())
    assert r.status_code in REDIRECTS, fact(
        done + " with the form's csrf_token",
        r,
        'a redirect to the dashboard: add <input type="hidden" name="csrf_token" '
        'value="{{ csrf_token() }}"> to the login form',
    )


@pytest.mark.task(3)
def test_dashboard_form_needs_the_sessions_token(site):
    """Creating an invoice from the dashboard needs this session's CSRF token: none or another session's gets 400."""  # noqa: E501
    app = site(MEMORY)
    client, stranger = app.test_client(), app.test_client()
    log_in(client)
    form = {"customer": "Acme", "amount_cents": "1250"}
    r = client.post("/dashboard/invoices", data=form)
    assert r.status_code == 400, fact(
        "logged in, POST /dashboard/invoices customer=Acme amount_cents=1250 without a token",
        r,
        "400 (CSRFProtect bound in create_app)",
    )
    foreign = {**form, "csrf_token": token_from(stranger, "/login")}
    r = client.post("/dashboard/invoices", data=foreign)
    assert r.status_code == 400, fact(
        "logged in, POST /dashboard/invoices with a csrf_token from another visitor's session",
        r,
        "400: a token is only good for the session it was made for",
    )
    assert not api_invoices(client), "refused forms created invoices: GET /api/invoices lists them"
    rendered, action = form_posting_to(
        client, DASHBOARD, "/dashboard/invoices", "the New invoice form"
    )
    r = client.post(action, data={**rendered["fields"], **form})
    assert r.status_code in REDIRECTS, fact(
        f"logged in, the New invoice form on {DASHBOARD} submitted as rendered (its hidden "
        f"fields) with customer=Acme amount_cents=1250: POST {action}",
        r,
        'a redirect (303) back to the dashboard: add <input type="hidden" name="csrf_token" '
        'value="{{ csrf_token() }}"> to that form',
    )
    customers = [invoice["customer"] for invoice in api_invoices(client)]
    assert customers == ["Acme"], (
        f"after the form with a valid token, GET /api/invoices lists {customers}, expected ['Acme']"
    )


@pytest.mark.task(3)
def test_json_api_is_exempt(bare):
    """The JSON API, which no session cookie authenticates, takes POSTs without a CSRF token."""
    app = bare(MEMORY)
    client = app.test_client()
    body = {"customer": "Acme", "amount_cents": 1250}
    r = client.post("/api/invoices", json=body)
    assert r.status_code == 201, fact(
        f"POST /api/invoices {body} with CSRF on and no token",
        r,
        "201: exempt the api blueprint with csrf.exempt(api_bp) in create_app",
    )
    r = client.post("/api/invoices/999/send")
    assert r.status_code == 404, fact(
        "POST /api/invoices/999/send with CSRF on and no token",
        r,
        "404 (no invoice 999), as in lesson 5, not a CSRF 400: exempt the whole blueprint, "
        "csrf.exempt(api_bp), not one view",
    )


@pytest.mark.task(3)
def test_customer_names_are_escaped(site):
    """A customer called <script>… shows on the dashboard as text, never as markup."""
    app = site()
    client = app.test_client()
    new_invoice_by_api(client, XSS)
    new_invoice_by_api(client, '"><img src=x onerror=alert(1)>')
    log_in(client)
    r = client.get(DASHBOARD)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "&lt;script&gt;" in html and XSS not in html, fact(
        f"an invoice for the customer {XSS!r}, then GET {DASHBOARD}",
        r,
        "the name escaped, &lt;script&gt;…: keep Jinja's autoescaping, no |safe on data",
    )
    assert "<img src=x" not in html, (
        f"GET {DASHBOARD} shows the customer '\"><img src=x onerror=alert(1)>' as markup, "
        "expected it escaped (&lt;img …): no |safe or Markup() around data from users"
    )


@pytest.mark.task(3)
def test_next_is_escaped_on_the_login_page(bare):
    """A next= that carries markup is escaped in the login page."""
    app = bare()
    evil = '"><script>alert(1)</script>'
    r = app.test_client().get("/login?" + urlencode({"next": evil}))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<script>alert(1)" not in html, fact(
        f"GET /login?next={evil}", r, "200 with next= escaped (&#34;&gt;&lt;script&gt;…)"
    )


# --- Task 4: Headers and limits -------------------------------------------------------------


def header_problems(r, https=False):
    """What is missing or wrong in the security headers of `r`, in words."""
    problems = []
    csp = r.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0].lower() for part in csp.split(";") if part.strip()}
    if "default-src" not in directives:
        problems.append(f"Content-Security-Policy with a default-src directive (got {csp!r})")
    elif "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"a policy without 'unsafe-inline' or 'unsafe-eval' (got {csp!r})")
    if r.headers.get("X-Content-Type-Options", "").lower() != "nosniff":
        problems.append("X-Content-Type-Options: nosniff")
    referrer = r.headers.get("Referrer-Policy", "")
    # A browser applies the last policy it knows in a comma-separated list.
    if referrer.split(",")[-1].strip().lower() not in REFERRER_POLICIES:
        problems.append(
            f"Referrer-Policy: strict-origin-when-cross-origin or same-origin (got {referrer!r}; "
            "no-referrer would make Flask-WTF refuse every form POST over HTTPS)"
        )
    frame = r.headers.get("X-Frame-Options", "")
    if frame.upper() not in ("DENY", "SAMEORIGIN"):
        problems.append(
            f"X-Frame-Options: DENY, for browsers older than frame-ancestors (got {frame!r})"
        )
    hsts = r.headers.get("Strict-Transport-Security")
    if https and (not hsts or "max-age=" not in hsts or "max-age=0" in hsts.replace(" ", "")):
        problems.append(f"Strict-Transport-Security with a max-age over HTTPS (got {hsts!r})")
    if not https and hsts:
        problems.append(f"no Strict-Transport-Security over plain HTTP (got {hsts!r})")
    return problems


def assert_headers(request, r, https=False):
    problems = header_problems(r, https)
    assert not problems, fact(
        request,
        r,
        f"the security headers on every response; missing or wrong: {'; '.join(problems)}. "
        "Set them in an after_request function (security.py)",
    )


@pytest.mark.task(4)
def test_headers_on_pages_json_and_errors(bare):
    """HTML pages, JSON responses and error responses all carry the security headers."""
    app = bare()
    client = app.test_client()
    for method, path, kwargs in [
        ("GET", "/login", {}),
        ("GET", "/api/invoices", {}),
        ("GET", "/no-such-page", {}),
        ("POST", "/api/invoices", {"data": "not json", "content_type": "text/plain"}),
        ("DELETE", "/health", {}),
    ]:
        assert_headers(f"{method} {path}", client.open(path, method=method, **kwargs))


@pytest.mark.task(4)
def test_headers_on_a_server_error(build, monkeypatch):
    """A 500 from an unhandled exception carries the security headers too."""
    app = build({**CSRF_OFF, "PROPAGATE_EXCEPTIONS": False})
    # The traceback Flask logs for the checker's own error is not news to the learner.
    monkeypatch.setattr(app.logger, "disabled", True)

    def checker_fails():
        raise RuntimeError("raised on purpose by the checker")

    app.add_url_rule("/checker-fails", "checker_fails", checker_fails)
    r = app.test_client().get("/checker-fails")
    assert r.status_code == 500, fact("GET /checker-fails (a view that raises)", r, "500")
    assert_headers("GET /checker-fails (a view that raises)", r)


@pytest.mark.task(4)
def test_hsts_only_over_https(build):
    """Strict-Transport-Security is sent over HTTPS and never over plain HTTP."""
    app = build(CSRF_OFF)
    client = app.test_client()
    r = client.get("/health", base_url="https://localhost")
    assert_headers("GET https://localhost/health", r, https=True)
    assert_headers("GET http://localhost/health", client.get("/health"))


@pytest.mark.task(4)
def test_production_needs_trusted_hosts(build, production, tmp_path):
    """Production refuses to start without TRUSTED_HOSTS, and then answers 400 to a Host not listed."""  # noqa: E501
    try:
        app = build(
            CONFIG="production",
            FLASK_SECRET_KEY=NEW_KEY,
            FLASK_SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "refused.sqlite"),
        )
    except AssertionError:
        raise
    except Exception as exc:  # a refusal is expected
        assert "TRUSTED_HOSTS" in str(exc), (
            f"create_app() in production without FLASK_TRUSTED_HOSTS raised "
            f"{type(exc).__name__}: {exc}, expected a message that names TRUSTED_HOSTS"
        )
    else:
        raise AssertionError(
            "create_app() in production with a real key and a database but no "
            f"FLASK_TRUSTED_HOSTS returned an app (TRUSTED_HOSTS {app.config.get('TRUSTED_HOSTS')!r}), "  # noqa: E501
            "expected an error naming TRUSTED_HOSTS: check it in check_production()"
        )
    client = production().test_client()
    r = client.get("/health", base_url=HTTPS)
    assert r.status_code == 200, fact(f"GET {HTTPS}/health", r, "200: the host is trusted")
    r = client.get("/health", base_url="https://evil.example")
    assert r.status_code == 400, fact(
        "GET https://evil.example/health (Host: evil.example)",
        r,
        f"400: TRUSTED_HOSTS is ['{HOST}']",
    )
    assert_headers("GET https://evil.example/health", r, https=True)


@pytest.mark.task(4)
def test_oversized_bodies_and_forms_get_413(bare):
    """A body over 1 MiB, a form field over 64 KiB or a form of over 50 parts gets 413."""
    app = bare()
    client = app.test_client()
    multipart = "multipart/form-data"
    field, parts = "MAX_FORM_MEMORY_SIZE = 64 * 1024", "MAX_FORM_PARTS = 50"
    # Each limit exactly, and one more: a limit of 65 KiB or 51 parts is another limit.
    cases = [
        ("a form field of 64 KiB + 1 byte", {"username": "a" * (64 * KIB + 1)}, 413, field),
        ("a form of 51 fields", {f"field{n}": "x" for n in range(51)}, 413, parts),
        ("a form field of exactly 64 KiB", {"username": "a" * 64 * KIB}, None, field),
        ("a form of exactly 50 fields", {f"field{n}": "x" for n in range(50)}, None, parts),
    ]
    for what, data, status, setting in cases:
        r = client.post("/login", data=data, content_type=multipart)
        request = f"POST /login, multipart with {what}"
        if status:
            assert r.status_code == 413, fact(request, r, f"413 ({setting} in Config)")
        else:
            assert r.status_code != 413, fact(request, r, f"not 413: the limit is {setting}")
    for size, status in ((KIB * KIB + 1, 413), (KIB * KIB, None)):
        text = '{"customer": "%s", "amount_cents": 1}'
        body = text % ("x" * (size - len(text % "")))
        r = client.post("/api/invoices", data=body, content_type="application/json")
        request = f"POST /api/invoices with a JSON body of {size} bytes"
        if status:
            assert r.status_code == 413, fact(request, r, "413 (MAX_CONTENT_LENGTH, lesson 4)")
        else:
            assert r.status_code != 413, fact(
                request, r, "not 413: the limit is MAX_CONTENT_LENGTH = 1024 * 1024"
            )


# --- What earlier lessons built still works (graded with Task 1) ----------------------------
# Lesson 7 starts from lesson 6's solution: these checks make sure the API, its errors, the
# logging, the request IDs, the settings and the audit log still do what lessons 2 to 6 taught
# while the dashboard, CSRF and the headers are added around them.

# TESTING propagates unhandled exceptions into the test; this lets them reach the 500 handler.
CATCH = {**MEMORY, "PROPAGATE_EXCEPTIONS": False}
PROPAGATE_HINT = 'create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False, ...})'
# What an unhandled database error says: none of it may reach a client.
LEAKS = ("Traceback", 'File "', "no such table", "OperationalError", "sqlite3", "SELECT ")
ANY_TRACE = ("Traceback", 'File "')
SECRET_CUSTOMER = "Zoë Secretcustomer"
SECRET_REASON = "ledger replica db-7 is down"
RID = "X-Request-ID"
GOOD_IDS = ("req-7f3a9c21", "0f8fad5b-d9cb-469f-a165-70867728950e")
# What a generated ID may look like: printable, no spaces, short enough for every log line.
ID_SHAPE = re.compile(r"[\x21-\x7e]{8,128}")
BAD_IDS = [
    ("a newline", "req-1\nERROR forged log line"),
    ("a trailing newline", "req-1\n"),
    ("10 KB", "x" * 10240),
    ("an empty value", ""),
    ("spaces", "req 1 <script>"),
]
LIBRARY_LOGGER = "checker.library"  # made before the learner's package is imported
# Outside a request the ID is "-": a dash on its own, not inside a date or a name.
LONE_DASH = re.compile(r"(?<![\w-])-(?![\w-])")
NO_ID = re.compile(r"\b(None|null)\b")
INFO = {"service": "invoicer", "version": "0.1.0"}
INIT_DB_MESSAGE = "Initialized the database."
KEY_COMMAND = 'python -c "import secrets; print(secrets.token_hex())"'
MAIL_FROM = "invoices@invoicer.example"
# created_at.isoformat() of an aware UTC datetime: a "T", and the offset +00:00.
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?\+00:00")
IN_NEPAL = datetime(2026, 1, 31, 15, 15, tzinfo=timezone(timedelta(hours=5, minutes=45)))
LENGTHS = {"customer": 200, "currency": 3, "status": 20}  # String(n) of lesson 3's model
WAIT = 5.0  # seconds at most for the background job of lesson 5 (it needs far less)
POLL = 0.02
DEFAULTS = {  # INVOICER_CONFIG -> settings its class gives (lesson 4)
    "development": {
        "SECRET_KEY": "dev",
        "SQLALCHEMY_DATABASE_URI": "sqlite:///invoicer.sqlite",
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "INVOICER_MAIL_FROM": MAIL_FROM,
    },
    "testing": {"SECRET_KEY": "dev", "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"},
}
INVALID = [
    ({"customer": "", "amount_cents": -5}, ["customer", "amount_cents"]),
    ({"customer": "Acme", "amount_cents": True}, ["amount_cents"]),
    ({"customer": "Acme", "amount_cents": 0}, ["amount_cents"]),
    ({"customer": "Acme", "amount_cents": 1250, "currency": "EURO"}, ["currency"]),
]


def dispose(app):
    """Close the app's connection pools so no database file stays open."""
    ext = app.extensions.get("sqlalchemy")
    if isinstance(ext, SQLAlchemy):
        with app.app_context():
            for engine in ext.engines.values():
                engine.dispose()


@pytest.fixture
def fresh_logging(load, monkeypatch):
    """fresh_logging() sets logging back to how a new process has it, imports the learner's
    package afresh and returns a build(test_config) function. Logging is restored afterwards.

    Called inside the check, not in a fixture: pytest adds its own capture handler to the root
    logger when the check starts, and Flask would count it as a handler already there.
    """
    root = logging.getLogger()
    level = root.level
    loggers = [
        v for v in logging.Logger.manager.loggerDict.values() if isinstance(v, logging.Logger)
    ]
    disabled = {logger: logger.disabled for logger in loggers}
    made = []

    def _start():
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        root.setLevel(logging.WARNING)
        forget_invoicer_loggers()
        for logger in disabled:
            logger.disabled = False
        logging.getLogger(LIBRARY_LOGGER)  # a library's logger, made at its import
        # A record no handler takes would go to stderr and show up as the learner's output.
        monkeypatch.setattr(logging, "lastResort", logging.NullHandler())
        package = load("invoicer")

        def _build(test_config):
            app = package.create_app(dict(test_config))
            assert isinstance(app, Flask), (
                f"create_app({test_config!r}) returned {app!r}, expected a Flask app"
            )
            made.append(app)
            return app

        return _build

    yield _start
    for app in made:
        dispose(app)
    for handler in root.handlers[:]:  # keep only pytest's own capture handlers
        if not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)
    root.setLevel(level)
    forget_invoicer_loggers()
    for logger, was_disabled in disabled.items():
        logger.disabled = was_disabled


def forget_invoicer_loggers():
    """Drop the loggers earlier checks' apps made, as if this process had never seen one."""
    names = logging.Logger.manager.loggerDict
    for name in [n for n in names if n.split(".")[0] == "invoicer"]:
        del names[name]


class ErrorStream:
    """A wsgi.errors stream that keeps each write: a log handler writes one record per call."""

    def __init__(self):
        self.writes = []

    def write(self, text):
        self.writes.append(text)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def records(self):
        return [text for text in self.writes if text.strip()]

    def shown(self):
        records = self.records()
        if not records:
            return "nothing"
        first = records[0].strip().splitlines()[0]
        more = f" (and {len(records) - 1} more)" if len(records) > 1 else ""
        return f"{len(records)} record(s), the first {first[:160]!r}{more}"


def send(app, method, path, stream=None, request_id=None, **kwargs):
    """One request through the test client; the server's error stream is `stream`."""
    environ = {}
    if request_id is not None:  # through the environ: the test client refuses a newline
        environ["HTTP_X_REQUEST_ID"] = request_id
    errors = stream if stream is not None else ErrorStream()
    # errors_stream, not environ_base: the test client sets wsgi.errors after environ_base.
    client = app.test_client()
    return client.open(path, method=method, environ_base=environ, errors_stream=errors, **kwargs)


def json_error(request, r, code, name, how=None):
    """Assert that `r` is lesson 6's JSON error body; return the body."""
    body = r.get_json(silent=True)
    expected = f'{code} with JSON {{"code": {code}, "name": "{name}", "description": "..."}}'
    assert r.status_code == code, fact(request, r, f"{expected} as in lesson 6")
    assert isinstance(body, dict), fact(
        request,
        r,
        f"{expected}: lesson 6's app-level handler for HTTPException (errors.py) answers JSON "
        "for paths under /api",
    )
    description = body.get("description")
    assert (
        body.get("code") == code
        and body.get("name") == name
        and isinstance(description, str)
        and description.strip()
    ), fact(
        request,
        r,
        f"{expected}: {how or 'taken from the exception (e.code, e.name, e.description)'}, "
        "as in lesson 6",
    )
    leaked = [marker for marker in ANY_TRACE if marker in r.get_data(as_text=True)]
    assert not leaked, fact(request, r, f"{expected} and no traceback text (found {leaked[0]!r})")
    return body


def with_tables(app):
    init_db(app)
    return app


def add_logging_route(app):
    """GET /checker-log logs one record from app.logger, a module's logger and a library's."""

    def checker_log():
        current_app.logger.info("checker-info-from-app-logger")
        logging.getLogger(current_app.name + ".checker").warning("checker-warning-from-module")
        logging.getLogger(LIBRARY_LOGGER).warning("checker-warning-from-library")
        return "logged"

    app.add_url_rule("/checker-log", "checker_log", checker_log)
    return app


LOGGED = {
    "checker-info-from-app-logger": "app.logger.info(...)",
    "checker-warning-from-module": "logging.getLogger('invoicer.checker').warning(...)",
    "checker-warning-from-library": f"logging.getLogger({LIBRARY_LOGGER!r}).warning(...)",
}


def fail_without_tables(app, stream=None, request_id=None):
    """GET /api/invoices before init-db: the database raises an error the view does not catch."""
    return send(app, "GET", "/api/invoices", stream, request_id)


def response_id(request, r):
    rid = r.headers.get(RID)
    assert rid, fact(
        request,
        r,
        f"an {RID} response header, as in lesson 6: set in an after_request hook from the ID "
        "the before_request hook put on g (it runs for error responses too)",
    )
    return rid


def created(app, body):
    """POST an invoice (the tables exist); returns its JSON after checking the 201."""
    request = f"POST /api/invoices {json.dumps(body, ensure_ascii=False)}"
    r = send(app, "POST", "/api/invoices", json=body)
    data = r.get_json(silent=True)
    assert r.status_code == 201 and isinstance(data, dict), fact(
        request, r, "201 with the new invoice as JSON, as in lesson 3"
    )
    return data


@pytest.mark.task(1)
def test_api_errors_are_still_json(build):
    """API errors (404, 405, a missing invoice, 413) are still lesson 6's JSON; other pages HTML."""
    app = with_tables(build(MEMORY))
    for method, path in (("GET", "/api/nope"), ("GET", "/api/invoices/abc")):
        json_error(f"{method} {path}", send(app, method, path), 404, "Not Found")
    for path in ("/nope", "/apidocs"):
        r = send(app, "GET", path)
        assert r.status_code == 404 and r.mimetype == "text/html", fact(
            f"GET {path}",
            r,
            "Flask's own HTML 404 page, as in lesson 6: outside /api the handler returns e",
        )
    r = send(app, "DELETE", "/api/invoices")
    json_error("DELETE /api/invoices", r, 405, "Method Not Allowed")
    allowed = {m.strip() for m in r.headers.get("Allow", "").split(",")}
    assert {"GET", "POST"} <= allowed, fact(
        "DELETE /api/invoices",
        r,
        f"an Allow header listing GET and POST (got {r.headers.get('Allow')!r}), as in lesson "
        "6: the JSON is built on e.get_response()",
    )
    for method, path in (("GET", "/api/invoices/999"), ("POST", "/api/invoices/999/send")):
        r = send(app, method, path)
        body = json_error(f"{method} {path}", r, 404, "Not Found")
        assert "999" in body["description"], fact(
            f"{method} {path}",
            r,
            'a description that names invoice 999, as in lesson 6: abort(404, description=f"'
            'invoice {invoice_id} not found")',
        )
    app = with_tables(build({**MEMORY, "MAX_CONTENT_LENGTH": 1024}))
    r = send(app, "POST", "/api/invoices", json={"customer": "A" * 4000, "amount_cents": 1250})
    json_error(
        "POST /api/invoices with a 4 kB body and MAX_CONTENT_LENGTH 1024",
        r,
        413,
        "Request Entity Too Large",
    )


@pytest.mark.task(1)
def test_server_errors_still_tell_nothing(build, fresh_logging):
    """A 500 is still a generic JSON 500, abort(500) is logged, and TESTING still propagates."""
    app = build(MEMORY)
    try:
        r = fail_without_tables(app)
    except Exception:  # what TESTING promises: the test sees the real error
        pass
    else:
        raise AssertionError(
            fact(
                'GET /api/invoices before init-db with create_app({"TESTING": True, ...})',
                r,
                "the database error raised into the test, as in lesson 6: the 500 handler is "
                "for InternalServerError, not Exception, and no config class sets "
                "PROPAGATE_EXCEPTIONS",
            )
        )
    build = fresh_logging()
    app = build(CATCH)

    def checker_abort_500():
        abort(500, description=SECRET_REASON)

    app.add_url_rule("/api/checker-abort-500", "checker_abort_500", checker_abort_500)
    body = {"customer": SECRET_CUSTOMER, "amount_cents": 1250}
    cases = [
        ("GET /api/invoices", fail_without_tables(app)),
        (f"POST /api/invoices {body}", send(app, "POST", "/api/invoices", json=body)),
    ]
    for what, r in cases:
        request = f"{what} before init-db (no tables), with {PROPAGATE_HINT}"
        json_error(request, r, 500, "Internal Server Error")
        text = r.get_data(as_text=True)
        leaked = [marker for marker in (*LEAKS, SECRET_CUSTOMER) if marker in text]
        assert not leaked, fact(
            request,
            r,
            f"a 500 body that says nothing about the cause (found {leaked[0]!r}), as in lesson "
            "6: the generic description of a new InternalServerError",
        )

    stream = ErrorStream()
    r = send(app, "GET", "/api/checker-abort-500", stream)
    request = (
        "GET /api/checker-abort-500, a view the checker adds that calls "
        f"abort(500, description={SECRET_REASON!r})"
    )
    json_error(request, r, 500, "Internal Server Error")
    assert SECRET_REASON not in r.get_data(as_text=True), fact(
        request, r, "the generic description of a new InternalServerError(), as in lesson 6"
    )
    assert any(SECRET_REASON in text for text in stream.records()), (
        f"{request} → 500, and the server's error stream got {stream.shown()}, expected a "
        "record with that description, as in lesson 6: the InternalServerError handler logs a "
        "500 whose e.original_exception is None"
    )


@pytest.mark.task(1)
def test_validation_errors_still_name_fields(build):
    """An invalid invoice still gets lesson 6's JSON 400 naming each bad field, and is not saved."""
    app = with_tables(build(MEMORY))
    for body, fields in INVALID:
        request = f"POST /api/invoices {json.dumps(body)}"
        r = send(app, "POST", "/api/invoices", json=body)
        answer = json_error(request, r, 400, "Bad Request", "ValidationError(problems)")
        named = answer.get("fields")
        named = named if isinstance(named, dict) else {}
        missing = [f for f in fields if not (isinstance(named.get(f), str) and named[f].strip())]
        assert not missing, fact(
            request,
            r,
            f'400 with the bad field(s) {fields} in "fields", each with what is wrong, as in '
            f"lesson 6 (missing here: {missing})",
        )
    for what, kwargs in [
        ("a JSON list [1, 2]", {"json": [1, 2]}),
        ("the text 'not json'", {"data": "not json", "content_type": "application/json"}),
        ("the text 'hello' as text/plain", {"data": "hello", "content_type": "text/plain"}),
    ]:
        request = f"POST /api/invoices with {what}"
        r = send(app, "POST", "/api/invoices", **kwargs)
        how = 'abort(400, description="the body must be a JSON object")'
        body = json_error(request, r, 400, "Bad Request", how)
        assert body["description"] != BadRequest.description, fact(
            request, r, f"a description that says what is wrong, as in lesson 6: {how}"
        )
    r = send(app, "POST", "/api/invoices", json={"customer": "Acme", "amount_cents": 1250})
    assert r.status_code == 201, fact("POST /api/invoices {'customer': 'Acme', ...}", r, "201")
    listed = send(app, "GET", "/api/invoices").get_json(silent=True) or {}
    customers = [invoice.get("customer") for invoice in listed.get("invoices", [])]
    assert customers == ["Acme"], (
        f"after {len(INVALID) + 3} invalid POSTs and one valid one, GET /api/invoices lists "
        f"customers {customers}, expected ['Acme'], as in lesson 6: raise before "
        "db.session.add()"
    )


def assert_logged_once(stream, request, where=""):
    for marker, call in LOGGED.items():
        count = sum(marker in text for text in stream.records())
        assert count == 1, (
            f"{request}: {call} in the view wrote {count} record(s) to the server's error "
            f"stream (wsgi.errors), expected exactly 1{where}, as in lesson 6. The stream got "
            f"{stream.shown()}. Logging is configured once, with dictConfig, before any app "
            "exists (log.py)"
        )


@pytest.mark.task(1)
def test_logging_is_still_configured_once(fresh_logging):
    """Records still go once to the WSGI error stream, after two apps too, with no Flask handler."""
    build = fresh_logging()
    first = add_logging_route(build(MEMORY))
    stream = ErrorStream()
    r = send(first, "GET", "/checker-log", stream)
    assert r.status_code == 200, fact("GET /checker-log (a view the checker adds)", r, "200")
    assert_logged_once(stream, "GET /checker-log")
    handlers = logging.getLogger(first.name).handlers
    assert flask.logging.default_handler not in handlers, (
        f"after a request, app.logger ({first.name!r}) has Flask's default_handler, expected "
        "none, as in lesson 6: logging is configured before create_app makes the app"
    )
    second = add_logging_route(build(MEMORY))
    for name, app in (("second", second), ("first", first)):
        stream = ErrorStream()
        send(app, "GET", "/checker-log", stream)
        where = ": calling create_app twice must not add a handler twice"
        assert_logged_once(stream, f"GET /checker-log on the {name} of two apps", where)
    app = build(CATCH)
    stream = ErrorStream()
    r = fail_without_tables(app, stream)
    logged = [text for text in stream.records() if "no such table" in text]
    assert r.status_code == 500 and len(logged) == 1, (
        f"GET /api/invoices before init-db ({PROPAGATE_HINT}) → {r.status_code}, and the "
        f"server's error stream got {len(logged)} record(s) with the exception (no such "
        "table: invoice), expected a 500 and exactly 1, as in lesson 6: Flask logs it; the "
        "500 handler logs only when e.original_exception is None"
    )


@pytest.mark.task(1)
def test_request_ids_still_work(fresh_logging, capsys):
    """X-Request-ID is still echoed when well formed, else made anew, and in every log line."""
    build = fresh_logging()
    first, second = add_logging_route(build(CATCH)), build(MEMORY)
    seen = []
    for app, path in ((first, "/health"), (first, "/api/nope"), (second, "/health")):
        r = send(app, "GET", path)
        rid = response_id(f"GET {path}", r)
        assert ID_SHAPE.fullmatch(rid), fact(
            f"GET {path}",
            r,
            f"an {RID} of 8 to 128 printable characters without spaces (got {rid[:60]!r}), "
            "as in lesson 6",
        )
        seen.append(rid)
    assert len(set(seen)) == len(seen), (
        f"three requests without {RID} got the IDs {seen}, expected three different ones "
        "(uuid.uuid4()), as in lesson 6"
    )
    for rid in GOOD_IDS:
        for path in ("/health", "/api/nope"):
            r = send(first, "GET", path, request_id=rid)
            assert r.headers.get(RID) == rid, fact(
                f"GET {path} with {RID}: {rid}", r, f"the same {RID} back, as in lesson 6"
            )
    for what, bad in BAD_IDS:
        stream = ErrorStream()
        request = f"GET /checker-log with an {RID} of {what} ({bad[:30]!r})"
        r = send(first, "GET", "/checker-log", stream, request_id=bad)
        rid = r.headers.get(RID)
        assert rid and rid != bad and ID_SHAPE.fullmatch(rid), fact(
            request,
            r,
            f"a new, well-formed {RID} instead (got {(rid or '')[:40]!r}), as in lesson 6: "
            "re.fullmatch(r'[A-Za-z0-9._:-]{1,128}', value)",
        )
        logged = [t for t in stream.records() if bad.strip() and bad.strip()[:40] in t]
        assert not logged, (
            f"{request}: the server's error stream got {logged[0][:120] if logged else ''!r}, "
            "expected the rejected value never to reach a log line, as in lesson 6"
        )
    for sent in (GOOD_IDS[0], None):
        stream = ErrorStream()
        request = f"GET /checker-log with {RID}: {sent}" if sent else "GET /checker-log"
        rid = response_id(request, send(first, "GET", "/checker-log", stream, request_id=sent))
        for marker, call in LOGGED.items():
            records = [t for t in stream.records() if marker in t]
            assert records and all(rid in t for t in records), (
                f"{request} → {RID} {rid!r}, and the record {call} wrote is "
                f"{records[0].strip()[:160] if records else 'missing'!r}, expected it to "
                "contain the ID, as in lesson 6: a filter on the handler and %(request_id)s"
            )
    stream, rid = ErrorStream(), "req-failing-500"
    request = f"GET /api/invoices before init-db with {RID}: {rid}"
    r = fail_without_tables(first, stream, request_id=rid)
    body = r.get_json(silent=True)
    logged = [t for t in stream.records() if rid in t and "no such table" in t]
    assert isinstance(body, dict) and body.get("request_id") == rid and logged, fact(
        request,
        r,
        f'500 with "request_id": "{rid}" in the JSON body, and a log record with that ID and '
        f"the exception (the stream got {stream.shown()}), as in lesson 6",
    )
    for sent in (None, "req 1\nERROR forged"):
        r = send(first, "GET", "/api/nope", request_id=sent)
        rid, body = response_id("GET /api/nope", r), r.get_json(silent=True)
        got = body.get("request_id") if isinstance(body, dict) else None
        assert got == rid, fact(
            f"GET /api/nope with {'a malformed' if sent else 'no'} {RID}",
            r,
            f'a JSON 404 whose "request_id" is the response header\'s {rid!r}, as in lesson 6: '
            "request_id.current(), the ID kept on g",
        )
    capsys.readouterr()
    first.logger.warning("checker-outside-any-context")
    err = capsys.readouterr().err
    line = next((line for line in err.splitlines() if "checker-outside" in line), "")
    assert line and LONE_DASH.search(line) and not NO_ID.search(line), (
        f"app.logger.warning('checker-outside-any-context') outside a request wrote "
        f"{err.strip()[:200]!r} to stderr, expected the record with '-' for the request ID, "
        "as in lesson 6"
    )


@pytest.mark.task(1)
def test_pages_still_answer(build, instance_path):
    """The instance folder is still created, and /, /health and /api/info answer as before."""
    app = build(MEMORY)
    assert instance_path.is_dir(), (
        "after create_app(...) the instance folder does not exist, expected create_app to "
        "create it as in lesson 2: os.makedirs(app.instance_path, exist_ok=True)"
    )
    audit_file = str(instance_path / "audit.sqlite")
    assert app.config.get("AUDIT_DATABASE") == audit_file, (
        f"create_app() without AUDIT_DATABASE sets it to {app.config.get('AUDIT_DATABASE')!r}, "
        f"expected {audit_file!r}: audit.sqlite in the instance folder, as in lesson 5"
    )
    for path, expected, why in [
        ("/", "Hello, Invoicer!", "200 'Hello, Invoicer!' as in lesson 2"),
        ("/health", {"status": "ok"}, '200 with {"status": "ok"} as in lesson 2'),
        ("/api/info", INFO, f"200 with {json.dumps(INFO)} as in lesson 3"),
    ]:
        r = send(app, "GET", path)
        got = r.get_data(as_text=True) if isinstance(expected, str) else r.get_json(silent=True)
        assert r.status_code == 200 and got == expected, fact(f"GET {path}", r, why)


@pytest.mark.task(1)
def test_settings_still_come_in_layers(build, invoicer, instance_path, monkeypatch):
    """Config class, instance config.py, FLASK_* variables and test_config still apply in order."""
    for name, expected in DEFAULTS.items():
        app = build({}, CONFIG=name)
        got = {key: app.config.get(key) for key in expected}
        assert got == expected, (
            f"create_app({{}}) with INVOICER_CONFIG={name} has the settings {got}, expected "
            f"{expected} from the {name} class, as in lesson 4"
        )
    instance_path.mkdir(parents=True, exist_ok=True)
    (instance_path / "config.py").write_text('INVOICER_MAIL_FROM = "instance@invoicer.example"\n')
    app = build({"SECRET_KEY": "from-test-config"}, FLASK_MAX_CONTENT_LENGTH="2048")
    keys = ("INVOICER_MAIL_FROM", "MAX_CONTENT_LENGTH", "SECRET_KEY")
    got = {key: app.config.get(key) for key in keys}
    expected = dict(zip(keys, ("instance@invoicer.example", 2048, "from-test-config"), strict=True))
    assert got == expected, (
        "create_app({'SECRET_KEY': 'from-test-config'}) with an instance config.py that sets "
        f"INVOICER_MAIL_FROM and FLASK_MAX_CONTENT_LENGTH=2048 has {got}, expected {expected}: "
        "from_object, then from_pyfile('config.py', silent=True), then from_prefixed_env(), "
        "then the test_config, as in lesson 4"
    )
    monkeypatch.setenv(NAME_VARIABLE, "staging")
    try:
        app = invoicer.create_app({})
    except RuntimeError as exc:
        named = "development, testing, production" in str(exc)
        assert named and "staging" in str(exc), (
            f"INVOICER_CONFIG=staging → RuntimeError {str(exc)[:160]!r}, expected it to name "
            "'staging' and the known names development, testing, production, as in lesson 4"
        )
    else:
        dispose(app)
        raise AssertionError(
            "create_app() with INVOICER_CONFIG=staging made an app, expected a RuntimeError "
            "naming the known configurations, as in lesson 4"
        )


@pytest.mark.task(1)
def test_production_still_refuses_bad_settings(invoicer, monkeypatch, tmp_path):
    """Production still refuses a missing, development or non-text key, and no database."""
    database = "sqlite:///" + str(tmp_path / "production.sqlite")
    monkeypatch.setenv(NAME_VARIABLE, "production")
    monkeypatch.setenv("FLASK_TRUSTED_HOSTS", f'["{HOST}"]')
    with_database = {"FLASK_SQLALCHEMY_DATABASE_URI": database}
    cases = [
        ("no FLASK_SECRET_KEY", with_database, KEY_COMMAND),
        ("FLASK_SECRET_KEY=dev", {**with_database, "FLASK_SECRET_KEY": "dev"}, KEY_COMMAND),
        (
            "FLASK_SECRET_KEY=123456 (an int once parsed)",
            {**with_database, "FLASK_SECRET_KEY": "123456"},
            "int",
        ),
        ("no database URL", {"FLASK_SECRET_KEY": NEW_KEY}, "FLASK_SQLALCHEMY_DATABASE_URI"),
    ]
    for what, environment, says in cases:
        with monkeypatch.context() as env:
            for variable, value in environment.items():
                env.setenv(variable, value)
            try:
                app = invoicer.create_app({})
            except RuntimeError as exc:
                assert says in str(exc), (
                    f"INVOICER_CONFIG=production with {what} → RuntimeError "
                    f"{str(exc)[:200]!r}, expected it to say {says!r}, as in lesson 4"
                )
                continue
            dispose(app)
            raise AssertionError(
                f"create_app() with INVOICER_CONFIG=production and {what} made an app, expected "
                "a RuntimeError: check_production(app.config) after every layer, as in lesson 4"
            )


@pytest.mark.task(1)
def test_invoices_still_work_as_in_lesson_3(build):
    """Invoices are still created (201, Location), read, listed newest first, as UTF-8 JSON."""
    app = build(MEMORY)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert INIT_DB_MESSAGE in result.output, (
        f"flask init-db printed {result.output.strip()!r}, expected {INIT_DB_MESSAGE!r} as in "
        "lesson 3"
    )
    first = created(app, {"customer": "Zoë", "amount_cents": 1, "currency": "usd"})
    expected = {"customer": "Zoë", "amount_cents": 1, "currency": "USD", "status": "draft"}
    keys = ["id", "customer", "amount_cents", "currency", "status", "created_at"]
    got = {key: first.get(key) for key in expected}
    assert list(first) == keys and got == expected, (
        f"POST /api/invoices {{'customer': 'Zoë', 'amount_cents': 1, 'currency': 'usd'}} "
        f"→ 201 {first}, expected the keys {keys} in that order with {expected}, as in "
        "lessons 3 and 4 (app.json.sort_keys = False)"
    )
    stamp = first.get("created_at")
    assert isinstance(stamp, str) and ISO_UTC.fullmatch(stamp), (
        f"a new invoice has created_at {stamp!r}, expected ISO 8601 in UTC such as "
        "'2026-01-31T09:30:00.123456+00:00', as in lesson 3"
    )
    path = f"/api/invoices/{first['id']}"
    r = send(app, "POST", "/api/invoices", json={"customer": "Acme", "amount_cents": 1250})
    second = r.get_json(silent=True) or {}
    assert r.headers.get("Location", "").endswith(f"/api/invoices/{second.get('id')}"), fact(
        "POST /api/invoices", r, "201 with a Location header naming the new invoice, as in lesson 3"
    )
    r = send(app, "GET", path)
    assert r.status_code == 200 and r.get_json(silent=True) == first, fact(
        f"GET {path}", r, f"200 with {json.dumps(first, ensure_ascii=False)}"
    )
    assert "Zoë".encode() in r.get_data(), fact(
        f"GET {path}",
        r,
        "the customer written as UTF-8 'Zoë', not '\\u00eb' "
        "(app.json.ensure_ascii = False, as in lesson 4)",
    )
    r = send(app, "GET", "/api/invoices")
    assert r.get_json(silent=True) == {"invoices": [second, first]}, fact(
        "GET /api/invoices after two invoices", r, "both, the newest first, as in lesson 3"
    )


def saved_invoice(app, **fields):
    """Save Invoice(**fields) and read it back in a new app context: its to_dict(), or the
    exception the commit raised."""
    db, model = app.extensions["sqlalchemy"], importlib.import_module("invoicer.models").Invoice
    with app.app_context():
        invoice = model(**fields)
        db.session.add(invoice)
        try:
            db.session.commit()
        except Exception as exc:  # the database or the column type refused the row
            db.session.rollback()
            return exc
        invoice_id = invoice.id
    with app.app_context():
        return db.session.get(model, invoice_id).to_dict()


@pytest.mark.task(1)
def test_invoice_model_still_as_in_lesson_3(fresh_logging):
    """The Invoice model keeps lesson 3's base, table, columns, defaults, check and UTC type."""
    build = fresh_logging()  # a fresh import: SQLAlchemy warns about a column type only once
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SAWarning)
        app = with_tables(build(MEMORY))
        saved = saved_invoice(app, customer="Acme", amount_cents=1250, created_at=IN_NEPAL)
        model = importlib.import_module("invoicer.models").Invoice
        with app.app_context():  # a query with a created_at value: where SQLAlchemy warns
            query = sa.select(model).where(model.created_at <= datetime.now(UTC))
            app.extensions["sqlalchemy"].session.scalars(query).all()
    table = model.__table__
    got = {
        "built on Base": issubclass(model, DeclarativeBase),
        "table": table.name,
        **{f"{name} length": table.c[name].type.length for name in LENGTHS},
    }
    expected = {
        "built on Base": True,
        "table": "invoice",
        **{f"{n} length": v for n, v in LENGTHS.items()},
    }
    assert got == expected, (
        f"the Invoice model has {got}, expected {expected}: db = SQLAlchemy(model_class=Base), "
        "__tablename__ and the String lengths of lesson 3's models.py"
    )
    expected = {"currency": "EUR", "status": "draft", "created_at": "2026-01-31T09:30:00+00:00"}
    got = {key: saved.get(key) for key in expected} if isinstance(saved, dict) else saved
    assert got == expected, (
        f"Invoice(customer='Acme', amount_cents=1250, created_at={IN_NEPAL.isoformat()!r}) "
        f"saved and read back gives {got}, expected {expected}: the column defaults and "
        "UTCDateTime of lesson 3"
    )
    warned = [w for w in caught if issubclass(w.category, SAWarning)]
    assert not warned, (
        f"SQLAlchemy warned: {str(warned[0].message).split('.')[0]}, expected no warning: "
        "UTCDateTime keeps cache_ok = True, as in lesson 3"
    )
    for fields, says in (
        ({"amount_cents": 0}, "CHECK constraint"),
        ({"amount_cents": 1250, "created_at": datetime(2026, 1, 1)}, "naive"),
    ):
        refused = saved_invoice(app, customer="Acme", **fields)
        assert isinstance(refused, Exception) and says in str(refused), (
            f"saving Invoice(customer='Acme', {fields}) gave {str(refused)[:160]!r}, expected "
            f"an error that says {says!r}: lesson 3's CheckConstraint('amount_cents > 0') and "
            "UTCDateTime refusing naive datetimes"
        )
    column_type = table.c["created_at"].type
    dialect = postgresql.dialect()
    read_back = column_type.process_result_value(IN_NEPAL, dialect)
    column = column_type.compile(dialect=dialect)
    assert "WITH TIME ZONE" in column and read_back == IN_NEPAL and read_back.tzinfo == UTC, (
        f"on PostgreSQL created_at is a {column} column and an aware value reads back as "
        f"{read_back!r}, expected TIMESTAMP WITH TIME ZONE and the same instant in UTC: "
        "impl = DateTime(timezone=True) and value.astimezone(UTC), as in lesson 3"
    )


@pytest.mark.task(1)
@pytest.mark.local_only("threads")
def test_audit_and_sending_still_work(build, monkeypatch, tmp_path):
    """The audit log, flask audit-report and the background sending of lesson 5 still work."""
    # A file, not sqlite://: threads share the one in-memory connection, so the request's
    # teardown could roll back the job's unfinished UPDATE.
    invoices = "sqlite:///" + str(tmp_path / "sending.sqlite")
    app = with_tables(build({**MEMORY, "SQLALCHEMY_DATABASE_URI": invoices}))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit-report"])
    assert result.exit_code == 0 and "The audit log is empty." in result.output, (
        f"flask audit-report on a new app → exit code {result.exit_code}, "
        f"{result.output.strip()[:120]!r}, expected 'The audit log is empty.' as in lesson 5"
    )
    invoice = created(app, {"customer": "Acme", "amount_cents": 1250})
    threads = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda t: (threads.append(t), start(t))[1])
    path = f"/api/invoices/{invoice['id']}/send"
    r = send(app, "POST", path)
    expected = {"id": invoice["id"], "status": "sending"}
    assert r.status_code == 202 and r.get_json(silent=True) == expected, fact(
        f"POST {path}", r, f"202 with {json.dumps(expected)} as in lesson 5"
    )
    assert threads and all(t.daemon for t in threads), (
        f"POST {path} started {len(threads)} thread(s), expected one daemon thread "
        "(threading.Thread(..., daemon=True)) as in lesson 5"
    )
    deadline = time.monotonic() + WAIT
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        time.sleep(POLL)
    status = send(app, "GET", f"/api/invoices/{invoice['id']}").get_json(silent=True) or {}
    events = (send(app, "GET", "/api/audit").get_json(silent=True) or {}).get("events")
    expected_events = [
        {"id": 1, "event": "created", "invoice_id": invoice["id"], "detail": None},
        {"id": 2, "event": "sent", "invoice_id": invoice["id"], "detail": MAIL_FROM},
    ]
    assert status.get("status") == "sent" and events == expected_events, (
        f"after POST {path} and its job, the invoice's status is {status.get('status')!r} and "
        f"GET /api/audit lists {events}, expected 'sent' and {expected_events}, as in lesson 5"
    )
    result = runner.invoke(args=["audit-report"])
    lines = [
        f"#1 created invoice {invoice['id']}",
        f"#2 sent invoice {invoice['id']} ({MAIL_FROM})",
    ]
    assert result.output.splitlines() == lines, (
        f"flask audit-report printed {result.output.strip()[:200]!r}, expected the lines "
        f"{lines}, as in lesson 5"
    )


@pytest.mark.task(1)
def test_audit_connection_still_opened_once_and_closed(build):
    """get_audit_db() still opens one connection per app context and teardown closes it."""
    app = build(MEMORY)
    audit = importlib.import_module("invoicer.audit")
    with app.app_context():
        first, second = audit.get_audit_db(), audit.get_audit_db()
        assert first is second, (
            "get_audit_db() called twice in one app context returned two connections, "
            "expected the same one, kept on g, as in lesson 5"
        )
    try:
        first.execute("SELECT 1")
    except sqlite3.ProgrammingError:  # closed, as it should be
        return
    raise AssertionError(
        "after `with app.app_context():` ended, the connection get_audit_db() opened in it is "
        "still open, expected teardown_appcontext to close it, as in lesson 5"
    )
