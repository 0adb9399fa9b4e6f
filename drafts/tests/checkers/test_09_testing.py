"""Checks for lesson 9, Testing (lessons/09_testing/tests/): the learner's own test suite.

Graded by mutation. The learner's tests/ run next to the REFERENCE service (a copy of
solutions/08_deploy, never the learner's copy of invoicer/) and must all pass there; then once
per buggy variant of the service listed in tests/mutants/09_testing/bugs.toml, where at least
one test has to fail. A missed bug is named by its behaviour, never by its code.

Each run is a child forked from this process (pytest and Flask are imported already), in a
temporary folder of its own, with a time limit; the runs go os.cpu_count() at a time. The
children stay in the checks' process group, so whatever they start ends with the checks.
"""

import contextlib
import faulthandler
import json
import os
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

from flasklings import learner, mutants
from flasklings.plugin import lesson_slug, target_root

SERVICE = Path("solutions") / "08_deploy"  # the reference service, relative to the course root
RUN_LIMIT = 60.0  # seconds of wall time for one run of the learner's suite (a hang ends here)
STACK_WAIT = 2.0  # seconds to wait for a stopped run's stack dump
COVERAGE_FLOOR = 85  # percent of the lines of the files each task tests
PROBE_NAME = "test_zz_flasklings_probe.py"
PYTEST_INI = "[pytest]\ntestpaths = tests\npythonpath = .\n"
PACKAGES_OF_A_RUN = ("invoicer", "conftest", "tests")  # imported afresh in every run
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
    coverage: bool = False
    pid: int = 0
    started: float = 0.0
    status: int | None = None  # pytest's exit status; None if it was stopped
    timed_out: bool = False
    cpu: float = 0.0  # CPU seconds the run took
    record: dict = field(default_factory=dict)  # what the Recorder wrote

    @property
    def files(self) -> Path:
        return self.folder.parent / f"{self.name}.files"


class Recorder:
    """A plugin for the child's pytest: each test's outcome, and the test in progress."""

    def __init__(self, folder: Path, files: Path, cov):
        self.folder, self.files, self.cov = folder, files, cov
        self.data = {"collected": 0, "tests": {}, "collect_errors": []}

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
        try:
            return (yield)
        finally:
            if probe:
                self.cov.start()

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


def _child(run: Run) -> None:
    """In the forked child: run pytest on the run's folder and exit with its status."""
    status = 99
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        output = os.open(run.files / "output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(output, 1)
        os.dup2(output, 2)
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        os.chdir(run.folder)
        for name in list(os.environ):
            if name.startswith(("FLASK_", "INVOICER_")):
                del os.environ[name]
        # The checks' own conftest and any service imported before must not stand in for
        # the ones of this run.
        for name in list(sys.modules):
            if name.split(".")[0] in PACKAGES_OF_A_RUN or name.startswith("test_"):
                del sys.modules[name]
        # The stack on request (SIGUSR1, sent before a stopped run is killed). Not
        # dump_traceback_later: its watchdog thread is the parent's, and after a fork any
        # call to it waits forever for a thread that does not exist in the child.
        stack = open(run.files / "stack.txt", "w")  # noqa: SIM115 - read after a timeout
        faulthandler.register(signal.SIGUSR1, file=stack, all_threads=True)
        cov = None
        if run.coverage:
            import coverage

            os.environ["COVERAGE_CORE"] = "sysmon"  # sys.monitoring: cheaper than a tracer
            cov = coverage.Coverage(data_file=None, config_file=False)
            cov.start()
        status = pytest.main(run.args, plugins=[Recorder(run.folder, run.files, cov)])
        if cov is not None:
            cov.stop()
            _write_coverage(cov, run)
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(int(status))


def _write_coverage(cov, run: Run) -> None:
    """Lines run and missed per service file, relative to the run's folder."""
    result = {}
    for path in sorted((run.folder / "invoicer").glob("*.py")):
        _, statements, _, missing, shown = cov.analysis2(str(path))
        relative = path.relative_to(run.folder).as_posix()
        result[relative] = {"lines": len(statements), "missed": len(missing), "shown": shown}
    (run.files / "coverage.json").write_text(json.dumps(result), encoding="utf-8")


def _start(run: Run) -> None:
    run.files.mkdir()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(run)  # never returns
    run.pid, run.started = pid, time.monotonic()


def _reap(run: Run, block: bool) -> bool:
    """Collect the child's exit status; True once it has ended."""
    pid, wait_status, usage = os.wait4(run.pid, 0 if block else os.WNOHANG)
    if pid == 0:
        return False
    run.cpu = usage.ru_utime + usage.ru_stime
    run.status = os.waitstatus_to_exitcode(wait_status)
    record = run.files / "record.json"
    if record.is_file():
        run.record = json.loads(record.read_text(encoding="utf-8"))
    return True


def _wait_any(running: list[Run]) -> None:
    """Wait until a run ends or the earliest time limit passes (bounded either way)."""
    deadline = min(run.started for run in running) + RUN_LIMIT
    wait = max(0.0, deadline - time.monotonic())
    if hasattr(os, "pidfd_open"):
        fds = [os.pidfd_open(run.pid) for run in running]
        try:
            select.select(fds, [], [], wait)
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


def run_all(runs: list[Run]) -> None:
    """Run every suite, os.cpu_count() at a time; stop any that passes its time limit."""
    waiting, running = list(runs), []
    at_once = max(1, os.cpu_count() or 1)
    try:
        while waiting or running:
            while waiting and len(running) < at_once:
                running.append(waiting.pop(0))
                _start(running[-1])
            _wait_any(running)
            for run in list(running):
                if _reap(run, block=False):
                    running.remove(run)
                elif time.monotonic() - run.started > RUN_LIMIT:
                    _dump_stack(run)
                    os.kill(run.pid, signal.SIGKILL)
                    _reap(run, block=True)
                    run.status, run.timed_out = None, True
                    running.remove(run)
    finally:
        for run in running:  # the checks were interrupted: leave no child behind
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(run.pid, signal.SIGKILL)
                os.waitpid(run.pid, 0)


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
        path = self.reference.files / "coverage.json"
        return json.loads(path.read_text("utf-8")) if path.is_file() else {}


def _prepare(tests: Path, service: Path, folder: Path, bug: Bug | None) -> Path:
    """A folder holding the service (with the bug made, if any) and a copy of the tests."""
    if bug is None:
        shutil.copytree(service, folder, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        mutants.apply(bug.mutant, service, folder)
    shutil.copytree(tests, folder / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    shutil.rmtree(folder / "instance", ignore_errors=True)
    return folder


@pytest.fixture(scope="module")
def grading(request: pytest.FixtureRequest, tmp_path_factory) -> Grading:
    """The learner's suite run on the reference service and on every buggy variant."""
    root = request.config.rootpath
    lesson = target_root(request.config) / lesson_slug(request.node.path)
    tests = lesson / "tests"
    if not tests.is_dir():
        raise learner.LearnerCodeError(
            f"{tests} is missing: your test suite lives there. Restore the starter with "
            "`flasklings reset 09` (your files are backed up first)."
        )
    service = root / SERVICE
    base = tmp_path_factory.mktemp("suite")
    started = time.monotonic()
    # No faulthandler plugin: it cancels the parent's dump_traceback_later timer on every
    # failing test, and in a forked child that call waits forever for the parent's thread.
    common = ["-p", "no:cacheprovider", "-p", "no:faulthandler", "-o", "addopts=", "-q"]
    reference_folder = _prepare(tests, service, base / "reference", None)
    (reference_folder / "tests" / PROBE_NAME).write_text(PROBE, encoding="utf-8")
    reference = Run(
        "reference",
        reference_folder,
        [*common, f"--basetemp={base / 'reference-tmp'}"],
        coverage=True,
    )
    bugs = {}
    for bug in load_bugs(root):
        folder = _prepare(tests, service, base / bug.name, bug)
        # -x: the first failing test proves the bug is caught, and nobody reads its report
        # (--tb=no, no assertion rewriting): the cheapest run that gives the verdict.
        quick = ["-x", "--tb=no", "--assert=plain"]
        args = [*common, *quick, f"--basetemp={base / (bug.name + '-tmp')}"]
        bugs[bug.name] = (bug, Run(bug.name, folder, args))
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the children load no other plugins
    run_all([reference, *(run for _, run in bugs.values())])
    result = Grading(lesson, reference, bugs, started)
    result.seconds = time.monotonic() - started
    return result


# --- messages -------------------------------------------------------------------------------


def timeout_message(run: Run, what: str) -> str:
    current = run.files / "current"
    test = current.read_text(encoding="utf-8") if current.is_file() else None
    lines = [f"Your suite did not finish within {RUN_LIMIT:g} s on {what}, so it was stopped."]
    if test:
        lines.append(f"It was running {test}.")
    stack = run.files / "stack.txt"
    if stack.is_file():
        frames = re.findall(r'File "([^"]+)", line (\d+)', stack.read_text(errors="replace"))
        mine = [(f, n) for f, n in frames if f.startswith(str(run.folder / "tests"))]
        if mine:
            path, line = mine[0]
            shown = Path(path).relative_to(run.folder).as_posix()
            lines.append(f"It was waiting at {shown}:{line}.")
    lines.append(
        "Look for a loop that never ends, a sleep, or a call that waits for a server or for "
        "input (a test needs no server: use the test client)."
    )
    return " ".join(lines)


def broken_run_message(run: Run) -> str | None:
    """Why the reference run could not grade anything, or None."""
    if run.timed_out:
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
    if broken := broken_run_message(grading.reference):
        return broken
    tests = grading.learner_tests()
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
    if not missed:
        return None
    caught = len(mine) - len(missed)
    lines = [
        f"Your suite caught {caught} of the {len(mine)} bugs of Task {task}: on each bug "
        "below, every one of your tests still passed, so no test checks that behaviour. "
        "Write a test that passes on the correct service and fails when:"
    ]
    lines.extend(f"  • {bug.behaviour}" for bug in missed)
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
