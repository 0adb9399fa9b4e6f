"""Warm grading: a worker process that has already imported pytest, Flask and the checkers'
libraries forks a fresh child for each check, so a verdict pays only for the learner's code
and the checks. The child runs pytest with the same arguments, environment and report as
the cold path (`runner.run_pytest`), and where fork is missing (Windows) the cold path is used.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import IO

from flasklings import channel, runner
from flasklings.course import Course, Lesson

# What every lesson's checks import, whatever their checker says.
ALWAYS = ("pytest", "flask", "flask.testing", "werkzeug", "flasklings.plugin", "flasklings.checks")
START_LIMIT = 120.0  # seconds to wait for the worker's imports before grading cold instead
KILL_WAIT = 10.0  # seconds to wait for a stopped run to be reported gone


def available() -> bool:
    return hasattr(os, "fork")


class WorkerGone(RuntimeError):
    """The worker process stopped or never started: grade cold instead."""


def preload_names(course: Course) -> list[str]:
    """Modules the checkers and the reference solutions import by absolute name.

    Only their names: the worker imports those found outside the course's own folders, so
    no learner module and no checker is ever imported before the fork.
    """
    sources = [course.checker(lesson) for lesson in course.lessons]
    for lesson in course.lessons:
        sources.extend(sorted(course.lesson_dir(lesson, "solutions").rglob("*.py")))
    return list(dict.fromkeys([*ALWAYS, *imported_names(sources)]))


def imported_names(paths: list[Path]) -> list[str]:
    """The modules these files import by absolute name, in first-seen order (a file that
    cannot be read or parsed is passed over: grading it will say what is wrong)."""
    names: dict[str, None] = {}
    for path in paths:
        try:
            tree = ast.parse(path.read_bytes())
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names[node.module] = None
    return list(names)


class WarmWorker:
    """One worker process for one course; `launch` has the signature of runner.run_pytest."""

    def __init__(self, course: Course):
        self._home = tempfile.mkdtemp(prefix="flasklings-warm-")  # empty: first on its sys.path
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "TZ": runner.GRADING_TZ}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as the cold path: cache the libraries' bytecode
        command = [sys.executable, "-m", "flasklings.warm_server", str(course.root)]
        self._process = subprocess.Popen(
            [*command, *preload_names(course)], cwd=self._home, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C at the terminal is for watch, not for the worker
        )  # fmt: skip
        self._ids = itertools.count(1)
        self._pending: dict[int, Future] = {}
        self._results: dict[int, channel.Receiver] = {}  # run id -> where its results go
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._gone = False
        self.last_cpu = 0.0  # CPU seconds of the latest run's child (for the benchmark)
        threading.Thread(target=self._read_answers, daemon=True).start()

    def _read_answers(self) -> None:
        for line in self._process.stdout:
            try:
                answer = json.loads(line)
            except ValueError:
                continue  # not an answer (the worker keeps its answers apart from prints)
            if answer.get("ready"):
                self._ready.set()
                continue
            if "results" in answer:
                with self._lock:
                    results = self._results.get(answer["id"])
                if results:
                    results.feed(answer["results"].encode("ascii", "replace"))
                continue
            with self._lock:
                self._results.pop(answer["id"], None)
                future = self._pending.pop(answer["id"], None)
            if future:
                future.set_result((answer["exit"], answer["cpu"]))
        with self._lock:  # the worker ended: every run still waiting is graded cold
            self._gone = True
            waiting, self._pending = list(self._pending.values()), {}
        self._ready.set()
        for future in waiting:
            future.set_exception(WorkerGone("the warm worker stopped"))

    def _send(self, message: dict) -> None:
        with self._lock:
            if self._gone:
                raise WorkerGone("the warm worker stopped")
            self._process.stdin.write(json.dumps(message).encode() + b"\n")
            self._process.stdin.flush()

    def _request(self, message: dict) -> Future:
        future: Future = Future()
        with self._lock:
            self._pending[message["id"]] = future
        try:
            self._send(message)
        except (OSError, WorkerGone) as exc:
            with self._lock:
                self._pending.pop(message["id"], None)
            raise WorkerGone(str(exc)) from None
        return future

    def launch(
        self,
        args: list[str],
        env: dict,
        cwd: Path,
        out: IO[str],
        timeout: float,
        results: channel.Receiver,
    ) -> int:
        """Run pytest ARGS in a forked child; as runner.run_pytest, but without the start-up."""
        run = next(self._ids)
        try:
            if not self._ready.wait(START_LIMIT) or self._gone:
                raise WorkerGone("the warm worker did not start")
            request = {"id": run, "args": args, "env": env, "cwd": str(cwd), "output": out.name}
            request["key"] = results.key.hex()
            with self._lock:
                self._results[run] = results
            future = self._request(request)
            try:
                status, self.last_cpu = future.result(timeout=timeout)
                return status
            except FutureTimeout:
                with contextlib.suppress(FutureTimeout, WorkerGone, OSError):
                    self._send({"kill": run})  # its whole process group, as the cold path does
                    future.result(timeout=KILL_WAIT)
                raise subprocess.TimeoutExpired(args, timeout) from None
        except WorkerGone:
            with self._lock:
                self._results.pop(run, None)  # nothing more may be fed in from the worker
            out.seek(0)
            out.truncate()
            results.clear()
            return runner.run_pytest(args, env, cwd, out, timeout, results)

    def close(self) -> None:
        if self._process.stdin:
            with contextlib.suppress(OSError):
                self._process.stdin.close()  # end of input: the worker ends its runs and exits
        try:
            self._process.wait(timeout=KILL_WAIT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        shutil.rmtree(self._home, ignore_errors=True)

    def __enter__(self) -> WarmWorker:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


Grade = Callable[..., runner.CheckResult]


@contextlib.contextmanager
def grader(course: Course, warm: bool = True) -> Iterator[Grade]:
    """`grade(lesson, target=..., timeout=...)`: warm where fork exists and `warm`, else cold."""
    worker = None
    if warm and available():
        with contextlib.suppress(OSError):  # no worker: every check is graded cold
            worker = WarmWorker(course)
    if worker is None:
        yield lambda lesson, **options: runner.run_checks(course, lesson, **options)
        return
    with worker:

        def grade(lesson: Lesson, **options) -> runner.CheckResult:
            return runner.run_checks(course, lesson, launch=worker.launch, **options)

        yield grade
