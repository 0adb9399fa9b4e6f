"""Run a lesson page's code cells in the browser's Python, like a notebook kernel: one
namespace per lesson, kept from cell to cell, printed output and the value of a last
expression shown, and an error shown as the cell's own traceback.

Pyodide has no threads, subprocesses or sockets: an error that comes from one of those is
reported as a limit of the browser (`limit`), so the page can send the reader to the local
command instead of showing a puzzling traceback.
"""

from __future__ import annotations

import ast
import contextlib
import errno
import io
import json
import sys
import traceback
import types

from flasklings import browser_hashlib

browser_hashlib.install()  # Pyodide's hashlib has no pbkdf2_hmac or scrypt (lesson 7)

_modules: dict[str, types.ModuleType] = {}
FILENAME = "<cell>"
# Errors a browser gives where a computer would start a thread, a process or a server.
_LIMIT_MODULES = {"_socket", "_ssl", "ssl", "_multiprocessing"}  # sqlite3 is there (Pyodide 314)
_LIMIT_ERRNOS = {errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EAFNOSUPPORT}


def namespace(slug: str) -> dict:
    """The lesson's globals, made as a notebook kernel's are: a module named __main__, which
    is sys.modules["__main__"] while the lesson's cells run. Libraries that look up a class's
    module by name find the cells' names there: SQLAlchemy resolves `Mapped[int]` that way
    under Python 3.14 (Pyodide's), whose annotations are evaluated only when asked for."""
    if slug not in _modules:
        _modules[slug] = types.ModuleType("__main__")
    sys.modules["__main__"] = _modules[slug]
    return vars(_modules[slug])


def limit(exc: BaseException) -> str | None:
    """What the browser lacks, if that is why this error happened."""
    if isinstance(exc, ModuleNotFoundError) and exc.name in _LIMIT_MODULES:
        return f"the module {exc.name} does not exist in the browser's Python"
    if isinstance(exc, OSError) and exc.errno in _LIMIT_ERRNOS:
        return "the browser's Python cannot open sockets or start processes"
    if isinstance(exc, RuntimeError) and "thread" in str(exc):
        return "the browser's Python cannot start threads"
    return None


def _cell_traceback(exc: BaseException) -> str:
    """The traceback from the cell's own first frame on (not this module's)."""
    tb = exc.__traceback__
    while tb and tb.tb_frame.f_code.co_filename != FILENAME:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


def run(slug: str, source: str) -> str:
    """Run one cell; JSON {"output", "error", "limit"}."""
    scope = namespace(slug)
    out = io.StringIO()
    error = found_limit = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            tree = ast.parse(source, FILENAME)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, FILENAME, "exec"), scope)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), FILENAME, "eval"), scope)
                if value is not None:
                    print(repr(value))
        except (Exception, SystemExit, KeyboardInterrupt) as exc:
            error = _cell_traceback(exc)
            found_limit = limit(exc)
    return json.dumps({"output": out.getvalue(), "error": error, "limit": found_limit})
