"""Checks for lesson 3, Blueprints and extensions (lessons/03_blueprints/invoicer/)."""

import importlib
import json
import re
import traceback
import warnings
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import flask
import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import LegacyAPIWarning, SAWarning
from sqlalchemy.orm import DeclarativeBase, DeclarativeBaseNoMeta
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from flasklings.checks import fact, not_json_page, refuses_other_methods, same

COLUMNS = {"id", "customer", "amount_cents", "currency", "status", "created_at"}
MODULES = ("extensions", "models", "api", "commands")  # commands.py may be merged elsewhere
INIT_DB_MESSAGE = "Initialized the database."
STRING_LENGTHS = {"customer": 200, "currency": 3}  # as Task 1 (and its hint) state them
# An error about a naive datetime says what is missing in one of these words.
TIMEZONE_WORDS = ("timezone", "time zone", "tzinfo", "aware", "naive", "utc", "offset")
# A PostgreSQL session time zone that is not UTC, as a server in Europe may have.
POSTGRES_SESSION_ZONE = timezone(timedelta(hours=1))
# What created_at.isoformat() gives for an aware UTC datetime: a "T", and the offset +00:00.
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?\+00:00")


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_legacy_queries(lesson_dir):
    """Every check fails if the learner's code used a query API that SQLAlchemy 2 calls legacy."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LegacyAPIWarning)
        warnings.simplefilter("always", SAWarning)
        yield
    legacy = [w for w in caught if issubclass(w.category, LegacyAPIWarning)]
    assert not legacy, (
        f"{where_warned(legacy[0], lesson_dir)} used a legacy query API: "
        f"{str(legacy[0].message).split('. ')[0]}. Expected the SQLAlchemy 2 style the lesson "
        "teaches: db.session.get(Invoice, invoice_id) instead of Invoice.query.get(...), "
        "db.session.scalars(db.select(Invoice)...) instead of Invoice.query..."
    )
    warned = [w for w in caught if issubclass(w.category, SAWarning)]
    assert not warned, sqlalchemy_warning_problem(warned[0], lesson_dir)


def sqlalchemy_warning_problem(warning, lesson_dir):
    """What an SAWarning raised while the check ran says, and what to do about it."""
    said = str(warning.message).split(".  ")[0]
    if getattr(warning.message, "code", None) == "cprf":  # a custom type without cache_ok
        return (
            f"SQLAlchemy warned while running a query: {said}, expected no warning: keep "
            "cache_ok = True in the class body of UTCDateTime in models.py, as the starter "
            "has it (it tells SQLAlchemy that queries using the type can be cached)"
        )
    return (
        f"{where_warned(warning, lesson_dir)} made SQLAlchemy warn: {said}, expected no "
        "warning: SQLAlchemy warns about a mistake in the models or the way they are used"
    )


def where_warned(warning, lesson_dir):
    """`invoicer/api.py:42` for a warning raised by a line of the learner's code."""
    path = Path(warning.filename)
    if path.resolve().is_relative_to(lesson_dir.resolve()):
        return f"{path.resolve().relative_to(lesson_dir.resolve())}:{warning.lineno}"
    return "your code"


@pytest.fixture
def invoicer(load):
    """The learner's invoicer package (imported once: these checks only call create_app)."""
    return load("invoicer", fresh=False)


@pytest.fixture
def make_app(invoicer, tmp_path):
    """make_app() builds an app for testing with an in-memory database (fast: no disk writes);
    make_app("a.sqlite") one whose database is the file tmp_path/a.sqlite."""
    made = []

    def _make(db_file=None):
        uri = "sqlite:///" + str(tmp_path / db_file) if db_file else "sqlite:///:memory:"
        app = invoicer.create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
        made.append(app)
        return app

    yield _make
    for app in made:  # close the connection pools so no file stays open
        ext = app.extensions.get("sqlalchemy")
        if isinstance(ext, SQLAlchemy):
            with app.app_context():
                for engine in ext.engines.values():
                    engine.dispose()


def part(name):
    """invoicer.<name>, from the package the `invoicer` fixture loaded."""
    return importlib.import_module(f"invoicer.{name}")


def bound_db(app):
    """The Flask-SQLAlchemy extension create_app() bound to `app`."""
    ext = app.extensions.get("sqlalchemy")
    assert isinstance(ext, SQLAlchemy), (
        f"app.extensions has no 'sqlalchemy' entry (keys: {sorted(app.extensions)}), expected "
        "create_app() to bind the extension with db.init_app(app) (Task 1)"
    )
    return ext


def invoice_model():
    model = getattr(part("models"), "Invoice", None)
    assert model is not None, (
        "invoicer/models.py has no Invoice, expected class Invoice(db.Model) there (Task 1)"
    )
    return model


def with_tables(app):
    """Create the tables directly (tasks 1 and 2 do not depend on the init-db command)."""
    db = bound_db(app)
    invoice_model()
    with app.app_context():
        db.create_all()
    return app


def save_and_read(app, read, **fields):
    """Save Invoice(**fields), then return read(invoice) from a new app context, so the
    values come back from the database rather than from the object just created."""
    db, model = bound_db(app), invoice_model()
    with app.app_context():
        invoice = model(**fields)
        db.session.add(invoice)
        db.session.commit()
        invoice_id = invoice.id
    with app.app_context():
        return read(db.session.get(model, invoice_id))


@pytest.fixture
def client(make_app):
    return with_tables(make_app()).test_client()


def matched(adapter, method, path):
    """(endpoint, in words) for `method path`: ("api.x", "endpoint 'api.x'") or (None, why)."""
    try:
        endpoint = adapter.match(path, method=method)[0]
    except RequestRedirect as exc:
        target = urlsplit(exc.new_url).path
        return (
            None,
            f"a {exc.code} redirect to {target} (the route exists only with a trailing slash)",
        )
    except HTTPException as exc:
        return None, f"no route for {method} (405)" if exc.code == 405 else "no route (404)"
    return endpoint, f"endpoint {endpoint!r}"


def shown(value):
    return "missing" if value is None else repr(value)


def payload(response):
    return response.get_json(silent=True)


def post(client, body):
    """POST /api/invoices with a JSON body; returns (request text, response)."""
    return f"POST /api/invoices {json.dumps(body)}", client.post("/api/invoices", json=body)


def created(client, body):
    """POST a valid invoice and return its JSON, asserting it was created."""
    request, r = post(client, body)
    data = payload(r)
    assert r.status_code == 201 and isinstance(data, dict) and "id" in data, fact(
        request, r, "201 with the new invoice as JSON"
    )
    return data


def listed(data, key="id"):
    """The `key` of each invoice in a {"invoices": [...]} body, or None if it is not one."""
    items = data.get("invoices") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        return None
    return [item.get(key) for item in items]


def as_utc(value):
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def init_db(app):
    """Run `flask init-db` for this app, the way a test does it."""
    return app.test_cli_runner().invoke(args=["init-db"])


def init_db_problem(result):
    """Why an init-db run failed, in words, or None if it exited 0."""
    if result.exit_code == 0:
        return None
    output = result.output.strip()
    if "No such command" in output:
        return (
            f"flask init-db → exit code {result.exit_code}, {output.splitlines()[-1]!r}, "
            "expected a command: create it with @click.command('init-db') and add it in "
            "create_app() with app.cli.add_command(...) (Task 3)"
        )
    exc = result.exception
    if isinstance(exc, RuntimeError) and "application context" in str(exc):
        return (
            "flask init-db → RuntimeError: Working outside of application context, expected "
            "it to run: app.test_cli_runner() pushes no app context for a command added with "
            "app.cli.add_command(), so decorate it with @flask.cli.with_appcontext"
        )
    return (
        f"flask init-db → exit code {result.exit_code}, output {output[-200:]!r}, "
        f"exception {exc!r}, expected exit code 0"
    )


def tables(app):
    db = bound_db(app)
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def dispose(app):
    """Close the connection pools of an app built without make_app, so no file stays open."""
    ext = app.extensions.get("sqlalchemy")
    if isinstance(ext, SQLAlchemy):
        with app.app_context():
            for engine in ext.engines.values():
                engine.dispose()


# --- Task 1: A bare extension bound in the factory ------------------------------------------


@pytest.mark.task(1)
def test_db_is_a_sqlalchemy_extension(invoicer):
    """invoicer/extensions.py defines `db`, a flask_sqlalchemy.SQLAlchemy object."""
    db = getattr(part("extensions"), "db", None)
    assert isinstance(db, SQLAlchemy), (
        f"invoicer.extensions.db is {shown(db)}, expected a SQLAlchemy object created without an "
        "app: db = SQLAlchemy(model_class=Base)"
    )


@pytest.mark.task(1)
def test_db_model_uses_your_declarative_base(invoicer):
    """db.Model is built on your own DeclarativeBase subclass: SQLAlchemy(model_class=Base)."""
    model = getattr(getattr(part("extensions"), "db", None), "Model", None)
    found = (
        "missing"
        if not isinstance(model, type)
        else "Flask-SQLAlchemy's default base, the legacy declarative_base()"
    )
    assert isinstance(model, type) and issubclass(model, DeclarativeBase | DeclarativeBaseNoMeta), (
        f"invoicer.extensions.db.Model is {found}, expected a model class built on your own "
        "SQLAlchemy 2 base: class Base(DeclarativeBase): pass, then "
        "db = SQLAlchemy(model_class=Base) in extensions.py"
    )


@pytest.mark.task(1)
def test_importing_creates_no_app(load, lesson_dir, monkeypatch):
    """Importing invoicer and its modules creates no Flask app: only create_app() makes apps."""
    created_apps = []
    original = flask.Flask.__init__

    def recording_init(self, import_name, *args, **kwargs):
        created_apps.append((import_name, learner_line(lesson_dir)))
        original(self, import_name, *args, **kwargs)

    monkeypatch.setattr(flask.Flask, "__init__", recording_init)
    load("invoicer")
    for name in MODULES:
        if (lesson_dir / "invoicer" / f"{name}.py").exists():
            part(name)
    name, line = created_apps[0] if created_apps else (None, "")
    fix = (
        "create the extension bare (SQLAlchemy(), not SQLAlchemy(app)) and bind it in "
        "create_app() with db.init_app(app)"
        if "SQLAlchemy(" in line
        else "delete that line: only create_app() builds apps, a new one each time it is called"
    )
    assert not created_apps, (
        f"importing invoicer created Flask({name!r}) at {line or 'import time'}, "
        f"expected no app at import: {fix}"
    )


def learner_line(lesson_dir):
    """`invoicer/api.py:14 (app = create_app())`: the module-level line of the learner's code
    that is running now, or "" when there is none."""
    folder = lesson_dir.resolve()
    for frame in reversed(traceback.extract_stack()):
        path = Path(frame.filename).resolve()
        if frame.name == "<module>" and path.is_relative_to(folder):
            return f"{path.relative_to(folder)}:{frame.lineno} ({(frame.line or '').strip()})"
    return ""


@pytest.mark.task(1)
def test_each_app_gets_the_extension(invoicer, make_app):
    """create_app() binds extensions.db to every app it builds (db.init_app(app))."""
    db = getattr(part("extensions"), "db", None)
    for name in ("one.sqlite", "two.sqlite"):
        app = make_app(name)
        ext = app.extensions.get("sqlalchemy")
        assert db is not None and ext is db, (
            f"app.extensions['sqlalchemy'] is {shown(ext)} for a new app, expected extensions.db "
            "(call db.init_app(app) in create_app(), for every app)"
        )


@pytest.mark.task(1)
def test_default_database_in_instance_folder(invoicer, instance_path):
    """Unless test_config names one, the database is the file invoicer.sqlite in the instance folder."""  # noqa: E501
    expected = instance_path / "invoicer.sqlite"
    for call, args in [
        ("create_app()", ()),
        ("create_app({'TESTING': True})", ({"TESTING": True},)),
    ]:
        app = invoicer.create_app(*args)
        db = bound_db(app)
        with app.app_context():
            database = db.engine.url.database
            db.engine.dispose()
        assert database == str(expected), (
            f"{call} uses the database file {database!r}, expected {str(expected)!r} (the "
            "instance folder): set SQLALCHEMY_DATABASE_URI to "
            '"sqlite:///" + os.path.join(app.instance_path, "invoicer.sqlite") in the defaults, '
            "before the if/else, so that it applies on both branches"
        )


@pytest.mark.task(1)
def test_test_config_sets_database(invoicer, tmp_path):
    """create_app(test_config) uses the SQLALCHEMY_DATABASE_URI that test_config gives."""
    wanted = tmp_path / "chosen.sqlite"
    app = invoicer.create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{wanted}"})
    db = bound_db(app)
    with app.app_context():
        database = db.engine.url.database
        db.engine.dispose()
    assert database == str(wanted), (
        f"create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///…/chosen.sqlite'}}) uses the "
        f"database {database!r}, expected …/chosen.sqlite: set the default before applying "
        "test_config, and call db.init_app(app) after the config is complete"
    )


@pytest.mark.task(1)
def test_default_secret_key(invoicer):
    """create_app() keeps lesson 2's default SECRET_KEY "dev", with or without test_config."""
    for call, args in [
        ("create_app()", ()),
        ("create_app({'TESTING': True})", ({"TESTING": True},)),
    ]:
        app = invoicer.create_app(*args)
        dispose(app)
        seen = app.config.get("SECRET_KEY")
        assert seen == "dev", (
            f"{call} gave SECRET_KEY == {seen!r}, expected 'dev' as in lesson 2: keep "
            'SECRET_KEY="dev" in the defaults, next to SQLALCHEMY_DATABASE_URI'
        )


@pytest.mark.task(1)
def test_instance_config_sets_database(invoicer, instance_path, tmp_path):
    """Without test_config, a SQLALCHEMY_DATABASE_URI in instance/config.py picks the database."""
    wanted = tmp_path / "from-instance.sqlite"
    instance_path.mkdir(exist_ok=True)
    (instance_path / "config.py").write_text(
        f"SQLALCHEMY_DATABASE_URI = {'sqlite:///' + str(wanted)!r}\n", encoding="utf-8"
    )
    app = invoicer.create_app()
    db = bound_db(app)
    with app.app_context():
        database = db.engine.url.database
    dispose(app)
    assert database == str(wanted), (
        "with SQLALCHEMY_DATABASE_URI = 'sqlite:///…/from-instance.sqlite' in instance/config.py, "
        f"create_app() uses the database {database!r}, expected …/from-instance.sqlite: keep "
        "lesson 2's Flask(__name__, instance_relative_config=True) and "
        "app.config.from_pyfile('config.py', silent=True) when test_config is None, and call "
        "db.init_app(app) after them"
    )


@pytest.mark.task(1)
def test_invoice_columns(invoicer):
    """models.Invoice has the columns id (primary key), customer, amount_cents, currency, status and created_at."""  # noqa: E501
    table = invoice_model().__table__
    names = {column.name for column in table.columns}
    assert names >= COLUMNS, (
        f"Invoice has the columns {sorted(names)}, expected also {sorted(COLUMNS - names)}"
    )
    keys = [column.name for column in table.primary_key]
    assert keys == ["id"], f"Invoice's primary key is {keys}, expected ['id']"


@pytest.mark.task(1)
def test_required_columns(invoicer):
    """Invoice.customer and Invoice.amount_cents are required (NOT NULL)."""
    table = invoice_model().__table__
    for name in ("customer", "amount_cents"):
        column = table.columns.get(name)
        assert column is not None and not column.nullable, (
            f"Invoice.{name} is {'missing' if column is None else 'nullable'}, expected a "
            f"required column: Mapped[{'str' if name == 'customer' else 'int'}] "
            "(not Optional) or nullable=False"
        )


@pytest.mark.task(1)
def test_string_lengths(invoicer, make_app):
    """The created invoice table declares customer VARCHAR(200) and currency VARCHAR(3)."""
    app = with_tables(make_app())
    table = invoice_model().__table__.name
    with app.app_context():
        columns = sa.inspect(bound_db(app).engine).get_columns(table)
    declared = {column["name"]: column["type"] for column in columns}
    for name, length in STRING_LENGTHS.items():
        found = declared.get(name)
        assert getattr(found, "length", None) == length, (
            f"the created table {table!r} declares {name} as {found or 'missing'}, expected "
            f"VARCHAR({length}): mapped_column(String({length})) in Invoice (Task 1 gives "
            "customer up to 200 characters and currency 3 letters)"
        )


@pytest.mark.task(1)
def test_invoice_defaults(invoicer, make_app):
    """A new Invoice saved with only customer and amount_cents gets currency "EUR", status "draft" and created_at now."""  # noqa: E501
    app = with_tables(make_app())
    currency, status, created_at = save_and_read(
        app, lambda saved: (saved.currency, saved.status, saved.created_at),
        customer="Acme", amount_cents=1250,
    )  # fmt: skip
    assert currency == "EUR", f"a new Invoice has currency {currency!r}, expected 'EUR'"
    assert status == "draft", f"a new Invoice has status {status!r}, expected 'draft'"
    assert isinstance(created_at, datetime), (
        f"a new Invoice has created_at {created_at!r}, expected the current UTC time "
        "(default=a function returning datetime.now(UTC))"
    )
    age = datetime.now(UTC) - as_utc(created_at)
    assert timedelta(0) <= age < timedelta(minutes=5), (
        f"a new Invoice has created_at {created_at.isoformat()}, "
        f"{abs(age)} {'ahead of' if age < timedelta(0) else 'behind'} the current UTC time, "
        "expected the current UTC time: datetime.now(UTC), not the local clock "
        "(datetime.now() is local time)"
    )


@pytest.mark.task(1)
def test_created_at_default_is_a_function(invoicer):
    """Invoice.created_at's default is a function called for each new row (default=utc_now)."""
    column = invoice_model().__table__.columns.get("created_at")
    default = getattr(column, "default", None)
    fixed = getattr(default, "is_scalar", False) and isinstance(default.arg, datetime)
    assert not fixed, (
        "Invoice.created_at has a fixed default, the datetime computed once when models.py "
        f"was imported ({default.arg.isoformat() if fixed else ''}), so every invoice gets "
        "that same time; expected default=utc_now (the function itself, no parentheses)"
    )


@pytest.mark.task(1)
def test_created_at_is_timezone_aware(invoicer, make_app):
    """Invoice.created_at reads back from the database as a timezone-aware UTC datetime."""
    app = with_tables(make_app())
    created_at = save_and_read(
        app, lambda saved: saved.created_at, customer="Acme", amount_cents=1250
    )
    offset = created_at.utcoffset() if isinstance(created_at, datetime) else None
    assert offset == timedelta(0), (
        f"created_at read back from SQLite is {created_at!r}, expected a datetime with "
        "tzinfo UTC: SQLite drops the timezone, so use the UTCDateTime column type from "
        "the starter's models.py"
    )


@pytest.mark.task(1)
def test_created_at_refuses_naive_times(invoicer, make_app):
    """Saving an Invoice whose created_at has no timezone fails with an error that says so."""
    app = with_tables(make_app())
    naive = datetime(2026, 1, 31, 9, 30)
    try:
        save_and_read(app, lambda saved: None, customer="Acme", amount_cents=1, created_at=naive)
    except Exception as exc:  # any error will do, if it names the problem
        cause = getattr(exc, "orig", None) or exc.__cause__ or exc
        said = f"{type(cause).__name__}({str(cause)[:120]!r})"
        names_it = any(word in str(cause).lower() for word in TIMEZONE_WORDS)
    else:
        said, names_it = "nothing: it was saved", False
    assert names_it, (
        f"saving an Invoice with created_at={naive!r} (no tzinfo) raised {said}, expected an "
        "error that says the datetime needs a timezone: keep UTCDateTime.process_bind_param "
        "as the starter's models.py has it (raise ValueError(\"naive datetime: give it a "
        'timezone ..."))'
    )


@pytest.mark.task(1)
def test_created_at_keeps_the_instant(invoicer, make_app):
    """A created_at given in another timezone (+02:00) reads back as the same instant in UTC."""
    app = with_tables(make_app())
    given = datetime(2026, 1, 31, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    got = save_and_read(
        app, lambda saved: saved.created_at, customer="Acme", amount_cents=1, created_at=given
    )
    assert isinstance(got, datetime) and got.utcoffset() == timedelta(0) and got == given, (
        f"created_at saved as {given.isoformat()} reads back from SQLite as {shown_time(got)}, "
        f"expected the same instant in UTC, {given.astimezone(UTC).isoformat()}: SQLite keeps "
        "only the clock time, so UTCDateTime converts aware values with value.astimezone(UTC) "
        "before storing them (keep it as the starter's models.py has it)"
    )


@pytest.mark.task(1)
def test_created_at_on_postgresql(invoicer):
    """On PostgreSQL, whose session time zone may not be UTC, created_at reads back as the same instant in UTC."""  # noqa: E501
    column_type = invoice_model().__table__.columns["created_at"].type
    given = datetime(2026, 1, 31, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    got, column = through_postgresql(column_type, given)
    why = (
        " (such a column keeps the session's clock time, not the instant)"
        if "WITHOUT TIME ZONE" in column.upper()
        else ""
    )
    assert isinstance(got, datetime) and got.utcoffset() == timedelta(0) and got == given, (
        f"on PostgreSQL (column {column}{why}, session time zone +01:00) created_at saved as "
        f"{given.isoformat()} would read back as {shown_time(got)}, expected the same instant "
        f"in UTC, {given.astimezone(UTC).isoformat()}: keep UTCDateTime as the starter's "
        "models.py has it (impl = DateTime(timezone=True), and process_result_value converts "
        "aware values with value.astimezone(UTC))"
    )


def through_postgresql(column_type, value):
    """(what reading `value` back gives, the column's SQL type) on PostgreSQL, in a session
    whose TimeZone is +01:00, worked out from what PostgreSQL does with what the driver sends:
    a `timestamp with time zone` column keeps the instant (a naive value counts as session
    time) and is read back in the session's zone; a `timestamp without time zone` column keeps
    a clock time, an aware datetime being converted to the session's zone first."""
    dialect = postgresql.dialect()
    column = column_type.compile(dialect=dialect)
    bind = column_type.bind_processor(dialect)
    sent = bind(value) if bind else value
    if not isinstance(sent, datetime):
        return f"the driver sending {sent!r}, not a datetime", column
    if "WITH TIME ZONE" in column.upper():
        stored = sent if sent.tzinfo else sent.replace(tzinfo=POSTGRES_SESSION_ZONE)
        read = stored.astimezone(POSTGRES_SESSION_ZONE)
    else:
        read = sent.astimezone(POSTGRES_SESSION_ZONE).replace(tzinfo=None) if sent.tzinfo else sent
    result = column_type.result_processor(dialect, None)
    return (result(read) if result else read), column


def shown_time(value):
    return value.isoformat() if isinstance(value, datetime) else repr(value)


@pytest.mark.task(1)
def test_to_dict(invoicer, make_app):
    """Invoice.to_dict() gives id, customer, amount_cents, currency, status and created_at (ISO 8601, UTC)."""  # noqa: E501
    app = with_tables(make_app())
    when = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    data = save_and_read(
        app, lambda saved: saved.to_dict(),
        customer="Acme", amount_cents=1250, currency="USD", created_at=when,
    )  # fmt: skip
    assert isinstance(data, dict) and set(data) == COLUMNS, (
        f"Invoice.to_dict() returned {data!r}, expected exactly the keys {sorted(COLUMNS)}"
    )
    expected = {"customer": "Acme", "amount_cents": 1250, "currency": "USD", "status": "draft"}
    got = {key: data[key] for key in expected}
    assert same(got, expected) and type(data["id"]) is int, (
        f"Invoice.to_dict() returned {data!r}, expected the saved values {expected} (the same "
        "types: 1250, not 1250.0 or '1250') and an integer id"
    )
    stamp, wanted = data["created_at"], when.isoformat()
    assert stamp == wanted, (
        f"Invoice.to_dict()['created_at'] is {stamp!r} for an invoice created at {wanted}, "
        f"expected {wanted!r}: an ISO 8601 string in UTC, with a 'T' and '+00:00' "
        "(self.created_at.isoformat(), not str(...) and no conversion to local time)"
    )


# --- Task 2: An api Blueprint for invoices --------------------------------------------------


@pytest.mark.task(2)
def test_api_blueprint(load):
    """invoicer/api.py imports on its own and defines `bp`, a Blueprint named "api"."""
    api = load("invoicer.api")
    bp = getattr(api, "bp", None)
    assert isinstance(bp, flask.Blueprint), (
        f"invoicer.api.bp is {shown(bp)}, expected "
        "bp = Blueprint('api', __name__, url_prefix='/api')"
    )
    assert bp.name == "api", f"the blueprint is named {bp.name!r}, expected 'api'"


@pytest.mark.task(2)
def test_blueprint_registered(make_app):
    """create_app() registers the api blueprint on the app."""
    app = make_app()
    assert "api" in app.blueprints, (
        f"app.blueprints is {sorted(app.blueprints)}, expected 'api' in it: call "
        "app.register_blueprint(bp) in create_app()"
    )


@pytest.mark.task(2)
def test_invoice_routes_on_blueprint(make_app):
    """GET and POST /api/invoices and GET /api/invoices/<id> are routes of the api blueprint."""
    adapter = make_app().url_map.bind("localhost")
    for method, path in [
        ("GET", "/api/invoices"),
        ("POST", "/api/invoices"),
        ("GET", "/api/invoices/1"),
    ]:
        endpoint, found = matched(adapter, method, path)
        assert endpoint and endpoint.startswith("api."), (
            f"{method} {path} → {found}, expected an endpoint of the api "
            "blueprint ('api.…'): routes on bp, url_prefix='/api', bp registered"
        )


@pytest.mark.task(2)
def test_info_moved_to_blueprint(make_app):
    """GET /api/info is served by the api blueprint, with the same JSON as in lesson 2."""
    app = make_app()
    endpoints = [rule.endpoint for rule in app.url_map.iter_rules() if rule.rule == "/api/info"]
    assert endpoints and all(e.startswith("api.") for e in endpoints), (
        f"/api/info has the endpoints {endpoints}, expected only one of the api blueprint "
        "('api.…'): move the route from create_app() to api.py as @bp.get('/info')"
    )
    r = app.test_client().get("/api/info")
    expected = {"service": "invoicer", "version": "0.1.0"}
    assert r.status_code == 200 and payload(r) == expected, fact(
        "GET /api/info", r, f"200 with {json.dumps(expected)}"
    )


@pytest.mark.task(2)
def test_no_api_route_left_on_app(make_app):
    """Every rule under /api belongs to the api blueprint, and nothing answers without the prefix."""  # noqa: E501
    app = make_app()
    left = sorted(
        f"{rule.rule} (endpoint {rule.endpoint!r})"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api") and not rule.endpoint.startswith("api.")
    )
    assert not left, (
        f"the app still has {', '.join(left)}, expected every /api route on the blueprint "
        "only: delete the old route from create_app() (it moved to api.py)"
    )
    client = with_tables(app).test_client()
    for path in ("/invoices", "/invoices/1", "/info"):
        r = client.get(path)
        assert r.status_code == 404, fact(
            f"GET {path}",
            r,
            "404: the API lives under /api only (register bp once, with url_prefix='/api')",
        )


@pytest.mark.task(2)
def test_api_refuses_other_methods(make_app):
    """The API answers 405 to the methods the task does not ask for (PUT, PATCH, DELETE...)."""
    app = with_tables(make_app())
    invoice_id = save_and_read(app, lambda saved: saved.id, customer="Acme", amount_cents=1250)
    client = app.test_client()
    for path, allowed in [
        ("/api/invoices", "GET POST"),
        (f"/api/invoices/{invoice_id}", "GET"),
        ("/api/info", "GET"),
    ]:
        problem = refuses_other_methods(client, path, allowed)
        assert problem is None, problem


@pytest.mark.task(2)
def test_index_and_health_stay_on_app(make_app):
    """/ and /health stay on the app itself and still answer 200."""
    app = make_app()
    adapter = app.url_map.bind("localhost")
    client = app.test_client()
    for path in ("/", "/health"):
        r = client.get(path)
        assert r.status_code == 200, fact(f"GET {path}", r, "200 as in lesson 2")
        endpoint = adapter.match(path)[0]
        assert "." not in endpoint, (
            f"GET {path} → endpoint {endpoint!r}, expected a route of the app itself (keep it "
            "in create_app(), outside the blueprint)"
        )


@pytest.mark.task(2)
def test_index_and_health_answer_as_in_lesson_2(make_app):
    """GET / still answers "Hello, Invoicer!" and GET /health {"status": "ok"}, as in lesson 2."""
    client = make_app().test_client()
    r = client.get("/")
    assert r.get_data(as_text=True) == "Hello, Invoicer!", fact(
        "GET /", r, "200 'Hello, Invoicer!' as in lesson 2 (keep index() in create_app())"
    )
    r = client.get("/health")
    assert same(payload(r), {"status": "ok"}), fact(
        "GET /health", r, '200 {"status": "ok"} as in lesson 2 (keep health() in create_app())'
    )


@pytest.mark.task(2)
def test_create_invoice(client):
    """POST /api/invoices with {"customer", "amount_cents"} answers 201 with the new invoice."""
    body = {"customer": "Acme", "amount_cents": 1250}
    request, r = post(client, body)
    data = payload(r)
    assert r.status_code == 201, fact(request, r, created_status(r))
    expected = {**body, "currency": "EUR", "status": "draft"}
    assert isinstance(data, dict) and set(data) >= COLUMNS, fact(
        request, r, f"a JSON invoice with the keys {sorted(COLUMNS)}"
    )
    got = {key: data[key] for key in expected}
    assert same(got, expected) and type(data["id"]) is int, fact(
        request, r, f"the invoice with {json.dumps(expected)} (these types) and an integer id"
    )
    stamp = data["created_at"]
    assert isinstance(stamp, str) and ISO_UTC.fullmatch(stamp), fact(
        request,
        r,
        f'"created_at" in ISO 8601 UTC like "2026-01-31T09:30:00.123456+00:00", '
        f"not {stamp!r}: created_at.isoformat() of the UTC datetime",
    )


@pytest.mark.task(2)
def test_create_with_currency(client):
    """POST /api/invoices keeps a given 3-letter currency."""
    request, r = post(client, {"customer": "Acme", "amount_cents": 990, "currency": "USD"})
    data = payload(r)
    assert r.status_code == 201 and isinstance(data, dict), fact(request, r, created_status(r))
    assert data.get("currency") == "USD", fact(request, r, 'an invoice with "currency": "USD"')


def created_status(response):
    """What 201 expects, and for another success status how a view sets one."""
    if 200 <= response.status_code < 300:
        return (
            "201 Created: a view sets the status as the second item of the tuple it returns, "
            'return invoice.to_dict(), 201, {"Location": ...}'
        )
    return "201 Created"


def location_path(location: str | None) -> str | None:
    """The path of a Location header: `/api/invoices/1`, or that of an absolute URL to this host.

    Both are correct HTTP; url_for gives the first, url_for(..., _external=True) the second.
    """
    if location is None:
        return None
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        return parts.path if (parts.scheme, parts.netloc) == ("http", "localhost") else location
    return location


@pytest.mark.task(2)
def test_create_sets_location(client):
    """POST /api/invoices sets the Location header to the new invoice's URL /api/invoices/<id>."""
    request, r = post(client, {"customer": "Acme", "amount_cents": 1250})
    data = payload(r)
    location = r.headers.get("Location")
    if not isinstance(data, dict) or "id" not in data:
        raise AssertionError(fact(request, r, "201 with the new invoice, its id included"))
    expected = f"/api/invoices/{data['id']}"
    assert location_path(location) == expected, (
        f"{request} → Location {location!r}, expected {expected!r}: build it with "
        "url_for('api.get_invoice', invoice_id=invoice.id) and return it as a header, "
        '`return invoice.to_dict(), 201, {"Location": location}`'
    )


@pytest.mark.task(2)
def test_location_is_built_with_url_for(client):
    """Behind a URL prefix (SCRIPT_NAME /prefix), Location is /prefix/api/invoices/<id>, as url_for builds it."""  # noqa: E501
    body = {"customer": "Acme", "amount_cents": 1250}
    r = client.post("/api/invoices", json=body, base_url="http://localhost/prefix/")
    request = f"POST /prefix/api/invoices {json.dumps(body)} with the app mounted at /prefix"
    data = payload(r)
    if not isinstance(data, dict) or "id" not in data:
        raise AssertionError(fact(request, r, "201 with the new invoice, its id included"))
    location = r.headers.get("Location")
    expected = f"/prefix/api/invoices/{data['id']}"
    assert location_path(location) == expected, (
        f"{request} → Location {location!r}, expected {expected!r}: build the URL with "
        "url_for('api.get_invoice', invoice_id=invoice.id), which knows where the app is "
        "mounted, rather than writing the path by hand"
    )


@pytest.mark.task(2)
def test_get_invoice(client):
    """GET /api/invoices/<id> answers 200 with that invoice."""
    invoice = created(client, {"customer": "Acme", "amount_cents": 1250})
    r = client.get(f"/api/invoices/{invoice['id']}")
    assert r.status_code == 200 and same(payload(r), invoice), fact(
        f"GET /api/invoices/{invoice['id']}", r, f"200 with {json.dumps(invoice)}"
    )


@pytest.mark.task(2)
def test_missing_invoice_is_json_404(client):
    """GET /api/invoices/<id> for an id that does not exist answers 404 with JSON {"error": "invoice <id> not found"}."""  # noqa: E501
    for missing in (999, 4242):
        r = client.get(f"/api/invoices/{missing}")
        expected = {"error": f"invoice {missing} not found"}
        assert r.status_code == 404 and same(payload(r), expected), fact(
            f"GET /api/invoices/{missing}",
            r,
            f"404 with {json.dumps(expected)}{not_json_page(r)}",
        )


@pytest.mark.task(2)
def test_list_empty(client):
    """GET /api/invoices on an empty database answers 200 with {"invoices": []}."""
    r = client.get("/api/invoices")
    assert r.status_code == 200 and payload(r) == {"invoices": []}, fact(
        "GET /api/invoices", r, '200 with {"invoices": []}'
    )


@pytest.mark.task(2)
def test_list_newest_first(client):
    """GET /api/invoices lists every invoice, the newest first."""
    ids = [created(client, {"customer": f"C{n}", "amount_cents": 100 + n})["id"] for n in range(3)]
    r = client.get("/api/invoices")
    assert r.status_code == 200 and listed(payload(r)) == ids[::-1], fact(
        "GET /api/invoices after creating invoices " + ", ".join(map(str, ids)),
        r,
        f"200 with the invoices in the order {ids[::-1]} (newest first)",
    )


@pytest.mark.task(2)
def test_list_orders_by_created_at(make_app):
    """GET /api/invoices orders by created_at, newest first (not by id)."""
    app = with_tables(make_app())
    db, model = bound_db(app), invoice_model()
    with app.app_context():
        for name, month in [("January", 1), ("March", 3), ("February", 2)]:
            when = datetime(2026, month, 1, 9, 30, tzinfo=UTC)
            db.session.add(model(customer=name, amount_cents=100, created_at=when))
        db.session.commit()
    r = app.test_client().get("/api/invoices")
    names = listed(payload(r), "customer")
    expected = ["March", "February", "January"]
    assert names == expected, fact(
        "GET /api/invoices for invoices created in January, March, February (in that order)",
        r,
        f"the customers in the order {expected}: order_by(created_at desc, id desc)",
    )


@pytest.mark.task(2)
def test_list_ties_broken_by_id(make_app):
    """GET /api/invoices lists invoices with the same created_at by id, highest first."""
    app = with_tables(make_app())
    db, model = bound_db(app), invoice_model()
    when = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    with app.app_context():
        for name in ("first", "second", "third"):
            db.session.add(model(customer=name, amount_cents=100, created_at=when))
            db.session.flush()  # ids in this order
        db.session.commit()
    r = app.test_client().get("/api/invoices")
    names = listed(payload(r), "customer")
    expected = ["third", "second", "first"]
    assert names == expected, fact(
        "GET /api/invoices for three invoices saved in the order first, second, third with "
        "the same created_at",
        r,
        f"the customers in the order {expected}: order_by(created_at desc, id desc)",
    )


def assert_rejected(client, description, **request_args):
    r = client.post("/api/invoices", **request_args)
    data = payload(r)
    error = data.get("error") if isinstance(data, dict) else None
    assert r.status_code == 400 and isinstance(error, str) and error.strip(), fact(
        f"POST /api/invoices {description}", r, '400 with JSON {"error": "<what is wrong>"}'
    )


@pytest.mark.task(2)
def test_rejects_non_json(client):
    """POST /api/invoices with a body that is not a JSON object answers 400 with a JSON error."""
    assert_rejected(client, "with a text/plain body", data="Acme 1250", content_type="text/plain")
    assert_rejected(
        client, "with broken JSON", data='{"customer": "Acme",', content_type="application/json"
    )
    assert_rejected(client, "with the JSON list [1, 2]", json=[1, 2])


@pytest.mark.task(2)
def test_rejects_bad_customer(client):
    """POST /api/invoices without a non-blank customer answers 400 with a JSON error."""
    for body in [{"amount_cents": 1250}, {"customer": "  ", "amount_cents": 1250}]:
        assert_rejected(client, json.dumps(body), json=body)
    body = {"customer": 42, "amount_cents": 1250}
    assert_rejected(client, json.dumps(body), json=body)


@pytest.mark.task(2)
def test_customer_up_to_200_characters(client):
    """POST /api/invoices keeps a 200-character customer whole, and a 400 for a longer one names the limit."""  # noqa: E501
    longest = "A" * STRING_LENGTHS["customer"]
    request, r = post(client, {"customer": longest, "amount_cents": 1250})
    data = payload(r)
    assert r.status_code == 201 and isinstance(data, dict) and data.get("customer") == longest, (
        fact(
            request.replace(longest, "A" * 3 + "…"),
            r,
            "201 with the customer whole: 200 characters is what the column holds, "
            "so refuse only a longer one (len(customer) > 200)",
        )
    )
    body = {"customer": longest + "A", "amount_cents": 1250}
    r = client.post("/api/invoices", json=body)
    data = payload(r)
    error = data.get("error") if isinstance(data, dict) else None
    if r.status_code == 400:
        assert isinstance(error, str) and "200" in error, fact(
            "POST /api/invoices with a 201-character customer",
            r,
            '400 with an error that names the limit, such as {"error": "customer must be at '
            'most 200 characters"}',
        )


@pytest.mark.task(2)
def test_rejects_bad_amount(client):
    """POST /api/invoices answers 400 unless amount_cents is a positive integer (true is not)."""
    for amount in [None, 0, -500, "1250", 12.5, True]:
        body = {"customer": "Acme", "amount_cents": amount}
        if amount is None:
            del body["amount_cents"]
        assert_rejected(client, json.dumps(body), json=body)


@pytest.mark.task(2)
def test_accepts_one_cent(client):
    """POST /api/invoices accepts the smallest positive amount, 1 cent."""
    request, r = post(client, {"customer": "Acme", "amount_cents": 1})
    data = payload(r)
    assert r.status_code == 201 and isinstance(data, dict) and data.get("amount_cents") == 1, fact(
        request,
        r,
        '201 with "amount_cents": 1: 1 is a positive integer (amount <= 0 is '
        "the test for 400, not amount <= 1)",
    )


@pytest.mark.task(2)
def test_rejects_bad_currency(client):
    """POST /api/invoices answers 400 when currency is not 3 letters ("EUR\\n" is not either)."""
    for currency in ["EURO", "E1R", "", 978, "EUR\n"]:
        body = {"customer": "Acme", "amount_cents": 1250, "currency": currency}
        assert_rejected(client, json.dumps(body), json=body)


@pytest.mark.task(2)
def test_rejected_invoices_are_not_stored(make_app):
    """A rejected POST /api/invoices stores nothing."""
    app = with_tables(make_app())
    client = app.test_client()
    bodies = [
        {"customer": " ", "amount_cents": 1250},
        {"customer": "Acme", "amount_cents": -1},
        {"customer": "Acme", "amount_cents": 1250, "currency": "EURO"},
    ]
    for body in bodies:
        client.post("/api/invoices", json=body)
    db, model = bound_db(app), invoice_model()
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(model))
    assert count == 0, (
        f"after 3 rejected POST /api/invoices the invoice table has {count} row(s), expected "
        "0: validate before db.session.add()"
    )


# --- Task 3: Tables from the command line ---------------------------------------------------


@pytest.mark.task(3)
def test_init_db_command(make_app):
    """`flask init-db` (via app.test_cli_runner()) exits 0 and prints "Initialized the database."."""  # noqa: E501
    result = init_db(make_app())
    problem = init_db_problem(result)
    assert problem is None, problem
    assert INIT_DB_MESSAGE in result.output, (
        f"flask init-db printed {result.output.strip()!r}, expected {INIT_DB_MESSAGE!r} "
        "(click.echo)"
    )


@pytest.mark.task(3)
def test_init_db_creates_invoice_table(make_app):
    """`flask init-db` creates the invoice table, with its columns, in the app's database."""
    app = make_app()
    problem = init_db_problem(init_db(app))
    assert problem is None, problem
    table = invoice_model().__table__.name
    found = tables(app)
    assert table in found, (
        f"after flask init-db the database has the tables {sorted(found)}, expected {table!r}: "
        "call db.create_all() with the models imported"
    )
    db = bound_db(app)
    with app.app_context():
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns(table)}
    assert columns >= COLUMNS, (
        f"after flask init-db the table {table!r} has the columns {sorted(columns)}, "
        f"expected {sorted(COLUMNS)}"
    )


@pytest.mark.task(3)
def test_init_db_table_is_named_invoice(make_app):
    """`flask init-db` creates a table named `invoice`, as the task names it."""
    app = make_app()
    problem = init_db_problem(init_db(app))
    assert problem is None, problem
    found = tables(app)
    assert "invoice" in found, (
        f"after flask init-db the database has the tables {sorted(found)}, expected 'invoice': "
        "leave out __tablename__ (Flask-SQLAlchemy names the table after the class Invoice) "
        'or set __tablename__ = "invoice"'
    )


@pytest.mark.task(3)
def test_data_persists_within_app(make_app):
    """After init-db, an invoice created through the API is there for later requests."""
    app = make_app()
    problem = init_db_problem(init_db(app))
    assert problem is None, problem
    invoice = created(app.test_client(), {"customer": "Acme", "amount_cents": 1250})
    later = app.test_client()
    r = later.get("/api/invoices")
    assert r.status_code == 200 and payload(r) == {"invoices": [invoice]}, fact(
        "GET /api/invoices from a new client after creating one invoice",
        r,
        f'200 with {{"invoices": [{json.dumps(invoice)}]}}: commit the session',
    )


@pytest.mark.task(3)
def test_apps_have_separate_databases(make_app, tmp_path):
    """Two apps with different database files do not share invoices."""
    first, second = make_app("first.sqlite"), make_app("second.sqlite")
    for app in (first, second):
        problem = init_db_problem(init_db(app))
        assert problem is None, problem
    created(first.test_client(), {"customer": "Acme", "amount_cents": 1250})
    r = second.test_client().get("/api/invoices")
    assert payload(r) == {"invoices": []}, fact(
        "GET /api/invoices on the second app after creating an invoice in the first",
        r,
        '{"invoices": []}: each app uses its own SQLALCHEMY_DATABASE_URI',
    )
    assert (tmp_path / "first.sqlite").exists(), (
        "after flask init-db and a POST, first.sqlite does not exist, expected the app to use "
        "the database file its SQLALCHEMY_DATABASE_URI names"
    )


@pytest.mark.task(3)
def test_init_db_keeps_data(make_app):
    """Running `flask init-db` a second time keeps the invoices already stored."""
    app = make_app()
    problem = init_db_problem(init_db(app))
    assert problem is None, problem
    invoice = created(app.test_client(), {"customer": "Acme", "amount_cents": 1250})
    problem = init_db_problem(init_db(app))
    assert problem is None, f"the second run: {problem}"
    r = app.test_client().get("/api/invoices")
    assert r.status_code == 200 and same(payload(r), {"invoices": [invoice]}), fact(
        "GET /api/invoices after init-db, one POST, and init-db again",
        r,
        f'200 with {{"invoices": [{json.dumps(invoice)}]}}: init-db only creates the tables '
        "that are missing (db.create_all()), it never drops or empties them",
    )


@pytest.mark.task(3)
def test_init_db_on_default_database(invoicer, instance_path):
    """`flask init-db` on the app from create_app() creates the invoice table in instance/invoicer.sqlite."""  # noqa: E501
    app = invoicer.create_app()
    db = bound_db(app)
    try:
        problem = init_db_problem(init_db(app))
        assert problem is None, f"with the app from create_app(): {problem}"
        found = tables(app)
    finally:  # close the file, so that nothing stays open after the check
        with app.app_context():
            db.engine.dispose()
    database = instance_path / "invoicer.sqlite"
    table = invoice_model().__table__.name
    assert database.is_file() and table in found, (
        f"after flask init-db with the app from create_app(), {database} "
        f"{'has the tables ' + str(sorted(found)) if database.is_file() else 'does not exist'}, "
        f"expected it with the table {table!r}"
    )
