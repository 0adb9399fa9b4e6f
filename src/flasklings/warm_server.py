"""The warm worker's process: import the grading libraries once, then fork one child per check.

Started by `flasklings.warm` as `python -m flasklings.warm_server ROOT NAME...`. It imports
pytest, its built-in plugins and the libraries NAME... (never a module from the course's
lessons/, solutions/ or tests/ folders), says `{"ready": true}`, then reads JSON requests,
one a line:

  {"id": 1, "args": [...], "env": {...}, "cwd": "...", "output": "...", "key": "..."}
                                               run pytest.main(args)
  {"kill": 1}                                  end that run's process group (a timeout)

and answers `{"id": 1, "results": TEXT}` with what the run's checks send over their results
channel (flasklings.channel: a pipe, and the key on the child's standard input, as the cold
path does), then `{"id": 1, "exit": STATUS, "cpu": SECONDS}` when a run's child has exited. Each
child is a copy of this process made by fork: learner code and checkers are imported only
there, so nothing one run imports or changes is seen by the next. End of input ends the server.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import json
import os
import selectors
import sys
import time
import traceback
from pathlib import Path

from flasklings import channel, processes

COURSE_FOLDERS = ("lessons", "solutions", "tests")  # code that is graded, or grades
answers = 1  # the file descriptor answers go to; main() moves it off standard output


def preload(root: Path, names: list[str]) -> None:
    import _pytest.config
    import pytest  # noqa: F401 - imported to be inherited by every child

    for plugin in _pytest.config.default_plugins:
        with contextlib.suppress(Exception):
            importlib.import_module(f"_pytest.{plugin}")
    for name in names:
        if _is_library(name, root):
            with contextlib.suppress(Exception):  # a check that needs it will say what is wrong
                importlib.import_module(name)
    gc.collect()
    gc.freeze()  # children then leave these objects alone, so their memory pages stay shared


def _is_library(name: str, root: Path) -> bool:
    """A module found outside the course's own folders (a learner's module never is)."""
    try:
        spec = importlib.util.find_spec(name.partition(".")[0])
    except (ImportError, ValueError):
        return False
    if spec is None or spec.origin is None:  # namespace packages: a plain folder somewhere
        return False
    if not spec.has_location:  # built-in or frozen
        return True
    origin = Path(spec.origin).resolve()
    return not any(origin.is_relative_to(root / folder) for folder in COURSE_FOLDERS)


class Server:
    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.selector.register(0, selectors.EVENT_READ, None)
        # request id -> (pid, exit watch fd, results pipe's read end)
        self.running: dict[int, tuple[int, int, int]] = {}
        self.pending = b""

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select():
                if key.data is None:
                    if not self._read_requests():
                        self._stop_all()
                        return
                elif key.data[0] == "results":
                    self._forward(key.data[1], key.fd)
                else:
                    self._reap(key.data[1])

    def _read_requests(self) -> bool:
        chunk = os.read(0, 65536)
        if not chunk:
            return False
        *lines, self.pending = (self.pending + chunk).split(b"\n")
        for line in lines:
            request = json.loads(line)
            if "kill" in request:
                if request["kill"] in self.running:
                    _end_group(self.running[request["kill"]][0])
            else:
                self._start(request)
        return True

    def _start(self, request: dict) -> None:
        read_end, write_end = os.pipe()  # closes when the child exits: the fallback exit watch
        results_read, results_write = os.pipe()
        stdin_read, stdin_write = os.pipe()
        os.write(stdin_write, channel.header(results_write, bytes.fromhex(request.pop("key"))))
        os.close(stdin_write)
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            os.close(results_read)
            inherited = [answers, *(fd for _, *fds in self.running.values() for fd in fds)]
            _child(request, self.selector, inherited, stdin_read)
        os.close(write_end)
        os.close(results_write)
        os.close(stdin_read)
        watch = read_end
        if hasattr(os, "pidfd_open"):  # precise even if the code forked children of its own
            watch = os.pidfd_open(pid)
            os.close(read_end)
        os.set_blocking(results_read, False)
        self.running[request["id"]] = (pid, watch, results_read)
        self.selector.register(watch, selectors.EVENT_READ, ("exit", request["id"]))
        self.selector.register(results_read, selectors.EVENT_READ, ("results", request["id"]))

    def _forward(self, request_id: int, fd: int) -> bool:
        """Pass on what the run's checks sent; False once nothing more is waiting."""
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return False
        if not chunk:  # every writer is gone
            self.selector.unregister(fd)
            self.running[request_id] = (*self.running[request_id][:2], -1)
            os.close(fd)
            return False
        _send({"id": request_id, "results": chunk.decode("ascii", "replace")})
        return True

    def _reap(self, request_id: int) -> None:
        pid, watch, results = self.running[request_id]
        if results >= 0:  # the child has exited: what it sent is all in the pipe already
            while self._forward(request_id, results):
                pass
            if self.running[request_id][2] >= 0:  # still open (held by an escaped process)
                self.selector.unregister(results)
                os.close(results)
        del self.running[request_id]
        self.selector.unregister(watch)
        os.close(watch)
        _end_group(pid)  # before reaping, so the group id cannot have been reused yet
        _, status, usage = os.wait4(pid, 0)
        cpu = usage.ru_utime + usage.ru_stime  # for the benchmark: not slowed by a busy machine
        _send({"id": request_id, "exit": os.waitstatus_to_exitcode(status), "cpu": cpu})

    def _stop_all(self) -> None:
        for pid, *_ in self.running.values():
            _end_group(pid)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _end_group(pid: int) -> None:
    """Kill the child's process group (the run and anything it started); the child too if it
    has not yet made its own group."""
    processes.kill_tree(pid)


def _child(
    request: dict, selector: selectors.BaseSelector, inherited: list[int], stdin: int
) -> None:
    """Run pytest in this forked child, as `python -m pytest ARGS` would in a new process."""
    code = 3
    try:
        os.setsid()  # its own process group, so a timeout can end it with all it started
        selector.close()
        for fd in inherited:
            if fd >= 0:
                os.close(fd)
        output = os.open(request["output"], os.O_WRONLY | os.O_APPEND)
        os.dup2(stdin, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(stdin)
        os.close(output)
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()  # TZ comes with the environment; the C library must read it again
        os.chdir(request["cwd"])
        sys.path[0] = request["cwd"]  # where `python -m` puts the working folder
        import pytest

        sys.argv = [str(Path(pytest.__file__).with_name("__main__.py")), *request["args"]]
        code = int(pytest.main(request["args"]))
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _send(message: dict) -> None:
    os.write(answers, json.dumps(message).encode() + b"\n")


def main(argv: list[str]) -> None:
    global answers
    answers = os.dup(1)  # whatever a library prints goes to /dev/null, not among the answers
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    root, *names = argv
    preload(Path(root).resolve(), names)
    _send({"ready": True})
    Server().serve()


if __name__ == "__main__":
    main(sys.argv[1:])
