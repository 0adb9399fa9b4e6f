"""Checks for lesson 6, Errors and logging (lessons/06_errors/invoicer/)."""

import importlib
import json
import logging
import os
import re
import sqlite3
import threading
import time
import warnings
from datetime import UTC, datetime, timedelta, timezone

import flask.logging
import pytest
from flask import Flask, abort, current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import DeclarativeBase
from werkzeug.exceptions import BadRequest

from flasklings.checks import fact

MEMORY = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
# TESTING propagates unhandled exceptions into the test; this lets them reach the 500 handler.
CATCH = {**MEMORY, "PROPAGATE_EXCEPTIONS": False}
PROPAGATE_HINT = 'create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False, ...})'
# What an unhandled database error says: none of it may reach a client.
LEAKS = ("Traceback", 'File "', "no such table", "OperationalError", "sqlite3", "SELECT ")
ANY_TRACE = ("Traceback", 'File "')
SECRET_CUSTOMER = "Zoë Secretcustomer"
SECRET_REASON = "ledger replica db-7 is down"
HEADER = "X-Request-ID"
GOOD_IDS = ("req-7f3a9c21", "0f8fad5b-d9cb-469f-a165-70867728950e")
# What a generated ID may look like: printable, no spaces, short enough for every log line.
ID_SHAPE = re.compile(r"[\x21-\x7e]{8,128}")
LIBRARY_LOGGER = "checker.library"  # made before the learner's package is imported
OUTSIDE_API = ("/nope", "/apidocs")
# Outside a request the ID is "-": a dash on its own, not inside a date or a name.
LONE_DASH = re.compile(r"(?<![\w-])-(?![\w-])")
NO_ID = re.compile(r"\b(None|null)\b")


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No FLASK_* or INVOICER_* variable from the learner's shell reaches a check."""
    for variable in list(os.environ):
        if variable.startswith(("FLASK_", "INVOICER_")):
            monkeypatch.delenv(variable)


@pytest.fixture
def invoicer(load):
    """The learner's invoicer package (imported once: these checks only call create_app)."""
    return load("invoicer", fresh=False)


@pytest.fixture
def closing():
    """closing(app) disposes the app's database engines when the check ends."""
    made = []
    yield made.append
    for app in made:
        ext = app.extensions.get("sqlalchemy")
        if isinstance(ext, SQLAlchemy):
            with app.app_context():
                for engine in ext.engines.values():
                    engine.dispose()


@pytest.fixture
def build(invoicer, closing):
    """build(test_config) calls create_app(test_config) and returns the app."""

    def _build(test_config):
        return made_app(invoicer, test_config, closing)

    return _build


def made_app(invoicer, test_config, closing):
    app = invoicer.create_app(dict(test_config))
    assert isinstance(app, Flask), (
        f"create_app({test_config!r}) returned {app!r}, expected a Flask app"
    )
    closing(app)
    return app


@pytest.fixture
def fresh_logging(load, closing, monkeypatch):
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
        invoicer = load("invoicer")
        return lambda test_config: made_app(invoicer, test_config, closing)

    yield _start
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

    def text(self):
        return "".join(self.writes)

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
    """Assert that `r` is the JSON error body the lesson asks for; return the body."""
    body = r.get_json(silent=True)
    expected = f'{code} with JSON {{"code": {code}, "name": "{name}", "description": "..."}}'
    assert r.status_code == code, fact(request, r, expected)
    assert isinstance(body, dict), fact(
        request,
        r,
        f"{expected}: an app-level handler for HTTPException (app.register_error_handler or "
        "@app.errorhandler) that answers JSON for paths under /api",
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
        f"{expected}: {how or 'take them from the exception (e.code, e.name, e.description)'}",
    )
    leaked = [marker for marker in ANY_TRACE if marker in r.get_data(as_text=True)]
    assert not leaked, fact(request, r, f"{expected} and no traceback text (found {leaked[0]!r})")
    return body


def with_tables(app):
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, (
        f"flask init-db → exit code {result.exit_code}, {result.output.strip()!r}, expected 0 "
        "as in lesson 3"
    )
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
    rid = r.headers.get(HEADER)
    assert rid, fact(
        request,
        r,
        f"an {HEADER} response header: set it in an after_request hook from the ID the "
        "before_request hook put on g (it runs for error responses too)",
    )
    return rid


# --- Task 1: JSON errors for the API --------------------------------------------------------


@pytest.mark.task(1)
def test_routing_404_is_json(build):
    """An unknown URL under /api gets a JSON 404 (an app-level handler); others Flask's page."""
    app = build(MEMORY)
    for path in ("/api/nope", "/api/invoices/abc"):
        r = send(app, "GET", path)
        json_error(f"GET {path}", r, 404, "Not Found")
    # /apidocs starts with "/api" but is not under /api/: it is the rest of the site.
    for path in OUTSIDE_API:
        r = send(app, "GET", path)
        assert r.status_code == 404, fact(
            f"GET {path}",
            r,
            "404: outside /api the handler hands the error back to Flask (return e), and a "
            "handler that returns None turns every error into a 500",
        )
        assert r.mimetype == "text/html", fact(
            f"GET {path}",
            r,
            "Flask's own HTML 404 page: the rest of the site is left to Flask (return e when "
            "the path is not /api or below it: path == '/api' or path.startswith('/api/'))",
        )


@pytest.mark.task(1)
def test_405_is_json_and_keeps_allow(build):
    """A method the route does not list gets a JSON 405 that still has its Allow header."""
    app = build(MEMORY)
    r = send(app, "DELETE", "/api/invoices")
    json_error("DELETE /api/invoices", r, 405, "Method Not Allowed")
    allowed = {m.strip() for m in r.headers.get("Allow", "").split(",")}
    assert {"GET", "POST"} <= allowed, fact(
        "DELETE /api/invoices",
        r,
        f"an Allow header listing GET and POST (got {r.headers.get('Allow')!r}): build the "
        "JSON response from e.get_response(), which carries the exception's headers",
    )


@pytest.mark.task(1)
def test_missing_invoice_is_a_json_404(build):
    """A missing invoice gets the same JSON 404, whose description names the invoice."""
    app = with_tables(build(MEMORY))
    for method, path in (("GET", "/api/invoices/999"), ("POST", "/api/invoices/999/send")):
        r = send(app, method, path)
        body = json_error(f"{method} {path}", r, 404, "Not Found")
        assert "999" in body["description"], fact(
            f"{method} {path}",
            r,
            "a description that says which invoice is missing, not Werkzeug's generic text: "
            'abort(404, description=f"invoice {invoice_id} not found") in the view',
        )


@pytest.mark.task(1)
def test_too_large_body_is_a_json_413(build):
    """A body over MAX_CONTENT_LENGTH gets a JSON 413."""
    app = with_tables(build({**MEMORY, "MAX_CONTENT_LENGTH": 1024}))
    body = {"customer": "A" * 4000, "amount_cents": 1250}
    r = send(app, "POST", "/api/invoices", json=body)
    json_error(
        "POST /api/invoices with a 4 kB body and MAX_CONTENT_LENGTH 1024",
        r,
        413,
        "Request Entity Too Large",
    )


@pytest.mark.task(1)
def test_unhandled_error_is_a_json_500_that_tells_nothing(build):
    """An unhandled exception gets a JSON 500 without traceback or exception text."""
    app = build(CATCH)
    cases = [
        ("GET /api/invoices", fail_without_tables(app)),
        (
            f"POST /api/invoices {{'customer': {SECRET_CUSTOMER!r}, ...}}",
            send(
                app,
                "POST",
                "/api/invoices",
                json={"customer": SECRET_CUSTOMER, "amount_cents": 1250},
            ),
        ),
    ]
    for what, r in cases:
        request = f"{what} before init-db (no tables), with {PROPAGATE_HINT}"
        json_error(request, r, 500, "Internal Server Error")
        text = r.get_data(as_text=True)
        leaked = [marker for marker in (*LEAKS, SECRET_CUSTOMER) if marker in text]
        assert not leaked, fact(
            request,
            r,
            f"a 500 body that says nothing about the cause (found {leaked[0]!r}): the "
            "exception's text and the SQL belong in the log. Give the client the generic "
            "description of a new InternalServerError, never str(e.original_exception)",
        )


@pytest.mark.task(1)
def test_deliberate_500_is_generic_and_logged(fresh_logging):
    """abort(500, description=...) gets the generic JSON 500, and its reason goes to the log."""
    build = fresh_logging()
    app = build(MEMORY)

    def checker_abort_500():
        abort(500, description=SECRET_REASON)

    app.add_url_rule("/api/checker-abort-500", "checker_abort_500", checker_abort_500)
    stream = ErrorStream()
    r = send(app, "GET", "/api/checker-abort-500", stream)
    request = (
        "GET /api/checker-abort-500, a view the checker adds that calls "
        f"abort(500, description={SECRET_REASON!r})"
    )
    json_error(request, r, 500, "Internal Server Error")
    assert SECRET_REASON not in r.get_data(as_text=True), fact(
        request,
        r,
        "the generic description of a new InternalServerError(): a 500 tells the client nothing "
        "about its cause, whatever the description it was raised with",
    )
    assert any(SECRET_REASON in text for text in stream.records()), (
        f"{request} → 500, and the server's error stream got {stream.shown()}, expected a "
        "record with that description: Flask logs only unhandled exceptions, so the "
        "InternalServerError handler logs a 500 whose e.original_exception is None (on "
        "app.logger, or any logger once Task 3 configures logging)"
    )


@pytest.mark.task(1)
def test_testing_still_propagates_exceptions(build):
    """Under TESTING an unhandled exception still reaches the test (no handler for Exception)."""
    app = build(MEMORY)
    try:
        r = fail_without_tables(app)
    except Exception:  # what TESTING promises: the test sees the real error
        return
    raise AssertionError(
        fact(
            'GET /api/invoices before init-db with create_app({"TESTING": True, ...})',
            r,
            "the database error raised into the test (PROPAGATE_EXCEPTIONS defaults to TESTING). "
            "Register the 500 handler for InternalServerError (or 500), not for Exception, and "
            "leave PROPAGATE_EXCEPTIONS out of the config classes",
        )
    )


# --- Task 2: Validation errors with field details -------------------------------------------


RAISE_IT = (
    "raise ValidationError(problems) in _invoice_values, and let the HTTPException handler of "
    "Task 1 write the JSON (with the fields)"
)
ABORT_IT = 'abort(400, description="the body must be a JSON object"), answered by the handler'
INVALID = [
    ({"customer": "", "amount_cents": -5}, ["customer", "amount_cents"]),
    ({"customer": "Acme", "amount_cents": True}, ["amount_cents"]),
    ({"customer": "Acme", "amount_cents": 0}, ["amount_cents"]),
    ({"customer": "Acme", "amount_cents": 1250, "currency": "EURO"}, ["currency"]),
]


@pytest.mark.task(2)
def test_invalid_invoice_names_every_bad_field(build):
    """An invalid invoice gets a JSON 400 whose body names each bad field besides the description."""  # noqa: E501
    app = with_tables(build(MEMORY))
    for body, fields in INVALID:
        request = f"POST /api/invoices {json.dumps(body)}"
        r = send(app, "POST", "/api/invoices", json=body)
        answer = json_error(request, r, 400, "Bad Request", RAISE_IT)
        named = answer.get("fields")
        named = named if isinstance(named, dict) else {}
        missing = [f for f in fields if not (isinstance(named.get(f), str) and named[f].strip())]
        assert not missing, fact(
            request,
            r,
            f'400 with the bad field(s) {fields} in "fields", each with what is wrong, e.g. '
            '"fields": {"amount_cents": "required, a positive integer"}: collect every problem '
            f"(missing here: {missing}), raise ValidationError(problems), and have the handler "
            'add body["fields"] = e.fields',
        )


@pytest.mark.task(2)
def test_body_that_is_not_an_object_is_a_json_400(build):
    """A body that is not a JSON object gets the same JSON 400 shape."""
    app = with_tables(build(MEMORY))
    cases = [
        ("a JSON list [1, 2]", {"json": [1, 2]}),
        ("the text 'not json'", {"data": "not json", "content_type": "application/json"}),
        ("the text 'hello' as text/plain", {"data": "hello", "content_type": "text/plain"}),
    ]
    for what, kwargs in cases:
        request = f"POST /api/invoices with {what}"
        r = send(app, "POST", "/api/invoices", **kwargs)
        assert r.status_code == 400, fact(
            request,
            r,
            "400 for any body that is not a JSON object: read it with "
            "request.get_json(silent=True), which gives None instead of raising (a 415 for a "
            f"body that is not JSON at all), then {ABORT_IT}",
        )
        body = json_error(request, r, 400, "Bad Request", ABORT_IT)
        assert body["description"] != BadRequest.description, fact(
            request,
            r,
            f"a description that says what is wrong, not Werkzeug's generic text: {ABORT_IT}",
        )


@pytest.mark.task(2)
def test_valid_invoice_is_still_created(build):
    """A valid invoice is still created (201), and nothing is saved from an invalid one."""
    app = with_tables(build(MEMORY))
    for body, _ in INVALID:
        send(app, "POST", "/api/invoices", json=body)
    body = {"customer": "Acme", "amount_cents": 1250}
    r = send(app, "POST", "/api/invoices", json=body)
    assert r.status_code == 201, fact(f"POST /api/invoices {json.dumps(body)}", r, "201")
    listed = send(app, "GET", "/api/invoices").get_json(silent=True) or {}
    customers = [invoice.get("customer") for invoice in listed.get("invoices", [])]
    assert customers == ["Acme"], (
        f"after three invalid POSTs and one valid one, GET /api/invoices lists customers "
        f"{customers}, expected ['Acme']: raise before db.session.add()"
    )


# --- Task 3: Logging configured once --------------------------------------------------------


def assert_logged_once(stream, request, where):
    for marker, call in LOGGED.items():
        count = sum(marker in text for text in stream.records())
        assert count == 1, (
            f"{request}: {call} in the view wrote {count} record(s) to the server's error "
            f"stream (wsgi.errors), expected exactly 1{where}. The stream got {stream.shown()}. "
            "Configure the root logger with logging.config.dictConfig before any app exists: "
            "level INFO, one StreamHandler on ext://flask.logging.wsgi_errors_stream, and "
            '"disable_existing_loggers": False'
        )


@pytest.mark.task(3)
def test_records_go_to_the_wsgi_error_stream(fresh_logging):
    """INFO records from app.logger, a module and a library go once to the WSGI error stream."""
    build = fresh_logging()
    app = add_logging_route(build(MEMORY))
    stream = ErrorStream()
    r = send(app, "GET", "/checker-log", stream)
    assert r.status_code == 200, fact("GET /checker-log (a view the checker adds)", r, "200")
    assert_logged_once(stream, "GET /checker-log", "")


@pytest.mark.task(3)
def test_flask_adds_no_handler_of_its_own(fresh_logging):
    """Logging is configured before the app exists, so Flask adds no default handler."""
    build = fresh_logging()
    app = add_logging_route(build(MEMORY))
    send(app, "GET", "/checker-log")
    handlers = logging.getLogger(app.name).handlers
    assert flask.logging.default_handler not in handlers, (
        f"after a request, app.logger ({app.name!r}) has Flask's default_handler: Flask adds "
        "it when app.logger is first used and no handler covers its level. Configure logging "
        "(the root logger) before create_app makes the app, e.g. when the package is imported"
    )


@pytest.mark.task(3)
def test_one_record_per_line_after_two_apps(fresh_logging):
    """After create_app runs twice, each record is still written once, by both apps."""
    build = fresh_logging()
    first = add_logging_route(build(MEMORY))
    second = add_logging_route(build(MEMORY))
    for name, app in (("second", second), ("first", first)):
        stream = ErrorStream()
        send(app, "GET", "/checker-log", stream)
        assert_logged_once(
            stream,
            f"GET /checker-log on the {name} of two apps",
            ": calling create_app twice must not add a handler twice (dictConfig replaces the "
            "root's handlers; addHandler in create_app adds one more each time) nor disable "
            "the loggers that exist by then",
        )


@pytest.mark.task(3)
def test_failing_request_logs_its_exception(fresh_logging):
    """An unhandled exception is logged once, with its text, to the WSGI error stream."""
    build = fresh_logging()
    app = build(CATCH)
    stream = ErrorStream()
    r = fail_without_tables(app, stream)
    assert r.status_code == 500, fact(
        f"GET /api/invoices before init-db, {PROPAGATE_HINT}", r, "500"
    )
    logged = [text for text in stream.records() if "no such table" in text]
    assert logged, (
        f"GET /api/invoices before init-db → 500, and the server's error stream got "
        f"{stream.shown()}, expected a record with the exception (no such table: invoice). "
        "Flask logs an unhandled exception itself before it calls a 500 handler; a handler "
        "registered for Exception must log it (app.logger.exception)"
    )
    assert len(logged) == 1, (
        f"GET /api/invoices before init-db → 500, and the server's error stream got "
        f"{len(logged)} records with the exception (no such table: invoice), expected exactly "
        f"1. The second: {logged[1].strip()[:160]!r}. Flask logs an unhandled exception, with "
        "its traceback, before it calls the InternalServerError handler: the handler logs only "
        "when e.original_exception is None (an abort(500) that Flask did not log)"
    )


# --- Task 4: A request ID on every request and log line -------------------------------------


@pytest.mark.task(4)
def test_request_id_is_generated(build):
    """Without X-Request-ID, each response gets a new, well-formed ID."""
    first, second = build(MEMORY), build(MEMORY)
    seen = []
    for app, path in (
        (first, "/health"),
        (first, "/health"),
        (first, "/api/nope"),
        (second, "/health"),
    ):
        r = send(app, "GET", path)
        rid = response_id(f"GET {path}", r)
        assert ID_SHAPE.fullmatch(rid), fact(
            f"GET {path}",
            r,
            f"an {HEADER} of 8 to 128 printable characters without spaces (got {rid[:60]!r}): "
            "uuid.uuid4().hex, for instance",
        )
        seen.append(rid)
    assert len(set(seen)) == len(seen), (
        f"four requests without {HEADER} (three on one app, one on another) got the IDs "
        f"{seen}, expected four different ones: generate each with uuid.uuid4(), not a counter"
    )


@pytest.mark.task(4)
def test_well_formed_request_id_is_echoed(build):
    """A well-formed X-Request-ID from the caller comes back unchanged, on errors too."""
    app = build(MEMORY)
    for rid in GOOD_IDS:
        for path in ("/health", "/api/nope"):
            request = f"GET {path} with {HEADER}: {rid}"
            r = send(app, "GET", path, request_id=rid)
            assert r.headers.get(HEADER) == rid, fact(
                request,
                r,
                f"the same {HEADER} back (got {r.headers.get(HEADER)!r}): keep a well-formed "
                "ID from the request (letters, digits, . _ : -, at most 128) on g",
            )


BAD_IDS = [
    ("a newline", "req-1\nERROR forged log line"),
    ("a trailing newline", "req-1\n"),
    ("10 KB", "x" * 10240),
    ("an empty value", ""),
    ("spaces", "req 1 <script>"),
    ("a space", "req 1"),
]


@pytest.mark.task(4)
def test_malformed_request_id_is_replaced_not_logged(fresh_logging):
    """A request ID with a newline, 10 KB or spaces is replaced by a new one and never logged."""
    build = fresh_logging()
    app = add_logging_route(build(CATCH))
    for what, bad in BAD_IDS:
        for path in ("/checker-log", "/api/invoices"):
            stream = ErrorStream()
            request = f"GET {path} with an {HEADER} of {what} ({bad[:30]!r})"
            r = send(app, "GET", path, stream, request_id=bad)
            rid = r.headers.get(HEADER)
            assert rid and rid != bad and ID_SHAPE.fullmatch(rid), fact(
                request,
                r,
                f"a new, well-formed {HEADER} instead (got {(rid or '')[:40]!r}): accept the "
                "header only if re.fullmatch(r'[A-Za-z0-9._:-]{1,128}', value) matches "
                "(re.match with ^...$ lets a final newline through)",
            )
            if bad.strip():
                logged = [t for t in stream.records() if bad.strip()[:40] in t]
                assert not logged, (
                    f"{request}: the server's error stream got {logged[0][:120]!r}, expected "
                    "the rejected value never to reach a log line (log injection)"
                )


@pytest.mark.task(4)
def test_every_record_of_a_request_carries_its_id(fresh_logging):
    """Every log record written during a request contains that request's ID."""
    build = fresh_logging()
    app = add_logging_route(build(MEMORY))
    for sent in (GOOD_IDS[0], None):
        stream = ErrorStream()
        request = f"GET /checker-log with {HEADER}: {sent}" if sent else "GET /checker-log"
        r = send(app, "GET", "/checker-log", stream, request_id=sent)
        rid = response_id(request, r)
        for marker, call in LOGGED.items():
            records = [t for t in stream.records() if marker in t]
            assert records and all(rid in t for t in records), (
                f"{request} → {HEADER} {rid!r}, and the record {call} wrote is "
                f"{records[0].strip()[:160] if records else 'missing'!r}, expected it to "
                "contain the ID: a logging.Filter on the handler (not on one logger) that sets "
                "record.request_id, and %(request_id)s in the format"
            )


@pytest.mark.task(4)
def test_failing_request_has_its_id_in_log_and_body(fresh_logging):
    """A 500's log record carries the request ID and the exception; error bodies carry the ID."""
    build = fresh_logging()
    app = build(CATCH)
    stream = ErrorStream()
    rid = "req-failing-500"
    request = f"GET /api/invoices before init-db with {HEADER}: {rid}"
    r = fail_without_tables(app, stream, request_id=rid)
    assert r.headers.get(HEADER) == rid, fact(request, r, f"500 with {HEADER}: {rid}")
    logged = [t for t in stream.records() if rid in t and "no such table" in t]
    assert logged, (
        f"{request}: the server's error stream got {stream.shown()}, expected a record with "
        f"both the request ID {rid!r} and the exception (no such table: invoice)"
    )
    body = r.get_json(silent=True)
    assert isinstance(body, dict) and body.get("request_id") == rid, fact(
        request,
        r,
        f'a JSON error body that also gives the request ID, "request_id": "{rid}", so a '
        "caller can quote it",
    )
    # Without the header, or with a rejected one, the body gives the ID the app made.
    for sent, what in ((None, "no"), ("req 1\nERROR forged", "a malformed")):
        for path, code in (("/api/nope", 404), ("/api/invoices", 500)):
            request = f"GET {path} with {what} {HEADER}" + (" before init-db" * (code == 500))
            r = send(app, "GET", path, request_id=sent)
            rid = response_id(request, r)
            body = r.get_json(silent=True)
            got = body.get("request_id") if isinstance(body, dict) else None
            assert r.status_code == code and got == rid, fact(
                request,
                r,
                f'{code} with a JSON error body whose "request_id" is the {HEADER} response '
                f"header's {rid!r}: request_id.current(), the ID kept on g, not the request's "
                "own header",
            )


@pytest.mark.task(4)
def test_logging_outside_a_request_still_works(fresh_logging, capsys):
    """Records outside a request (startup, CLI, jobs) are still written, with no request ID."""
    build = fresh_logging()
    app = build(MEMORY)
    try:
        app.logger.warning("checker-outside-any-context")
        with app.app_context():
            app.logger.warning("checker-in-an-app-context")
    except Exception as exc:  # explained to the learner
        raise AssertionError(
            f"app.logger.warning(...) outside a request raised {type(exc).__name__}: {exc}, "
            "expected a log line: the filter must check has_request_context() before it reads "
            "g or request"
        ) from None
    err = capsys.readouterr().err
    for marker in ("checker-outside-any-context", "checker-in-an-app-context"):
        assert marker in err and "Logging error" not in err, (
            f"app.logger.warning({marker!r}) outside a request wrote {err.strip()[:200]!r} to "
            "stderr, expected the record (with '-' for the request ID): outside a request "
            "wsgi_errors_stream is sys.stderr"
        )
        line = next(line for line in err.splitlines() if marker in line)
        assert LONE_DASH.search(line) and not NO_ID.search(line), (
            f"app.logger.warning({marker!r}) outside a request wrote {line.strip()[:200]!r}, "
            "expected '-' where a request's line has its ID: the filter sets "
            'record.request_id = current() or "-" (current() is None outside a request)'
        )


# --- What earlier lessons built still works (graded with Task 1) ----------------------------
# Lesson 6 starts from lesson 5's solution: these checks make sure it still does what
# lessons 2 to 5 taught while the errors, the logging and the request IDs change around it.

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
def test_pages_still_answer(build, instance_path):
    """The instance folder is still created, and /, /health and /api/info answer as in lesson 3."""
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
    r = send(app, "GET", "/")
    assert r.status_code == 200 and r.get_data(as_text=True) == "Hello, Invoicer!", fact(
        "GET /", r, "200 'Hello, Invoicer!' as in lesson 2"
    )
    r = send(app, "GET", "/health")
    assert r.status_code == 200 and r.get_json(silent=True) == {"status": "ok"}, fact(
        "GET /health", r, '200 with {"status": "ok"} as in lesson 2'
    )
    r = send(app, "GET", "/api/info")
    assert r.status_code == 200 and r.get_json(silent=True) == INFO, fact(
        "GET /api/info", r, f"200 with {json.dumps(INFO)} as in lesson 3"
    )


@pytest.mark.task(1)
def test_settings_still_come_in_layers(invoicer, closing, instance_path, monkeypatch):
    """Config class, instance config.py, FLASK_* variables and test_config still apply in order."""
    for name, expected in DEFAULTS.items():
        monkeypatch.setenv("INVOICER_CONFIG", name)
        app = made_app(invoicer, {}, closing)
        got = {key: app.config.get(key) for key in expected}
        assert got == expected, (
            f"create_app({{}}) with INVOICER_CONFIG={name} has the settings {got}, expected "
            f"{expected} from the {name} class, as in lesson 4"
        )
    instance_path.mkdir(parents=True, exist_ok=True)
    (instance_path / "config.py").write_text('INVOICER_MAIL_FROM = "instance@invoicer.example"\n')
    monkeypatch.setenv("FLASK_MAX_CONTENT_LENGTH", "2048")
    app = made_app(invoicer, {"SECRET_KEY": "from-test-config"}, closing)
    got = {key: app.config.get(key) for key in ("INVOICER_MAIL_FROM", "MAX_CONTENT_LENGTH")}
    got["SECRET_KEY"] = app.config.get("SECRET_KEY")
    expected = {
        "INVOICER_MAIL_FROM": "instance@invoicer.example",
        "MAX_CONTENT_LENGTH": 2048,
        "SECRET_KEY": "from-test-config",
    }
    assert got == expected, (
        "create_app({'SECRET_KEY': 'from-test-config'}) with an instance config.py that sets "
        f"INVOICER_MAIL_FROM and FLASK_MAX_CONTENT_LENGTH=2048 has {got}, expected {expected}: "
        "from_object, then from_pyfile('config.py', silent=True) with "
        "instance_relative_config=True, then from_prefixed_env(), then the test_config, as in "
        "lesson 4"
    )
    monkeypatch.setenv("INVOICER_CONFIG", "staging")
    try:
        invoicer.create_app({})
    except RuntimeError as exc:
        named = "development, testing, production" in str(exc)
        assert named and "staging" in str(exc), (
            f"INVOICER_CONFIG=staging → RuntimeError {str(exc)[:160]!r}, expected it to name "
            "'staging' and the known names development, testing, production, as in lesson 4"
        )
    else:
        raise AssertionError(
            "create_app() with INVOICER_CONFIG=staging made an app, expected a RuntimeError "
            "naming the known configurations, as in lesson 4"
        )


PRODUCTION_CASES = [
    ("no FLASK_SECRET_KEY", {}, KEY_COMMAND),
    ("FLASK_SECRET_KEY=dev", {"FLASK_SECRET_KEY": "dev"}, KEY_COMMAND),
    ("FLASK_SECRET_KEY=123456 (an int once parsed)", {"FLASK_SECRET_KEY": "123456"}, "int"),
]


@pytest.mark.task(1)
def test_production_still_refuses_bad_settings(invoicer, closing, monkeypatch, tmp_path):
    """Production still refuses a missing, development or non-text key, and no database."""
    database = "sqlite:///" + str(tmp_path / "production.sqlite")
    monkeypatch.setenv("INVOICER_CONFIG", "production")
    cases = [
        (what, {**env, "FLASK_SQLALCHEMY_DATABASE_URI": database}, says)
        for what, env, says in PRODUCTION_CASES
    ]
    cases.append(
        (
            "no database URL",
            {"FLASK_SECRET_KEY": "a-real-key-0123456789"},
            "FLASK_SQLALCHEMY_DATABASE_URI",
        )
    )
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
            closing(app)
            raise AssertionError(
                f"create_app() with INVOICER_CONFIG=production and {what} made an app, expected "
                "a RuntimeError: check_production(app.config) after every layer, as in lesson 4"
            )
    monkeypatch.setenv("FLASK_SECRET_KEY", "a-real-key-0123456789")
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", database)
    app = made_app(invoicer, {}, closing)
    assert app.config["SECRET_KEY"] == "a-real-key-0123456789", (
        "create_app() in production with FLASK_SECRET_KEY set has SECRET_KEY "
        f"{app.config['SECRET_KEY']!r}, expected the variable's value, as in lesson 4"
    )


@pytest.mark.task(1)
def test_invoices_still_work_as_in_lesson_3(build):
    """Invoices are still created (201, Location), read, listed newest first, as UTF-8 JSON."""
    app = with_tables(build(MEMORY))
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
    location = r.headers.get("Location", "")
    second = r.get_json(silent=True) or {}
    assert location.endswith(f"/api/invoices/{second.get('id')}"), fact(
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


@pytest.mark.task(1)
def test_invoice_model_still_as_in_lesson_3(fresh_logging):
    """The Invoice model keeps lesson 3's base, table, columns, defaults, check and UTC type."""
    build = fresh_logging()  # a fresh import: SQLAlchemy warns about a column type only once
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SAWarning)
        app = with_tables(build(MEMORY))
        saved = saved_invoice(app, customer="Acme", amount_cents=1250, created_at=IN_NEPAL)
    model = importlib.import_module("invoicer.models").Invoice
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
