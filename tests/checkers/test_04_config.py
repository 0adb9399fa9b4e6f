"""Checks for lesson 4, Configuration (lessons/04_config/invoicer/)."""

import importlib
import json
import os
import re
import secrets
import sys
import warnings
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import flask.cli
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import SAWarning

from flasklings import learner
from flasklings.checks import fact

NAME_VARIABLE = "INVOICER_CONFIG"
ONE_MIB = 1024 * 1024
KEY_COMMAND = 'python -c "import secrets; print(secrets.token_hex())"'
MEMORY = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
DEFAULT_REFUSAL = (
    "production must refuse to start (call check_production(app.config) when "
    "INVOICER_CONFIG is production, after every layer is loaded)"
)
INVOICE_KEYS = ["id", "customer", "amount_cents", "currency", "status", "created_at"]
INIT_DB_MESSAGE = "Initialized the database."
INFO = {"service": "invoicer", "version": "0.1.0"}
# created_at.isoformat() of an aware UTC datetime: a "T", and the offset +00:00.
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?\+00:00")
NAMES = ("development", "testing", "production")


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
def made_apps():
    """The apps a check builds; their connection pools are closed afterwards."""
    apps = []
    yield apps
    for app in apps:  # close the connection pools so no file stays open
        ext = app.extensions.get("sqlalchemy")
        if isinstance(ext, SQLAlchemy):
            with app.app_context():
                for engine in ext.engines.values():
                    engine.dispose()


def builder(package, monkeypatch, made_apps):
    """build(test_config, CONFIG=name, FLASK_X=value, ...) sets those environment variables,
    calls package.create_app(test_config) and returns the app."""

    def _build(test_config=None, **environment):
        for variable, value in environment.items():
            name = NAME_VARIABLE if variable == "CONFIG" else variable
            monkeypatch.setenv(name, value)
        app = package.create_app(test_config)
        assert isinstance(app, Flask), (
            f"create_app({test_config!r}) returned {app!r}, expected a Flask app"
        )
        made_apps.append(app)
        return app

    return _build


@pytest.fixture
def build(invoicer, monkeypatch, made_apps):
    """build(...) as `builder` describes, with the package imported once for all checks."""
    return builder(invoicer, monkeypatch, made_apps)


@pytest.fixture
def import_with(load, monkeypatch, made_apps):
    """import_with(FLASK_X=value, ...) imports invoicer afresh while those variables are set,
    unsets them again and returns a build function (see `builder`) for that import: what a
    class body read at import then shows in every app."""

    def _import(**environment):
        for variable, value in environment.items():
            monkeypatch.setenv(variable, value)
        package = load("invoicer")
        for variable in environment:
            monkeypatch.delenv(variable)
        return builder(package, monkeypatch, made_apps)

    return _import


def described(test_config, environment):
    """create_app(...) with these variables, in words, for messages."""
    shown = " ".join(
        f"{NAME_VARIABLE if k == 'CONFIG' else k}={shown_value(k, v)}"
        for k, v in environment.items()
    )
    call = "create_app()" if test_config is None else f"create_app({test_config!r})"
    return f"{call} with {shown}" if shown else f"{call} with no FLASK_* variables"


def refusal(build, test_config=None, expected=None, **environment):
    """The exception create_app raises for these settings, or fail if it builds an app."""
    try:
        app = build(test_config, **environment)
    except AssertionError:
        raise
    except Exception as exc:  # any clear error is a refusal
        return exc
    raise AssertionError(
        f"{described(test_config, environment)} returned an app "
        f"(SECRET_KEY {shown_key(app.config.get('SECRET_KEY'))}), expected create_app to "
        f"raise an error: {expected or DEFAULT_REFUSAL}"
    )


def shown_value(variable, value):
    """A variable's value for a message: keys cut short, temporary paths left out."""
    if variable.endswith("SECRET_KEY"):
        return shown_key(value)
    if value.startswith("sqlite:////"):
        return repr("sqlite:///…/" + value.rsplit("/", 1)[-1])
    return repr(value)


def shown_key(key):
    if isinstance(key, str) and len(key) > 12:
        return repr(key[:6] + "…")
    return repr(key)


def database_file(app):
    """The database the app's engine uses: a path, or None for an in-memory database."""
    ext = app.extensions.get("sqlalchemy")
    assert isinstance(ext, SQLAlchemy), (
        f"app.extensions has no 'sqlalchemy' entry (keys: {sorted(app.extensions)}), expected "
        "create_app() to keep calling db.init_app(app) after loading the settings"
    )
    with app.app_context():
        return ext.engine.url.database or None


def write_instance_config(instance_path, text):
    instance_path.mkdir(exist_ok=True)
    (instance_path / "config.py").write_text(text, encoding="utf-8")


def purge_invoicer():
    """Forget every imported invoicer module, so that Flask's CLI imports it by path."""
    for name in list(sys.modules):
        if name == "invoicer" or name.startswith("invoicer."):
            del sys.modules[name]


def production_database(tmp_path):
    return "sqlite:///" + str(tmp_path / "production.sqlite")


def settings_named(name, tmp_path):
    """The environment that selects config `name`; for production, a real key and a URL too."""
    if name != "production":
        return {"CONFIG": name}
    return {
        "CONFIG": name,
        "FLASK_SECRET_KEY": secrets.token_hex(),
        "FLASK_SQLALCHEMY_DATABASE_URI": production_database(tmp_path),
    }


def session_write_problem(app):
    """Why a session write fails in this app (no SECRET_KEY, a key of the wrong type), or None."""
    try:
        with app.test_client().session_transaction() as session:
            session["seen"] = True
    except Exception as exc:  # any failure is the learner's to see
        return f"{type(exc).__name__}: {exc}"
    return None


def location_path(location):
    """The path of a Location header; an absolute URL to this test host counts as its path."""
    parts = urlsplit(location or "")
    if parts.netloc in ("", "localhost") and parts.scheme in ("", "http"):
        return parts.path
    return location


def rejected(client, description, **request_args):
    """Fail unless POST /api/invoices with these arguments answers 400 {"error": "..."}."""
    expected = '400 with JSON {"error": "<what is wrong>"} as in lesson 3'
    try:
        r = client.post("/api/invoices", **request_args)
    except Exception as exc:  # TESTING lets the view's exception through: show it plainly
        raise AssertionError(
            f"POST /api/invoices {description} raised {type(exc).__name__}: {exc}, expected "
            f"{expected}"
        ) from None
    data = r.get_json(silent=True)
    error = data.get("error") if isinstance(data, dict) else None
    assert r.status_code == 400 and isinstance(error, str) and error.strip(), fact(
        f"POST /api/invoices {description}", r, expected
    )


def invoice_class():
    models = sys.modules.get("invoicer.models") or importlib.import_module("invoicer.models")
    model = getattr(models, "Invoice", None)
    assert model is not None, (
        "invoicer/models.py has no Invoice, expected the model from lesson 3 there"
    )
    return model


def saved_invoice(app, **fields):
    """Save Invoice(**fields) and read it back in a new app context: (to_dict(), None), or
    (None, the error the commit raised)."""
    db, model = app.extensions["sqlalchemy"], invoice_class()
    with app.app_context():
        invoice = model(**fields)
        db.session.add(invoice)
        try:
            db.session.commit()
        except Exception as exc:  # the database or the column type refused the row
            db.session.rollback()
            return None, exc
        invoice_id = invoice.id
    with app.app_context():
        return db.session.get(model, invoice_id).to_dict(), None


def new_invoice(app, **fields):
    """POST an invoice to a fresh in-memory app; returns (request text, response)."""
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, (
        f"flask init-db → exit code {result.exit_code}, {result.output.strip()!r}, expected 0 "
        "as in lesson 3"
    )
    body = {"customer": "Acme", "amount_cents": 1250, **fields}
    request = f"POST /api/invoices {json.dumps(body, ensure_ascii=False)}"
    response = app.test_client().post("/api/invoices", json=body)
    assert response.status_code == 201, fact(request, response, "201 as in lesson 3")
    return request, response


# --- Task 1: Config classes chosen by name --------------------------------------------------


@pytest.mark.task(1)
def test_development_is_the_default(build, instance_path):
    """Without INVOICER_CONFIG, create_app() uses the development settings."""
    app = build()
    config = app.config
    got = {key: config.get(key) for key in ("SECRET_KEY", "TESTING", "MAX_CONTENT_LENGTH")}
    expected = {"SECRET_KEY": "dev", "TESTING": False, "MAX_CONTENT_LENGTH": ONE_MIB}
    assert got == expected, (
        f"create_app() with no {NAME_VARIABLE} gave {got}, expected {expected}: the "
        "DevelopmentConfig class (and MAX_CONTENT_LENGTH = 1024 * 1024 in the base Config)"
    )
    database = database_file(app)
    assert database == str(instance_path / "invoicer.sqlite"), (
        f"create_app() with no {NAME_VARIABLE} uses the database {database!r}, expected the "
        'file invoicer.sqlite in the instance folder ("sqlite:///invoicer.sqlite")'
    )


@pytest.mark.task(1)
def test_testing_config_by_name(build):
    """INVOICER_CONFIG=testing selects TESTING = True and an in-memory database."""
    app = build(CONFIG="testing")
    got = {key: app.config.get(key) for key in ("TESTING", "MAX_CONTENT_LENGTH")}
    expected = {"TESTING": True, "MAX_CONTENT_LENGTH": ONE_MIB}
    assert got == expected, (
        f"create_app() with {NAME_VARIABLE}=testing gave {got}, expected {expected}: pick the "
        f"class by the name in os.environ[{NAME_VARIABLE!r}] (TestingConfig)"
    )
    database = database_file(app)
    assert database in (None, ":memory:"), (
        f"create_app() with {NAME_VARIABLE}=testing uses the database {database!r}, expected "
        'an in-memory one: SQLALCHEMY_DATABASE_URI = "sqlite://" in TestingConfig'
    )
    problem = session_write_problem(app)
    assert problem is None, (
        f"create_app() with {NAME_VARIABLE}=testing has SECRET_KEY "
        f"{shown_key(app.config.get('SECRET_KEY'))}, and writing to the session raised "
        f"{problem}, expected the write to work: TestingConfig(DevelopmentConfig) keeps the "
        "development key, so tests can log in"
    )


@pytest.mark.task(1)
def test_unknown_config_name_is_refused(build):
    """An unknown INVOICER_CONFIG (a typo) makes create_app raise an error that names it."""
    try:
        app = build(CONFIG="staging")
    except AssertionError:
        raise
    except Exception as exc:  # any clear error will do
        assert "staging" in str(exc), (
            f"create_app() with {NAME_VARIABLE}=staging raised {type(exc).__name__}: {exc}, "
            "expected an error message that names 'staging' and the valid choices"
        )
        return
    raise AssertionError(
        f"create_app() with {NAME_VARIABLE}=staging returned an app (SECRET_KEY "
        f"{shown_key(app.config.get('SECRET_KEY'))}), expected an error naming 'staging': a "
        "typo must not quietly start the development settings"
    )


@pytest.mark.task(1)
def test_instance_config_overrides_the_class(build, instance_path):
    """instance/config.py overrides the class's settings."""
    write_instance_config(instance_path, 'SECRET_KEY = "from-instance"\nMAX_CONTENT_LENGTH = 10\n')
    app = build()
    got = {key: app.config.get(key) for key in ("SECRET_KEY", "MAX_CONTENT_LENGTH")}
    expected = {"SECRET_KEY": "from-instance", "MAX_CONTENT_LENGTH": 10}
    assert got == expected, (
        f"with SECRET_KEY and MAX_CONTENT_LENGTH in instance/config.py, create_app() gave {got}, "
        f"expected {expected}: app.config.from_pyfile('config.py', silent=True) after "
        "from_object(the class)"
    )


@pytest.mark.task(1)
def test_test_config_goes_on_top_of_instance_config(build, instance_path):
    """create_app(test_config) reads instance/config.py too, and test_config wins."""
    write_instance_config(
        instance_path, 'SECRET_KEY = "from-instance"\nINVOICER_MARK = "from-instance"\n'
    )
    app = build({**MEMORY, "SECRET_KEY": "from-test"})
    got = {key: app.config.get(key) for key in ("SECRET_KEY", "INVOICER_MARK")}
    expected = {"SECRET_KEY": "from-test", "INVOICER_MARK": "from-instance"}
    assert got == expected, (
        "with SECRET_KEY and INVOICER_MARK in instance/config.py, "
        f"create_app({{'SECRET_KEY': 'from-test', ...}}) gave {got}, expected {expected}: read "
        "instance/config.py every time, then apply test_config last (no more if/else)"
    )


@pytest.mark.task(1)
def test_apps_stay_independent(build):
    """Settings given to one app change neither the classes nor the next app."""
    before = build().config.copy()
    first = build({**MEMORY, "SECRET_KEY": "first", "MAX_CONTENT_LENGTH": 10})
    first.config["INVOICER_MARK"] = "first"
    after = build().config
    keys = ("SECRET_KEY", "TESTING", "MAX_CONTENT_LENGTH", "INVOICER_MARK")
    got = {key: after.get(key) for key in keys}
    expected = {key: before.get(key) for key in keys}
    assert got == expected, (
        "after create_app({'SECRET_KEY': 'first', 'MAX_CONTENT_LENGTH': 10, ...}) and "
        "first.config['INVOICER_MARK'] = 'first', the next create_app() gave "
        f"{got}, expected {expected} as before: load the class with "
        "app.config.from_object() and never assign to the class or a shared dict"
    )


@pytest.mark.task(1)
def test_debug_is_not_set_by_config(import_with, tmp_path):
    """No config class switches debug mode on, even one read at import; FLASK_DEBUG still does."""
    build = import_with(FLASK_DEBUG="1")
    for name in NAMES:
        app = build(**settings_named(name, tmp_path))
        assert not app.debug, (
            f"invoicer was imported with FLASK_DEBUG=1, which was then unset; create_app() with "
            f"{NAME_VARIABLE}={name} has app.debug == {app.debug!r}, expected False: remove "
            "DEBUG from the config classes (a class body reads os.environ once, at import; "
            "debug mode comes from `flask run --debug` or FLASK_DEBUG when the app is made)"
        )
    app = build(CONFIG="development", FLASK_DEBUG="1")
    assert app.debug, (
        f"create_app() with FLASK_DEBUG=1 has app.debug == {app.debug!r}, expected it on: "
        "don't set DEBUG = False in a class either"
    )


@pytest.mark.task(1)
def test_pages_still_answer(build, instance_path):
    """The instance folder is still created, and /, /health and /api/info answer as before."""
    app = build(dict(MEMORY))
    assert instance_path.is_dir(), (
        "after create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', ...}) the instance folder "
        "does not exist, expected create_app to create it as in lesson 2: "
        "os.makedirs(app.instance_path, exist_ok=True)"
    )
    client = app.test_client()
    r = client.get("/")
    assert r.status_code == 200 and r.get_data(as_text=True) == "Hello, Invoicer!", fact(
        "GET /", r, "200 'Hello, Invoicer!' as in lesson 2"
    )
    r = client.get("/health")
    assert r.status_code == 200 and r.get_json(silent=True) == {"status": "ok"}, fact(
        "GET /health", r, '200 with {"status": "ok"} as in lesson 2'
    )
    r = client.get("/api/info")
    assert r.status_code == 200 and r.get_json(silent=True) == INFO, fact(
        "GET /api/info", r, f"200 with {json.dumps(INFO)} as in lesson 3"
    )


@pytest.mark.task(1)
def test_api_still_answers(import_with):
    """The lesson 3 API still works: init-db, then create, get and list invoices."""
    build = import_with()  # fresh classes: SQLAlchemy warns about a column type once only
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SAWarning)
        app = build(dict(MEMORY))
        result = app.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0 and INIT_DB_MESSAGE in result.output, (
            f"flask init-db → exit code {result.exit_code}, {result.output.strip()!r}, "
            f"expected 0 and {INIT_DB_MESSAGE!r} as in lesson 3"
        )
        with app.app_context():
            found = sa.inspect(app.extensions["sqlalchemy"].engine).get_table_names()
        assert "invoice" in found, (
            f"after flask init-db the database has the tables {sorted(found)}, expected "
            "'invoice' as in lesson 3"
        )
        client = app.test_client()
        first = created_invoice(client, {"customer": "Acme", "amount_cents": 1250}, "EUR")
        second = created_invoice(
            client, {"customer": "Zed", "amount_cents": 1, "currency": "USD"}, "USD"
        )
        r = client.get("/api/invoices")
        expected = {"invoices": [second, first]}
        assert r.status_code == 200 and r.get_json(silent=True) == expected, fact(
            "GET /api/invoices after creating two invoices",
            r,
            f"200 with {json.dumps(expected)}: the newest first, as in lesson 3",
        )
        missing = second["id"] + 100
        r = client.get(f"/api/invoices/{missing}")
        expected = {"error": f"invoice {missing} not found"}
        assert r.status_code == 404 and r.get_json(silent=True) == expected, fact(
            f"GET /api/invoices/{missing}", r, f"404 with {json.dumps(expected)} as in lesson 3"
        )
    warned = [w for w in caught if issubclass(w.category, SAWarning)]
    assert not warned, (
        f"SQLAlchemy warned: {str(warned[0].message).split('.')[0]}, expected no warning as "
        "with lesson 3's models.py (UTCDateTime keeps cache_ok = True)"
    )


def created_invoice(client, body, currency):
    """POST an invoice, check the 201, its JSON and Location, GET it back; returns its JSON."""
    request = f"POST /api/invoices {json.dumps(body)}"
    r = client.post("/api/invoices", json=body)
    data = r.get_json(silent=True)
    expected = {**body, "currency": currency, "status": "draft"}
    ok = r.status_code == 201 and isinstance(data, dict)
    assert ok and {key: data.get(key) for key in expected} == expected, fact(
        request, r, f"201 with an invoice that has {json.dumps(expected)}, as in lesson 3"
    )
    stamp = data.get("created_at")
    assert isinstance(stamp, str) and ISO_UTC.fullmatch(stamp), fact(
        request, r, '"created_at" in ISO 8601 UTC, like "2026-01-31T09:30:00.123456+00:00"'
    )
    path = f"/api/invoices/{data.get('id')}"
    location = r.headers.get("Location")
    assert location_path(location) == path, (
        f"{request} → Location {location!r}, expected {path!r} as in lesson 3"
    )
    r = client.get(path)
    assert r.status_code == 200 and r.get_json(silent=True) == data, fact(
        f"GET {path}", r, f"200 with {json.dumps(data)}"
    )
    return data


@pytest.mark.task(1)
def test_api_still_refuses_bad_invoices(build):
    """POST /api/invoices still answers 400 with a JSON error for what lesson 3 refuses."""
    app = build(dict(MEMORY))
    new_invoice(app)  # creates the tables; a good invoice still gets 201
    client = app.test_client()
    rejected(client, "with a text/plain body", data="Acme 1250", content_type="text/plain")
    rejected(client, "with broken JSON", data='{"customer": ', content_type="application/json")
    rejected(client, "with the JSON list [1, 2]", json=[1, 2])
    for bad in [
        {"customer": 42},
        {"customer": "  "},
        {"amount_cents": 0},
        {"amount_cents": True},
        {"amount_cents": "1250"},
        {"currency": "EURO"},
        {"currency": 978},
    ]:
        body = {"customer": "Acme", "amount_cents": 1250, **bad}
        rejected(client, json.dumps(body), json=body)


@pytest.mark.task(1)
def test_invoices_still_kept_in_utc(build):
    """Invoices still keep created_at in UTC (UTCDateTime from lesson 3) and their defaults."""
    app = build(dict(MEMORY))
    new_invoice(app)  # creates the tables
    in_nepal = datetime(2026, 1, 31, 15, 15, tzinfo=timezone(timedelta(hours=5, minutes=45)))
    saved, error = saved_invoice(app, customer="Acme", amount_cents=1250, created_at=in_nepal)
    expected = {"currency": "EUR", "status": "draft", "created_at": "2026-01-31T09:30:00+00:00"}
    got = {key: saved.get(key) for key in expected} if saved else error
    assert got == expected, (
        "Invoice(customer='Acme', amount_cents=1250, created_at=15:15 at UTC+05:45) saved "
        f"and read back gave {got!r}, expected {expected}: keep lesson 3's models.py "
        "(UTCDateTime converts to UTC; currency and status have defaults)"
    )
    saved, error = saved_invoice(
        app, customer="Acme", amount_cents=1250, created_at=datetime(2026, 1, 31, 9, 30)
    )
    reason = str(getattr(error, "orig", error) or "").strip()
    assert saved is None and reason, (
        f"saving an Invoice with a naive created_at gave {saved or error!r}, expected an error "
        "that says why: lesson 3's UTCDateTime refuses naive datetimes"
    )
    saved, error = saved_invoice(app, customer="Acme", amount_cents=0)
    assert isinstance(error, sa.exc.IntegrityError), (
        f"saving an Invoice with amount_cents=0 gave {saved or error!r}, expected an "
        "IntegrityError: keep lesson 3's CHECK constraint amount_cents > 0"
    )
    column = invoice_class().__table__.c.created_at
    on_postgres = str(column.type.compile(dialect=postgresql.dialect()))
    assert on_postgres == "TIMESTAMP WITH TIME ZONE", (
        f"on PostgreSQL (production) Invoice.created_at would be {on_postgres}, expected "
        "TIMESTAMP WITH TIME ZONE: keep impl = DateTime(timezone=True) in UTCDateTime"
    )


@pytest.mark.task(1)
def test_flask_cli_still_finds_the_app(load, lesson_dir, monkeypatch):
    """`flask --app invoicer` still calls create_app() with no arguments and gets an app."""
    load("invoicer")  # import errors get the grader's diagnosis first
    monkeypatch.setattr(sys, "path", list(sys.path))  # prepare_import() inserts the lesson dir
    purge_invoicer()
    info = flask.cli.ScriptInfo(app_import_path=str(lesson_dir / "invoicer"), set_debug_flag=False)
    try:
        with learner.import_guards():
            app = info.load_app()
    except flask.cli.NoAppException as exc:
        raise AssertionError(
            f"`flask --app invoicer` failed: {exc} Expected it to call create_app() with no "
            "arguments (keep test_config=None as its default)"
        ) from None
    finally:
        purge_invoicer()
    assert app.config.get("SECRET_KEY") == "dev", (
        f"`flask --app invoicer` with no {NAME_VARIABLE} loaded an app with SECRET_KEY "
        f"{shown_key(app.config.get('SECRET_KEY'))}, expected the development settings"
    )


# --- Task 2: Typed overrides from the environment -------------------------------------------


@pytest.mark.task(2)
def test_each_layer_overrides_the_one_before(build, instance_path):
    """SECRET_KEY from the class < instance/config.py < FLASK_SECRET_KEY < test_config."""
    layers = "the class"
    app = build()
    steps = [(app.config.get("SECRET_KEY"), "dev", layers)]
    write_instance_config(instance_path, 'SECRET_KEY = "from-instance"\n')
    layers += " + instance/config.py"
    steps.append((build().config.get("SECRET_KEY"), "from-instance", layers))
    layers += " + FLASK_SECRET_KEY"
    app = build(FLASK_SECRET_KEY="from-env")
    steps.append((app.config.get("SECRET_KEY"), "from-env", layers))
    layers += " + test_config"
    app = build({**MEMORY, "SECRET_KEY": "from-test"})
    steps.append((app.config.get("SECRET_KEY"), "from-test", layers))
    for got, expected, where in steps:
        assert got == expected, (
            f"with SECRET_KEY set in {where}, create_app() gave SECRET_KEY {got!r}, expected "
            f"{expected!r}: load the class, then instance/config.py, then "
            "app.config.from_prefixed_env(), then test_config"
        )


@pytest.mark.task(2)
def test_environment_numbers_are_ints(build):
    """FLASK_MAX_CONTENT_LENGTH=2048 arrives as the int 2048, and a bigger body gets 413."""
    app = build(dict(MEMORY), FLASK_MAX_CONTENT_LENGTH="2048")
    seen = app.config.get("MAX_CONTENT_LENGTH")
    assert seen == 2048 and type(seen) is int, (
        f"with FLASK_MAX_CONTENT_LENGTH=2048, create_app() gave MAX_CONTENT_LENGTH {seen!r}, "
        "expected the int 2048: app.config.from_prefixed_env() parses values as JSON"
    )
    body = {"customer": "A" * 4000, "amount_cents": 1250}
    r = app.test_client().post("/api/invoices", json=body)
    assert r.status_code == 413, fact(
        "POST /api/invoices with a 4 kB body and FLASK_MAX_CONTENT_LENGTH=2048", r, "413"
    )


@pytest.mark.task(2)
def test_environment_booleans_are_bools(build):
    """FLASK_TESTING=true arrives as the bool True."""
    app = build(FLASK_TESTING="true")
    seen = app.config.get("TESTING")
    assert seen is True, (
        f"with FLASK_TESTING=true, create_app() gave TESTING {seen!r}, expected True (a bool): "
        "app.config.from_prefixed_env()"
    )


@pytest.mark.task(2)
def test_environment_sets_nested_keys(build, tmp_path):
    """FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_pre_ping=true reaches the database engine."""
    app = build(
        {"SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "nested.sqlite")},
        FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_pre_ping="true",
    )
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS")
    database_file(app)
    ext = app.extensions["sqlalchemy"]
    with app.app_context():
        pre_ping = ext.engine.pool._pre_ping
    assert options == {"pool_pre_ping": True} and pre_ping is True, (
        "with FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_pre_ping=true, create_app() gave "
        f"SQLALCHEMY_ENGINE_OPTIONS {options!r} and an engine with pool_pre_ping {pre_ping!r}, "
        "expected {'pool_pre_ping': True}: call app.config.from_prefixed_env() before "
        "db.init_app(app)"
    )


@pytest.mark.task(2)
def test_nested_override_stays_in_its_app(build, monkeypatch, tmp_path):
    """A nested FLASK_A__b override changes one app, not the class or the next app, in every config."""  # noqa: E501
    for name in NAMES:
        settings = settings_named(name, tmp_path)
        build(dict(MEMORY), FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_pre_ping="true", **settings)
        monkeypatch.delenv("FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_pre_ping")
        app = build(dict(MEMORY), **settings)
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS")
        assert not (isinstance(options, dict) and "pool_pre_ping" in options), (
            f"with {NAME_VARIABLE}={name}, after one app was built with "
            "FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_pre_ping=true, the next app (without it) has "
            f"SQLALCHEMY_ENGINE_OPTIONS {options!r}, expected no pool_pre_ping: from_object() "
            "copies a class's dict by reference, so keep dicts out of every config class"
        )


@pytest.mark.task(2)
def test_environment_read_when_the_app_is_built(build, monkeypatch):
    """Each create_app() reads the environment as it is then, not as it was at import."""
    first = build(dict(MEMORY), FLASK_INVOICER_MARK="one")
    second = build(dict(MEMORY), FLASK_INVOICER_MARK="two")
    got = first.config.get("INVOICER_MARK"), second.config.get("INVOICER_MARK")
    assert got == ("one", "two"), (
        "create_app() with FLASK_INVOICER_MARK=one, then again with FLASK_INVOICER_MARK=two, "
        f"gave {got}, expected ('one', 'two'): call from_prefixed_env() inside create_app, "
        "not os.environ in a class body (that runs once, at import)"
    )


# --- Task 3: Production refuses unsafe settings ---------------------------------------------


def assert_key_refusal(exc, situation):
    message = str(exc)
    assert "SECRET_KEY" in message and "secrets.token_" in message, (
        f"create_app() in production with {situation} raised {type(exc).__name__}: "
        f"{message!r}, expected a message that names SECRET_KEY and says how to make one: "
        f"{KEY_COMMAND}"
    )


@pytest.mark.task(3)
def test_production_refuses_a_missing_key(build, tmp_path):
    """INVOICER_CONFIG=production without FLASK_SECRET_KEY refuses to start, and says how to make a key."""  # noqa: E501
    exc = refusal(
        build, CONFIG="production", FLASK_SQLALCHEMY_DATABASE_URI=production_database(tmp_path)
    )
    assert_key_refusal(exc, "no FLASK_SECRET_KEY")


@pytest.mark.task(3)
def test_production_refuses_the_dev_key(build, tmp_path, instance_path):
    """Production refuses SECRET_KEY "dev", whichever layer sets it."""
    database = production_database(tmp_path)
    exc = refusal(
        build, CONFIG="production", FLASK_SECRET_KEY="dev", FLASK_SQLALCHEMY_DATABASE_URI=database
    )
    assert_key_refusal(exc, "FLASK_SECRET_KEY=dev")
    exc = refusal(
        build,
        {"SECRET_KEY": "dev"},
        CONFIG="production",
        FLASK_SECRET_KEY=secrets.token_hex(),
        FLASK_SQLALCHEMY_DATABASE_URI=database,
    )
    assert_key_refusal(exc, "a real FLASK_SECRET_KEY but SECRET_KEY 'dev' in test_config")


@pytest.mark.task(3)
def test_production_refuses_an_empty_key(build, tmp_path):
    """Production refuses an empty FLASK_SECRET_KEY."""
    exc = refusal(
        build,
        CONFIG="production",
        FLASK_SECRET_KEY="",
        FLASK_SQLALCHEMY_DATABASE_URI=production_database(tmp_path),
    )
    assert_key_refusal(exc, "FLASK_SECRET_KEY=''")


@pytest.mark.task(3)
def test_production_never_runs_with_a_numeric_key(build, tmp_path):
    """A FLASK_SECRET_KEY of digits (parsed as an int) is refused, or ends up a string."""
    try:
        app = build(
            CONFIG="production",
            FLASK_SECRET_KEY="20260131093000123456",
            FLASK_SQLALCHEMY_DATABASE_URI=production_database(tmp_path),
        )
    except AssertionError:
        raise
    except Exception as exc:  # a refusal is one right answer
        assert_key_refusal(exc, "FLASK_SECRET_KEY=20260131093000123456")
        return
    key = app.config.get("SECRET_KEY")
    assert isinstance(key, str | bytes), (
        "create_app() in production with FLASK_SECRET_KEY=20260131093000123456 started with "
        f"a SECRET_KEY of type {type(key).__name__}, expected a refusal (or a str): JSON "
        "parses the digits as an int, and every session write then fails"
    )


@pytest.mark.task(3)
def test_production_accepts_a_real_key(build, tmp_path):
    """Production starts with a real FLASK_SECRET_KEY and FLASK_SQLALCHEMY_DATABASE_URI, and uses them."""  # noqa: E501
    key, database = secrets.token_hex(), production_database(tmp_path)
    try:
        app = build(
            CONFIG="production", FLASK_SECRET_KEY=key, FLASK_SQLALCHEMY_DATABASE_URI=database
        )
    except AssertionError:
        raise
    except Exception as exc:  # explained to the learner
        raise AssertionError(
            "create_app() in production with FLASK_SECRET_KEY=<secrets.token_hex()> and "
            f"FLASK_SQLALCHEMY_DATABASE_URI set raised {type(exc).__name__}: {exc}, expected an "
            "app: refuse only a missing, empty or 'dev' key"
        ) from None
    got = {key: app.config.get(key) for key in ("TESTING", "MAX_CONTENT_LENGTH")}
    expected = {"TESTING": False, "MAX_CONTENT_LENGTH": ONE_MIB}
    assert app.config.get("SECRET_KEY") == key and got == expected and not app.debug, (
        f"create_app() in production with a real FLASK_SECRET_KEY gave SECRET_KEY "
        f"{shown_key(app.config.get('SECRET_KEY'))}, {got}, debug {app.debug!r}, expected the "
        f"key from the environment, {expected} and debug off (ProductionConfig)"
    )
    used = database_file(app)
    assert used == str(tmp_path / "production.sqlite"), (
        "create_app() in production with FLASK_SQLALCHEMY_DATABASE_URI="
        f"{shown_value('URI', database)} uses the database {used!r}, expected that one "
        "(…/production.sqlite): in production the URL comes from the environment"
    )


@pytest.mark.task(3)
def test_production_reads_the_environment_when_built(import_with, tmp_path):
    """Production takes its key and database URL from the environment as it is when the app is built."""  # noqa: E501
    build = import_with(
        FLASK_SECRET_KEY=secrets.token_hex(),
        FLASK_SQLALCHEMY_DATABASE_URI=production_database(tmp_path),
    )
    refusal(
        build,
        expected=(
            "invoicer was imported while FLASK_SECRET_KEY and FLASK_SQLALCHEMY_DATABASE_URI "
            "were set, and both were unset before create_app(), so there is no key: "
            "ProductionConfig must not read os.environ in its class body (that runs once, at "
            "import); from_prefixed_env() in create_app() reads them"
        ),
        CONFIG="production",
    )


@pytest.mark.task(3)
def test_production_needs_a_database_url(build):
    """Production without a database URL refuses to start (no SQLite fallback)."""
    exc = refusal(
        build,
        expected="no SQLite fallback in production (ProductionConfig has no database URL)",
        CONFIG="production",
        FLASK_SECRET_KEY=secrets.token_hex(),
    )
    assert "SQLALCHEMY_DATABASE_URI" in str(exc), (
        "create_app() in production with a real key but no FLASK_SQLALCHEMY_DATABASE_URI "
        f"raised {type(exc).__name__}: {exc}, expected an error that names "
        "SQLALCHEMY_DATABASE_URI"
    )


# --- Task 4: JSON output through app.json ---------------------------------------------------


@pytest.mark.task(4)
def test_json_keys_in_code_order(build):
    """API responses keep the keys in the order to_dict() writes them (not sorted)."""
    app = build(dict(MEMORY))
    request, r = new_invoice(app)
    pairs = json.loads(r.get_data(as_text=True), object_pairs_hook=lambda items: items)
    keys = [key for key, _ in pairs]
    assert keys == INVOICE_KEYS, fact(
        request,
        r,
        f"the keys in the order {INVOICE_KEYS}, as to_dict() writes them: "
        "app.json.sort_keys = False in create_app (JSON_SORT_KEYS was removed in Flask 2.3)",
    )


@pytest.mark.task(4)
def test_json_text_as_utf8(build):
    """Non-ASCII text in API responses is written as UTF-8, not as \\u escapes."""
    app = build(dict(MEMORY))
    request, r = new_invoice(app, customer="Zoë Ångström")
    body = r.get_data()
    assert "Zoë Ångström".encode() in body, fact(
        request,
        r,
        'the customer written as "Zoë Ångström" in UTF-8, not "Zo\\u00eb \\u00c5ngstr\\u00f6m": '
        "app.json.ensure_ascii = False (JSON_AS_ASCII was removed in Flask 2.3)",
    )


@pytest.mark.task(4)
def test_json_settings_belong_to_the_app(build):
    """create_app() changes its own app's JSON settings, not every Flask app's."""
    build(dict(MEMORY))
    other = Flask("other")
    got = other.json.sort_keys, other.json.ensure_ascii
    assert got == (True, True), (
        f"after create_app(), a new unrelated Flask app has sort_keys, ensure_ascii = {got}, "
        "expected Flask's defaults (True, True): set app.json.sort_keys on the app, not on "
        "DefaultJSONProvider"
    )
