"""Checks for lesson 5, Contexts (lessons/05_context/invoicer/)."""

import contextlib
import functools
import importlib
import json
import os
import re
import sqlite3
import sys
import threading
import time
import traceback
from dataclasses import dataclass

import pytest
import test_04_config as lesson_4
from flask import Flask, abort
from flask_sqlalchemy import SQLAlchemy

# Lesson 4's fixtures, for its checks below.
from test_04_config import build, import_with, invoicer, made_apps  # noqa: F401

from flasklings import diagnose
from flasklings.checks import fact

REAL_CONNECT = sqlite3.connect
WAIT = 5.0  # seconds at most for a background job to finish (it needs far less)
POLL = 0.02
SENDER = "billing@acme.example"


class ProbeError(Exception):
    """Raised on purpose by the checker's own view, to see teardown run after an error."""


# --- counting the audit database's connections ----------------------------------------------


@dataclass
class Opened:
    connection: sqlite3.Connection
    path: str
    thread: threading.Thread


class Connections:
    """Every sqlite3.connect() call, and which of those connections were closed again."""

    def __init__(self):
        self.opened: list[Opened] = []
        self._closed: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._classes = {}

    def connect(self, database, *args, **kwargs):
        kwargs["factory"] = self._counted(kwargs.get("factory", sqlite3.Connection))
        connection = REAL_CONNECT(database, *args, **kwargs)
        with self._lock:
            self.opened.append(Opened(connection, path_of(database), threading.current_thread()))
        return connection

    def _counted(self, base):
        """A subclass of the connection class whose close() is recorded."""
        if base not in self._classes:
            closed, lock = self._closed, self._lock

            class Counted(base):
                def close(self):
                    with lock:
                        closed.append(self)
                    super().close()

            self._classes[base] = Counted
        return self._classes[base]

    def to(self, path) -> list[Opened]:
        with self._lock:
            return [o for o in self.opened if o.path == path_of(path)]

    def is_closed(self, opened: Opened) -> bool:
        return self.closed(opened.connection)

    def closed(self, connection) -> bool:
        with self._lock:
            return any(c is connection for c in self._closed)

    def still_open(self, path) -> list[Opened]:
        return [o for o in self.to(path) if not self.is_closed(o)]


def path_of(database) -> str:
    text = os.fsdecode(database)
    return text if text.startswith(("file:", ":memory:")) or not text else os.path.abspath(text)


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No FLASK_* or INVOICER_* variable from the learner's shell reaches a check, and a
    relative path in the learner's code lands under tmp_path, not in the course folder."""
    for variable in list(os.environ):
        if variable.startswith(("FLASK_", "INVOICER_")):
            monkeypatch.delenv(variable)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def connections(monkeypatch):
    """Counts sqlite3 connections; installed before the learner's package is imported, so
    that `from sqlite3 import connect` is counted too."""
    counter = Connections()
    monkeypatch.setattr(sqlite3, "connect", counter.connect)
    return counter


@pytest.fixture
def counted_invoicer(connections, load):
    """The learner's invoicer package, imported after sqlite3.connect is counted."""
    return load("invoicer")


@pytest.fixture
def command(lesson_dir, request):
    """command(app, name, expected) runs `flask NAME` with app.test_cli_runner() and returns
    what it printed; any other exit code than 0 fails, with what the command printed, the
    exception it raised and the line of the learner's code that raised it."""

    def _command(app, name, expected):
        result = app.test_cli_runner().invoke(args=[name])
        if result.exit_code == 0:
            return result.output
        said = result.output.strip()
        message = f"flask {name} → exit code {result.exit_code}"
        message += f", printed {said[-300:]!r}" if said else ""
        error = result.exception
        if error is None or isinstance(error, SystemExit):
            raise AssertionError(f"{message}, expected 0: {expected}")
        names = {frame.name for frame in traceback.extract_tb(error.__traceback__)}
        if "do_teardown_appcontext" in names:  # Flask's loop over the teardown functions
            expected = (
                "the command's app context ran the teardown functions when it ended, and one "
                "raised; a teardown function must never raise (close_audit_db must also work "
                "when no connection is on g: g.pop('audit_db', None))"
            )
        said = diagnose.exception(error, lesson_dir, request.config.rootpath, "It")
        raise AssertionError(f"{message}, expected 0: {expected}\n{said}")

    return _command


@pytest.fixture
def make_app(counted_invoicer, tmp_path, command):
    """make_app("a", KEY=value) makes an app with its own audit log under tmp_path, named after
    "a", and its tables created with `flask init-db`; threads=True for background jobs."""
    made = []

    def _make_app(name="app", threads=False, **settings):
        # In memory, Flask-SQLAlchemy shares one connection between threads: background jobs
        # get a file. The audit log is always a file: each connection to ":memory:" is empty.
        invoices = "sqlite:///" + str(tmp_path / f"{name}.sqlite") if threads else "sqlite://"
        config = {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": invoices,
            "AUDIT_DATABASE": str(tmp_path / f"{name}-audit.sqlite"),
            **settings,
        }
        app = counted_invoicer.create_app(config)
        made.append(app)
        command(app, "init-db", "as in lesson 3")
        return app

    yield _make_app
    for app in made:  # close the connection pools so no file stays open
        ext = app.extensions.get("sqlalchemy")
        # Only tidying up: a teardown function that raises has failed a check already.
        if isinstance(ext, SQLAlchemy):
            with contextlib.suppress(Exception), app.app_context():
                for engine in ext.engines.values():
                    engine.dispose()


def audit_path(app):
    return app.config.get("AUDIT_DATABASE")


def audit_function(name):
    """invoicer.audit.<name>, from the package the `invoicer` fixture loaded."""
    module = importlib.import_module("invoicer.audit")
    function = getattr(module, name, None)
    assert callable(function), (
        f"invoicer/audit.py has no function {name}(), expected the one the starter gives"
    )
    return function


def add_probe(app):
    """Add the checker's own view, /_probe/<mode>, which calls get_audit_db() twice and then
    returns, raises an exception, or aborts. Returns the list of (first, second) results."""
    get_audit_db = audit_function("get_audit_db")
    seen = []

    def probe(mode):
        first, second = get_audit_db(), get_audit_db()
        seen.append((first, second))
        first.execute("SELECT 1")
        if mode == "raise":
            raise ProbeError("raised on purpose by the checker")
        if mode == "abort":
            abort(409)
        return "ok"

    app.add_url_rule("/_probe/<mode>", "checker_probe", probe)
    return seen


def probe_request(app, mode):
    """GET /_probe/<mode>; the exception of mode "raise" is expected and swallowed."""
    try:
        return app.test_client().get(f"/_probe/{mode}")
    except ProbeError:
        return None


def during(connections, app, action):
    """Run action(); return the audit connections it opened."""
    before = len(connections.to(audit_path(app)))
    action()
    return connections.to(audit_path(app))[before:]


def described(opened: list[Opened]) -> str:
    return f"{len(opened)} connection{'s' if len(opened) != 1 else ''}"


def create_invoice(app, customer="Acme", amount_cents=1250):
    body = {"customer": customer, "amount_cents": amount_cents}
    r = app.test_client().post("/api/invoices", json=body)
    assert r.status_code == 201, fact(
        f"POST /api/invoices {json.dumps(body)}", r, "201 as in lesson 3"
    )
    return r.get_json()["id"]


def audit_events(app, request="GET /api/audit"):
    r = app.test_client().get("/api/audit")
    body = r.get_json(silent=True)
    ok = r.status_code == 200 and isinstance(body, dict) and isinstance(body.get("events"), list)
    assert ok, fact(request, r, '200 with {"events": [...]}: a route on the api Blueprint')
    return body["events"]


def pairs(events):
    """[(event, invoice_id), ...] of the events the API lists."""
    return [(e.get("event"), e.get("invoice_id")) for e in events if isinstance(e, dict)]


# --- Task 1: One connection per app context --------------------------------------------------


@pytest.mark.task(1)
def test_one_connection_per_request(make_app, connections):
    """get_audit_db() opens one connection per request, returns it on every call, and teardown closes it."""  # noqa: E501
    app = make_app()
    seen = add_probe(app)
    opened = during(connections, app, lambda: probe_request(app, "ok"))
    first, second = seen[0]
    assert first is second, (
        "in one request, get_audit_db() returned two different connections on two calls, "
        "expected the same one: keep it on g the first time (if 'audit_db' not in g: ...) and "
        "return g.audit_db"
    )
    assert len(opened) == 1, (
        f"one request that called get_audit_db() twice opened {described(opened)} to "
        "AUDIT_DATABASE, expected 1"
    )
    assert connections.is_closed(opened[0]), (
        "after a request that succeeded, its audit connection is still open, expected it "
        "closed: register close_audit_db with app.teardown_appcontext in init_app(app)"
    )


@pytest.mark.task(1)
def test_connection_closed_after_an_error(make_app, connections):
    """A request whose view raises an exception still closes its connection."""
    app = make_app()
    add_probe(app)
    opened = during(connections, app, lambda: probe_request(app, "raise"))
    assert len(opened) == 1 and connections.is_closed(opened[0]), (
        "a request whose view called get_audit_db() and then raised an exception left "
        f"{described(connections.still_open(audit_path(app)))} open, expected none: the "
        "teardown function receives the exception and must close the connection anyway "
        "(after_request functions do not run after an unhandled error)"
    )


@pytest.mark.task(1)
def test_connection_closed_after_abort(make_app, connections):
    """A request whose view calls abort(409) still closes its connection."""
    app = make_app()
    add_probe(app)
    responses = []
    opened = during(connections, app, lambda: responses.append(probe_request(app, "abort")))
    assert responses[0].status_code == 409, fact(
        "GET /_probe/abort (a view that calls abort(409))", responses[0], "409"
    )
    assert len(opened) == 1 and connections.is_closed(opened[0]), (
        "a request whose view called get_audit_db() and then abort(409) left "
        f"{described(connections.still_open(audit_path(app)))} open, expected none: close it "
        "whether or not the teardown function receives an exception"
    )


@pytest.mark.task(1)
def test_nothing_is_shared_between_requests(make_app, connections):
    """Many requests, some failing, each get their own connection and leave none open."""
    app = make_app()
    add_probe(app)
    modes = ["ok", "raise", "ok", "abort", "ok", "raise", "ok"]
    opened = during(connections, app, lambda: [probe_request(app, mode) for mode in modes])
    left = connections.still_open(audit_path(app))
    distinct = len({id(o.connection) for o in opened})
    assert len(opened) == len(modes) == distinct and not left, (
        f"{len(modes)} requests ({', '.join(modes)}) opened {described(opened)} "
        f"({distinct} different) and left {described(left)} open, expected one new connection "
        "per request, closed when the request ends: get_audit_db() keeps it on g, which "
        "belongs to one app context (a module-level variable would be shared by every request "
        "and thread), and close_audit_db runs at teardown"
    )


@pytest.mark.task(1)
def test_app_context_block_opens_once_and_closes(make_app, connections):
    """Inside `with app.app_context():` the connection is opened once and closed when the block ends."""  # noqa: E501
    app = make_app()
    get_audit_db = audit_function("get_audit_db")

    def work():
        with app.app_context():
            first, second = get_audit_db(), get_audit_db()
            assert first is second, (
                "in one `with app.app_context():` block, get_audit_db() returned two different "
                "connections, expected the same one, kept on g"
            )

    opened = during(connections, app, work)
    assert len(opened) == 1 and connections.is_closed(opened[0]), (
        "a `with app.app_context():` block that called get_audit_db() twice opened "
        f"{described(opened)} and left {described(connections.still_open(audit_path(app)))} "
        "open after the block, expected 1 opened and closed: register close_audit_db with "
        "app.teardown_appcontext (teardown_request runs only after requests, not for CLI "
        "commands or background jobs)"
    )


@pytest.mark.task(1)
def test_close_audit_db_called_directly(make_app, connections):
    """close_audit_db() with no argument closes the connection and takes it off g."""
    app = make_app()
    get_audit_db = audit_function("get_audit_db")
    close_audit_db = audit_function("close_audit_db")
    request = "in one `with app.app_context():` block, get_audit_db() then close_audit_db()"
    with app.app_context():
        first = get_audit_db()
        try:
            close_audit_db()
        except TypeError as error:
            raise AssertionError(
                f"{request} with no argument raised TypeError: {error}, expected the connection "
                "closed: give the parameter a default, def close_audit_db(exc=None) (Flask "
                "passes the exception or None; your own code may pass nothing)"
            ) from None
        assert connections.closed(first), (
            f"{request} left the connection open, expected it closed: take it off g "
            "(g.pop('audit_db', None)) and close() it"
        )
        try:
            get_audit_db().execute("SELECT 1")
        except sqlite3.ProgrammingError as error:
            raise AssertionError(
                f"{request}: the next get_audit_db() returned a closed connection "
                f"(sqlite3.ProgrammingError: {error}), expected a new, open one: close_audit_db "
                "must take the connection off g (g.pop('audit_db', None)), not only close it, "
                "or every later call in that context gets the closed one"
            ) from None


@pytest.mark.task(1)
def test_each_app_uses_its_own_audit_database(make_app, connections):
    """Two apps with different AUDIT_DATABASE settings each open their own file (config via current_app)."""  # noqa: E501
    apps = [make_app("first"), make_app("second")]
    for app in apps:
        add_probe(app)
    for app in [*apps, *apps]:
        opened = during(connections, app, lambda app=app: probe_request(app, "ok"))
        why = (
            "keep the connection on g and reuse it"
            if len(opened) > 1
            else "read the path from current_app.config['AUDIT_DATABASE'] for every new "
            "connection, never keep it (or an app, or a connection) in a module-level variable"
        )
        assert len(opened) == 1, (
            f"a request to the app with AUDIT_DATABASE …/{os.path.basename(audit_path(app))} "
            f"opened {described(opened)} to that file, expected 1: {why}"
        )


@pytest.mark.task(1)
def test_default_audit_database_in_the_instance_folder(
    counted_invoicer, connections, instance_path, tmp_path
):
    """Without AUDIT_DATABASE set, the audit log is audit.sqlite in the instance folder."""
    app = counted_invoicer.create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    add_probe(app)
    before = len(connections.opened)
    probe_request(app, "ok")
    paths = [opened.path for opened in connections.opened[before:]]
    setting = str(app.config.get("AUDIT_DATABASE"))
    shown = [
        path.replace(str(instance_path), "<instance folder>").replace(str(tmp_path), ".")
        for path in [setting, *paths]
    ]
    expected = os.path.join(instance_path, "audit.sqlite")
    assert paths and all(path == expected for path in paths), (
        f"create_app() without AUDIT_DATABASE gave AUDIT_DATABASE {shown[0]!r}, and a request "
        f"that called get_audit_db() opened {shown[1:] or 'no database'}, expected the file "
        "'<instance folder>/audit.sqlite': in init_app(app), "
        "app.config.setdefault('AUDIT_DATABASE', os.path.join(app.instance_path, 'audit.sqlite'))"
    )


@pytest.mark.task(1)
def test_no_app_is_created_at_import(load, monkeypatch):
    """Importing the package creates no Flask app: code reaches the app through current_app."""
    created = []
    original = Flask.__init__

    def counting_init(self, *args, **kwargs):
        created.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Flask, "__init__", counting_init)
    load("invoicer")
    importlib.import_module("invoicer.audit")
    holders = [
        f"{name}.{attribute}"
        for name, module in list(sys.modules.items())
        if name == "invoicer" or name.startswith("invoicer.")
        for attribute, value in vars(module).items()
        if isinstance(value, Flask)
    ]
    assert not created and not holders, (
        f"importing invoicer created {len(created)} Flask app(s)"
        f"{' kept in ' + ', '.join(holders) if holders else ''}, expected none: no "
        "`app = create_app()` and no `from . import app` in the package; code that needs the "
        "app uses current_app"
    )


# --- Task 2: An audit trail in the API -------------------------------------------------------


@pytest.mark.task(2)
def test_created_invoice_is_recorded(make_app):
    """POST /api/invoices records a "created" event that GET /api/audit lists."""
    app = make_app()
    invoice_id = create_invoice(app)
    events = audit_events(app, "GET /api/audit after POST /api/invoices")
    assert pairs(events) == [("created", invoice_id)], (
        f"GET /api/audit after creating invoice {invoice_id} listed {json.dumps(events)}, "
        f'expected one event with "event": "created" and "invoice_id": {invoice_id}: call '
        "audit.record('created', invoice.id) in create_invoice after the commit"
    )


@pytest.mark.task(2)
def test_events_listed_oldest_first(make_app):
    """GET /api/audit lists every event, oldest first."""
    app = make_app()
    ids = [create_invoice(app, customer=name) for name in ("Acme", "Globex", "Initech")]
    events = audit_events(app, "GET /api/audit after three POST /api/invoices")
    expected = [("created", invoice_id) for invoice_id in ids]
    assert pairs(events) == expected, (
        f"GET /api/audit after creating invoices {ids} listed {json.dumps(events)}, expected "
        f"the events {expected} in that order, oldest first (ORDER BY id)"
    )


@pytest.mark.task(2)
def test_rejected_invoice_is_not_recorded(make_app):
    """An invoice refused with 400 leaves no event in the audit log."""
    app = make_app()
    r = app.test_client().post("/api/invoices", json={"customer": "Acme", "amount_cents": -5})
    assert r.status_code == 400, fact(
        'POST /api/invoices {"customer": "Acme", "amount_cents": -5}', r, "400 as in lesson 3"
    )
    events = audit_events(app, "GET /api/audit after a POST answered 400")
    assert events == [], (
        f"GET /api/audit after a POST answered 400 listed {json.dumps(events)}, expected no "
        "events: record only an invoice that was saved"
    )


@pytest.mark.task(2)
def test_api_requests_close_their_connections(make_app, connections):
    """Each API request that uses the audit log opens at most one connection and closes it."""
    app = make_app()
    client = app.test_client()
    for request, send in [
        ("POST /api/invoices", lambda: client.post("/api/invoices", json={"customer": "Acme", "amount_cents": 1250})),  # noqa: E501
        ("GET /api/audit", lambda: client.get("/api/audit")),
    ]:  # fmt: skip
        opened = during(connections, app, send)
        left = connections.still_open(audit_path(app))
        assert len(opened) <= 1 and not left, (
            f"{request} opened {described(opened)} to AUDIT_DATABASE and left {described(left)} "
            "open, expected at most one, closed when the request ends: use get_audit_db() "
            "(Task 1) rather than sqlite3.connect() in the views"
        )


# --- Task 3: A report from the command line --------------------------------------------------


@pytest.fixture
def report(command):
    """report(app): what `flask audit-report` printed for app; it must exit 0."""

    def _report(app):
        return command(
            app,
            "audit-report",
            "a click command added in create_app() with app.cli.add_command(), decorated with "
            "@with_appcontext so that current_app and g work inside it",
        )

    return _report


@pytest.mark.task(3)
def test_audit_report_lists_the_events(make_app, report):
    """`flask audit-report` prints one line per event, with its name and invoice id."""
    app = make_app()
    # Invoice ids unlike the events' own ids (1, 2, 3): a line must show the invoice's.
    events = [("created", 41), ("created", 57), ("sent", 41)]
    record = audit_function("record")
    with app.app_context():
        for name, invoice_id in events:
            record(name, invoice_id, SENDER if name == "sent" else None)
    output = report(app)
    lines, missing = output.splitlines(), []
    for name, invoice_id in events:  # each event needs a line of its own
        found = [
            line
            for line in lines
            if re.search(rf"\b{name}\b", line) and re.search(rf"\b{invoice_id}\b", line)
        ]
        if found:
            lines.remove(found[0])
        else:
            missing.append(f"{name} {invoice_id}")
    assert not missing, (
        f"after record() of the events {events} (event, invoice id), flask audit-report "
        f"printed {output.strip()!r}, expected a line for each event with its name and its "
        f"invoice id (missing: {', '.join(missing)}): print event['event'] and "
        "event['invoice_id'] (the event's own id is event['id'])"
    )


@pytest.mark.task(3)
def test_audit_report_closes_its_connection(make_app, connections, report):
    """`flask audit-report` opens the audit database in its app context, and teardown closes it."""
    app = make_app()
    create_invoice(app)
    opened = during(connections, app, lambda: report(app))
    left = connections.still_open(audit_path(app))
    assert len(opened) == 1 and not left, (
        f"flask audit-report opened {described(opened)} to AUDIT_DATABASE and left "
        f"{described(left)} open after the command, expected 1, closed when the command's app "
        "context ends: @with_appcontext, get_audit_db(), and close_audit_db registered with "
        "teardown_appcontext (which runs for commands too)"
    )


@pytest.mark.task(3)
def test_audit_report_reads_its_own_app(make_app, report):
    """`flask audit-report` reports the log of the app it runs for, and an empty log is no error."""
    busy, quiet = make_app("busy"), make_app("quiet")
    create_invoice(busy)
    output = report(quiet)
    assert "created" not in output, (
        f"flask audit-report for an app whose audit log is empty printed {output.strip()!r}, "
        "expected no 'created' event (another app has one): read the log through "
        "get_audit_db(), which uses current_app.config['AUDIT_DATABASE']"
    )


@pytest.mark.task(3)
def test_audit_report_says_when_the_log_is_empty(make_app, report):
    """`flask audit-report` on an empty audit log prints a message, not nothing."""
    output = report(make_app())
    assert output.strip(), (
        f"flask audit-report for an app whose audit log is empty printed {output!r}, expected "
        "a message such as 'The audit log is empty.': when all_events() returns [], say so"
    )


# --- Task 4: Send in the background ----------------------------------------------------------


@dataclass
class Sending:
    response: object
    status: object = None
    sent: tuple = ()
    threads: tuple = ()
    errors: tuple = ()
    waited: str = ""
    held: tuple = ()  # with hold=True: what each held thread was doing when the response came


@pytest.fixture
def send(connections, monkeypatch):
    """send(app, invoice_id) POSTs .../send and waits (a bounded time) for the job to end.
    With hold=True, every thread started during the POST waits for the response first."""
    started, errors, held = [], [], []
    gate = {"event": None}  # while set to an Event, new threads wait for it before running
    original_start = threading.Thread.start

    def recording_start(thread):
        started.append(thread)
        if (event := gate["event"]) is not None:
            state = {"thread": thread, "outcome": "waiting"}
            held.append(state)
            run = thread.run

            def held_run():
                # The wait is bounded only so that a request that waits for its thread ends.
                state["outcome"] = "released" if event.wait(WAIT) else "gave up"
                run()

            thread.run = held_run
        original_start(thread)

    monkeypatch.setattr(threading.Thread, "start", recording_start)
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args))

    def _send(app, invoice_id, hold=False):
        client = app.test_client()
        del started[:], held[:]
        gate["event"] = threading.Event() if hold else None
        try:
            response = client.post(f"/api/invoices/{invoice_id}/send")
        finally:
            event, gate["event"] = gate["event"], None
        result = Sending(response, held=tuple(state["outcome"] for state in held))
        if event is not None:
            event.set()
        if response.status_code != 202:
            return result
        deadline = time.monotonic() + WAIT
        while True:
            # A pool's worker thread may have been started earlier, and stays alive: then only
            # the outcome (or the deadline) ends the wait.
            ended = bool(started) and all(not t.is_alive() for t in started)
            invoice = client.get(f"/api/invoices/{invoice_id}").get_json(silent=True) or {}
            result.status = invoice.get("status")
            events = client.get("/api/audit").get_json(silent=True) or {}
            result.sent = tuple(
                e
                for e in events.get("events", [])
                if isinstance(e, dict) and e.get("event") == "sent"
                if e.get("invoice_id") == invoice_id
            )
            settled = result.status == "sent" and result.sent
            settled = settled and not connections.still_open(audit_path(app))
            # A thread that has ended has done all it will do.
            if settled or ended or time.monotonic() > deadline:
                result.waited = "once the job had ended" if ended else f"{WAIT:g} s later"
                break
            time.sleep(POLL)
        result.threads, result.errors = tuple(started), tuple(errors)
        return result

    return _send


def thread_error(result: Sending) -> str:
    if not result.errors:
        return ""
    error = result.errors[0]
    first_line = "".join(str(error.exc_value).strip().splitlines()[:1])
    return f" (the thread raised {error.exc_type.__name__}: {first_line})"


@pytest.mark.task(4)
@pytest.mark.local_only("threads")
def test_send_answers_202(make_app, send):
    """POST /api/invoices/<id>/send answers 202 Accepted, and 404 for an unknown invoice."""
    app = make_app(threads=True)
    invoice_id = create_invoice(app)
    result = send(app, invoice_id)
    assert result.response.status_code == 202, fact(
        f"POST /api/invoices/{invoice_id}/send", result.response, "202 Accepted"
    )
    r = app.test_client().post("/api/invoices/999/send")
    expected = {"error": "invoice 999 not found"}
    assert r.status_code == 404 and r.get_json(silent=True) == expected, fact(
        "POST /api/invoices/999/send",
        r,
        f"404 with {json.dumps(expected)}, as GET /api/invoices/999",
    )


@pytest.mark.task(4)
@pytest.mark.local_only("threads")
def test_send_answers_before_the_job_ends(make_app, send):
    """POST /api/invoices/<id>/send answers while its job is still running."""
    app = make_app(threads=True)
    invoice_id = create_invoice(app)
    result = send(app, invoice_id, hold=True)
    request = f"POST /api/invoices/{invoice_id}/send"
    assert result.response.status_code == 202, fact(request, result.response, "202 Accepted")
    assert "gave up" not in result.held, (
        f"the checker held the thread that {request} started until the response came: the "
        f"response came only after the thread had waited {WAIT:g} s and gone on, expected 202 "
        "at once, while the job still runs: start the thread and return, without "
        "thread.join() or waiting for its result"
    )


@pytest.mark.task(4)
@pytest.mark.local_only("threads")
def test_send_finishes_in_the_background(make_app, send, connections):
    """The job marks the invoice sent and records "sent" with INVOICER_MAIL_FROM, from another thread."""  # noqa: E501
    app = make_app(threads=True, INVOICER_MAIL_FROM=SENDER)
    invoice_id = create_invoice(app)
    result = send(app, invoice_id)
    assert result.response.status_code == 202, fact(
        f"POST /api/invoices/{invoice_id}/send", result.response, "202 Accepted"
    )
    request = f"after POST /api/invoices/{invoice_id}/send (INVOICER_MAIL_FROM={SENDER!r})"
    assert result.status == "sent", (
        f"{request}, the invoice's status is {result.status!r} {result.waited}, expected "
        f"'sent'{thread_error(result)}: in the thread, work inside "
        "`with app.app_context():` of the real app, passed in as "
        "current_app._get_current_object()"
    )
    details = [e.get("detail") for e in result.sent]
    assert details == [SENDER], (
        f"{request}, GET /api/audit lists the 'sent' events {json.dumps(result.sent)}"
        f'{thread_error(result)}, expected one with "detail": {SENDER!r}: record("sent", '
        "invoice_id, current_app.config['INVOICER_MAIL_FROM']) in the thread"
    )
    threads = {o.thread for o in connections.to(audit_path(app))}
    assert threads - {threading.current_thread()}, (
        f"{request}, every audit connection was opened in the request's own thread, expected "
        "the 'sent' event to be written by a background thread (threading.Thread(...).start()) "
        "so that the response does not wait for the e-mail"
    )


@pytest.mark.task(4)
@pytest.mark.local_only("threads")
def test_background_job_closes_its_connection(make_app, send, connections):
    """The background job's audit connection is closed when its app context ends."""
    app = make_app(threads=True)
    invoice_id = create_invoice(app)
    result = send(app, invoice_id)
    left = connections.still_open(audit_path(app))
    assert result.sent and not left, (
        f"after POST /api/invoices/{invoice_id}/send, the job recorded {len(result.sent)} "
        f"'sent' event(s){thread_error(result)} and {described(left)} stayed open "
        f"{result.waited}, expected the event and every connection closed: "
        "`with app.app_context():` in the thread runs the teardown functions when the block "
        "ends (a push() without pop() never does)"
    )


@pytest.mark.task(4)
@pytest.mark.local_only("threads")
def test_background_job_uses_its_own_app(make_app, send):
    """Two apps with different senders and databases: each job works with its own app."""
    apps = {
        "first": make_app("first", threads=True, INVOICER_MAIL_FROM="first@invoicer.example"),
        "second": make_app("second", threads=True, INVOICER_MAIL_FROM="second@invoicer.example"),
    }
    for name, app in apps.items():
        invoice_id = create_invoice(app)
        result = send(app, invoice_id)
        details = [e.get("detail") for e in result.sent]
        expected = app.config["INVOICER_MAIL_FROM"]
        assert result.status == "sent" and details == [expected], (
            f"POST /api/invoices/{invoice_id}/send on the {name} of two apps (INVOICER_MAIL_FROM="
            f"{expected!r}) left the invoice {result.status!r} and the 'sent' events "
            f"{json.dumps(result.sent)}{thread_error(result)}, expected 'sent' and one event "
            f"with {expected!r}: give the thread the app that handles the request "
            "(current_app._get_current_object()), never a new create_app()"
        )


# --- Lessons 2 to 4: the service still works ------------------------------------------------
# This lesson starts where lesson 4 ended, so every check of lesson 4 runs again, on this
# lesson's code, with lesson 4's own fixtures (build, invoicer, ...): one place for each fact.


def again(check):
    """Lesson 4's check, as a check of this lesson's Task 1."""

    @functools.wraps(check)
    def still(*args, **kwargs):
        return check(*args, **kwargs)

    del still.pytestmark  # lesson 4's task number, copied by wraps
    still.__doc__ = f"As in lesson 4: {check.__doc__}"
    return pytest.mark.task(1)(still)


for _name, _check in list(vars(lesson_4).items()):
    if _name.startswith("test_") and callable(_check):
        globals()["test_lesson_4_" + _name.removeprefix("test_")] = again(_check)
