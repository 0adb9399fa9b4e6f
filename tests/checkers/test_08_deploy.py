"""Checks for lesson 8, Deployment (lessons/08_deploy/).

Most checks talk over HTTP to a real Gunicorn started from the learner's gunicorn.conf.py, as
production would run it. Each Gunicorn runs in a process group of its own and is stopped
with the group at the end of the module; a small watchdog outside the checks' process group
kills the groups if the checks themselves are killed (the grader's timeout, Ctrl-C), so no
server outlives the check.
"""

import contextlib
import http.client
import json
import logging
import os
import re
import runpy
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
import test_06_errors as lesson_6
import test_07_security as lesson_7

from flasklings import learner
from flasklings.carry_over import AGAIN_IN_LESSON_7, CHANGED_IN_LESSON_8, lesson_class
from flasklings.checks import fact, not_an_app
from flasklings.plugin import lesson_slug, target_root

SECRET = "deploy-3f9a1c7e5b2d4f60a8e1"
HOSTS = '["127.0.0.1", "localhost"]'
CLIENT = "198.51.100.7"  # the visitor, as the proxy saw it
SPOOFED = "203.0.113.66"  # what a visitor wrote into X-Forwarded-For itself
PROXY = "192.0.2.10"  # a second proxy (a CDN) in front of the load balancer
WORKERS = 2  # WEB_CONCURRENCY for the main Gunicorn
DOCKER_STOP = 10  # seconds `docker stop` waits after SIGTERM before it sends SIGKILL
START_LIMIT = 20.0  # seconds for Gunicorn's first answer: each worker imports the app
ANSWER_LIMIT = 10.0  # seconds for any later answer
STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL when the checks stop a Gunicorn
NICENESS = 5  # Gunicorn's scheduling priority, below the checks' own
INVOICE = {"customer": "Acme", "amount_cents": 1250}
ENVIRONMENT_PREFIXES = ("FLASK_", "INVOICER_", "GUNICORN_")
ENVIRONMENT_NAMES = ("PORT", "WEB_CONCURRENCY", "PYTHONPATH")
WSL = "https://learn.microsoft.com/windows/wsl/install"
# Words of a database error or URL that a 503 body must not show.
LEAKS = ("no-such-folder", "sqlite", "OperationalError", "unable to open", "sqlalche.me", "SELECT")


# --- the environment ------------------------------------------------------------------------


def clear_environment(monkeypatch):
    for variable in list(os.environ):
        if variable.startswith(ENVIRONMENT_PREFIXES) or variable in ENVIRONMENT_NAMES:
            monkeypatch.delenv(variable)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No FLASK_*, INVOICER_*, PORT or WEB_CONCURRENCY from the learner's shell reaches a check."""
    clear_environment(monkeypatch)


def production_environment(database_url, instance):
    """What a deployment sets: lesson 7's production needs a key, a database and hosts."""
    return {
        "INVOICER_CONFIG": "production",
        "INVOICER_INSTANCE_PATH": str(instance),
        "FLASK_SECRET_KEY": SECRET,
        "FLASK_SQLALCHEMY_DATABASE_URI": database_url,
        "FLASK_TRUSTED_HOSTS": HOSTS,
    }


def sqlite_url(path):
    return "sqlite:///" + str(path)


# --- Gunicorn's settings, read the way Gunicorn reads them ----------------------------------


def needs_unix():
    if sys.platform == "win32":
        raise AssertionError(
            "Gunicorn runs only on Unix-like systems (it forks its workers), so this check "
            f"cannot run on Windows. Take this lesson in WSL ({WSL}): open the course folder "
            "in a WSL terminal and run the check there. The Docker image runs on Linux anyway."
        )


def gunicorn_settings(lesson_dir, environment=None, cores=None):
    """Run gunicorn.conf.py with `environment` and return Gunicorn's Config as it would be.

    Gunicorn executes the file as Python and copies every global that names a setting; the
    `workers` default reads WEB_CONCURRENCY, so it is read again here, with this environment.
    With `cores`, the file sees a machine with that many CPU cores.
    """
    needs_unix()
    from gunicorn.config import Config

    path = lesson_dir / "gunicorn.conf.py"
    with pytest.MonkeyPatch.context() as mp:
        clear_environment(mp)
        for variable, value in (environment or {}).items():
            mp.setenv(variable, value)
        if cores is not None:  # multiprocessing.cpu_count() asks these too
            for name in ("cpu_count", "process_cpu_count"):
                if hasattr(os, name):
                    mp.setattr(os, name, lambda: cores)
        try:
            values = runpy.run_path(str(path), run_name="__config__")
        except Exception as exc:
            raise AssertionError(
                f"running gunicorn.conf.py (as Gunicorn does) raised {type(exc).__name__}: "
                f"{exc}, expected it to set Gunicorn's settings"
            ) from None
        config = Config()
        config.set("workers", int(os.environ.get("WEB_CONCURRENCY", 1)))
        for name, value in values.items():
            if name in config.settings:
                try:
                    config.set(name, value)
                except Exception as exc:
                    raise AssertionError(
                        f"gunicorn.conf.py sets {name} = {value!r}, which Gunicorn refuses: {exc}"
                    ) from None
    return config


def describe_environment(environment):
    return " ".join(f"{k}={v}" for k, v in environment.items()) or "no PORT or WEB_CONCURRENCY"


# --- Gunicorn processes ---------------------------------------------------------------------

# The watchdog: reads "+GROUP" / "-GROUP" lines; when its input ends while groups are left
# (the checks were killed before they could stop their servers), it kills those groups.
REAPER = """
import os, signal, sys
groups = set()
for line in sys.stdin:
    (groups.add if line[0] == "+" else groups.discard)(int(line[1:]))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""


class Reaper:
    """A process outside the checks' process group that outlives them by a moment: the grader
    kills that whole group on a timeout or Ctrl-C, and Gunicorn's groups would escape it."""

    def __init__(self, label):
        self.label = label  # in its command line, so that maintainers' tests can find it
        self.process = None

    def watch(self, group):
        if self.process is None:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", REAPER, self.label],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                text=True, start_new_session=True,
            )  # fmt: skip
        self._send(f"+{group}")

    def forget(self, group):
        self._send(f"-{group}")

    def close(self):
        if self.process is not None:
            self.process.stdin.close()  # nothing left to kill: it ends by itself
            self.process.wait()

    def _send(self, line):
        if self.process is not None:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()


def group_members(group):
    """The live processes (not zombies) of a process group."""
    listing = subprocess.run(
        ["ps", "-A", "-o", "pid=,pgid=,stat="], capture_output=True, text=True
    ).stdout
    return [
        int(pid)
        for pid, pgid, stat in (line.split(None, 2) for line in listing.splitlines())
        if int(pgid) == group and not stat.startswith("Z")
    ]


def children_of(pid):
    listing = subprocess.run(["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True)
    return [
        int(child)
        for child, parent in (line.split() for line in listing.stdout.splitlines())
        if int(parent) == pid
    ]


# How the checks start Gunicorn: what `gunicorn --config ...` runs, with two savings that no
# check can see. The libraries the app imports are loaded once in the master, before it forks
# its workers (none of the learner's code runs there: each worker still imports the package and
# calls the factory), and the master and each worker leave with Gunicorn's exit status once
# their threads and atexit functions ran, as Python's own exit does, without tearing the
# interpreter down. On two cores that halves Gunicorn's start, and a worker stops 0.1 s sooner.
LAUNCH = """
import atexit, logging, os, sys, threading
for library in ("flask", "flask_sqlalchemy", "flask_wtf", "werkzeug.middleware.proxy_fix"):
    try:
        __import__(library)
    except Exception:
        pass  # the worker that imports it will say why
from gunicorn.app.wsgiapp import run
sys.argv[0] = "gunicorn"
try:
    run()
    status = 0
except SystemExit as stop:  # in the master, and in each worker Gunicorn forked
    status = stop.code
    if not isinstance(status, int):
        status = 0 if status is None else (print(status, file=sys.stderr) or 1)
threading._shutdown()  # the app's non-daemon threads finish first, as at Python's exit
atexit._run_exitfuncs()
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(status)
"""


@dataclass
class Reply:
    status: int
    headers: dict  # lower-case names
    body: bytes

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __str__(self):
        kind = self.headers.get("content-type", "(no content type)").split(";")[0]
        text = self.body.decode("utf-8", "replace").strip()
        text = text if len(text) <= 120 else text[:119] + "…"
        return f"{self.status} {kind} {text!r}"


def said(request, reply, expected):
    return f"{request} → {reply}, expected {expected}"


class Gunicorn:
    """One Gunicorn started from the learner's gunicorn.conf.py on a port of its own."""

    def __init__(self, name, lesson_dir, workdir, environment, reaper):
        self.name = name
        self.lesson_dir = lesson_dir
        self.workdir = workdir
        self.environment = environment
        self.reaper = reaper
        self.log = workdir / f"gunicorn-{name}.log"
        self.process = None
        self.port = None
        self.problem = None  # why it did not start, once known
        self.ready = False

    @property
    def command(self):
        return (
            f"{describe_environment({'WEB_CONCURRENCY': self.environment['WEB_CONCURRENCY']})} "
            "gunicorn -c gunicorn.conf.py"
        )

    def start(self):
        # The checks bind the port and hand the socket over (fd://): no other program can
        # take the port in between, and requests wait in its queue until a worker is ready.
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(ENVIRONMENT_PREFIXES) and key not in ENVIRONMENT_NAMES
        }
        env.update(self.environment)
        # The lesson folder on the import path; no bytecode written into it.
        env.update(PYTHONPATH=str(self.lesson_dir), PYTHONDONTWRITEBYTECODE="1")
        command = [
            sys.executable, "-c", LAUNCH,
            "--config", str(self.lesson_dir / "gunicorn.conf.py"),
            "--bind", f"fd://{listener.fileno()}",
            "--no-control-socket",  # whatever the config says: nothing written in the home
        ]  # fmt: skip
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                command, cwd=self.workdir, env=env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, pass_fds=(listener.fileno(),),
                start_new_session=True,  # its own group: stopped as a whole, workers too
                # A lower priority: while it boots, the checks in this process (which wait
                # for nothing) come first on a busy CPU, and it is ready long before it is used.
                preexec_fn=lambda: os.nice(NICENESS),
            )  # fmt: skip
        listener.close()
        self.reaper.watch(self.process.pid)

    def output(self):
        return self.log.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines=12):
        kept = self.output().strip().splitlines()[-lines:]
        return "\n".join("    " + line[:200] for line in kept) or "    (nothing)"

    def wait_ready(self):
        """Wait until GET /health gets an answer; explain why not when it does not."""
        if self.ready:
            return
        if self.problem:
            raise AssertionError(self.problem)
        try:
            reply = self._first_answer()
        except AssertionError as exc:
            self.problem = str(exc)
            raise
        self.ready = True
        self.first_reply = reply

    def _first_answer(self):
        deadline = time.monotonic() + START_LIMIT
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=START_LIMIT)
        try:
            connection.request("GET", "/health")
            while not select.select([connection.sock], [], [], 0.05)[0]:
                if self.process.poll() is not None:
                    raise AssertionError(self._exited())
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"`{self.command}` started, but GET /health got no answer within "
                        f"{START_LIMIT:g} s. Gunicorn's output ends with:\n{self.tail()}"
                    )
            response = connection.getresponse()
            return Reply(response.status, _headers(response), response.read())
        except (ConnectionError, http.client.HTTPException) as exc:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(STOP_GRACE)  # closed because Gunicorn is exiting?
            if self.process.poll() is not None:
                raise AssertionError(self._exited()) from None
            raise AssertionError(
                f"`{self.command}`: GET /health failed ({type(exc).__name__}: {exc}). "
                f"Gunicorn's output ends with:\n{self.tail()}"
            ) from None
        finally:
            connection.close()

    def _exited(self):
        output = self.output()
        advice = ""
        if "No application module specified" in output:
            advice = 'Name the app in gunicorn.conf.py: wsgi_app = "invoicer:create_app()".\n'
        elif "Failed to find attribute" in output or "Failed to parse" in output:
            advice = (
                "Gunicorn does not look for a factory by itself: name it and call it, "
                'wsgi_app = "invoicer:create_app()".\n'
            )
        elif "Worker failed to boot" in output or "App failed to load" in output:
            advice = (
                "A worker could not load the app: the traceback above says where. Gunicorn "
                "ran it with INVOICER_CONFIG=production, FLASK_SECRET_KEY, "
                f"FLASK_SQLALCHEMY_DATABASE_URI and FLASK_TRUSTED_HOSTS='{HOSTS}'.\n"
            )
        return (
            f"`{self.command}` exited with status {self.process.returncode} before it "
            f"answered a request. Gunicorn's output ends with:\n{self.tail()}\n{advice}"
        ).rstrip()

    def request(self, method, path, body=None, headers=None, limit=ANSWER_LIMIT):
        self.wait_ready()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=limit)
        headers = dict(headers or {})
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        shown = f"{method} {path} over HTTP to Gunicorn" + (
            f" with {', '.join(f'{k}: {v}' for k, v in headers.items())}" if headers else ""
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return Reply(response.status, _headers(response), response.read())
        except (OSError, http.client.HTTPException) as exc:
            raise AssertionError(
                f"{shown}: no answer ({type(exc).__name__}: {exc}). Gunicorn's output ends "
                f"with:\n{self.tail()}"
            ) from None
        finally:
            connection.close()

    def terminate(self):
        """SIGTERM to the group, without waiting: it stops while the checks go on."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self):
        """SIGTERM to the group, a short grace, then SIGKILL; the processes still alive."""
        if self.process is None:
            return []
        group = self.process.pid
        if self.process.poll() is None:
            self.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(STOP_GRACE)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)  # a worker that ignored SIGTERM, if any
        self.process.wait()
        deadline = time.monotonic() + STOP_GRACE
        while (alive := group_members(group)) and time.monotonic() < deadline:
            time.sleep(0.05)  # SIGKILLed processes vanish as soon as they are reaped
        self.reaper.forget(group)
        self.process = None
        return alive


def _headers(response):
    return {name.lower(): value for name, value in response.getheaders()}


class HeldRequest:
    """A POST whose body is held back: the worker that took it stays busy until finish().

    It asks `Expect: 100-continue`, and Gunicorn answers `100 Continue` only once a worker
    has taken the request and is about to call the app.
    """

    def __init__(self, server, path, body, headers=None):
        self.server = server
        self.body = json.dumps(body).encode()
        lines = [
            f"POST {path} HTTP/1.1",
            "Host: localhost",
            "Content-Type: application/json",
            f"Content-Length: {len(self.body)}",
            "Expect: 100-continue",
            "Connection: close",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
        ]
        server.wait_ready()
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=ANSWER_LIMIT)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.received = b""

    def continued(self, limit):
        """Whether a worker answered 100 Continue within `limit` seconds."""
        deadline = time.monotonic() + limit
        while b"\r\n\r\n" not in self.received:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                return False
            chunk = self.sock.recv(4096)
            if not chunk:
                return False
            self.received += chunk
        return self.received.startswith((b"HTTP/1.1 100", b"HTTP/1.0 100"))

    def finish(self):
        """Send the body; the final reply (None when the connection died first)."""
        data = self.received.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in self.received else b""
        try:
            self.sock.sendall(self.body)
            self.sock.settimeout(ANSWER_LIMIT)
            while chunk := self.sock.recv(65536):
                data += chunk
        except OSError:
            return None
        finally:
            self.sock.close()
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/"):
            return None
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return Reply(int(status_line.split()[1]), headers, body)

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


class Fleet:
    """The Gunicorns of this module: `main` (a working database, WEB_CONCURRENCY=2) and
    `broken` (a database URL that cannot work, one worker), started together on first use."""

    def __init__(self, config, lesson_dir, workdir):
        self.config = config
        self.lesson_dir = lesson_dir
        self.workdir = workdir
        self.reaper = Reaper(str(lesson_dir))
        self.servers = {}
        self.problem = None
        self.settings = None
        self.main_env = None
        self.tables_made = False

    def boot(self):
        """Start the Gunicorns and return at once: they boot while other checks run."""
        if self.servers or self.problem:
            return
        try:
            self._spawn()
        except AssertionError as exc:
            self.problem = str(exc)

    def get(self, name):
        self.boot()
        if self.problem:
            raise AssertionError(self.problem)
        if not self.tables_made:
            try:  # the tables, made by the learner's own `flask init-db`
                self._init_db(self.main_env)
            except AssertionError as exc:
                self.problem = str(exc)
                raise
            self.tables_made = True
        server = self.servers[name]
        server.wait_ready()
        return server

    def _spawn(self):
        needs_unix()
        main_env = {
            **production_environment(
                sqlite_url(self.workdir / "invoicer.sqlite"), self.workdir / "instance"
            ),
            "WEB_CONCURRENCY": str(WORKERS),
        }
        missing = self.workdir / "no-such-folder" / "invoicer.sqlite"
        broken_env = {
            **production_environment(sqlite_url(missing), self.workdir / "instance-broken"),
            "WEB_CONCURRENCY": "1",
        }
        self.settings = gunicorn_settings(self.lesson_dir, main_env)
        if self.settings.daemon:
            raise AssertionError(
                "gunicorn.conf.py sets daemon = True: Gunicorn would detach itself from the "
                "process that started it, and in a container the main process would end at "
                "once. Remove it: the platform (Docker, systemd) keeps the service running."
            )
        for name, environment in (("main", main_env), ("broken", broken_env)):
            self.servers[name] = Gunicorn(
                name, self.lesson_dir, self.workdir, environment, self.reaper
            )
            self.servers[name].start()
        self.main_env = main_env

    def _init_db(self, environment):
        import flask

        root = self.config.rootpath
        with pytest.MonkeyPatch.context() as mp:
            clear_environment(mp)
            for variable, value in environment.items():
                mp.setenv(variable, value)
            instance = self.workdir / "instance"
            mp.setattr(flask.Flask, "auto_find_instance_path", lambda app: str(instance))
            invoicer = learner.import_shared(self.lesson_dir, "invoicer", root)
            try:
                app = invoicer.create_app()
            except Exception as exc:
                raise AssertionError(
                    f"create_app() with {describe_environment(environment)} raised "
                    f"{type(exc).__name__}: {exc}, expected an app (this is how Gunicorn's "
                    "workers call it)"
                ) from None
            if problem := not_an_app("create_app()", app):
                raise AssertionError(f"{problem} (this is how Gunicorn's workers call it)")
            init_db(app)
            dispose(app)

    def release(self, name):
        """No check needs this Gunicorn any more: it stops meanwhile (stop() waits for it)."""
        server = self.servers[name]
        server.problem = server.problem or f"the {name} Gunicorn was stopped after its checks"
        server.terminate()

    def stop(self):
        survivors = {}
        for server in self.servers.values():
            server.terminate()  # all at once: they stop side by side
        for name, server in self.servers.items():
            if alive := server.stop():
                survivors[name] = alive
        self.reaper.close()
        return survivors


@pytest.fixture(scope="module")
def fleet(request, tmp_path_factory):
    """The module's Gunicorns, stopped at its end; no process of theirs may survive."""
    lesson_dir = target_root(request.config) / lesson_slug(request.node.path)
    fleet = Fleet(request.config, lesson_dir, tmp_path_factory.mktemp("gunicorn"))
    yield fleet
    survivors = fleet.stop()
    assert not survivors, (
        f"Gunicorn processes {survivors} were still running after SIGTERM and SIGKILL to "
        "their process group: a process that left the group (daemon = True, or setsid() in "
        "the code) escapes the checks. Remove it."
    )


@pytest.fixture(scope="module", autouse=True)
def gunicorn_boots_early(fleet):
    """The Gunicorns boot on the other core while the in-process checks run: the checks that
    use them are marked `late` (the grader runs those last)."""
    fleet.boot()


# Only for this file's own checks: a later lesson that runs some of them has its own servers.
NOT_CARRIED = frozenset({"gunicorn_boots_early"})


@pytest.fixture
def gunicorn(fleet):
    """The main Gunicorn: production settings, a database with tables, WEB_CONCURRENCY=2."""
    return fleet.get("main")


# --- the app in this process ----------------------------------------------------------------


def init_db(app):
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, (
        f"flask init-db → exit code {result.exit_code}, {result.output.strip()!r}, expected 0 "
        "as in lesson 3"
    )


def dispose(app):
    # Flask and its extensions are imported on first use, not at the top: the Gunicorns start
    # first, and this process imports them while their workers boot.
    from flask_sqlalchemy import SQLAlchemy

    ext = getattr(app, "extensions", {}).get("sqlalchemy")  # not an app: no engine to close
    if isinstance(ext, SQLAlchemy):
        with app.app_context():
            for engine in ext.engines.values():
                engine.dispose()


@pytest.fixture
def build(load, monkeypatch):
    """build(test_config, VARIABLE=value, ...) sets those environment variables, calls
    create_app(test_config) and returns the app. Engines are closed afterwards."""

    invoicer = load("invoicer", fresh=False)
    made = []

    def _build(test_config=None, **environment):
        for variable, value in environment.items():
            monkeypatch.setenv(variable, value)
        try:
            app = invoicer.create_app(None if test_config is None else dict(test_config))
        except Exception as exc:  # explained to the learner
            raise AssertionError(
                f"create_app({test_config!r}) with {describe_environment(environment)} raised "
                f"{type(exc).__name__}: {exc}, expected an app"
            ) from None
        assert not (problem := not_an_app(f"create_app({test_config!r})", app)), problem
        made.append(app)
        return app

    yield _build
    for app in made:
        dispose(app)


@pytest.fixture
def production(build, tmp_path):
    """production(VARIABLE=value, ...): an app as a deployment builds it, tables made."""

    def _production(**environment):
        settings = {
            **production_environment(sqlite_url(tmp_path / "app.sqlite"), tmp_path / "inst"),
            **environment,
        }
        app = build(**settings)
        init_db(app)
        return app

    return _production


def create_invoice(client_or_server, headers):
    """POST an invoice through Gunicorn or a test client; (what was done, the reply, its
    Location, the client the audit log names for the new invoice)."""
    shown = "POST /api/invoices with " + ", ".join(f"{k}: {v}" for k, v in headers.items())
    if isinstance(client_or_server, Gunicorn):
        reply = client_or_server.request("POST", "/api/invoices", INVOICE, headers)
        status, body, location = reply.status, reply.json(), reply.headers.get("location")
        audit = client_or_server.request("GET", "/api/audit").json()
        failure = said(shown, reply, "201 with the new invoice, as in lesson 3")
    else:
        reply = client_or_server.post("/api/invoices", json=INVOICE, headers=headers)
        status, body, location = reply.status_code, reply.get_json(silent=True), reply.location
        audit = client_or_server.get("/api/audit").get_json(silent=True)
        failure = fact(shown, reply, "201 with the new invoice, as in lesson 3")
    assert status == 201 and isinstance(body, dict) and "id" in body, failure
    events = audit.get("events", []) if isinstance(audit, dict) else []
    created = [
        e for e in events if e.get("event") == "created" and e.get("invoice_id") == body["id"]
    ]
    assert created, f"{shown}, then GET /api/audit lists {events}, expected a 'created' event"
    return shown, reply, location, created[-1].get("detail")


# --- Task 1: Gunicorn serves the factory ----------------------------------------------------


@pytest.mark.task(1)
def test_bind_and_workers_follow_the_environment(lesson_dir):
    """gunicorn.conf.py listens on every interface, on PORT, with WEB_CONCURRENCY workers (or a sensible start)."""  # noqa: E501
    settings = gunicorn_settings(lesson_dir, {"PORT": "5005", "WEB_CONCURRENCY": "3"})
    assert settings.workers == 3, (
        f"with WEB_CONCURRENCY=3, gunicorn.conf.py gives workers = {settings.workers}, expected "
        '3: workers = int(os.environ.get("WEB_CONCURRENCY", ...)) lets the platform decide'
    )
    assert settings.bind in (["0.0.0.0:5005"], ["[::]:5005"]), (
        f"with PORT=5005, gunicorn.conf.py gives bind = {settings.bind}, expected "
        '["0.0.0.0:5005"]: every interface (in a container, 127.0.0.1 is unreachable from '
        "outside), on the port the platform names in PORT"
    )
    for cores in (1, 16):
        workers = gunicorn_settings(lesson_dir, cores=cores).workers
        assert workers in (2 * cores + 1, 2 * cores), (
            f"without WEB_CONCURRENCY, on a machine with {cores} CPU core(s) (os.cpu_count() "
            f"= {cores}), gunicorn.conf.py gives workers = {workers}, expected a documented "
            f"starting point: {2 * cores + 1}, (2 × cores) + 1 as Gunicorn's docs say, or "
            f"{2 * cores}, cores × 2 as Flask's say (Gunicorn's own default is one worker)"
        )
    settings = gunicorn_settings(lesson_dir)
    assert settings.bind in (["0.0.0.0:8000"], ["[::]:8000"]), (
        f"without PORT, gunicorn.conf.py gives bind = {settings.bind}, expected "
        "[\"0.0.0.0:8000\"] (Gunicorn's default 127.0.0.1:8000 is the container's own loopback)"
    )


@pytest.mark.task(1)
def test_no_control_socket(lesson_dir):
    """gunicorn.conf.py turns off the control socket Gunicorn 25.1+ opens by default."""
    settings = gunicorn_settings(lesson_dir)
    assert settings.control_socket_disable is True, (
        f"gunicorn.conf.py gives control_socket_disable = {settings.control_socket_disable}, "
        "expected True: since 25.1 Gunicorn opens a control socket for gunicornc in "
        "$XDG_RUNTIME_DIR or ~/.gunicorn, which a container does not need (the platform "
        "manages the service); set control_socket_disable = True (--no-control-socket)"
    )


@pytest.mark.task(1)
def test_no_reloader(lesson_dir):
    """gunicorn.conf.py leaves Gunicorn's reloader off: it is for development."""
    settings = gunicorn_settings(lesson_dir)
    assert not settings.reload, (
        f"gunicorn.conf.py gives reload = {settings.reload!r}, expected it left off (Gunicorn's "
        "default): the reloader watches the code and restarts the workers when a file "
        "changes, a development feature; in production a new release is a new image or a "
        "restart. Remove reload = True"
    )


@pytest.mark.task(1)
@pytest.mark.late
def test_gunicorn_serves_the_factory(fleet, lesson_dir):
    """Gunicorn started from gunicorn.conf.py answers GET /health and GET /api/info."""
    server = fleet.get("main")
    reply = server.first_reply
    if reply.status == 500:
        target = fleet.settings.wsgi_app
        why = (
            f' wsgi_app = "{target}" names the factory without calling it: Gunicorn then calls '
            'create_app(environ, start_response) for every request. Write "invoicer:create_app()"'
            if target and not target.rstrip().endswith(")")
            else " the traceback is in Gunicorn's output"
        )
        raise AssertionError(
            said("GET /health over HTTP to Gunicorn", reply, "200 {'status': 'ok'}:") + why
        )
    assert reply.status == 200 and reply.json() == {"status": "ok"}, said(
        "GET /health over HTTP to Gunicorn", reply, '200 {"status": "ok"}'
    )
    reply = server.request("GET", "/api/info")
    assert reply.status == 200 and reply.json() == {"service": "invoicer", "version": "0.1.0"}, (
        said("GET /api/info over HTTP to Gunicorn", reply, "200 with the service and version")
    )


@pytest.mark.task(1)
def test_instance_folder_from_the_environment(build, tmp_path):
    """INVOICER_INSTANCE_PATH names the instance folder: it is created, and its config.py read."""
    volume = tmp_path / "volume"
    volume.mkdir()
    (volume / "config.py").write_text('INVOICER_MAIL_FROM = "billing@volume.example"\n')
    app = build(None, INVOICER_INSTANCE_PATH=str(volume))
    audit = str(volume / "audit.sqlite")
    assert app.config.get("AUDIT_DATABASE") == audit, (
        f"with INVOICER_INSTANCE_PATH={volume}, create_app() sets AUDIT_DATABASE to "
        f"{app.config.get('AUDIT_DATABASE')!r}, expected {audit!r}: audit.sqlite in the "
        "instance folder, as in lesson 5"
    )
    got = (app.instance_path, app.config.get("INVOICER_MAIL_FROM"))
    assert got == (str(volume), "billing@volume.example"), (
        f"with INVOICER_INSTANCE_PATH={volume} holding a config.py that sets INVOICER_MAIL_FROM, "
        f"create_app() gives instance_path {got[0]!r} and INVOICER_MAIL_FROM {got[1]!r}, "
        f"expected {str(volume)!r} and 'billing@volume.example': Flask(__name__, "
        'instance_relative_config=True, instance_path=os.environ.get("INVOICER_INSTANCE_PATH") '
        'or None), then app.config.from_pyfile("config.py", silent=True)'
    )
    fresh = tmp_path / "new" / "instance"
    build(None, INVOICER_INSTANCE_PATH=str(fresh))
    assert fresh.is_dir(), (
        f"with INVOICER_INSTANCE_PATH={fresh}, create_app() did not create that folder, "
        "expected it created as in lesson 2 (os.makedirs(app.instance_path, exist_ok=True))"
    )


@pytest.mark.task(1)
@pytest.mark.late
def test_workers_answer_at_once(gunicorn):
    """With WEB_CONCURRENCY=2, two requests are served at the same time."""
    # The master forks its workers one after another: on a busy machine the last may come late.
    deadline = time.monotonic() + START_LIMIT
    while len(workers := children_of(gunicorn.process.pid)) < WORKERS:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(workers) >= WORKERS, (
        f"`{gunicorn.command}` runs {len(workers)} worker process(es), expected {WORKERS}: "
        'read the number in gunicorn.conf.py, workers = int(os.environ.get("WEB_CONCURRENCY", '
        "...))"
    )
    held = [HeldRequest(gunicorn, "/api/invoices", INVOICE) for _ in range(WORKERS - 1)]
    try:
        for request in held:
            assert request.continued(START_LIMIT), (
                "POST /api/invoices with Expect: 100-continue over HTTP to Gunicorn: no "
                f"100 Continue within {START_LIMIT:g} s, expected a worker to take it"
            )
        reply = gunicorn.request("GET", "/health", limit=START_LIMIT)
        assert reply.status == 200, said(
            f"GET /health while {WORKERS - 1} request(s) are in progress",
            reply,
            f"200 from another worker ({WORKERS} workers)",
        )
    finally:
        for request in held:
            request.finish()


@pytest.mark.task(1)
@pytest.mark.late
def test_access_log_carries_the_request_id(gunicorn):
    """Each access log line on stdout carries the request's X-Request-ID, sent or made by the app."""  # noqa: E501
    sent = "deploy-check-4b7e"
    for path, headers in (("/health", {}), ("/api/info", {"X-Request-ID": sent})):
        reply = gunicorn.request("GET", path, headers=headers)
        rid = reply.headers.get("x-request-id")
        assert rid, said(f"GET {path}", reply, "an X-Request-ID header, as in lesson 6")
        deadline = time.monotonic() + ANSWER_LIMIT
        while not any(rid in line and path in line for line in gunicorn.output().splitlines()):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"GET {path} (X-Request-ID {rid} in the response): no line of Gunicorn's "
                    f"output names both {path} and {rid}; it ends with:\n{gunicorn.tail(6)}\n"
                    'Expected an access log line: accesslog = "-" (it is off by default) and '
                    "an access_log_format with the request line %(r)s and the response header "
                    "%({x-request-id}o)s"
                )
            time.sleep(0.02)


# --- Task 2: Behind one proxy ---------------------------------------------------------------


@pytest.mark.task(2)
@pytest.mark.late
def test_client_address_from_one_proxy(gunicorn):
    """Behind one proxy, the client's address comes from X-Forwarded-For."""
    shown, _, _, detail = create_invoice(gunicorn, {"X-Forwarded-For": CLIENT})
    assert detail == CLIENT, (
        f"{shown} over HTTP to Gunicorn → the audit log records the client {detail!r}, "
        f"expected {CLIENT!r}: behind one proxy (INVOICER_PROXY_COUNT = 1 in production), wrap "
        "the app in ProxyFix(app.wsgi_app, x_for=1, ...)"
    )


@pytest.mark.task(2)
@pytest.mark.late
def test_spoofed_extra_hop_is_ignored(gunicorn):
    """An address the client wrote before the proxy's entry is not believed."""
    shown, _, _, detail = create_invoice(gunicorn, {"X-Forwarded-For": f"{SPOOFED}, {CLIENT}"})
    assert detail == CLIENT, (
        f"{shown} over HTTP to Gunicorn → the audit log records the client {detail!r}, "
        f"expected {CLIENT!r}: the proxy appended {CLIENT}; {SPOOFED} came from the client "
        "itself. Trust exactly as many entries as there are proxies (x_for=1)"
    )


@pytest.mark.task(2)
@pytest.mark.late
def test_scheme_and_host_from_the_proxy(gunicorn):
    """X-Forwarded-Proto and X-Forwarded-Host make url_for(..., _external=True) the public URL."""
    headers = {
        "X-Forwarded-For": CLIENT,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "localhost",
    }
    shown, reply, location, _ = create_invoice(gunicorn, headers)
    expected = f"https://localhost/api/invoices/{reply.json()['id']}"
    assert location == expected, (
        f"{shown} over HTTP to Gunicorn at 127.0.0.1:{gunicorn.port} → Location {location!r}, "
        f"expected {expected!r}: the proxy's scheme and host (ProxyFix with x_proto=1 and "
        "x_host=1); Gunicorn itself does not rewrite the host"
    )
    assert "strict-transport-security" in reply.headers, (
        f"{shown} → no Strict-Transport-Security header, expected one: the request came in "
        "over HTTPS at the proxy, so request.is_secure is True behind ProxyFix (lesson 7's hook)"
    )


@pytest.mark.task(2)
def test_no_proxy_no_trust(build):
    """In development (no proxy in front), X-Forwarded-* headers from a client are ignored."""
    app = build({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    init_db(app)
    headers = {
        "X-Forwarded-For": SPOOFED,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
    }
    shown, reply, location, detail = create_invoice(app.test_client(), headers)
    expected = f"http://localhost/api/invoices/{reply.get_json()['id']}"
    assert detail == "127.0.0.1" and location == expected, (
        f"INVOICER_CONFIG=development, {shown} from 127.0.0.1 → the audit log records "
        f"{detail!r} and Location is {location!r}, expected '127.0.0.1' and {expected!r}: "
        "with no proxy in front, any client could write these headers. "
        "INVOICER_PROXY_COUNT = 0 in Config, and no ProxyFix when it is 0"
    )


@pytest.mark.task(2)
def test_two_proxies_trust_two_hops(production):
    """FLASK_INVOICER_PROXY_COUNT=2 trusts the last two entries of each X-Forwarded-* header."""
    app = production(FLASK_INVOICER_PROXY_COUNT="2")
    headers = {
        "X-Forwarded-For": f"{SPOOFED}, {CLIENT}, {PROXY}",
        "X-Forwarded-Proto": "https, http",
        "X-Forwarded-Host": "localhost, lb.internal",
    }
    shown, reply, location, detail = create_invoice(app.test_client(), headers)
    expected = f"https://localhost/api/invoices/{reply.get_json()['id']}"
    assert (detail, location) == (CLIENT, expected), (
        f"INVOICER_CONFIG=production FLASK_INVOICER_PROXY_COUNT=2, {shown} → the audit log "
        f"records {detail!r} and Location is {location!r}, expected {CLIENT!r} and "
        f"{expected!r}: a CDN and a load balancer each add an entry, so the second from the "
        "right is the client's. ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n) with n "
        'from app.config["INVOICER_PROXY_COUNT"]'
    )


# --- Task 3: Ready, and a clean stop --------------------------------------------------------


@pytest.mark.task(3)
def test_ready_when_the_database_answers(build):
    """GET /ready answers 200 with JSON when the database answers."""
    app = build({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    r = app.test_client().get("/ready")
    assert r.status_code == 200 and (r.get_json(silent=True) or {}).get("status") == "ready", fact(
        "GET /ready (database reachable)", r, '200 with JSON {"status": "ready", ...}'
    )


@pytest.mark.task(3)
def test_not_ready_without_the_database(build, tmp_path, caplog):
    """GET /ready answers 503 when the database is unreachable, logs why, and /health says 200."""
    missing = tmp_path / "no-such-folder" / "invoicer.sqlite"
    app = build({"SQLALCHEMY_DATABASE_URI": sqlite_url(missing)})
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        r = client.get("/ready")
    situation = f"GET /ready with SQLALCHEMY_DATABASE_URI {sqlite_url(missing)!r} (cannot open)"
    body = r.get_json(silent=True)
    assert r.status_code == 503 and isinstance(body, dict), fact(
        situation,
        r,
        "503 with JSON: run a query such as db.session.execute(db.text('SELECT 1')) and "
        "answer 503 when it raises",
    )
    assert body.get("status") == "unavailable", fact(
        situation, r, '503 with JSON {"status": "unavailable", ...}'
    )
    leaked = [word for word in LEAKS if word.lower() in r.get_data(as_text=True).lower()]
    assert not leaked, fact(
        situation,
        r,
        f"503 without the database's URL or error (it shows {leaked}): the text of a "
        "database error can hold the URL, password included. Log it, answer a fixed message",
    )
    logged = [x for x in caplog.records if x.name.split(".")[0] == app.logger.name.split(".")[0]]
    assert any(record.levelno >= logging.WARNING for record in logged), (
        f"{situation} → 503, and the app logged {[x.getMessage() for x in logged]}, expected a "
        "WARNING or ERROR record with the cause: the response hides the error, so the log is "
        "where an operator finds it (current_app.logger.exception(...) in the except block)"
    )
    r = client.get("/health")
    assert r.status_code == 200, fact(
        "GET /health with an unreachable database",
        r,
        "200: /health says only that the process answers, and asks nothing of the database "
        "(or an outage would get every container restarted)",
    )


@pytest.mark.task(3)
@pytest.mark.late
def test_ready_over_gunicorn_follows_the_database(fleet):
    """Under Gunicorn, /ready answers 503 when the database URL is broken while /health answers 200."""  # noqa: E501
    server = fleet.get("broken")
    try:
        reply = server.request("GET", "/ready")
        health = server.request("GET", "/health")
    finally:
        fleet.release("broken")  # no other check needs it
    assert reply.status == 503, said(
        "GET /ready over HTTP to Gunicorn with a database URL that cannot work", reply, "503"
    )
    rid = reply.headers.get("x-request-id") or "(no X-Request-ID)"
    logged = [
        line for line in server.output().splitlines() if rid in line and "GET /ready" not in line
    ]
    assert logged, (
        f"GET /ready over HTTP to Gunicorn with a database URL that cannot work → 503 (request "
        f"ID {rid}), but no line of Gunicorn's output but the access log names {rid}; it ends "
        f"with:\n{server.tail(6)}\nExpected the cause in the app's log, with the request ID "
        "(lesson 6): current_app.logger.exception(...) before answering 503"
    )
    reply = health
    assert reply.status == 200, said(
        "GET /health over HTTP to Gunicorn with a database URL that cannot work", reply, "200"
    )
    reply = fleet.get("main").request("GET", "/ready")
    assert reply.status == 200, said("GET /ready over HTTP to Gunicorn", reply, "200")


@pytest.mark.task(3)
def test_graceful_timeout_fits_the_platform(lesson_dir):
    """graceful_timeout ends before the platform's SIGKILL (docker stop waits 10 s)."""
    settings = gunicorn_settings(lesson_dir)
    grace, timeout = settings.graceful_timeout, settings.timeout
    assert 0 < grace < DOCKER_STOP, (
        f"gunicorn.conf.py gives graceful_timeout = {grace}, expected more than 0 and less "
        f"than {DOCKER_STOP}: after SIGTERM, `docker stop` waits {DOCKER_STOP} s and then kills "
        "the container; Gunicorn must finish the requests in flight before that (its default "
        "is 30 s)"
    )
    assert timeout >= grace, (
        f"gunicorn.conf.py gives timeout = {timeout} and graceful_timeout = {grace}, "
        "expected timeout (how long a worker may work on one request before Gunicorn kills "
        "it) to be at least graceful_timeout: a request allowed to finish must be allowed to run"
    )


@pytest.mark.task(3)
@pytest.mark.late
def test_sigterm_lets_the_request_in_flight_finish(gunicorn, fleet):
    """SIGTERM during a request lets it finish, and then Gunicorn exits with status 0."""
    held = HeldRequest(gunicorn, "/api/invoices", INVOICE)
    try:
        assert held.continued(START_LIMIT), (
            "POST /api/invoices with Expect: 100-continue over HTTP to Gunicorn: no "
            f"100 Continue within {START_LIMIT:g} s, expected a worker to take it"
        )
        master = gunicorn.process
        os.kill(master.pid, signal.SIGTERM)  # as `docker stop` does, to PID 1 only
        deadline = time.monotonic() + ANSWER_LIMIT
        while "Handling signal: term" not in gunicorn.output() and master.poll() is None:
            if time.monotonic() > deadline:
                break  # a quieter loglevel: go on, the request is in flight anyway
            time.sleep(0.01)
        reply = held.finish()
    finally:
        held.close()
        gunicorn.problem = "this Gunicorn was stopped by the SIGTERM check"
    grace = fleet.settings.graceful_timeout
    assert reply is not None and reply.status == 201, (
        f"a POST /api/invoices in progress, then SIGTERM to Gunicorn → "
        f"{reply or 'the connection closed without an answer'}, expected 201: Gunicorn lets "
        f"requests in flight finish for up to graceful_timeout ({grace} s) before it stops "
        "its workers"
    )
    try:
        status = master.wait(min(grace, DOCKER_STOP) + STOP_GRACE)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"after SIGTERM and the last request, Gunicorn was still running "
            f"{min(grace, DOCKER_STOP) + STOP_GRACE:g} s later, expected it to exit within "
            f"graceful_timeout. Its output ends with:\n{gunicorn.tail()}"
        ) from None
    assert status == 0, (
        f"after SIGTERM, Gunicorn exited with status {status}, expected 0 (a clean stop). "
        f"Its output ends with:\n{gunicorn.tail()}"
    )


# --- Task 4: A container image --------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    value: str
    line: int

    def exec_form(self):
        """The JSON array of an exec-form CMD or ENTRYPOINT, else None."""
        try:
            value = json.loads(self.value)
        except ValueError:
            return None
        return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def dockerfile(lesson_dir):
    """The instructions of the final stage, continuation lines joined, comments dropped."""
    path = lesson_dir / "Dockerfile"
    assert path.is_file(), f"{path.name} is missing in the lesson folder"
    instructions, pending, start = [], "", 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        start = start or number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        if text:
            keyword, _, value = text.partition(" ")
            instructions.append(Instruction(keyword.upper(), value.strip(), start))
        start = 0
    stages = [i for i, ins in enumerate(instructions) if ins.keyword == "FROM"]
    assert stages, "the Dockerfile has no FROM instruction: start from a Python image"
    return instructions[stages[-1] :]


def copy_sources(instruction):
    """What a COPY or ADD takes from the build context (its flags and destination dropped)."""
    words = instruction.exec_form() or instruction.value.split()
    return [w for w in words if not w.startswith("--")][:-1]


CODE_SOURCES = {".", "./", "*", "invoicer", "invoicer/", "./invoicer", "./invoicer/"}


def where(instruction):
    return f"Dockerfile line {instruction.line}: {instruction.keyword} {instruction.value}"


SHELL_USERS = {"nobody", "nonroot"}  # exist in Debian and distroless images without useradd
DEPENDENCY_FILES = re.compile(r"requirements[\w.-]*\.txt|pyproject\.toml|uv\.lock|poetry\.lock")
USER_MADE = re.compile(r"\b(useradd|adduser)\b")
INSTALL = re.compile(r"\bpip3?\s+install\b|\buv\s+(sync|pip\s+install)\b|\bpoetry\s+install\b")


@pytest.mark.task(4)
def test_image_is_slim_and_runs_as_a_user(lesson_dir):
    """The image starts from a slim Python base and runs the service as a user that is not root."""
    stage = dockerfile(lesson_dir)
    base = stage[0].value.split()[-1] if stage[0].value else ""
    image = base.split("@")[0].lower()
    assert "python" in image and any(k in image for k in ("slim", "alpine", "distroless")), (
        f"{where(stage[0])}, expected a slim Python base such as python:3.13-slim: the full "
        "image carries compilers and hundreds of packages the service never uses"
    )
    users = [ins for ins in stage if ins.keyword == "USER"]
    user = users[-1].value.split(":")[0] if users else "root"
    assert user not in ("root", "0", ""), (
        f"the Dockerfile's final stage {'sets ' + where(users[-1]) if users else 'has no USER'}"
        ", expected a user without privileges (USER invoicer after creating it with useradd): "
        "a process running as root in a container is root on the files it can reach"
    )
    created = any(
        ins.keyword == "RUN"
        and re.search(r"\b(useradd|adduser)\b", ins.value)
        and user in ins.value
        for ins in stage
    )
    assert user.isdigit() or user in SHELL_USERS or created, (
        f"{where(users[-1])}, but no RUN creates the user {user!r}: add "
        f"`RUN useradd --system --no-create-home {user}` before it"
    )


@pytest.mark.task(4)
def test_dependencies_are_installed_before_the_code(lesson_dir):
    """requirements.txt is copied and installed before the code, so code edits reuse the cached layer."""  # noqa: E501
    stage = dockerfile(lesson_dir)
    copies = [(i, ins) for i, ins in enumerate(stage) if ins.keyword in ("COPY", "ADD")]
    installs = [
        i
        for i, ins in enumerate(stage)
        if (ins.keyword == "RUN" and INSTALL.search(ins.value))
        or (ins.keyword == "COPY" and "--from=" in ins.value)  # built in an earlier stage
    ]
    assert installs, "no RUN pip install -r requirements.txt in the Dockerfile's final stage"
    install = installs[0]
    code = [(i, ins) for i, ins in copies if CODE_SOURCES & set(copy_sources(ins))]
    assert code, "no COPY of the code (COPY invoicer/ invoicer/) in the Dockerfile's final stage"
    first_code, copy = code[0]
    assert first_code > install, (
        f"{where(copy)} comes before {where(stage[install])}, expected the code to be copied "
        "after the dependencies are installed: every change to the code would otherwise make "
        "Docker reinstall every dependency. COPY requirements.txt . and RUN pip install first"
    )
    dependencies = [
        i for i, ins in copies if any(DEPENDENCY_FILES.fullmatch(w) for w in copy_sources(ins))
    ]
    assert stage[install].keyword == "COPY" or any(i < install for i in dependencies), (
        f"{where(stage[install])} runs with no COPY of requirements.txt before it, expected "
        "COPY requirements.txt . just before the install"
    )


@pytest.mark.task(4)
def test_cmd_starts_gunicorn_in_exec_form(lesson_dir):
    """CMD starts Gunicorn with the config in exec form, so Gunicorn itself receives SIGTERM."""
    stage = dockerfile(lesson_dir)
    starts = [ins for ins in stage if ins.keyword in ("CMD", "ENTRYPOINT")]
    assert starts, 'the Dockerfile has no CMD: end it with CMD ["gunicorn", ...]'
    # With both in exec form, Docker runs ENTRYPOINT's words followed by CMD's.
    entry = [ins for ins in starts if ins.keyword == "ENTRYPOINT"]
    start = entry[-1] if entry else starts[-1]
    argv = start.exec_form()
    if entry and argv is not None and (cmd := [i for i in starts if i.keyword == "CMD"]):
        argv = argv + (cmd[-1].exec_form() or [])
    assert argv is not None, (
        f"{where(start)}, expected the exec form, a JSON array such as "
        '["gunicorn", "--config", "gunicorn.conf.py"]: in the shell form /bin/sh -c is PID 1 '
        "and does not pass docker stop's SIGTERM on, so Gunicorn is killed mid-request 10 s later"
    )
    words = " ".join(argv)
    assert "gunicorn" in words and "flask run" not in words and "--reload" not in words, (
        f"{where(start)}, expected it to start Gunicorn (the development server and reloaders "
        "are not for production)"
    )
    uncalled = [a for a in argv if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", a)]
    assert not uncalled, (
        f"{where(start)} names the app {uncalled[0]!r} on Gunicorn's command line, which "
        "overrides wsgi_app in gunicorn.conf.py and names the factory without calling it: "
        "Gunicorn then calls create_app(environ, start_response) for every request, a 500 "
        'each time. Leave the target to gunicorn.conf.py, or write "invoicer:create_app()"'
    )
    configured = any(a in ("-c", "--config") or a.startswith("--config=") for a in argv)
    copied = any(
        ins.keyword in ("COPY", "ADD")
        and {"gunicorn.conf.py", "./gunicorn.conf.py", ".", "./", "*"} & set(copy_sources(ins))
        for ins in stage
    )
    assert copied and (configured or words.split("gunicorn", 1)[1].strip() == ""), (
        f"{where(start)}, expected Gunicorn to run with gunicorn.conf.py, copied into the image "
        '(COPY gunicorn.conf.py .) and named in CMD: ["gunicorn", "--config", "gunicorn.conf.py"]'
    )


@pytest.mark.task(4)
def test_image_holds_no_secret(lesson_dir):
    """No ENV or ARG writes the secret key into the image: it is given when the container runs."""
    for instruction in dockerfile(lesson_dir):
        assert not (
            instruction.keyword in ("ENV", "ARG") and "SECRET_KEY" in instruction.value.upper()
        ), (
            f"{where(instruction)}, expected no secret key in the image: anyone who can pull "
            "the image reads its ENV and ARG values (docker inspect, docker history). Give "
            "FLASK_SECRET_KEY when the container runs: docker run -e FLASK_SECRET_KEY=... or "
            "the platform's secrets"
        )


@pytest.mark.task(4)
def test_healthcheck_asks_health(lesson_dir):
    """The image has a HEALTHCHECK that asks /health (liveness), not /ready."""
    stage = dockerfile(lesson_dir)
    checks = [ins for ins in stage if ins.keyword == "HEALTHCHECK"]
    assert checks and checks[-1].value.upper() != "NONE", (
        "the Dockerfile has no HEALTHCHECK, expected one that asks /health, e.g. "
        'HEALTHCHECK CMD ["python", "-c", "import urllib.request; '
        "urllib.request.urlopen('http://127.0.0.1:8000/health')\"] (the slim image has no curl)"
    )
    check = checks[-1]
    assert "/health" in check.value and "/ready" not in check.value, (
        f"{where(check)}, expected it to ask /health: an unhealthy container is replaced, "
        "and a database outage (/ready) is no reason to replace it"
    )
    assert "curl" not in check.value or any(
        ins.keyword == "RUN" and "curl" in ins.value for ins in stage
    ), f"{where(check)} uses curl, which the slim image does not have: use python -c ... urllib"


def docker_ignored(patterns, path):
    """Whether .dockerignore's patterns keep `path` out of the build context (Docker's rules:
    the last matching pattern wins, ! re-includes, a matched folder takes its contents along)."""
    ignored = False
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = os.path.normpath(raw.lstrip("!").strip().lstrip("/")).replace(os.sep, "/")
        regex = ""
        for token in re.split(r"(\*\*/?|\*|\?)", pattern):
            if token.startswith("**"):
                regex += "(.*/)?" if token.endswith("/") else ".*"
            elif token == "*":
                regex += "[^/]*"
            elif token == "?":
                regex += "[^/]"
            else:
                regex += re.escape(token)
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            ignored = not negate
    return ignored


@pytest.mark.task(4)
def test_dockerignore_keeps_the_instance_folder_out(lesson_dir):
    """.dockerignore keeps instance/ (databases, secrets) out of the image, and the code in."""
    path = lesson_dir / ".dockerignore"
    assert path.is_file(), ".dockerignore is missing in the lesson folder"
    patterns = [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    for secret in ("instance/invoicer.sqlite", "instance/config.py"):
        assert docker_ignored(patterns, secret), (
            f".dockerignore lets {secret} into the build context, expected it kept out: the "
            "instance folder holds this machine's database and secrets. Add a line instance/"
        )
    for needed in ("invoicer/__init__.py", "gunicorn.conf.py", "requirements.txt"):
        assert not docker_ignored(patterns, needed), (
            f".dockerignore keeps {needed} out of the build context, expected it in: the image "
            "needs it"
        )


# --- What earlier lessons built still works (graded with Task 1) ----------------------------
# Lesson 8 starts from lesson 7's solution and changes the factory, the API and the health
# views. Lessons 6 and 7's checks run again at the end of this file; these few check what
# lesson 8 changed on purpose (the settings from the environment, the audit log's client
# address) or what lesson 7's check of it no longer expects.

MEMORY = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}


def send(client, method, path, **kwargs):
    """One request; (what was asked, the response, its JSON or None)."""
    r = client.open(path, method=method, **kwargs)
    shown = f"{method} {path}" + (f" {json.dumps(kwargs['json'])}" if "json" in kwargs else "")
    return shown, r, r.get_json(silent=True)


@pytest.mark.task(1)
def test_settings_are_still_checked(load, monkeypatch, tmp_path):
    """Production still refuses missing or unsafe settings, and the classes keep their defaults."""
    invoicer = load("invoicer", fresh=False)
    good = production_environment(sqlite_url(tmp_path / "p.sqlite"), tmp_path / "inst")
    cases = [  # (what is wrong, the change, the setting the error must name)
        ("no FLASK_SECRET_KEY", {"FLASK_SECRET_KEY": None}, "SECRET_KEY"),
        ("the development key", {"FLASK_SECRET_KEY": "dev"}, "SECRET_KEY"),
        ("a number as the key", {"FLASK_SECRET_KEY": "123456"}, "SECRET_KEY"),
        ("no database URL", {"FLASK_SQLALCHEMY_DATABASE_URI": None}, "SQLALCHEMY_DATABASE_URI"),
        ("no TRUSTED_HOSTS", {"FLASK_TRUSTED_HOSTS": None}, "TRUSTED_HOSTS"),
        ("a string of fallbacks", {"FLASK_SECRET_KEY_FALLBACKS": "old-key"}, "FALLBACKS"),
        ("an unknown INVOICER_CONFIG", {"INVOICER_CONFIG": "prod"}, "INVOICER_CONFIG"),
    ]
    for what, change, setting in cases:
        with pytest.MonkeyPatch.context() as mp:
            clear_environment(mp)
            for variable, value in {**good, **change}.items():
                if value is not None:
                    mp.setenv(variable, value)
            try:
                app = invoicer.create_app()
            except Exception as exc:
                assert setting in str(exc), (
                    f"INVOICER_CONFIG=production with {what}: create_app() raised "
                    f"{type(exc).__name__}: {str(exc)[:200]!r}, expected a message that names "
                    f"{setting}, so that the person deploying knows what to set"
                )
                continue
            dispose(app)
            raise AssertionError(
                f"INVOICER_CONFIG=production with {what}: create_app() returned an app, "
                "expected an error that says what to set, as in lessons 4 and 7"
            )
    shared = {  # lesson 4's and lesson 7's settings in Config
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "INVOICER_MAIL_FROM": "invoices@invoicer.example",
        "MAX_FORM_MEMORY_SIZE": 64 * 1024,
        "MAX_FORM_PARTS": 50,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    }
    for name, expected in [
        (
            "development",
            {"SECRET_KEY": "dev", "SQLALCHEMY_DATABASE_URI": "sqlite:///invoicer.sqlite"},
        ),
        ("testing", {"TESTING": True, "SECRET_KEY": "dev", "SQLALCHEMY_DATABASE_URI": "sqlite://"}),
        ("production", {"SESSION_COOKIE_SECURE": True}),
    ]:
        expected = {**shared, **expected}
        with pytest.MonkeyPatch.context() as mp:
            clear_environment(mp)
            settings = good if name == "production" else {}
            for variable, value in {**settings, "INVOICER_CONFIG": name}.items():
                mp.setenv(variable, value)
            mp.setenv("INVOICER_INSTANCE_PATH", str(tmp_path / name))
            app = invoicer.create_app()
            assert not (problem := not_an_app(f"INVOICER_CONFIG={name}: create_app()", app)), (
                problem
            )
            dispose(app)
        got = {key: app.config.get(key) for key in expected}
        assert got == expected, (
            f"INVOICER_CONFIG={name}: create_app() gives {got}, expected {expected} from the "
            "configuration classes (config.py)"
        )


@pytest.mark.task(1)
def test_commands_still_work(build):
    """flask init-db and flask audit-report still work as in lessons 3 and 5."""
    app = build(MEMORY)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and "Initialized the database." in result.output, (
        f"flask init-db → {result.exit_code}, {result.output.strip()!r}, expected 0 and "
        "'Initialized the database.'"
    )
    result = runner.invoke(args=["audit-report"])
    assert "The audit log is empty." in result.output, (
        f"flask audit-report with no events → {result.output.strip()!r}, expected 'The audit "
        "log is empty.' as in lesson 5"
    )
    invoice = app.test_client().post("/api/invoices", json=INVOICE).get_json()
    result = runner.invoke(args=["audit-report"])
    line = f"created invoice {invoice['id']}"
    shown = [text for text in result.output.splitlines() if line in text]
    assert result.exit_code == 0 and shown and "127.0.0.1" in shown[0], (
        f"an invoice created from 127.0.0.1, then flask audit-report → "
        f"{result.output.strip()!r}, expected a line with {line!r} and the event's detail, the "
        "client 127.0.0.1, as in lesson 5"
    )
    # A request with no client address (REMOTE_ADDR empty): the event has no detail to show.
    anonymous = app.test_client().post(
        "/api/invoices", json=INVOICE, environ_base={"REMOTE_ADDR": ""}
    )
    bare = f"created invoice {anonymous.get_json()['id']}"
    result = runner.invoke(args=["audit-report"])
    shown = [text for text in result.output.splitlines() if bare in text]
    assert len(shown) == 1 and shown[0].endswith(bare), (
        f"an invoice created by a request with no client address, then flask audit-report → "
        f"{result.output.strip()!r}, expected a line ending {bare!r}: an event without a "
        "detail is shown without one, as in lesson 5"
    )


@pytest.mark.task(1)
def test_sending_still_runs_in_the_background(build, tmp_path, monkeypatch):
    """POST /api/invoices/<id>/send still answers 202 and marks the invoice sent in the background."""  # noqa: E501
    sender = "billing@checks.example"  # not the default: the job must read the app's config
    database = sqlite_url(tmp_path / "s.db")
    app = with_tables(build({**MEMORY, "SQLALCHEMY_DATABASE_URI": database,
                             "INVOICER_MAIL_FROM": sender}))  # fmt: skip
    client = app.test_client()
    invoice = client.post("/api/invoices", json=INVOICE).get_json()
    held, start = [], threading.Thread.start
    # Threads are held back, not started, until the answer is checked: the job's work must
    # not show before the job runs.
    monkeypatch.setattr(threading.Thread, "start", lambda thread: held.append(thread))
    connections = track_sqlite_connections(monkeypatch, app.config.get("AUDIT_DATABASE"))
    shown, r, body = send(client, "POST", f"/api/invoices/{invoice['id']}/send")
    assert r.status_code == 202 and body == {"id": invoice["id"], "status": "sending"}, fact(
        shown, r, f'202 with {{"id": {invoice["id"]}, "status": "sending"}}, as in lesson 5'
    )
    assert held and all(t.daemon for t in held), (
        f"{shown} started {len(held)} thread(s), {sum(t.daemon for t in held)} of them "
        "daemon threads, expected one daemon thread (threading.Thread(..., daemon=True)), as "
        "in lesson 5: Python waits for every other thread before the process exits"
    )
    early = [e for e in client.get("/api/audit").get_json()["events"] if e.get("event") == "sent"]
    assert not early, (
        f"{shown} → 202 while the thread it started had not run yet, and GET /api/audit "
        f"already lists {early}, expected no 'sent' event: the job records it once it has "
        "done the work, in its thread, never the view"
    )
    for thread in held:
        start(thread)
    # The job commits the status, then records the event: wait for both, within a deadline.
    deadline = time.monotonic() + ANSWER_LIMIT
    while True:
        status = client.get(f"/api/invoices/{invoice['id']}").get_json()["status"]
        events = client.get("/api/audit").get_json()["events"]
        sent = [
            e for e in events if e.get("event") == "sent" and e.get("invoice_id") == invoice["id"]
        ]
        if (status == "sent" and sent) or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert status == "sent", (
        f"{shown} → 202, then the invoice's status stayed {status!r} for {ANSWER_LIMIT:g} s, "
        "expected 'sent': the background job of lesson 5"
    )
    assert sent and sent[-1].get("detail") == sender, (
        f"{shown} with INVOICER_MAIL_FROM={sender!r} in the app's config, then GET /api/audit "
        f"lists {events} for {ANSWER_LIMIT:g} s, expected a 'sent' event whose detail is that "
        "sender: read current_app.config in the job, as in lesson 5"
    )
    for thread in held:
        thread.join(ANSWER_LIMIT)
    left_open = [where for where, connection in connections if not connection.closed]
    assert not left_open, (
        f"{shown}: once the job's thread had finished, {len(left_open)} SQLite connection(s) "
        f"it opened were still open ({', '.join(left_open)}), expected none: run the job "
        "inside `with app.app_context():`, whose end runs the teardown that closes the audit "
        "connection (an app_context().push() without pop() never ends), as in lesson 5"
    )


class TrackedConnection(sqlite3.Connection):
    """A sqlite3 connection that remembers whether it was closed."""

    closed = False

    def close(self):
        self.closed = True
        super().close()


def track_sqlite_connections(monkeypatch, audit) -> list[tuple[str, TrackedConnection]]:
    """The connections to the audit database that sqlite3.connect() opens from now on in a
    thread other than this one (a job's), as (database, connection). SQLAlchemy's own pooled
    connections stay open on purpose: they are not counted."""
    opened, real, here = [], sqlite3.connect, threading.get_ident()

    def connect(database, *args, **kwargs):
        mine = threading.get_ident() == here or "factory" in kwargs or not audit
        if mine or os.fspath(database) != os.fspath(audit):
            return real(database, *args, **kwargs)
        connection = real(database, *args, factory=TrackedConnection, **kwargs)
        opened.append((str(database), connection))
        return connection

    monkeypatch.setattr(sqlite3, "connect", connect)
    return opened


def with_tables(app):
    init_db(app)
    return app


# Lessons 6 and 7 run again on this lesson's code (flasklings.carry_over says what is left out).
TestLesson6 = lesson_class(lesson_6, 6, leave_out=AGAIN_IN_LESSON_7)
TestLesson7 = lesson_class(lesson_7, 7, leave_out=CHANGED_IN_LESSON_8)
