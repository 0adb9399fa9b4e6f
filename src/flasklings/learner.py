"""Import the learner's code fresh from a lesson folder, with guards against blocking imports."""

from __future__ import annotations

import builtins
import contextlib
import importlib
import os
import re
import socketserver
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from flasklings import diagnose


class LearnerCodeError(Exception):
    """The learner's code could not be loaded; the message is the diagnosis to show."""


class ServerStartedError(RuntimeError):
    """Raised in place of starting a development server while a module is imported."""


class InputAtImportError(RuntimeError):
    """Raised in place of input() while a module is imported."""


def forget(folder: Path) -> None:
    """Drop every imported module that was loaded from `folder`, so the next import is fresh."""
    prefixes = _prefixes(folder)
    for name, module in list(sys.modules.items()):
        if _loaded_from(module, prefixes):
            del sys.modules[name]


def _prefixes(folder: Path) -> tuple[str, ...]:
    # Plain string prefixes: resolving every module's path would make each check slow.
    return tuple({str(folder) + os.sep, str(folder.resolve()) + os.sep})


def _loaded_from(module, prefixes: tuple[str, ...]) -> bool:
    file = getattr(module, "__file__", None)
    return isinstance(file, str) and file.startswith(prefixes)


THREAD_WAIT = 0.5  # seconds, in all, for threads started at import to reach a server call
_SERVER_COMMAND = re.compile(r"\bflask\b.*\brun\b|\bgunicorn\b|\bwaitress\b")


@contextlib.contextmanager
def import_guards():
    """While learner code is imported, a server start or input() raises instead of blocking.

    Any thread counts: an error raised in a thread the import started would die there, so
    every attempt is recorded, such threads get a moment to make theirs, and the first
    attempt is raised when the import is over (also if the learner's code caught it).
    """
    import flask
    import werkzeug.serving

    attempts: list[ServerStartedError] = []
    started: dict[threading.Thread, traceback.StackSummary] = {}
    saved_start, saved_hook = threading.Thread.start, threading.excepthook
    saved_popen, saved_system = subprocess.Popen.__init__, os.system

    def no_server(*args, **kwargs):
        error = ServerStartedError("a server was started while the module was being imported")
        error.thread = threading.current_thread()
        attempts.append(error)
        raise error

    def check_command(command):
        words = command if isinstance(command, str | bytes) else " ".join(map(str, command))
        if _SERVER_COMMAND.search(str(words)):
            no_server()

    def guarded_popen(self, args, *rest, **kwargs):
        check_command(args)
        saved_popen(self, args, *rest, **kwargs)

    def guarded_system(command):
        check_command(command)
        return saved_system(command)

    def no_input(*args, **kwargs):
        raise InputAtImportError("input() was called while the module was being imported")

    def recording_start(thread):
        stack = traceback.extract_stack()[:-1]
        saved_start(thread)
        started[thread] = stack  # once started, so that it can be joined

    def quiet_hook(args):  # the attempt is reported once the import is over
        if not isinstance(args.exc_value, ServerStartedError):
            saved_hook(args)

    patches = [
        (flask.Flask, "run", no_server),
        (werkzeug.serving, "run_simple", no_server),
        (werkzeug.serving, "make_server", no_server),
        (socketserver.TCPServer, "__init__", no_server),  # any other HTTP or WSGI server
        (subprocess.Popen, "__init__", guarded_popen),  # `flask run` in a child process
        (os, "system", guarded_system),
        (builtins, "input", no_input),
        (threading.Thread, "start", recording_start),
        (threading, "excepthook", quiet_hook),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        deadline = time.monotonic() + THREAD_WAIT
        for thread in started:  # never wait for good: a thread may legitimately keep running
            thread.join(max(deadline - time.monotonic(), 0.0))
        for owner, name, original in saved:
            setattr(owner, name, original)
    if attempts:
        error = attempts[0]
        error.started_at = started.get(error.thread)  # where a thread the import made began
        raise error


def import_fresh(folder: Path, name: str, root: Path):
    """Import module `name` from `folder` as if for the first time."""
    forget(folder)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    try:
        with import_guards():
            return importlib.import_module(name)
    except SyntaxError as exc:
        raise LearnerCodeError(diagnose.syntax_error(exc, root)) from None
    except ServerStartedError as exc:
        raise LearnerCodeError(
            f"Importing {name} started the development server{_at(exc, folder, root)}\n"
            f"{diagnose.GUARD_ADVICE}"
        ) from None
    except InputAtImportError as exc:
        raise LearnerCodeError(
            f"Importing {name} called input(){_at(exc, folder, root)}\n"
            "An import must not wait for the keyboard: nobody is typing when a server or a "
            "test imports your code."
        ) from None
    except ModuleNotFoundError as exc:
        if exc.name != name.split(".")[0]:
            raise LearnerCodeError(
                diagnose.exception(exc, folder, root, f"Importing {name}")
            ) from None
        from flasklings import report  # only on this path: it imports the grader

        rel = diagnose.shown(folder, root)
        reset = report.command("reset", folder.name[:2])
        raise LearnerCodeError(
            f"{rel}/{name.replace('.', '/')}.py (or the package folder {name}/) is missing. "
            "If you renamed or deleted it, rename it back, or restore the starter with "
            f"`{reset}` (your files are backed up first)."
        ) from None
    except Exception as exc:
        raise LearnerCodeError(diagnose.exception(exc, folder, root, f"Importing {name}")) from None


def import_shared(folder: Path, name: str, root: Path):
    """The module as already imported from `folder` in this run, else a fresh import.

    For checks that only call a factory: import-time behaviour is checked by fresh imports,
    and skipping the re-import keeps a whole lesson's checks fast.
    """
    module = sys.modules.get(name)
    if _loaded_from(module, _prefixes(folder)):
        return module
    return import_fresh(folder, name, root)


def _at(exc: BaseException, folder: Path, root: Path) -> str:
    # For a server started in a thread, the line to fix is the one that started the thread.
    begun = [f for f in getattr(exc, "started_at", None) or [] if _inside(f.filename, folder)]
    if begun:
        return f", in a thread started at {diagnose.where(begun[-1], root)}"
    frames = diagnose.learner_frames(exc.__traceback__, folder)
    return f", at {diagnose.where(frames[-1], root)}" if frames else "."


def _inside(filename: str, folder: Path) -> bool:
    return Path(filename).resolve().is_relative_to(folder.resolve())


def unload(folder: Path) -> None:
    """Undo import_fresh: forget the modules and take the folder off sys.path."""
    forget(folder)
    with contextlib.suppress(ValueError):
        sys.path.remove(str(folder))
