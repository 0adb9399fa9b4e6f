"""Grade one lesson: pytest in a subprocess with a wall-clock limit, read back as a result."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from flasklings import diagnose, workspace
from flasklings.course import Course, Lesson

# `--timeout`'s default: None gives each lesson its own (`timeout` in course.toml, else 30 s).
DEFAULT_TIMEOUT = None
GRADING_TZ = "FLK-05:45"  # POSIX inverts the sign: local time here is UTC+05:45


@dataclass
class CheckResult:
    lesson: Lesson
    status: str  # "pass", "fail" or "error" (could not grade)
    message: str | None = None  # why it could not grade
    tests: list[dict] = field(default_factory=list)
    notes: dict = field(default_factory=dict)  # advice, known mistake: for report.human only

    @property
    def exit_code(self) -> int:
        return {"pass": 0, "fail": 1}.get(self.status, 2)

    def task_status(self) -> dict[int, bool]:
        """Task number -> whether every check of that task passed."""
        tasks: dict[int, bool] = {}
        for test in self.tests:
            tasks[test["task"]] = tasks.get(test["task"], True) and test["status"] == "pass"
        return tasks

    def failures(self) -> str:
        """Why it did not pass, one failed check a line (for maintainers' test messages)."""
        if self.status == "error":
            return self.message or ""
        return "\n".join(
            f"  Task {t['task']} {t['name']}: {t['message']}"
            for t in self.tests
            if t["status"] != "pass"
        )


def run_checks(
    course: Course,
    lesson: Lesson,
    target: str | Path = "lessons",
    timeout: float | None = None,  # seconds; None: the lesson's `timeout` in course.toml
    exitfirst: bool = False,  # stop at the first failing check (mutation scoring needs no more)
    launch: Launcher | None = None,  # how pytest is started: run_pytest, or warm.WarmWorker
) -> CheckResult:
    timeout = lesson.timeout if timeout is None else timeout
    folder = Path(target) if Path(target).is_absolute() else course.root / target
    folder = folder / lesson.slug
    if problem := _precheck(course, lesson, folder):
        return CheckResult(lesson, "error", problem)
    with tempfile.TemporaryDirectory(prefix="flasklings-") as tmp:
        report = Path(tmp) / "report.json"
        args = [
            str(course.checker(lesson)),
            "-p", "flasklings.plugin", "-p", "no:cacheprovider", "-p", "no:faulthandler",
            "-p", "no:unraisableexception",  # its gc.collect() at exit costs 0.1 s
            "-o", "addopts=", "--strict-markers", "--assert=plain", "-q", "--no-header",
            f"--rootdir={course.root}", f"--basetemp={tmp}/tmp",
            f"--target={folder.parent}", f"--flasklings-report={report}",
            f"--flasklings-deadline={max(timeout - 1.0, timeout * 0.8)}",
            *(["-x"] if exitfirst else []),
        ]  # fmt: skip
        from flasklings.report import COMMAND_VARIABLE, command_prefix  # it imports this module

        env = {
            **os.environ,
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # load only the plugins grading needs
            # Local time UTC+05:45 (a POSIX TZ string: needs no tzdata), so that code which
            # converts to local time instead of UTC is caught on every machine, not only
            # on those set to a zone other than UTC.
            "TZ": GRADING_TZ,
            # Messages printed inside pytest name commands the way this learner runs them.
            COMMAND_VARIABLE: command_prefix(),
        }
        # Let the libraries' bytecode be cached, or every check compiles Flask and SQLAlchemy
        # afresh. The learner's folder stays clean: the plugin stops bytecode writes before
        # any learner code is imported.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        # Output goes to a file, not a pipe: a process the learner's code left running would
        # hold a pipe open, and reading it would wait for that process instead of for pytest.
        # The working folder is private, so files the code writes by relative path land there.
        workdir = Path(tmp) / "cwd"
        workdir.mkdir()
        with open(Path(tmp) / "output.txt", "w+", encoding="utf-8", errors="replace") as out:
            try:
                returncode = (launch or run_pytest)(args, env, workdir, out, timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            out.seek(0)
            output = out.read()
        if timed_out:
            stack = Path(str(report) + ".stack")
            dump = stack.read_text(errors="replace") if stack.exists() else ""
            return CheckResult(lesson, "error", _timeout_message(course, folder, timeout, dump))
        if not report.exists():
            return CheckResult(lesson, "error", _broken_message(returncode, output))
        data = json.loads(report.read_text(encoding="utf-8"))
    return _interpret(lesson, data, returncode, output)


# run_pytest(args, env, cwd, out, timeout) -> exit status; TimeoutExpired once it is stopped.
Launcher = Callable[[list[str], dict[str, str], Path, IO[str], float], int]


def run_pytest(args: list[str], env: dict, cwd: Path, out: IO[str], timeout: float) -> int:
    """Cold: `python -m pytest ARGS` in a new interpreter, its output written to `out`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        stdout=out, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group: ended as a whole below
    )  # fmt: skip
    try:
        process.wait(timeout=timeout)
    finally:
        _end_group(process)  # nothing the checks started outlives them
    return process.returncode


def _end_group(process: subprocess.Popen) -> None:
    """Kill pytest's process group: pytest itself after a timeout, and anything it started."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _precheck(course: Course, lesson: Lesson, folder: Path) -> str | None:
    """Problems that need no pytest run: missing files and code that does not parse."""
    if not course.checker(lesson).is_file():
        return f"The checker {course.checker(lesson)} is missing: the course is incomplete."
    from flasklings import report  # report imports this module

    reset = f"`{report.command('reset', f'{lesson.number:02d}')}` (your files are backed up first)"
    if not folder.is_dir():
        shown = diagnose.shown(folder, course.root)
        return f"{shown}/ is missing. Restore the starter with {reset}."
    reference = course.lesson_dir(lesson, "solutions")
    if reference.is_dir() and reference != folder:
        missing = sorted(set(workspace.files(reference)) - set(workspace.files(folder)))
        if missing:
            names = "\n".join(f"  {diagnose.shown(folder / m, course.root)}" for m in missing)
            return (
                f"These lesson files are missing:\n{names}\n"
                f"If you renamed one, rename it back. Or restore the starter with {reset}."
            )
    for path in sorted(folder.rglob("*.py")):
        try:
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        except SyntaxError as exc:
            return diagnose.syntax_error(exc, course.root)
        except ValueError as exc:  # e.g. null bytes
            return f"{diagnose.shown(path, course.root)} cannot be read as Python: {exc}"
    return None


def _timeout_message(course: Course, folder: Path, timeout: float, dump: str) -> str:
    lines = [f"The checks did not finish within {timeout:g} s, so they were stopped."]
    if where := diagnose.stuck_at(dump, folder, course.root):
        lines.append(f"Your code was still running at {where}")
    causes = diagnose.likely_hang_causes(folder, course.root)
    if causes:
        lines.append("Likely cause:")
        lines.extend(f"  {cause}" for cause in causes)
        if any("server" in cause for cause in causes):
            lines.append(diagnose.GUARD_ADVICE)
    elif not where:
        lines.append("Look for a loop that never ends or a call that waits (input(), a server).")
    return "\n".join(lines)


def _broken_message(returncode: int, output: str) -> str:
    tail = "\n".join(output.strip().splitlines()[-15:])
    return (
        f"pytest stopped (exit status {returncode}) before it could grade anything. "
        "This is usually a broken environment: run `uv sync` (or reinstall) and try again.\n"
        f"{tail}"
    )


def _interpret(lesson: Lesson, data: dict, returncode: int, output: str) -> CheckResult:
    tests = data["tests"]
    if data["collect_errors"]:
        detail = data["collect_errors"][0].strip().splitlines()[-1]
        return CheckResult(
            lesson, "error", f"The checker could not be loaded (a course bug): {detail}", tests
        )
    if not tests:
        return CheckResult(lesson, "error", _broken_message(returncode, output), tests)
    notes = data.get("notes") or {}  # written by the plugin: advice, a known mistake
    for test in tests:
        if test["learner_error"]:
            return CheckResult(lesson, "error", test["message"], tests, notes)
    status = "pass" if all(t["status"] == "pass" for t in tests) else "fail"
    return CheckResult(lesson, status, None, tests, notes if status == "fail" else {})
