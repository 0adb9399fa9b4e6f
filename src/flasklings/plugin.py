"""The pytest plugin behind the checkers.

It adds `--target` (which copy of the lessons to grade), registers the `task` marker, gives
checkers fixtures that load the learner's code fresh from that copy, and, for the grader,
sends over the results channel (flasklings.channel): the checks collected (before any
learner code runs), each check as it starts, one JSON record per check (task, docstring,
status, a learner-readable message and what the learner's code printed), then an end marker.
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
from pathlib import Path

import pytest

from flasklings import channel, diagnose, learner, limits, processes, speedups

MAX_OUTPUT = 500
BROWSER_OPTION = "--flasklings-browser"  # grading in the browser (flasklings.browser_grading)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("flasklings")
    group.addoption(
        "--target",
        default="lessons",
        help="what to grade: lessons (default), solutions, or a folder of NN_slug lesson folders",
    )
    group.addoption(
        channel.OPTION,
        action="store_true",
        help="send check results to the grader over the channel named on standard input",
    )
    group.addoption(
        "--flasklings-limits",
        default=None,
        help="resource limits for the checks as JSON (memory bytes, cpu seconds, processes)",
    )
    group.addoption("--flasklings-stack", default=None, help="where to dump the stack on timeout")
    group.addoption(
        "--flasklings-first-task",
        type=int,
        default=None,
        help="run this task's checks first (mutation scoring: those a mutant can fail)",
    )
    group.addoption(
        BROWSER_OPTION,
        action="store_true",
        help="grade as the browser does: report the local_only checks instead of running them",
    )
    group.addoption(
        "--flasklings-deadline",
        type=float,
        default=None,
        help="seconds after which the stack is dumped (timeout diagnosis)",
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]):
    # Before pytest's capture replaces standard input with /dev/null, and long before any
    # learner code is imported: the key then lives only in this process's memory.
    if channel.OPTION in args:
        early_config.stash[_sender_key] = channel.Sender.from_stdin()
    for arg in args:
        if arg.startswith("--flasklings-limits="):
            early_config.stash[_limits_key] = json.loads(arg.partition("=")[2])
            limits.apply(early_config.stash[_limits_key])  # before any learner code runs
    return (yield)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "task(n): ties a check to Task n of its lesson")
    config.addinivalue_line("markers", LATE)
    config.addinivalue_line("markers", LOCAL_ONLY)
    speedups.lazy_url_builders()
    speedups.remembered_compiles()
    stack = config.getoption("flasklings_stack")
    deadline = config.getoption("flasklings_deadline")
    if stack and deadline:
        stack_file = open(stack, "w")  # noqa: SIM115 - must outlive this function
        config.stash[_stack_key] = stack_file
        faulthandler.dump_traceback_later(deadline, file=stack_file)
    config.stash[_results_key] = {}


_sender_key = pytest.StashKey[channel.Sender]()
_stack_key = pytest.StashKey()
_results_key = pytest.StashKey[dict]()
_collect_errors_key = pytest.StashKey[list]()
_interrupted_key = pytest.StashKey[str]()
_limits_key = pytest.StashKey[dict]()
_running: list[tuple[pytest.Config, str]] = []  # for the one hook that is given no config


def attach_sender(config: pytest.Config, sender: channel.Sender) -> None:
    """Send the results with this sender: the in-process path (flasklings.browser_grading)."""
    config.stash[_sender_key] = sender


def _send(config: pytest.Config, kind: str, body) -> None:
    sender = config.stash.get(_sender_key, None)
    if sender:
        sender.send(kind, body)


def target_root(config: pytest.Config) -> Path:
    target = Path(config.getoption("target"))
    return target if target.is_absolute() else config.rootpath / target


def lesson_slug(path: Path) -> str:
    """tests/checkers/test_03_blueprints.py -> 03_blueprints."""
    return path.stem.removeprefix("test_")


LATE = "late: runs after its file's other checks (the servers it needs boot meanwhile)"
LOCAL_ONLY = (
    "local_only(needs): the check needs what the browser's Python lacks (threads, say): "
    "graded in the browser, it is reported as run only on the learner's computer"
)


def local_only(item: pytest.Item) -> str | None:
    """What the check needs that the browser lacks, when this run grades as the browser."""
    marker = item.get_closest_marker("local_only")
    if marker and item.config.getoption("flasklings_browser", False):
        return marker.args[0]
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    first = config.getoption("flasklings_first_task", None)

    def later(item: pytest.Item) -> tuple[bool, bool]:
        task = item.get_closest_marker("task")
        in_first = first is not None and task is not None and task.args[:1] == (first,)
        return not in_first, item.get_closest_marker("late") is not None

    items.sort(key=later)  # stable
    for item in items:
        if needs := local_only(item):
            item.add_marker(pytest.mark.skip(reason=f"needs {needs}"))


def pytest_collection_finish(session: pytest.Session) -> None:
    # The checkers and the libraries they import are loaded (and their bytecode cached).
    # From here on learner code is imported: write no __pycache__ into the lesson folder.
    sys.dont_write_bytecode = True
    # What will run, said before learner code can say anything: the grader accepts results
    # only for exactly these checks.
    _send(session.config, "collected", [item.nodeid for item in session.items])
    if session.items:
        _running.append((session.config, lesson_slug(session.items[0].path)))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> None:
    _send(item.config, "started", item.nodeid)  # names the check if the process ends in it


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo) -> None:
    """KeyboardInterrupt from learner code stops pytest: say where it was raised."""
    if not _running:
        return
    config, slug = _running[-1]
    folder = target_root(config) / slug
    message = diagnose.exception(excinfo.value, folder, config.rootpath, "Your code")
    config.stash[_interrupted_key] = (
        f"{message}\nKeyboardInterrupt stops a whole test run, so no further check could run. "
        "Raise an ordinary exception instead (or none)."
    )


@pytest.fixture
def lesson_dir(request: pytest.FixtureRequest) -> Path:
    """The lesson folder being graded, e.g. lessons/03_blueprints."""
    folder = target_root(request.config) / lesson_slug(request.node.path)
    if not folder.is_dir():
        from flasklings import report  # only on this path: it imports the grader

        reset = report.command("reset", lesson_slug(request.node.path)[:2])
        raise learner.LearnerCodeError(
            f"{diagnose.shown(folder, request.config.rootpath)}/ is missing: "
            f"restore the starter with `{reset}` (your files are backed up first)."
        )
    return folder


@pytest.fixture
def instance_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where apps made during this check keep their instance folder (not created for them)."""
    import flask

    path = tmp_path / "instance"
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(path))
    return path


@pytest.fixture
def load(lesson_dir: Path, instance_path: Path, request: pytest.FixtureRequest):
    """load("invoicer") imports the learner's module fresh from the lesson folder.

    load("invoicer", fresh=False) reuses the module if an earlier check of this run imported
    it: for checks that only call the factory, never for checks of import-time behaviour.
    """
    fresh_imports = []
    folder = import_root(lesson_dir)

    def _load(name: str, fresh: bool = True):
        root = request.config.rootpath
        if fresh:
            fresh_imports.append(name)
            return learner.import_fresh(folder, name, root)
        return learner.import_shared(folder, name, root)

    yield _load
    if fresh_imports:  # leave no module behind that a later check could mistake for fresh
        learner.unload(folder)


def import_root(lesson_dir: Path) -> Path:
    """Where the learner's packages are imported from: src/ in a src layout (lesson 10)."""
    src = lesson_dir / "src"
    return src if src.is_dir() else lesson_dir


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    results = item.config.stash[_results_key]
    entry = results.setdefault(item.nodeid, _new_entry(item))
    # Captured output accumulates over setup, call and teardown: the latest report has it all.
    entry["output"] = (report.capstdout or "") + (report.capstderr or "")
    if report.failed and entry["status"] == "pass":
        status, entry["message"], entry["learner_error"] = _describe(item, call)
        entry["status"] = "fail" if status == "pass" else status  # a failed phase never passes
        if entry["learner_error"]:
            report.longrepr = entry["message"]
    elif report.skipped and entry["status"] == "pass" and (needs := local_only(item)):
        entry["status"] = channel.LOCAL
        entry["message"] = f"needs {needs}, which the browser's Python lacks"
    elif report.skipped and entry["status"] == "pass":
        entry["status"], entry["message"] = "fail", f"skipped: {report.longrepr[-1]}"
    return report


def _new_entry(item: pytest.Item) -> dict:
    marker = item.get_closest_marker("task")
    doc = (getattr(item, "obj", None).__doc__ or item.name).strip().splitlines()[0]
    return {
        "id": item.nodeid,
        "name": item.name,
        "doc": doc,
        "task": marker.args[0] if marker else None,
        "status": "pass",
        "message": None,
        "learner_error": None,
        "output": "",
    }


def _describe(item: pytest.Item, call: pytest.CallInfo) -> tuple[str, str, str | None]:
    """(status, message, learner_error) for a failed phase of a check."""
    exc = call.excinfo.value if call.excinfo else None
    if isinstance(exc, learner.LearnerCodeError):
        return "error", str(exc) + _over_limit(item.config, exc), "import"
    if isinstance(exc, AssertionError):
        text = str(exc).strip()
        return "fail", text or f"a check failed at {item.nodeid}", None
    if exc is None:
        return "error", "the check failed", None
    folder = target_root(item.config) / lesson_slug(item.path)
    message = diagnose.exception(exc, folder, item.config.rootpath, "Your code")
    return "error", message + _over_limit(item.config, exc), None


def _over_limit(config: pytest.Config, exc: BaseException) -> str:
    """A note when the error is the grader's resource limit at work."""
    chosen = config.stash.get(_limits_key, None)
    if not chosen:
        return ""
    cause = exc.__context__ if isinstance(exc, learner.LearnerCodeError) else exc
    if isinstance(cause, MemoryError):
        return (
            f"\nYour code asked for more memory than the grader allows "
            f"({limits.describe(chosen)}). Look for something that grows without end or is "
            "made far larger than the task needs."
        )
    if isinstance(cause, BlockingIOError) and "processes" in chosen:
        return (
            f"\nYour code started more processes than the grader allows ("
            f"{limits.describe(chosen)}). Look for a loop that starts processes "
            "(os.fork, subprocess) without end."
        )
    return ""


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    report = yield
    if report.failed:
        collector.config.stash.setdefault(_collect_errors_key, []).append(str(report.longrepr))
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    processes.end_children()  # where there are no process groups (Windows)
    stack_file = session.config.stash.get(_stack_key, None)
    if stack_file:
        faulthandler.cancel_dump_traceback_later()
        stack_file.close()
        os.unlink(stack_file.name)
    if not session.config.stash.get(_sender_key, None):
        return
    results = session.config.stash[_results_key]
    tests = []
    for item in session.items:  # file order, `late` checks last
        entry = results.get(item.nodeid)
        if entry:
            entry["output"] = entry["output"][:MAX_OUTPUT]
            tests.append(entry)
    errors = session.config.stash.get(_collect_errors_key, [])
    notes = _notes(session, tests)
    report = {"tests": tests, "collect_errors": errors, "notes": notes}
    if interrupted := session.config.stash.get(_interrupted_key, None):
        report["interrupted"] = interrupted
    _send(session.config, "report", report)
    _send(session.config, "end", int(exitstatus))  # written after the last check


def _notes(session: pytest.Session, tests: list[dict]) -> dict:
    """What the learner's code and the failures say beyond each check's message: advice
    from reading the code, and a known mistake the failures match. Not when stopping at the
    first failure (mutation scoring): nobody reads it there, and a partial run matches
    nothing."""
    if not session.items or all(t["status"] == "pass" for t in tests):
        return {}
    if session.config.getoption("maxfail", 0):
        return {}
    from flasklings import advice, recognise

    slug = lesson_slug(session.items[0].path)
    root = session.config.rootpath
    folder = target_root(session.config) / slug
    return {
        "advice": advice.find(folder, root),
        "known": recognise.match(root / "tests" / "mutants" / slug, tests),
    }
