"""Grade one lesson: pytest in a subprocess with a wall-clock limit, read back as a result.

The results come back over a signed channel (flasklings.channel), never a file the learner's
code could find, and count only if they account for exactly the checks the checker file
defines, end with the plugin's end marker, and agree with pytest's own exit status.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from flasklings import channel, diagnose, endings, limits, processes, workspace
from flasklings.course import Course, Lesson

# `--timeout`'s default: None gives each lesson its own (`timeout` in course.toml, else 30 s).
DEFAULT_TIMEOUT = None
GRADING_TZ = "FLK-05:45"  # POSIX inverts the sign: local time here is UTC+05:45
SHARED_MEMORY = Path("/dev/shm")  # Linux's folder in memory (tmpfs)
SCRATCH_ROOM = 512 * 2**20  # bytes free it needs to hold a grading's temporary folder


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
        for test in self.ran():
            tasks[test["task"]] = tasks.get(test["task"], True) and test["status"] == "pass"
        return tasks

    def ran(self) -> list[dict]:
        """The checks that ran: all but those the browser leaves to the learner's computer."""
        return [t for t in self.tests if t["status"] != channel.LOCAL]

    def local(self) -> list[dict]:
        """The checks graded in the browser that only run on the learner's computer."""
        return [t for t in self.tests if t["status"] == channel.LOCAL]

    def failures(self) -> str:
        """Why it did not pass, one failed check a line (for maintainers' test messages)."""
        if self.status == "error":
            return self.message or ""
        return "\n".join(
            f"  Task {t['task']} {t['name']}: {t['message']}"
            for t in self.ran()
            if t["status"] != "pass"
        )


def run_checks(
    course: Course,
    lesson: Lesson,
    target: str | Path = "lessons",
    timeout: float | None = None,  # seconds; None: the lesson's `timeout` in course.toml
    exitfirst: bool = False,  # stop at the first failing check (mutation scoring needs no more)
    first_task: int | None = None,  # run this task's checks first (mutation scoring)
    launch: Launcher | None = None,  # how pytest is started: run_pytest, or warm.WarmWorker
) -> CheckResult:
    timeout = lesson.timeout if timeout is None else timeout
    folder = Path(target) if Path(target).is_absolute() else course.root / target
    folder = folder / lesson.slug
    if problem := _precheck(course, lesson, folder):
        return CheckResult(lesson, "error", problem)
    with tempfile.TemporaryDirectory(prefix="flasklings-", dir=scratch_folder()) as tmp:
        stack = Path(tmp) / "stack.txt"  # a timeout's stack dump: diagnosis only, never a verdict
        args = [
            str(course.checker(lesson)),
            "-p", "flasklings.plugin", "-p", "no:cacheprovider", "-p", "no:faulthandler",
            "-p", "no:unraisableexception",  # its gc.collect() at exit costs 0.1 s
            "-o", "addopts=", "--strict-markers", "--assert=plain", "-q", "--no-header",
            f"--rootdir={course.root}", f"--basetemp={tmp}/tmp",
            f"--target={folder.parent}", channel.OPTION, f"--flasklings-stack={stack}",
            f"--flasklings-limits={json.dumps(limits.settings())}",
            f"--flasklings-deadline={max(timeout - 1.0, timeout * 0.8)}",
            *(["-x"] if exitfirst else []),
            *([f"--flasklings-first-task={first_task}"] if first_task else []),
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
        results = channel.Receiver()
        with open(Path(tmp) / "output.txt", "w+", encoding="utf-8", errors="replace") as out:
            try:
                returncode = (launch or run_pytest)(args, env, workdir, out, timeout, results)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            out.seek(0)
            output = out.read()
        if timed_out:
            dump = stack.read_text(errors="replace") if stack.exists() else ""
            return CheckResult(lesson, "error", _timeout_message(course, folder, timeout, dump))
        run = Run(course, lesson, folder, returncode, output, exitfirst)
        return run.interpret(results)


def scratch_folder() -> str | None:
    """Where a grading's temporary folder goes (its databases, the checks' tmp_path, the
    working folder). Checks commit to SQLite dozens of times, and on a disk each commit waits
    for the data to get there: on Linux, memory (/dev/shm) where it has room. Elsewhere, or
    when TMPDIR names a folder, None: the system's temporary folder."""
    if os.environ.get("TMPDIR") or not sys.platform.startswith("linux"):
        return None
    try:
        stats = os.statvfs(SHARED_MEMORY)
    except OSError:
        return None
    if stats.f_bavail * stats.f_frsize < SCRATCH_ROOM or not os.access(SHARED_MEMORY, os.W_OK):
        return None
    return str(SHARED_MEMORY)


# run_pytest(args, env, cwd, out, timeout, results) -> exit status; TimeoutExpired once it
# is stopped. What the checks send over the results channel is fed to `results`.
Launcher = Callable[[list[str], dict[str, str], Path, IO[str], float, channel.Receiver], int]
READ_WAIT = 10.0  # seconds to wait for the rest of the channel once pytest has ended


def run_pytest(
    args: list[str],
    env: dict,
    cwd: Path,
    out: IO[str],
    timeout: float,
    results: channel.Receiver,
    prefix: list[str] | None = None,  # a sandbox's command line: the isolated mode
) -> int:
    """Cold: `python -m pytest ARGS` in a new interpreter, its output written to `out`."""
    read_end, write_end = os.pipe()
    stdin_read, stdin_write = os.pipe()
    number, passed = channel.inherited(write_end)  # the results channel
    try:
        process = subprocess.Popen(
            # quick_exit: this process ends with pytest, not after tearing its libraries down
            [*(prefix or []), sys.executable, "-m", "pytest", "-p", "flasklings.quick_exit", *args],
            cwd=cwd, env=env,
            stdin=stdin_read, stdout=out, stderr=subprocess.STDOUT, text=True, **passed,
            start_new_session=True,  # its own process group (POSIX): ended as a whole below
        )  # fmt: skip
    finally:
        os.close(stdin_read)
        os.close(write_end)
    with contextlib.suppress(BrokenPipeError):  # far below a pipe's buffer: written at once
        os.write(stdin_write, channel.header(number, results.key))
    os.close(stdin_write)
    reader = threading.Thread(target=_read_all, args=(read_end, results), daemon=True)
    reader.start()
    try:
        process.wait(timeout=timeout)
    finally:
        _end_group(process)  # nothing the checks started outlives them
        # A process that left the group may still hold the pipe open: stop waiting for it.
        reader.join(READ_WAIT)
    return process.returncode


def _read_all(fd: int, results: channel.Receiver) -> None:
    with open(fd, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            results.feed(chunk)


def _end_group(process: subprocess.Popen) -> None:
    """Kill pytest's process group: pytest itself after a timeout, and anything it started."""
    processes.kill_tree(process.pid)
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


def checker_functions(path: Path) -> set[str]:
    """The check functions a checker file defines at module level, read without running
    anything (a checker may also build classes of checks at run time: those are not here)."""
    tree = ast.parse(path.read_bytes())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    }


def local_only_checks(path: Path) -> dict[str, tuple[int | None, str]]:
    """{check: (its task, what it needs)} for the checks a checker file marks local_only
    (they run only on the learner's computer, never in the browser), read without running it."""

    def marker(function, name: str):
        for decorator in function.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == name
                and decorator.args
                and isinstance(decorator.args[0], ast.Constant)
            ):
                return decorator.args[0].value
        return None

    tree = ast.parse(path.read_bytes())
    return {
        node.name: (marker(node, "task"), needs)
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and (needs := marker(node, "local_only"))
    }


_PARAMS = re.compile(r"\[.*\]$")


@dataclass
class Run:
    """One finished run of the checks, to be judged from what came over the channel."""

    course: Course
    lesson: Lesson
    folder: Path
    returncode: int
    output: str
    exitfirst: bool

    def error(self, message: str, tests: list[dict] | None = None) -> CheckResult:
        return CheckResult(self.lesson, "error", message, tests or [])

    def interpret(self, results: channel.Receiver) -> CheckResult:
        try:
            messages = results.messages()
        except channel.Forged as exc:
            return self.error(
                "The grader's results channel carried a message the checks did not send "
                f"({exc}). Something in your code wrote to it, so this run cannot be graded. "
                "Grade only what the checks report: remove the code that writes to the "
                "grader's pipes or files."
            )
        kinds = [m["kind"] for m in messages]
        if not kinds or kinds[0] != "collected":
            return self.error(_broken_message(self.returncode, self.output))
        collected = messages[0]["body"]
        if problem := self._unexpected_checks(collected):
            return self.error(problem)
        report = next((m["body"] for m in messages if m["kind"] == "report"), None)
        if report and report.get("collect_errors"):
            detail = report["collect_errors"][0].strip().splitlines()[-1]
            return self.error(f"The checker could not be loaded (a course bug): {detail}")
        if report and report.get("interrupted"):
            return self.error(report["interrupted"], report["tests"])
        if report is None or kinds[-1] != "end" or kinds[-2] != "report":
            started = [m["body"] for m in messages if m["kind"] == "started"]
            return self.error(self._ended_early(started[-1] if started else None))
        tests = report["tests"]
        if problem := self._unaccounted(collected, tests):
            return self.error(problem)
        return self._verdict(report)

    def _unexpected_checks(self, collected: list[str]) -> str | None:
        # The list was sent at collection, before any learner code was imported; it must
        # still name every check the checker file visibly defines, each once.
        defined = checker_functions(self.course.checker(self.lesson))
        ran = {_PARAMS.sub("", nodeid.rpartition("::")[2]) for nodeid in collected}
        missing = sorted(defined - ran)
        if not missing and len(set(collected)) == len(collected):
            return None
        return (
            "The checks that ran are not the ones the checker defines "
            f"(missing: {', '.join(missing) or 'none'}). "
            "The checker or the grading environment was changed: restore tests/checkers/ "
            "(e.g. `git checkout tests/checkers`) and check again."
        )

    def _unaccounted(self, collected: list[str], tests: list[dict]) -> str | None:
        ids = [t.get("id") for t in tests]
        if ids == collected:
            return None
        stopped = self.exitfirst and ids == collected[: len(ids)] and tests
        if stopped and tests[-1]["status"] != "pass":
            return None  # -x: the run stops at its first failing check
        return (
            f"The results cover {len(ids)} checks, but {len(collected)} were to run, so this "
            "run cannot be graded. Did your code change the grader while the checks ran?"
        )

    def _verdict(self, report: dict) -> CheckResult:
        tests = report["tests"]
        if not tests:
            return self.error(_broken_message(self.returncode, self.output))
        notes = report.get("notes") or {}  # written by the plugin: advice, a known mistake
        for test in tests:
            if test["learner_error"]:
                return CheckResult(self.lesson, "error", test["message"], tests, notes)
        status = "pass" if all(t["status"] in ("pass", channel.LOCAL) for t in tests) else "fail"
        # pytest's exit status is an independent witness: a pass needs 0. (0 with a check
        # not passed is possible: the plugin counts a skipped check as failed.)
        if status == "pass" and self.returncode != 0:
            return self.error(
                f"The results say {status}, but pytest ended with "
                f"{endings.exit_status(self.returncode)}: they disagree, so this run cannot "
                "be graded. Did your code change how checks are reported or how pytest exits?",
                tests,
            )
        return CheckResult(self.lesson, status, None, tests, notes if status == "fail" else {})

    def _ended_early(self, running: str | None) -> str:
        how = endings.exit_status(self.returncode)
        during = f" during the check {running.rpartition('::')[2]}" if running else ""
        lines = [f"The checks ended early ({how}){during}, before they could report every result."]
        found = endings.ending_statements(self.folder, self.course.root)
        if found:
            lines.append("Your code ends the process here:")
            lines.extend(f"  {where}" for where in found)
            lines.append(
                "Code that runs when a module is imported (or when the app handles a request) "
                "must not end the program: the server, the checks and your tests all run in "
                "that process. Remove the call, or put it under "
                '`if __name__ == "__main__":`.'
            )
        elif self.returncode == -signal.SIGKILL:
            lines.append(
                "It was killed (SIGKILL): often the system ran out of memory. Look for code "
                "that builds something very large."
            )
        else:
            tail = "\n".join(self.output.strip().splitlines()[-15:])
            lines.append(
                "Nothing in your lesson files ends the process directly: look at what your "
                "code calls when it is imported or handles a request (a library that exits, "
                "a signal sent to the process)."
                + (f" The last output was:\n{tail}" if tail else "")
            )
        return "\n".join(lines)
