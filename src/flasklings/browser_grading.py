"""Grade a lesson inside this Python process: the path the browser takes (Pyodide starts no
processes).

`runner.run_checks` does everything as on the command line (the checks for missing files and
syntax errors, pytest's arguments, the verdict judged from the results channel), with one
part swapped: `launch_in_process` runs pytest here instead of in a child process, and the
plugin's signed messages go straight into the grader's receiver instead of through a pipe.
What needs processes or threads is left out: the resource limits, the stack dump before a
timeout and the wall-clock limit itself (the page ends a worker that takes too long). So are
the checks a checker marks `local_only` (they start threads, say): they are reported with the
status "local", and the report sends the learner to `flasklings check` for them.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path, PurePosixPath
from typing import IO

import click
import pytest

from flasklings import browser_hashlib, channel, course, learner, plugin, report, runner

browser_hashlib.install()  # Pyodide's hashlib has no pbkdf2_hmac or scrypt (lesson 7)

# Arguments of the command-line path that only a child process can honour.
_CHILD_ONLY = ("--flasklings-limits=", "--flasklings-stack=", "--flasklings-deadline=")


class _DirectSender(channel.Sender):
    """The plugin's sender, writing to the receiver in this process instead of to a pipe."""

    def __init__(self, results: channel.Receiver):
        super().__init__(-1, results.key)
        self._results = results

    def _write(self, line: bytes) -> None:
        self._results.feed(line)


class _Attach:
    """A pytest plugin object that hands the plugin its sender before collection starts."""

    def __init__(self, sender: channel.Sender):
        self._sender = sender

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        plugin.attach_sender(config, self._sender)


@contextlib.contextmanager
def _environment(env: dict[str, str], cwd: Path):
    """os.environ, the time zone and the working folder as a child process would have them."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_bytecode = sys.dont_write_bytecode
    os.environ.clear()
    os.environ.update(env)
    if hasattr(time, "tzset"):
        time.tzset()
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        if hasattr(time, "tzset"):
            time.tzset()
        sys.dont_write_bytecode = saved_bytecode  # the plugin sets it for learner imports


def launch_in_process(
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    out: IO[str],
    timeout: float,
    results: channel.Receiver,
) -> int:
    """runner.Launcher: pytest.main in this process; its exit status."""
    args = [a for a in args if a != channel.OPTION and not a.startswith(_CHILD_ONLY)]
    args.append(plugin.BROWSER_OPTION)  # the local_only checks are reported, not run
    with (
        _environment(env, cwd),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(out),
    ):
        return int(pytest.main(args, plugins=[_Attach(_DirectSender(results))]))


def write_files(folder: Path, files: dict[str, str], writes=lambda name: True) -> None:
    """Replace the lesson folder's files that the learner writes (`writes(name)`: all, unless
    course.toml lists them) with these (relative paths with /, text)."""
    for name in files:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise ValueError(f"{name!r} is not a path inside the lesson folder")
    for old in sorted(folder.rglob("*"), reverse=True):
        if old.is_file() and writes(old.relative_to(folder).as_posix()):
            old.unlink()
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


def check(root: Path, slug: str, files: dict[str, str] | None = None) -> dict:
    """Grade lessons/SLUG under ROOT (after writing FILES into it) as `flasklings check` does:
    the results.json it would write, its report as plain text, and the tasks' titles."""
    course_ = course.load(root)
    lesson = course_.find(slug)
    if files is not None:
        write_files(course_.lesson_dir(lesson), files, lesson.writes)
    # A child process starts with none of the lesson's modules imported; this process may
    # hold those of the files it graded last, from the same folder: forget them.
    learner.unload(plugin.import_root(course_.lesson_dir(lesson)))
    result = runner.run_checks(course_, lesson, "lessons", launch=launch_in_process)
    return {
        "status": result.status,
        "results": json.loads(report.results_json(result)),
        "report": click.unstyle(report.human(result)),
        "tasks": {task.number: task.title for task in lesson.tasks},
    }


def check_json(root: str, slug: str, files: dict[str, str]) -> str:
    """`check` for the page's worker, which passes strings and reads JSON."""
    return json.dumps(check(Path(root), slug, dict(files)), ensure_ascii=False)
