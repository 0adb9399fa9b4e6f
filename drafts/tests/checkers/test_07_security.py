"""Checks for lesson 7, Security (lessons/07_security/invoicer/)."""

import hashlib
import os
import shutil
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from itsdangerous import URLSafeTimedSerializer

from flasklings.checks import fact

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
        assert isinstance(app, Flask), (
            f"create_app({test_config!r}) returned {app!r}, expected a Flask app"
        )
        made.append(app)
        return app

    yield _build
    for app in made:  # close the connection pools so no file stays open
        ext = app.extensions.get("sqlalchemy")
        if isinstance(ext, SQLAlchemy):
            with app.app_context():
                for engine in ext.engines.values():
                    engine.dispose()


_TEMPLATES = {}  # lesson folder -> (database with alice and bob, or None; why not)


@pytest.fixture
def users_database(build, lesson_dir, tmp_path_factory):
    """A database made by the learner's `flask init-db` and `flask create-user` for alice and
    bob (same password), made once per run: hashing a password takes a tenth of a second."""
    if lesson_dir not in _TEMPLATES:
        path = tmp_path_factory.mktemp("users") / "invoicer.sqlite"
        app = build({**CSRF_OFF, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(path)})
        try:
            init_db(app)
            create_user(app, "alice")
            create_user(app, "bob")
            _TEMPLATES[lesson_dir] = (path, None)
        except AssertionError as exc:
            _TEMPLATES[lesson_dir] = (None, str(exc))
    path, error = _TEMPLATES[lesson_dir]
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
    for evil in OFF_SITE:
        client = app.test_client()
        done, r = log_in(client, next=evil)
        target = browser_target(r.headers.get("Location", ""), HTTP)
        assert target.hostname in (None, "localhost") and target.scheme in ("", "http"), fact(
            f"{done} (form from /login?next={evil!r})",
            r,
            "a redirect that stays on this site (the dashboard): accept next only when it is "
            "a plain path, starting with one /, with no scheme, no host and no tab or newline",
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
    """A login session is permanent and lasts at most a day (PERMANENT_SESSION_LIFETIME)."""
    app = site()
    lifetime = app.permanent_session_lifetime
    assert 0 < lifetime.total_seconds() <= 24 * 3600, (
        f"create_app() gave PERMANENT_SESSION_LIFETIME {lifetime}, expected at most one day "
        "(Flask's default is 31 days): PERMANENT_SESSION_LIFETIME = timedelta(hours=8) in Config"
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
    if "default-src" not in csp:
        problems.append(f"Content-Security-Policy with default-src (got {csp!r})")
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
    frame = r.headers.get("X-Frame-Options", "").upper()
    if frame not in ("DENY", "SAMEORIGIN") and "frame-ancestors" not in csp:
        problems.append("X-Frame-Options: DENY (or frame-ancestors in the policy)")
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
    cases = [
        (
            "a form field of 100 KiB",
            {"username": "a" * 100 * KIB},
            413,
            "MAX_FORM_MEMORY_SIZE = 64 * 1024",
        ),
        (
            "a form of 100 fields",
            {f"field{n}": "x" for n in range(100)},
            413,
            "MAX_FORM_PARTS = 50",
        ),
        (
            "a form field of 4 KiB",
            {"username": "a" * 4 * KIB},
            None,
            "64 KiB per field is the limit",
        ),
        (
            "a form of 10 fields",
            {f"field{n}": "x" for n in range(10)},
            None,
            "50 fields is the limit",
        ),
    ]
    for what, data, status, setting in cases:
        r = client.post("/login", data=data, content_type=multipart)
        request = f"POST /login, multipart with {what}"
        if status:
            assert r.status_code == 413, fact(request, r, f"413 ({setting} in Config)")
        else:
            assert r.status_code != 413, fact(request, r, f"not 413: {setting}")
    body = {"customer": "x" * 2 * KIB * KIB, "amount_cents": 1}
    r = client.post("/api/invoices", json=body)
    assert r.status_code == 413, fact(
        "POST /api/invoices with a 2 MiB JSON body", r, "413 (MAX_CONTENT_LENGTH, lesson 4)"
    )
