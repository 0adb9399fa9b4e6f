"""The pytest plugin behind the checkers.

It adds `--target` (which copy of the lessons to grade), registers the `task` marker, gives
checkers fixtures that load the learner's code fresh from that copy, and, for the grader,
writes one JSON record per check: task, docstring, status, a learner-readable message and
what the learner's code printed.
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
from pathlib import Path

import pytest

from flasklings import diagnose, learner

MAX_OUTPUT = 500


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("flasklings")
    group.addoption(
        "--target",
        default="lessons",
        help="what to grade: lessons (default), solutions, or a folder of NN_slug lesson folders",
    )
    group.addoption("--flasklings-report", default=None, help="write check results as JSON here")
    group.addoption(
        "--flasklings-deadline",
        type=float,
        default=None,
        help="seconds after which the stack is dumped beside the report (timeout diagnosis)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "task(n): ties a check to Task n of its lesson")
    report = config.getoption("flasklings_report")
    deadline = config.getoption("flasklings_deadline")
    if report and deadline:
        stack_file = open(report + ".stack", "w")  # noqa: SIM115 - must outlive this function
        config.stash[_stack_key] = stack_file
        faulthandler.dump_traceback_later(deadline, file=stack_file)
    config.stash[_results_key] = {}


_stack_key = pytest.StashKey()
_results_key = pytest.StashKey[dict]()
_collect_errors_key = pytest.StashKey[list]()


def target_root(config: pytest.Config) -> Path:
    target = Path(config.getoption("target"))
    return target if target.is_absolute() else config.rootpath / target


def lesson_slug(path: Path) -> str:
    """tests/checkers/test_03_blueprints.py -> 03_blueprints."""
    return path.stem.removeprefix("test_")


def pytest_collection_finish(session: pytest.Session) -> None:
    # The checkers and the libraries they import are loaded (and their bytecode cached).
    # From here on learner code is imported: write no __pycache__ into the lesson folder.
    sys.dont_write_bytecode = True


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
        entry["status"], entry["message"], entry["learner_error"] = _describe(item, call)
        if entry["learner_error"]:
            report.longrepr = entry["message"]
    elif report.skipped and entry["status"] == "pass":
        entry["status"], entry["message"] = "fail", f"skipped: {report.longrepr[-1]}"
    return report


def _new_entry(item: pytest.Item) -> dict:
    marker = item.get_closest_marker("task")
    doc = (getattr(item, "obj", None).__doc__ or item.name).strip().splitlines()[0]
    return {
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
        return "error", str(exc), "import"
    if isinstance(exc, AssertionError):
        text = str(exc).strip()
        return "fail", text or f"a check failed at {item.nodeid}", None
    if exc is None:
        return "error", "the check failed", None
    folder = target_root(item.config) / lesson_slug(item.path)
    message = diagnose.exception(exc, folder, item.config.rootpath, "Your code")
    return "error", message, None


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    report = yield
    if report.failed:
        collector.config.stash.setdefault(_collect_errors_key, []).append(str(report.longrepr))
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("flasklings_report")
    stack_file = session.config.stash.get(_stack_key, None)
    if stack_file:
        faulthandler.cancel_dump_traceback_later()
        stack_file.close()
        os.unlink(stack_file.name)
    if not path:
        return
    results = session.config.stash[_results_key]
    tests = []
    for item in session.items:  # file order
        entry = results.get(item.nodeid)
        if entry:
            entry["output"] = entry["output"][:MAX_OUTPUT]
            tests.append(entry)
    errors = session.config.stash.get(_collect_errors_key, [])
    notes = _notes(session, tests)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"tests": tests, "collect_errors": errors, "notes": notes}, handle, indent=1)


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
