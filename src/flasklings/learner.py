"""Import the learner's code fresh from a lesson folder, with guards against blocking imports."""

from __future__ import annotations

import builtins
import contextlib
import importlib
import os
import sys
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


@contextlib.contextmanager
def import_guards():
    """While learner code is imported, a server start or input() raises instead of blocking."""
    import flask
    import werkzeug.serving

    def no_server(*args, **kwargs):
        raise ServerStartedError("app.run() was called while the module was being imported")

    def no_input(*args, **kwargs):
        raise InputAtImportError("input() was called while the module was being imported")

    saved = flask.Flask.run, werkzeug.serving.run_simple, builtins.input
    flask.Flask.run, werkzeug.serving.run_simple, builtins.input = no_server, no_server, no_input
    try:
        yield
    finally:
        flask.Flask.run, werkzeug.serving.run_simple, builtins.input = saved


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
        rel = diagnose.shown(folder, root)
        raise LearnerCodeError(
            f"{rel}/{name.replace('.', '/')}.py (or the package folder {name}/) is missing. "
            "If you renamed or deleted it, rename it back, or restore the starter with "
            "`flasklings reset` (your files are backed up first)."
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
    frames = diagnose.learner_frames(exc.__traceback__, folder)
    return f", at {diagnose.where(frames[-1], root)}" if frames else "."


def unload(folder: Path) -> None:
    """Undo import_fresh: forget the modules and take the folder off sys.path."""
    forget(folder)
    with contextlib.suppress(ValueError):
        sys.path.remove(str(folder))
