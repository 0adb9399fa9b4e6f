"""Checks for lesson 9, Testing (lessons/09_testing/tests/): the learner's own test suite.

Graded by mutation. The learner's tests/ run next to the REFERENCE service (a copy of
solutions/08_deploy, never the learner's copy of invoicer/) and must all pass there; then once
per buggy variant of the service listed in tests/mutants/09_testing/bugs.toml, where at least
one test has to fail. A missed bug is named by its behaviour, never by its code.

Each run is a child forked from this process once it has imported the libraries the service
and the suite use, in a temporary folder of its own holding compiled bytecode, with limits on
CPU time, idle time and wall time; the runs go os.cpu_count() at a time. A bug's run is forked
from a collector process instead, which has configured pytest and collected the suite once,
and swaps the bug's service in (flasklings.collected_suite); one that reaches the collector's
own service after the swap is run afresh. A bug's run stops at its first failing test (-x),
and starts with the tests that ran the lines the bug changes on the correct service (per-test
coverage contexts): the order changes the cost, never the verdict, since every test still
runs while none fails. The children stay in the checks' process group, so whatever they start
ends with the checks.

Graded as the browser grades (--flasklings-browser: Pyodide cannot fork), every run goes in
this process instead, one after another (run_here), which is put back as it was after each;
the verdicts are the same (tests/course/test_suite_in_process.py), only the limits differ: a
run cannot be stopped there, so the page's own time limit ends a suite that never does.
"""

import ast
import compileall
import contextlib
import faulthandler
import functools
import json
import logging
import math
import os
import py_compile
import re
import select
import shutil
import signal
import sys
import time
import tomllib
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from flasklings import collected_suite, learner, mutants
from flasklings.plugin import lesson_slug, target_root

WSL = "https://learn.microsoft.com/windows/wsl/install"
SERVICE = Path("solutions") / "08_deploy"  # the reference service, relative to the course root
# Limits of the run on the correct service: CPU seconds (a loop); wall seconds, at most SHARE
# of the grader's time limit (course.toml `timeout`): a backstop, as a wait is found sooner
# (IDLE_LIMIT below), and on a busy machine a working run is slow but not stopped.
REFERENCE_LIMIT, SHARE, REFERENCE_CPU = 90.0, 0.6, 30.0
# A run on a buggy variant may use BUG_SLACK times the CPU time the correct service's run
# used (at least BUG_CPU): one that needs more was changed by the bug (a loop), so the bug
# counts as caught. CPU time, not wall time: a busy machine must not decide a verdict. A run
# stopped for waiting IDLE_LIMIT seconds, or still going when the grader's time runs out,
# is not counted either way.
BUG_SLACK, BUG_CPU = 3.0, 3.0
ALONE = 110.0  # seconds for the whole grading when no grader's time limit is given
# A run that uses no CPU for this long is waiting for something that will not come (a
# server, input, a long sleep): stopped. Measured where /proc shows a process's CPU time.
IDLE_LIMIT = 10.0
STACK_WAIT = 2.0  # seconds to wait for a stopped run's stack dump
# Seconds a bug run waits for the collector (flasklings.collected_suite) to have collected the
# suite, before it runs afresh instead: the collection takes about 0.1 s.
READY_WAIT = 5.0
COVERAGE_FLOOR = 85  # percent of the lines of the files each task tests
PROBE_NAME = "test_zz_flasklings_probe.py"
PYTEST_INI = "[pytest]\ntestpaths = tests\npythonpath = .\n"
PACKAGES_OF_A_RUN = ("invoicer", "conftest", "tests")  # imported afresh in every run
# Imported late, by a run rather than by a file's imports: the SQLite dialect (at the first
# engine), the test client and CLI runner, pytest's debugger support; preloaded as well.
LATE_IMPORTS = (
    "sqlalchemy.dialects.sqlite", "flask_sqlalchemy.cli", "flask.testing", "click.testing",
    "pdb", "readline", "getpass", "encodings.idna", "coverage",
)  # fmt: skip
# The service's files whose lines each task's tests should run (coverage.py, line coverage).
TASK_FILES = {
    1: ["invoicer/commands.py", "invoicer/audit.py"],
    2: ["invoicer/api.py", "invoicer/models.py"],
    3: ["invoicer/auth.py", "invoicer/dashboard.py"],
    4: ["invoicer/errors.py", "invoicer/request_id.py", "invoicer/health.py"],
}

# Run inside the learner's suite, on the reference only: what the fixtures really give.
PROBE = '''
"""Added by flasklings to look at your fixtures; not part of your suite."""

import json
from pathlib import Path

NOTES = Path(__file__).resolve().parent.parent / "probe.jsonl"


def _note(**values):
    with NOTES.open("a", encoding="utf-8") as notes:
        notes.write(json.dumps(values) + "\\n")


def test_flasklings_probe_fixtures(app, client, runner):
    from flask import Flask
    from flask.testing import FlaskClient, FlaskCliRunner

    _note(
        app=type(app).__name__,
        is_flask=isinstance(app, Flask),
        testing=bool(isinstance(app, Flask) and app.testing),
        client=isinstance(client, FlaskClient) and client.application is app,
        runner=isinstance(runner, FlaskCliRunner) and runner.app is app,
    )


def test_flasklings_probe_write(app):
    from invoicer.extensions import db
    from invoicer.models import Invoice

    with app.app_context():
        db.session.add(Invoice(customer="flasklings probe", amount_cents=1))
        db.session.commit()
    _note(wrote=True)


def test_flasklings_probe_read(app):
    from invoicer.extensions import db
    from invoicer.models import Invoice

    with app.app_context():
        left = db.session.scalar(db.select(db.func.count()).select_from(Invoice))
    _note(left_over=left)
'''


# --- one run of the learner's suite, in a forked child ------------------------------------


@dataclass
class Run:
    name: str
    folder: Path
    args: list[str]
    limit: float = REFERENCE_LIMIT  # seconds of wall time before the run is stopped
    cpu_limit: float = REFERENCE_CPU  # CPU seconds before the run is stopped
    coverage: bool = False  # measure the service's lines, per test (the correct service only)
    package: str = "invoicer"  # the service's package, relative to the run's folder
    first: tuple[str, ...] = ()  # tests to run before the others (they run the changed lines)
    collector: collected_suite.Client | None = None  # forks the run from the collected suite
    code: Path | None = None  # the folder whose tests/ ran, if not `folder` (the collector's)
    edited: tuple[str, ...] = ()  # the files the bug changes, relative to `folder`
    pid: int = 0
    started: float = 0.0
    status: int | None = None  # pytest's exit status; None if it was stopped or never run
    timed_out: bool = False  # stopped at its wall-time limit
    cpu_out: bool = False  # stopped at its CPU-time limit (status is then SIGKILL's)
    idle_out: bool = False  # stopped after IDLE_LIMIT seconds without using the CPU
    busy: tuple[float, float] = (0.0, 0.0)  # (CPU ticks, when they last grew)
    ended: float = 0.0
    cpu: float = 0.0  # CPU seconds the run took
    record: dict = field(default_factory=dict)  # what the Recorder wrote

    @property
    def files(self) -> Path:
        return self.folder.parent / f"{self.name}.files"


class Recorder:
    """A plugin for the child's pytest: each test's outcome, and the test in progress."""

    def __init__(self, folder: Path, files: Path, cov, first: tuple[str, ...] = ()):
        self.folder, self.files, self.cov = folder, files, cov
        self.first = {name: n for n, name in enumerate(first)}
        self.data = {"collected": 0, "tests": {}, "collect_errors": []}

    def pytest_collection_modifyitems(self, items):
        # The tests that ran a bug's changed lines go first: with -x, the first failure ends
        # the run. Every other test still runs after them, in the suite's own order.
        if self.first:
            last = len(self.first)
            items.sort(key=lambda item: self.first.get(item.nodeid, last))

    def pytest_collection_finish(self, session):
        self.data["collected"] = len(session.items)

    def pytest_collectreport(self, report):
        if report.failed:
            self.data["collect_errors"].append(_last_lines(str(report.longrepr), 12))

    def pytest_runtest_logstart(self, nodeid, location):
        (self.files / "current").write_text(nodeid, encoding="utf-8")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        probe = self.cov is not None and PROBE_NAME in item.nodeid
        if probe:  # the probe's lines are not the learner's coverage
            self.cov.stop()
        elif self.cov is not None:  # which test ran which lines: the bug runs' order
            self.cov.switch_context(item.nodeid)
            # sys.monitoring reports a line once, then stops watching it; from here on it
            # reports every line again, so each test's context gets all the lines it runs.
            sys.monitoring.restart_events()
        try:
            return (yield)
        finally:
            if probe:
                self.cov.start()
            elif self.cov is not None:
                self.cov.switch_context("")

    def pytest_runtest_logreport(self, report):
        entry = self.data["tests"].setdefault(report.nodeid, {"outcome": "passed"})
        if report.failed and entry["outcome"] != "failed":
            entry.update(outcome="failed", phase=report.when, message=self._crash(report))
        elif report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"

    def _crash(self, report) -> str:
        if lookup := getattr(report.longrepr, "errorstring", None):  # a fixture not found
            return lookup.strip().splitlines()[0][:300]
        crash = getattr(report.longrepr, "reprcrash", None)
        if crash is None:
            return _last_lines(str(report.longrepr), 3)
        message = crash.message.strip().splitlines()[0] if crash.message.strip() else ""
        place = Path(crash.path)
        if place.is_relative_to(self.folder):
            message += f" ({place.relative_to(self.folder)}:{crash.lineno})"
        return message[:300]

    def pytest_sessionfinish(self, session, exitstatus):
        (self.files / "record.json").write_text(json.dumps(self.data), encoding="utf-8")


def _last_lines(text: str, count: int) -> str:
    return "\n".join(text.strip().splitlines()[-count:])


def _isolate(folder: Path, output: Path) -> None:
    """In a forked child: no input, output to a file, the run's folder, none of the shell's
    settings for the service, no plugin autoloading, and none of the modules a run imports
    afresh (the checks' own conftest, any service imported before)."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    _output_to(output)
    _isolate_modules_and_settings(folder)


def _isolate_modules_and_settings(folder: Path) -> None:
    """The run's folder, none of the shell's settings for the service, no plugin autoloading,
    and none of the modules a run imports afresh."""
    os.chdir(folder)
    for name in list(os.environ):
        if name.startswith(("FLASK_", "INVOICER_")):
            del os.environ[name]
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # no plugin but the Recorder
    for name in list(sys.modules):
        if _imported_by_a_run(name):
            del sys.modules[name]


def _imported_by_a_run(module: str) -> bool:
    """Whether a run imports this module afresh: the service, the suite, its conftest."""
    return module.split(".")[0] in PACKAGES_OF_A_RUN or module.startswith("test_")


def _output_to(path: Path) -> None:
    output = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(output, 1)
    os.dup2(output, 2)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115


def _limit(run: Run) -> None:
    """The stack on request, and the run's CPU time limit."""
    # The stack on request (SIGUSR1, sent before a stopped run is killed). Not
    # dump_traceback_later: its watchdog thread is the parent's, and after a fork any
    # call to it waits forever for a thread that does not exist in the child.
    stack = open(run.files / "stack.txt", "w")  # noqa: SIM115 - read after a timeout
    faulthandler.register(signal.SIGUSR1, file=stack, all_threads=True)
    # CPU time: the stack at the soft limit (SIGXCPU), the end one second later.
    faulthandler.register(signal.SIGXCPU, file=stack, all_threads=True)
    import resource  # only in a forked child: the browser's Python has no such module

    cpu = math.ceil(run.cpu_limit)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _exit_after(work) -> None:
    """In a forked child: end it with the status `work()` returns, or 99 after printing why
    it raised; never back into the parent's code."""
    status = 99
    try:
        status = work()
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(int(status))


def _child(run: Run) -> None:
    """In the forked child: run pytest on the run's folder and exit with its status."""

    def work() -> int:
        _isolate(run.folder, run.files / "output.txt")
        _limit(run)
        return _run_pytest(run)

    _exit_after(work)


def _run_pytest(run: Run) -> int:
    """Run pytest on the run's folder (coverage too, for the correct service); its status."""
    cov = None
    if run.coverage:
        import coverage

        # sys.monitoring (Python 3.12+): about a third less CPU than the C tracer here.
        # Alone it would record a line for the first test to run it only, and the bug
        # runs need every test that ran it: the Recorder restarts its events per test.
        os.environ["COVERAGE_CORE"] = "sysmon"
        service = str(run.folder / run.package / "*")
        cov = coverage.Coverage(data_file=None, config_file=False, include=[service])
        # A suite that runs none of the service is reported by the checks, not by a warning
        # (which, in the browser's one process, would reach the grader's own output).
        cov.set_option("run:disable_warnings", ["no-data-collected"])
        cov.start()
    recorder = Recorder(run.folder, run.files, cov, run.first)
    status = pytest.main(run.args, plugins=[recorder])
    if cov is not None:
        cov.stop()
        _write_coverage(cov, run)
    return status


def _start_collector(folder: Path, package: str, args: list[str]) -> collected_suite.Client:
    """The collector: pytest configured and the suite collected in `folder` (a correct copy of
    the service), forking each bug run that asks (see flasklings.collected_suite)."""
    files = folder.parent / "collector.files"
    files.mkdir()

    def start_run(request: dict, session) -> None:  # in a run's child, before the swap
        run = Run(request["name"], Path(request["folder"]), [], cpu_limit=request["cpu_limit"])
        _output_to(run.files / "output.txt")
        _limit(run)
        recorder = Recorder(folder, run.files, None, tuple(request["first"]))
        recorder.pytest_collection_modifyitems(session.items)
        recorder.pytest_collection_finish(session)
        session.config.pluginmanager.register(recorder, "flasklings-recorder")

    def serve(requests: int, answers: int) -> int:
        _isolate(folder, files / "output.txt")
        # A loop in the suite's imports must end, whoever waits for it; no hard limit, so
        # that each run can set its own.
        import resource

        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        resource.setrlimit(resource.RLIMIT_CPU, (int(REFERENCE_CPU), hard))
        return collected_suite.serve(folder, package, args, requests, answers, start_run)

    return collected_suite.start(
        lambda requests, answers: _exit_after(lambda: serve(requests, answers))
    )


def _write_coverage(cov, run: Run) -> None:
    """Lines run and missed per service file, relative to the run's folder, and which tests
    ran each line ("" for lines run outside any test, such as at import)."""
    result = {}
    data = cov.get_data()
    for path in sorted((run.folder / run.package).glob("*.py")):
        _, statements, _, missing, shown = cov.analysis2(str(path))
        relative = path.relative_to(run.folder).as_posix()
        tests = data.contexts_by_lineno(str(path))
        result[relative] = {
            "lines": len(statements),
            "missed": len(missing),
            "shown": shown,
            "tests": {str(line): sorted(names) for line, names in tests.items()},
        }
    (run.files / "coverage.json").write_text(json.dumps(result), encoding="utf-8")


def _start(run: Run) -> None:
    run.files.mkdir()
    if run.collector is not None:
        request = {"name": run.name, "folder": str(run.folder), "files": str(run.files)}
        request.update(basetemp=str(run.folder.parent / f"{run.name}-tmp"))
        request.update(cpu_limit=run.cpu_limit, first=list(run.first), edited=list(run.edited))
        try:
            run.pid, run.started = run.collector.fork(request), time.monotonic()
            return
        except ChildProcessError:  # the collector has ended: a run of its own, then
            run.collector = run.code = None
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(run)  # never returns
    run.pid, run.started = pid, time.monotonic()


def _reap(run: Run, block: bool) -> bool:
    """Collect the child's exit status; True once it has ended."""
    if run.collector is not None:  # the collector's child: the collector says how it ended
        ended = run.collector.result(run.name, block)
        if ended is None and not run.collector.gone:
            return False
        run.status, run.cpu = ended or (None, 0.0)
        run.ended = time.monotonic()
    else:
        pid, wait_status, usage = os.wait4(run.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        run.cpu, run.ended = usage.ru_utime + usage.ru_stime, time.monotonic()
        run.status = os.waitstatus_to_exitcode(wait_status)
    run.cpu_out = run.status == -signal.SIGKILL and run.cpu >= math.ceil(run.cpu_limit)
    if run.collector is not None and (run.files / "stale").exists():
        run.status = None  # it reached the collector's own service: not a verdict
    record = run.files / "record.json"
    if record.is_file():
        run.record = json.loads(record.read_text(encoding="utf-8"))
    return True


def _wait_any(running: list[Run]) -> None:
    """Wait until a run ends or the earliest time limit passes (bounded either way)."""
    deadline = min(run.started + run.limit for run in running)
    wait = min(max(0.0, deadline - time.monotonic()), 1.0)  # 1 s: a look at idle runs
    collectors = {run.collector for run in running if run.collector is not None}
    if any(c.ended.keys() & {run.name for run in running} for c in collectors):
        return  # a run's end has been read already
    if hasattr(os, "pidfd_open"):
        # A collector's child is not ours: the collector's answer says when it has ended.
        fds = [os.pidfd_open(run.pid) for run in running if run.collector is None]
        try:
            select.select([*fds, *(c.answers for c in collectors)], [], [], wait)
        finally:
            for fd in fds:
                os.close(fd)
    else:  # no pidfd (macOS): look again shortly, never past the deadline
        time.sleep(min(wait, 0.02))


def _dump_stack(run: Run) -> None:
    """Ask a stopped run for its stack (faulthandler writes it at once), within a bound."""
    stack = run.files / "stack.txt"
    with contextlib.suppress(ProcessLookupError):
        os.kill(run.pid, signal.SIGUSR1)
    deadline = time.monotonic() + STACK_WAIT
    while time.monotonic() < deadline and not (stack.is_file() and stack.stat().st_size):
        time.sleep(0.02)


def _idle(run: Run) -> bool:
    """Whether the run has used no CPU for IDLE_LIMIT seconds (False where /proc is missing).
    CPU time, not wall time: on a busy machine a working run still gains some."""
    try:
        fields = Path(f"/proc/{run.pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return False
    ticks, now = float(fields[11]) + float(fields[12]), time.monotonic()  # utime + stime
    if ticks != run.busy[0] or not run.busy[1]:
        run.busy = (ticks, now)
    return now - run.busy[1] > IDLE_LIMIT


def run_all(runs: list[Run], prepare=None) -> None:
    """Run the suites in order, os.cpu_count() at a time; stop any that passes its limit.

    `prepare(run)` is called just before a run starts, when the runs before it may have
    ended; it returns False to leave that run out.
    """
    waiting, running = list(runs), []
    at_once = max(1, os.cpu_count() or 1)
    try:
        while waiting or running:
            while waiting and len(running) < at_once:
                run = waiting.pop(0)
                if prepare is None or prepare(run):
                    _start(run)
                    running.append(run)
            if not running:
                break
            _wait_any(running)
            for run in list(running):
                if _reap(run, block=False):
                    running.remove(run)
                    continue
                run.idle_out = _idle(run)
                if run.idle_out or time.monotonic() - run.started > run.limit:
                    _dump_stack(run)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(run.pid, signal.SIGKILL)
                    _reap(run, block=True)
                    run.status, run.timed_out = None, True
                    running.remove(run)
    finally:
        for run in running:  # the checks were interrupted: leave no child behind
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(run.pid, signal.SIGKILL)
                if run.collector is None:
                    os.waitpid(run.pid, 0)


# --- or every run in this process, one after another (no fork) ------------------------------


def run_here(runs: list[Run], prepare=None) -> None:
    """run_all's work without a process per run: each run's pytest in this process, which is
    then put back as it was. Nothing can stop a run here: one that used more than its CPU
    limit counts, once it ends, as stopped there (as run_all would have stopped it), and one
    that never ends is stopped with everything by the page's time limit."""
    for run in runs:
        if prepare is not None and not prepare(run):
            continue
        run.files.mkdir()
        run.started, cpu = time.monotonic(), time.process_time()
        with _this_process_kept():
            sys.stdin = open(os.devnull)  # noqa: SIM115 - closed with the run
            sys.stdout = sys.stderr = open(run.files / "output.txt", "w", buffering=1)  # noqa: SIM115
            _isolate_modules_and_settings(run.folder)
            try:
                # Captured in Python (sys), as the collector does: the streams are this
                # process's own.
                run.args = [*run.args, "--capture=sys"]
                run.status = int(_run_pytest(run))
            except BaseException:  # what a forked child prints before its status 99
                traceback.print_exc()
                run.status = 99
        run.cpu, run.ended = time.process_time() - cpu, time.monotonic()
        if run.cpu > math.ceil(run.cpu_limit) + 1:
            run.status, run.cpu_out = -signal.SIGKILL, True
        record = run.files / "record.json"
        if record.is_file():
            run.record = json.loads(record.read_text(encoding="utf-8"))


@contextlib.contextmanager
def _this_process_kept():
    """This process as it was before a run: its folder, sys.path, environment, streams,
    logging's root logger, and the modules of the same names as a run's (the checks' own)."""
    cwd, path, environ = os.getcwd(), list(sys.path), dict(os.environ)
    streams = (sys.stdin, sys.stdout, sys.stderr)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    bytecode = sys.dont_write_bytecode
    modules = {name: m for name, m in sys.modules.items() if _imported_by_a_run(name)}
    try:
        yield
    finally:
        for stream in {sys.stdin, sys.stdout, sys.stderr} - set(streams):
            with contextlib.suppress(Exception):
                stream.close()
        sys.stdin, sys.stdout, sys.stderr = streams
        os.chdir(cwd)
        sys.path[:] = path
        os.environ.clear()
        os.environ.update(environ)
        root.handlers[:] = handlers
        root.setLevel(level)
        sys.dont_write_bytecode = bytecode
        for name in [name for name in sys.modules if _imported_by_a_run(name)]:
            del sys.modules[name]
        sys.modules.update(modules)


# --- the grading, once per module -----------------------------------------------------------


@dataclass(frozen=True)
class Bug:
    name: str
    task: int
    behaviour: str
    mutant: mutants.Mutant


def load_bugs(root: Path) -> list[Bug]:
    data = tomllib.loads((root / "tests/mutants/09_testing/bugs.toml").read_text("utf-8"))
    bugs = []
    for entry in data["bug"]:
        edits = tuple(mutants.Edit(e["file"], e["find"], e["replace"]) for e in entry["edit"])
        mutant = mutants.Mutant(entry["name"], entry["behaviour"], edits)
        bugs.append(Bug(entry["name"], entry["task"], entry["behaviour"], mutant))
    return bugs


@dataclass
class Grading:
    lesson: Path
    reference: Run
    bugs: dict[str, tuple[Bug, Run]]
    started: float
    seconds: float = 0.0

    def learner_tests(self) -> dict[str, dict]:
        tests = self.reference.record.get("tests", {})
        return {k: v for k, v in tests.items() if PROBE_NAME not in k}

    def probe(self) -> dict:
        notes = {}
        path = self.reference.folder / "probe.jsonl"
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                notes.update(json.loads(line))
        return notes

    def coverage(self) -> dict:
        return _coverage(self.reference)


def _coverage(run: Run) -> dict:
    path = run.files / "coverage.json"
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


def _pristine(tests: Path, service: Path, folder: Path) -> Path:
    """The correct service, a copy of the tests and their bytecode: what each run copies.

    Compiled once here, with hash-checked bytecode: a run (which writes no bytecode of its
    own) then compiles only the file its bug changed, whatever the files' times say.
    """
    shutil.copytree(service, folder, ignore=shutil.ignore_patterns("__pycache__", "instance"))
    shutil.copytree(tests, folder / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    mode = py_compile.PycInvalidationMode.CHECKED_HASH
    compileall.compile_dir(folder, quiet=2, invalidation_mode=mode, workers=1)
    return folder


def _prepare(pristine: Path, folder: Path, bug: Bug | None) -> Path:
    """A folder for one run: the correct service, or the service with the bug made. A copy,
    never links: a test that writes into a file of the service must not reach another run.
    Contents only: no file's times or mode are copied (the bytecode is checked by hash)."""
    shutil.copytree(pristine, folder, copy_function=shutil.copyfile)
    for edit in bug.mutant.edits if bug else ():
        path = folder / edit.file
        text = path.read_text(encoding="utf-8")
        if text.count(edit.find) != 1:  # the bug no longer fits the service
            raise mutants.MutantError(f"bug {bug.name}: its text is not once in {edit.file}")
        path.write_text(text.replace(edit.find, edit.replace), encoding="utf-8")
    return folder


def _stems(bug: Bug) -> set[str]:
    """The names of the service files a bug is about: the ones it edits, and its task's."""
    edited = {Path(edit.file).stem for edit in bug.mutant.edits if edit.file.endswith(".py")}
    return edited | {Path(name).stem for name in TASK_FILES.get(bug.task, [])}


def start_order(bugs: list[Bug], tests: Path) -> list[Bug]:
    """The bugs in the order their runs start. The first ones run beside the correct
    service's run, before coverage says which tests to try first, so in the suite's own order:
    bugs of a task whose files are named by an early test file (test_api.py: api.py) first.
    The order changes the cost, never a verdict."""
    files = sorted(path.stem for path in tests.rglob("test*.py"))

    def place(bug: Bug) -> int:
        stems = [Path(name).stem for name in TASK_FILES.get(bug.task, [])]
        named = [n for n, test in enumerate(files) for stem in stems if stem in test]
        return min(named, default=len(files))

    return sorted(bugs, key=place)


def changed_lines(edit: mutants.Edit, text: str) -> range:
    """The lines of `text` (the correct file) that the edit changes; for an edit that only
    adds lines, the lines either side of them (the one before may be a docstring)."""
    found = edit.find.strip("\n").split("\n")
    made = edit.replace.strip("\n").split("\n") if edit.replace.strip("\n") else []
    same_start = 0
    while same_start < min(len(found), len(made)) and found[same_start] == made[same_start]:
        same_start += 1
    same_end = 0
    while same_end < min(len(found), len(made)) - same_start and (
        found[-1 - same_end] == made[-1 - same_end]
    ):
        same_end += 1
    start = text.index(edit.find) + len(edit.find) - len(edit.find.lstrip("\n"))
    top = text.count("\n", 0, start) + 1
    first, last = top + same_start, top + len(found) - same_end - 1
    return range(min(first, last), last + 1) if first <= last else range(first - 1, first + 1)


def likely_catchers(
    bug: Bug, service: Path, coverage: dict, sizes: dict[str, int] | None = None
) -> tuple[str, ...]:
    """The tests to run first on a bug, most likely to catch it first: those that ran a line
    the bug changes (for a template, a line that names it) on the correct service, then the
    other tests of the test files named after the bug's files (test_api.py: api.py). Within
    each group, tests in those files go first, then those that ran the fewest lines (the most
    focused). The order changes the cost, never a verdict: every other test runs after them.
    `sizes` is lines_run_by_test(coverage), when the caller has it already."""
    ran: set[str] = set()  # tests that ran a changed line
    everyone = False  # a changed line run at import, outside any function: it is every test's
    for edit in bug.mutant.edits:
        if not edit.file.endswith(".py"):  # a template: the tests that ran a line naming it
            ran.update(_tests_naming(edit.file.partition("templates/")[2], coverage, service))
            continue
        tests = coverage.get(edit.file, {}).get("tests", {})
        text = (service / edit.file).read_text(encoding="utf-8")
        for line in changed_lines(edit, text):
            names = set(tests.get(str(line), []))
            if "" in names:  # run at import: the tests that ran its function, if any
                body = _function_body(text, line)
                if body is None:
                    everyone = True
                    continue
                names = {name for n in body for name in tests.get(str(n), [])}
            ran.update(names)
    size = lines_run_by_test(coverage) if sizes is None else sizes
    # An import, a constant: only if no other edit of the bug says which tests use it.
    ran = (ran - {""}) or (set(size) if everyone else set())
    stems = _stems(bug)

    def near(name: str) -> bool:
        test_file = name.partition("::")[0].rpartition("/")[2].removesuffix(".py")
        return any(stem in test_file for stem in stems)

    def place(name: str) -> tuple[bool, bool, int]:
        return (name not in ran, not near(name), size[name])

    return tuple(sorted(ran | {name for name in size if near(name)}, key=place))


def _tests_naming(name: str, coverage: dict, service: Path) -> set[str]:
    """The tests that ran a line of the service that holds `name` in quotes."""
    found: set[str] = set()
    for file, measured in coverage.items() if name else ():
        lines = (service / file).read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if f'"{name}"' in line or f"'{name}'" in line:
                found.update(measured["tests"].get(str(number), []))
    return found


def lines_run_by_test(coverage: dict) -> dict[str, int]:
    """How many lines of the service each test ran (on the correct service)."""
    size: dict[str, int] = {}
    for measured in coverage.values():
        for names in measured["tests"].values():
            for name in names:
                size[name] = size.get(name, 0) + 1
    size.pop("", None)
    return size


def _function_body(text: str, line: int) -> range | None:
    """The body's lines of the function whose decorators or `def` line is `line`."""
    for top, body in _functions(text):
        if top <= line < body.start:
            return body
    return None


@functools.cache
def _functions(text: str) -> tuple[tuple[int, range], ...]:
    """(first line of its decorators or `def`, its body's lines) of each function in `text`:
    parsed once per file, as every bug of a file asks."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            top = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            found.append((top, range(node.body[0].lineno, node.end_lineno + 1)))
    return tuple(found)


def preload(root: Path, service: Path, tests: Path) -> None:
    """Import in this process, before any fork, the libraries the service and the suite
    import (never their own modules): each run then pays only for the code it tests."""
    from flasklings import warm, warm_server

    sources = [*sorted(service.rglob("*.py")), *sorted(tests.rglob("*.py"))]
    warm_server.preload(root, [*warm.imported_names(sources), *LATE_IMPORTS])


def grade_suite(
    root: Path,
    tests: Path,
    base: Path,
    seconds: float | None = None,
    *,
    service: Path | None = None,  # the reference service; default: lesson 8's solution
    bugs: list[Bug] | None = None,  # default: this lesson's bugs.toml
    pristine=None,  # pristine(tests, service, folder) -> folder; default: _pristine
    package: str = "invoicer",  # the service's package, relative to a run's folder
    in_process: bool = False,  # every run in this process, one after another (run_here)
) -> Grading:
    """Run the suite in `tests` on the correct service, then on each buggy variant, all
    within `seconds` if given (bugs not tried by then are not counted as caught). The
    keywords let lesson 10 grade its own layout the same way."""
    service = service or root / SERVICE
    started = time.monotonic()
    end = started + (seconds or ALONE)
    preload(root, service, tests)
    # No faulthandler plugin: it cancels the parent's dump_traceback_later timer on every
    # failing test, and in a forked child that call waits forever for the parent's thread.
    # No unraisableexception plugin either: its gc.collect() at exit costs 0.1 s a run.
    common = ["-p", "no:cacheprovider", "-p", "no:faulthandler", "-p", "no:unraisableexception"]
    common += ["-o", "addopts=", "-q"]
    pristine = (pristine or _pristine)(tests, service, base / "pristine")
    reference_folder = _prepare(pristine, base / "reference", None)
    (reference_folder / "tests" / PROBE_NAME).write_text(PROBE, encoding="utf-8")
    reference = Run(
        "reference",
        reference_folder,
        [*common, f"--basetemp={base / 'reference-tmp'}"],
        limit=min(REFERENCE_LIMIT, SHARE * seconds) if seconds else REFERENCE_LIMIT,
        coverage=True,
        package=package,
    )
    # -x: the first failing test proves the bug is caught, and nobody reads its report
    # (--tb=no, no assertion rewriting): the cheapest run that gives the verdict.
    quick = [*common, "-x", "--tb=no", "--assert=plain"]
    # Output captured in the process (sys): the collector's runs share no capture file.
    collector_args = [*quick, "--capture=sys", f"--basetemp={base / 'collector-tmp'}"]
    collector = collector_folder = None  # (it forks the runs)
    if not in_process:
        collector_folder = _prepare(pristine, base / "collector", None)
        collector = _start_collector(collector_folder, package, collector_args)
    runs = {}
    for bug in start_order(load_bugs(root) if bugs is None else bugs, tests):
        args = [*quick, f"--basetemp={base / (bug.name + '-tmp')}"]
        runs[bug.name] = (bug, Run(bug.name, base / bug.name, args, limit=end - started))
    by_run = {run.name: bug for bug, run in runs.values()}
    measured: list[dict] = []  # the correct service's coverage and test sizes, once there

    def prepare(run: Run) -> bool:
        """Make the run's folder just before it starts (the correct service's run need not
        wait for them all). Once that run is over: skip the bugs if it went wrong, else put
        each bug's likely catchers first and bound the run by the correct one's time."""
        if run is reference:
            return True
        if reference.status is not None or reference.timed_out:  # the correct run is over
            if suite_problem(reference):
                return False  # the bugs cannot be counted: no need to run them
            run.cpu_limit = max(BUG_SLACK * reference.cpu, BUG_CPU)
            run.limit = end - time.monotonic()  # a hang that uses no CPU: until time runs out
            if run.limit < 1:
                return False  # the grader's time is up: this bug is not tried
            if not measured:
                coverage = _coverage(reference)
                measured.extend([coverage, lines_run_by_test(coverage)])
            run.first = likely_catchers(by_run[run.name], service, *measured)
        # (else it starts beside the correct one, and keeps the suite's order)
        _prepare(pristine, run.folder, by_run[run.name])
        if collector is not None and collector.wait_ready(READY_WAIT):  # (not once closed)
            run.collector, run.code = collector, collector_folder
            run.edited = tuple(edit.file for edit in by_run[run.name].mutant.edits)
        return True

    try:
        (run_here if in_process else run_all)(
            [reference, *(run for _, run in runs.values())], prepare
        )
    finally:
        if collector is not None:
            collector.close()
    # A run that reached the collector's own service decided nothing: that bug runs afresh.
    again = {}
    for bug, run in runs.values():
        if run.collector is not None and (run.files / "stale").exists():
            name = f"{bug.name}-afresh"
            args = [*quick, f"--basetemp={base / (name + '-tmp')}"]
            again[bug.name] = (bug, Run(name, base / name, args, limit=end - started))
    if again:
        by_run.update({run.name: bug for bug, run in again.values()})
        run_all([run for _, run in again.values()], prepare)
        runs.update(again)
    result = Grading(tests.parent, reference, runs, started)
    result.seconds = time.monotonic() - started
    return result


@pytest.fixture(scope="module")
def grading(request: pytest.FixtureRequest, tmp_path_factory) -> Grading:
    """The learner's suite run on the reference service and on every buggy variant."""
    # Graded as in the browser (whose Python cannot fork): every run in this process.
    in_process = request.config.getoption("flasklings_browser", False)
    if not hasattr(os, "fork") and not in_process:  # Windows
        raise AssertionError(
            "This lesson grades your suite on dozens of buggy copies of the service at once, "
            "each run forked from one warm process (os.fork), so this check cannot run on "
            f"Windows. Take this lesson in WSL ({WSL}): open the course folder in a WSL "
            "terminal and run the check there."
        )
    lesson = target_root(request.config) / lesson_slug(request.node.path)
    tests = lesson / "tests"
    if not tests.is_dir():
        raise learner.LearnerCodeError(
            f"{tests} is missing: your test suite lives there. Restore the starter with "
            "`flasklings reset 09` (your files are backed up first)."
        )
    seconds = request.config.getoption("flasklings_deadline", None)
    base = tmp_path_factory.mktemp("suite")
    return grade_suite(request.config.rootpath, tests, base, seconds, in_process=in_process)


# --- messages -------------------------------------------------------------------------------


def timeout_message(run: Run, what: str) -> str:
    current = run.files / "current"
    test = current.read_text(encoding="utf-8") if current.is_file() else None
    if run.idle_out:
        lines = [
            f"Your suite waited {IDLE_LIMIT:g} s without doing anything on {what}, so it "
            "was stopped."
        ]
    else:
        spent = f"{run.cpu_limit:g} s of CPU time" if run.cpu_out else f"{run.limit:g} s"
        lines = [f"Your suite did not finish within {spent} on {what}, so it was stopped."]
    if test:
        lines.append(f"It was running {test}.")
    stack = run.files / "stack.txt"
    if stack.is_file():
        frames = re.findall(r'File "([^"]+)", line (\d+)', stack.read_text(errors="replace"))
        code = run.code or run.folder
        mine = [(f, n) for f, n in frames if f.startswith(str(code / "tests"))]
        if mine:
            path, line = mine[0]
            shown = Path(path).relative_to(code).as_posix()
            lines.append(f"It was at {shown}:{line}.")
    lines.append(
        "Look for a loop that never ends, a sleep, or a call that waits for a server or for "
        "input (a test needs no server: use the test client)."
    )
    return " ".join(lines)


def broken_run_message(run: Run) -> str | None:
    """Why the reference run could not grade anything, or None."""
    if run.timed_out or run.cpu_out:
        return timeout_message(run, "the correct service")
    record = run.record
    if record.get("collect_errors"):
        return (
            "pytest could not load your tests (on the correct service):\n"
            + record["collect_errors"][0]
        )
    if not record:
        output = (run.files / "output.txt").read_text(errors="replace")
        return f"pytest stopped before it ran a test (exit status {run.status}):\n" + (
            _last_lines(output, 10)
        )
    return None


def suite_is_usable(grading: Grading) -> str | None:
    """A reason the bugs cannot be counted yet, or None."""
    return suite_problem(grading.reference)


def suite_problem(reference: Run) -> str | None:
    """A reason the run on the correct service does not let the bugs be counted, or None."""
    if broken := broken_run_message(reference):
        return broken
    tests = {k: v for k, v in reference.record.get("tests", {}).items() if PROBE_NAME not in k}
    if not tests:
        return "your suite has no tests: pytest collected none in tests/"
    ran = [t for t in tests.values() if t["outcome"] != "skipped"]
    if not ran:
        return f"every one of your {len(tests)} tests was skipped: a skipped test tests nothing"
    failed = [k for k, t in tests.items() if t["outcome"] == "failed"]
    if failed:
        return (
            f"{len(failed)} of your tests fail on the correct service (see Task 1); a test that "
            "fails on everything would 'catch' every bug, so bugs are counted once they pass"
        )
    return None


def bug_report(grading: Grading, task: int) -> str | None:
    """A message for the bugs of `task` that the suite missed, or None if it caught all."""
    if problem := suite_is_usable(grading):
        return f"The bugs of Task {task} cannot be counted yet: {problem.rstrip('.')}."
    mine = [(bug, run) for bug, run in grading.bugs.values() if bug.task == task]
    missed = [bug for bug, run in mine if run.status == 0]
    # Not run, or stopped before it ended (time ran out, or it waited without working: on a
    # machine busy with disk work that can happen to a healthy run, so it is no catch).
    untried = [bug for bug, run in mine if run.status is None]
    if not missed and not untried:
        return None
    caught = len(mine) - len(missed) - len(untried)
    lines = [f"Your suite caught {caught} of the {len(mine)} bugs of Task {task}."]
    if missed:
        lines.append(
            "On each bug below, every one of your tests still passed, so no test checks that "
            "behaviour. Write a test that passes on the correct service and fails when:"
        )
        lines.extend(f"  • {bug.behaviour}" for bug in missed)
    if untried:
        names = "; ".join(bug.behaviour for bug in untried)
        lines.append(
            f"{len(untried)} could not be decided: your suite was stopped on them, or not run "
            f"because the grader's time ran out ({names}). Look for tests that wait, sleep or "
            f"stay {IDLE_LIMIT:g} s without working."
        )
    return "\n".join(lines)


# --- Task 1: fixtures on a throwaway database, and the CLI ---------------------------------


@pytest.mark.task(1)
def test_suite_passes_on_the_correct_service(grading):
    """Your tests run, and all pass on the correct service (no false positives)."""
    broken = broken_run_message(grading.reference)
    assert broken is None, broken
    tests = grading.learner_tests()
    assert tests, (
        "pytest collected no test in tests/: name the files test_*.py and the functions "
        "test_*, as the starter does"
    )
    outcomes = [t["outcome"] for t in tests.values()]
    assert "passed" in outcomes or "failed" in outcomes, (
        f"all {len(tests)} of your tests were skipped: a skipped test checks nothing"
    )
    failed = {k: t for k, t in tests.items() if t["outcome"] == "failed"}
    shown = [f"  {k} ({t['phase']}): {t['message']}" for k, t in list(failed.items())[:8]]
    more = f"\n  … and {len(failed) - 8} more" if len(failed) > 8 else ""
    assert not failed, (
        f"{len(failed)} of your {len(tests)} tests fail on the correct service (false "
        "positives: the service is right, so the test is wrong):\n" + "\n".join(shown) + more
    )


@pytest.mark.task(1)
def test_fixtures_give_an_app_a_client_and_a_runner(grading):
    """tests/conftest.py gives each test `app` (TESTING on), its `client` and its `runner`."""
    assert broken_run_message(grading.reference) is None, (
        "your fixtures could not be tried: pytest could not run your suite (see the first check)"
    )
    probe = grading.probe()
    tests = grading.reference.record.get("tests", {})
    fixtures_test = next((t for k, t in tests.items() if "probe_fixtures" in k), {})
    assert "is_flask" in probe, (
        "a test using the fixtures app, client and runner could not run: "
        f"{fixtures_test.get('message', 'it did not run')}. Define all three in tests/conftest.py "
        "with @pytest.fixture (client and runner take app as their argument)"
    )
    assert probe["is_flask"], (
        f"the app fixture gives a {probe['app']}, expected the Flask app that "
        "create_app(test_config) returns"
    )
    assert probe["testing"], (
        "the app fixture's app has TESTING off, expected TESTING=True in its test_config: "
        "errors then reach your test instead of turning into 500 pages"
    )
    assert probe["client"], "the client fixture is not app.test_client() of the app fixture"
    assert probe["runner"], "the runner fixture is not app.test_cli_runner() of the app fixture"


@pytest.mark.task(1)
def test_every_test_gets_a_throwaway_database(grading):
    """Each test's app has its own empty database with tables, and nothing lands in instance/."""
    assert broken_run_message(grading.reference) is None, (
        "your fixtures could not be tried: pytest could not run your suite (see the first check)"
    )
    probe = grading.probe()
    tests = grading.reference.record.get("tests", {})
    write = next((t for k, t in tests.items() if "probe_write" in k), {})
    assert probe.get("wrote"), (
        "saving an invoice in the app fixture's database failed: "
        f"{write.get('message', 'the test did not run')}. Expected the fixture to create the "
        "tables (db.create_all() inside `with app.app_context():`)"
    )
    assert probe.get("left_over") == 0, (
        f"an invoice saved by one test was still there in the next ({probe.get('left_over')} "
        "found), expected an empty database for every test: give each app its own database "
        "file in tmp_path (a function-scoped fixture), not one shared by the whole session"
    )
    instance = grading.reference.folder / "instance"
    leaked = sorted(p.name for p in instance.rglob("*") if p.is_file()) if instance.is_dir() else []
    assert not leaked, (
        f"your tests wrote {', '.join(leaked)} into the service's instance/ folder (the real "
        "development data), expected every file in tmp_path: set SQLALCHEMY_DATABASE_URI and "
        "AUDIT_DATABASE in the test_config (the audit log is a database too)"
    )


@pytest.mark.task(1)
def test_task_1_bugs_are_caught(grading):
    """Your tests catch every bug of the command-line commands."""
    message = bug_report(grading, 1)
    assert message is None, message


def coverage_message(grading: Grading, task: int) -> str | None:
    """A message when the files of `task` are covered less than the floor, or None."""
    if problem := suite_is_usable(grading):
        return f"coverage is measured once your suite runs clean: {problem}"
    files = grading.coverage()
    if not files:
        return "coverage could not be measured (coverage.py gave no data): a course bug"
    lines = sum(files[f]["lines"] for f in TASK_FILES[task])
    missed = sum(files[f]["missed"] for f in TASK_FILES[task])
    percent = 100 * (lines - missed) / lines
    if percent >= COVERAGE_FLOOR:
        return None
    detail = [
        f"  {name}: {100 * (v['lines'] - v['missed']) / v['lines']:.0f}%, lines not run: "
        f"{v['shown'] or 'none'}"
        for name in TASK_FILES[task]
        for v in [files[name]]
    ]
    return (
        f"your tests run {percent:.0f}% of the lines of the files Task {task} tests, expected "
        f"at least {COVERAGE_FLOOR}%:\n" + "\n".join(detail)
    )


@pytest.mark.task(1)
def test_task_1_files_are_covered(grading):
    """Your tests run most lines of commands.py and audit.py (coverage.py)."""
    message = coverage_message(grading, 1)
    assert message is None, message


# --- Task 2: the JSON API -------------------------------------------------------------------


@pytest.mark.task(2)
def test_task_2_bugs_are_caught(grading):
    """Your tests catch every bug of the JSON API."""
    message = bug_report(grading, 2)
    assert message is None, message


@pytest.mark.task(2)
def test_task_2_files_are_covered(grading):
    """Your tests run most lines of api.py and models.py (coverage.py)."""
    message = coverage_message(grading, 2)
    assert message is None, message


# --- Task 3: the dashboard ------------------------------------------------------------------


@pytest.mark.task(3)
def test_task_3_bugs_are_caught(grading):
    """Your tests catch every bug of the login and the dashboard."""
    message = bug_report(grading, 3)
    assert message is None, message


@pytest.mark.task(3)
def test_task_3_files_are_covered(grading):
    """Your tests run most lines of auth.py and dashboard.py (coverage.py)."""
    message = coverage_message(grading, 3)
    assert message is None, message


# --- Task 4: errors and request IDs ---------------------------------------------------------


@pytest.mark.task(4)
def test_task_4_bugs_are_caught(grading):
    """Your tests catch every bug of the error responses and the request ID."""
    message = bug_report(grading, 4)
    assert message is None, message


@pytest.mark.task(4)
def test_task_4_files_are_covered(grading):
    """Your tests run most lines of errors.py, request_id.py and health.py (coverage.py)."""
    message = coverage_message(grading, 4)
    assert message is None, message
