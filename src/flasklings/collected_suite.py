"""Bug runs forked from one collected suite: pytest's start and the suite's collection, once.

Lessons 9 and 10 grade the learner's suite by running it once per buggy copy of the service.
A fresh pytest in each run spends about 30 ms of its 100 configuring pytest and collecting
the suite, the same work every time. Here one process, the collector, configures pytest and
collects the suite beside a correct copy of the service once, then forks a child per bug. The
child swaps the service for the bug's copy and runs the tests already collected:

- the modules the bug changes are imported afresh from the bug's folder, with every module
  that imports them at its top level, and the package (Flask finds templates from its file);
  the others stay as the collector imported them, since they hold nothing of the changed ones.
  A change they cannot take (SQLAlchemy refuses a second table of the same name in a kept
  metadata) imports every module afresh instead, as does a change to a template;
- each name the suite's modules took from an old module (`from invoicer import create_app`,
  `import invoicer`) is bound to the new one: by identity for objects only the service makes
  (functions, classes, modules, dicts), by the module's own import statements for strings and
  numbers;
- the code of every module imported afresh is watched in its old version (sys.monitoring,
  Python 3.12+): a test that still reaches old code through a reference the swap missed (a
  default argument, an app built at import) marks the run stale, and the caller runs that
  bug afresh instead.

What this does not see: a test that keeps old *data* of a changed module where the swap
cannot reach it (a list of the service's constants built at import), and a test that writes
files next to itself (the suite's files are the collector's, shared by the runs at a time).
Both are unusual in a suite written with the lesson's fixtures.

The collector answers requests on a pipe, one JSON object a line: `{"run": {...}}` forks a
child for that run and answers `{"name": ..., "pid": ...}`, and each child's end is answered
`{"name": ..., "status": ..., "cpu": ...}`. It starts with `{"ready": true}`, or
`{"ready": false, "why": ...}` when the suite cannot be shared this way (it did not collect
cleanly, say): the caller then runs every bug afresh, as before.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import importlib
import json
import os
import select
import signal
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

import pytest

STALE_TOOL = 4  # a sys.monitoring tool id left free by debuggers (0), coverage (1), profilers (2)
IMMUTABLE = (str, bytes, int, float, complex, bool, type(None), tuple, frozenset)


# --- in the collector ----------------------------------------------------------------------


class Collector:
    """The pytest plugin of the collector process: collect, then serve forks."""

    def __init__(self, folder: Path, package: str, requests: int, answers: int, start_run):
        self.folder, self.package = folder, package  # package: its folder, relative
        self.module = Path(package).name  # its import name
        self.requests, self.answers = requests, answers
        self.start_run = start_run  # start_run(request, session), in a run's child
        self.collect_errors = 0

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors += 1

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        why = self._unusable(session)
        try:
            old = service_modules(self.module)
            code = {name: code_objects(module) for name, module in old.items()}
            imports = {name: service_imports(module, old) for name, module in old.items()}
            # The suite's own import statements, read once here rather than in every run.
            suite = [
                (module, imported_names(module, self.module))
                for module in suite_modules(self.folder, self.folder / self.package)
            ]
        except Exception as error:  # whatever it is, the runs go afresh
            why = why or f"{type(error).__name__}: {error}"
        self._answer({"ready": why is None, "why": why})
        if why:
            os._exit(0)
        gc.collect()
        gc.freeze()  # the children leave the collected objects' pages shared
        run = self._serve()["run"]  # returns only in a run's child
        folder = Path(run["folder"])
        os.chdir(folder)
        factory = session.config._tmp_path_factory
        factory._given_basetemp, factory._basetemp = Path(run["basetemp"]).absolute(), None
        self.start_run(run, session)  # its output, limits and records first: the swap may fail
        root = folder / Path(self.package).parent
        again = to_import_again(old, imports, changed_modules(run["edited"], self.package))
        marker = Path(run["files"]) / "stale"
        try:
            swap_service(self.module, old, again, root, suite)
        except Exception:  # a change the kept modules cannot take (a model defined twice)
            again = set(old)
            swap_service(self.module, old, again, root, suite)
        watch_stale([each for name in again for each in code[name]], marker)
        return None  # on to pytest's own test loop, in this child

    def _unusable(self, session) -> str | None:
        if self.collect_errors or not session.items:
            return "the suite did not collect cleanly"
        if not hasattr(sys, "monitoring"):
            return "sys.monitoring needs Python 3.12"
        if not hasattr(os, "pidfd_open"):  # macOS: each run is a fresh pytest, as before
            return "no pidfd_open() to wait for the runs"
        try:
            sys.monitoring.use_tool_id(STALE_TOOL, "flasklings-stale")
        except ValueError:
            return "the monitoring tool id is taken"
        factory = getattr(session.config, "_tmp_path_factory", None)
        if factory is None or getattr(factory, "_basetemp", 0) is not None:
            return "pytest's temporary folders are not as expected"
        package = sys.modules.get(self.module)
        where = getattr(package, "__file__", None) or ""
        if not Path(where).is_relative_to(self.folder / self.package):
            return f"{self.module} was not imported from {self.package}"
        return None

    def _answer(self, message: dict) -> None:
        os.write(self.answers, (json.dumps(message) + "\n").encode())

    def _serve(self) -> dict:
        """Fork a child per request until the requests end; in a child, return its request."""
        children: dict[int, tuple[str, int]] = {}  # pidfd -> (run name, pid)
        pending = b""
        while True:
            ready, _, _ = select.select([self.requests, *children], [], [])
            for fd in ready:
                if fd in children:
                    name, pid = children.pop(fd)
                    os.close(fd)
                    _, status, usage = os.wait4(pid, 0)
                    cpu = usage.ru_utime + usage.ru_stime
                    code = os.waitstatus_to_exitcode(status)
                    self._answer({"name": name, "status": code, "cpu": cpu})
                    continue
                chunk = os.read(self.requests, 65536)
                if not chunk:  # the caller is done: the collector ends with its children
                    for _name, pid in children.values():
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                        os.waitpid(pid, 0)
                    os._exit(0)
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    request = json.loads(line)
                    sys.stdout.flush()
                    sys.stderr.flush()
                    pid = os.fork()
                    if pid == 0:
                        os.close(self.requests)
                        os.close(self.answers)
                        for fd in children:
                            os.close(fd)
                        return request
                    children[os.pidfd_open(pid)] = (request["run"]["name"], pid)
                    self._answer({"name": request["run"]["name"], "pid": pid})


def service_modules(name: str) -> dict[str, types.ModuleType]:
    return {n: m for n, m in sys.modules.items() if n == name or n.startswith(name + ".")}


def suite_modules(folder: Path, package: Path) -> list[types.ModuleType]:
    """The suite's own modules (conftest, test files, helpers): under `folder`, outside the
    service's package."""
    inside, service = str(folder) + os.sep, str(package) + os.sep
    found = []
    for module in list(sys.modules.values()):
        where = getattr(module, "__file__", None) or ""
        if where.startswith(inside) and not where.startswith(service):
            found.append(module)
    return found


def code_objects(module: types.ModuleType) -> list[types.CodeType]:
    """The code of the functions `module` defines (in its own file), of its classes' methods,
    and the code nested in them; not what it imports from elsewhere."""
    found: dict[int, types.CodeType] = {}
    own = getattr(module, "__file__", None)

    def add(code: types.CodeType) -> None:
        if id(code) not in found and code.co_filename == own:
            found[id(code)] = code
            for const in code.co_consts:
                if isinstance(const, types.CodeType):
                    add(const)

    def add_value(value) -> None:
        # Only what the service defines: never getattr() on any other object (a LocalProxy
        # such as current_app raises outside a request).
        if isinstance(value, staticmethod | classmethod):
            value = value.__func__
        if isinstance(value, property):
            for part in (value.fget, value.fset, value.fdel):
                if part is not None:
                    add_value(part)
        elif isinstance(value, types.FunctionType):
            add(value.__code__)

    for value in list(vars(module).values()):
        add_value(value)
        if isinstance(value, type) and value.__module__ == module.__name__:
            for member in list(vars(value).values()):
                add_value(member)
    return list(found.values())


def watch_stale(code: list[types.CodeType], marker: Path) -> None:
    """If any of this code starts to run, write where it is into `marker` (once per code)."""
    monitoring = sys.monitoring

    def started(code, _offset):
        with contextlib.suppress(OSError), marker.open("a") as out:
            out.write(f"{code.co_filename}:{code.co_firstlineno} {code.co_qualname}\n")
        return monitoring.DISABLE

    monitoring.register_callback(STALE_TOOL, monitoring.events.PY_START, started)
    for each in code:
        monitoring.set_local_events(STALE_TOOL, each, monitoring.events.PY_START)


def changed_modules(edited: list[str], package: str) -> set[str] | None:
    """The service's modules these files (relative to the run's folder) are; None if one of
    them is not a module of the package (a template: every module is imported again)."""
    root = Path(package).parent
    names = set()
    for file in map(Path, edited):
        if file.suffix != ".py" or not file.is_relative_to(package):
            return None
        parts = file.relative_to(root).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def service_imports(module: types.ModuleType, old: dict[str, types.ModuleType]) -> set[str]:
    """The service's modules whose objects `module` binds at its top level: `import a.b`
    binds the package a (and reaches a.b through it), `from a import b` binds a's attribute
    b, or the module a.b if there is one."""
    found: set[str] = set()
    here = module.__name__ if hasattr(module, "__path__") else module.__name__.rpartition(".")[0]
    for node in _top_level(module):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.name if alias.asname else alias.name.partition(".")[0]
                found.update(name for name in (bound, alias.name) if name in old)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = here.split(".")
                parent = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parent, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in old else base)
    return found & set(old)


def to_import_again(
    old: dict[str, types.ModuleType], imports: dict[str, set[str]], changed: set[str] | None
) -> set[str]:
    """The changed modules, every module that imports one of them at its top level (and so
    on), and the package (its `__file__` says where Flask finds templates). The others are
    kept as the collector imported them: they cannot hold anything of the changed ones."""
    if changed is None or not changed <= set(old):
        return set(old)
    package = min(old, key=len)
    again = changed | {package}
    grown = True
    while grown:
        grown = False
        for name, needs in imports.items():
            if name not in again and needs & again:
                again.add(name)
                grown = True
    return again


def swap_service(
    name: str,
    old: dict[str, types.ModuleType],
    again: set[str],
    root: Path,
    suite: list[tuple[types.ModuleType, dict[str, tuple[str, str | None]]]],
) -> None:
    """Import the modules `again` afresh from `root` and rebind what the suite took from
    their old versions (`suite`: each module with its imported_names)."""
    where: dict[int, tuple[str, str | None]] = {}  # id of an old object -> (module, attribute)
    for module_name in again:
        module = old[module_name]
        where.setdefault(id(module), (module_name, None))
        for attribute, value in vars(module).items():
            if not isinstance(value, IMMUTABLE):
                where.setdefault(id(value), (module_name, attribute))
    for module_name in list(sys.modules):
        if module_name == name or module_name.startswith(name + "."):
            if module_name in again or module_name not in old:  # (or a half-made one)
                del sys.modules[module_name]
            else:
                sys.modules[module_name] = old[module_name]
    if str(root) not in sys.path[:1]:
        sys.path.insert(0, str(root))
    for module_name in sorted(again):  # a package before its modules
        importlib.import_module(module_name)
    for module_name in set(old) - again:  # a kept module is still its package's attribute
        parent, _, attribute = module_name.rpartition(".")
        setattr(sys.modules[parent], attribute, old[module_name])

    def new(module_name: str, attribute: str | None):
        module = sys.modules[module_name]
        return module if attribute is None else getattr(module, attribute)

    for module, names in suite:
        space = vars(module)
        for local, value in list(space.items()):
            if not isinstance(value, IMMUTABLE) and id(value) in where:
                with contextlib.suppress(KeyError, AttributeError):
                    space[local] = new(*where[id(value)])
        for local, (module_name, attribute) in names.items():
            if module_name not in again:
                continue
            with contextlib.suppress(KeyError, AttributeError):
                if attribute is None or space.get(local) is getattr(
                    old[module_name], attribute, object()
                ):
                    space[local] = new(module_name, attribute)


def imported_names(module: types.ModuleType, name: str) -> dict[str, tuple[str, str | None]]:
    """What `module`'s own top-level imports bound from package `name`: local name ->
    (module, attribute), attribute None for a module."""
    names: dict[str, tuple[str, str | None]] = {}
    for node in _top_level(module):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == name or alias.name.startswith(name + "."):
                    if alias.asname:
                        names[alias.asname] = (alias.name, None)
                    else:
                        names[alias.name.partition(".")[0]] = (name, None)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module != name and not node.module.startswith(name + "."):
                continue
            for alias in node.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = (node.module, alias.name)
    return names


def _top_level(module: types.ModuleType) -> list[ast.stmt]:
    """The statements a module runs when imported: its body, and what is under an `if`,
    `try` or `with` there; not the bodies of its functions and classes."""
    try:
        tree = ast.parse(Path(module.__file__).read_bytes())
    except (OSError, SyntaxError, ValueError, TypeError):
        return []
    found, statements = [], list(tree.body)
    while statements:
        node = statements.pop(0)
        if isinstance(node, ast.If | ast.Try | ast.With):  # imports under a guard still run
            for block in ("body", "orelse", "finalbody", "handlers"):
                statements.extend(getattr(node, block, []))
        elif isinstance(node, ast.ExceptHandler):
            statements.extend(node.body)
        else:
            found.append(node)
    return found


def serve(folder: Path, package: str, args: list[str], requests: int, answers: int, start_run):
    """The collector's body: pytest.main with the Collector plugin. It returns only in a run's
    child, once that run's tests are over, with pytest's status; or in the collector when pytest
    stopped before its test loop (a conftest that does not import): nothing can be shared."""
    return pytest.main(args, plugins=[Collector(folder, package, requests, answers, start_run)])


# --- in the caller -------------------------------------------------------------------------


class Client:
    """The caller's end of a collector: fork runs, and learn how they ended."""

    def __init__(self, pid: int, requests: int, answers: int):
        self.pid, self.requests, self.answers = pid, requests, answers
        self._pending = b""
        self._messages: list[dict] = []
        self.ready: bool | None = None
        self.why = ""
        self.ended: dict[str, tuple[int, float]] = {}
        self.gone = False  # the collector has ended (its answers pipe is closed)

    def _read(self, timeout: float | None) -> bool:
        """Read what has come, waiting up to `timeout`; False once the collector is gone."""
        ready, _, _ = select.select([self.answers], [], [], timeout)
        if not ready:
            return True
        chunk = os.read(self.answers, 65536)
        if not chunk:
            self.gone = True
            return False
        self._pending += chunk
        while b"\n" in self._pending:
            line, self._pending = self._pending.split(b"\n", 1)
            message = json.loads(line)
            if "ready" in message:
                self.ready, self.why = message["ready"], message.get("why") or ""
            elif "status" in message:
                self.ended[message["name"]] = (message["status"], message["cpu"])
            else:
                self._messages.append(message)
        return True

    def wait_ready(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while self.ready is None and time.monotonic() < deadline:
            if not self._read(max(0.0, deadline - time.monotonic())):
                break
        return bool(self.ready)

    def fork(self, run: dict) -> int:
        """Ask for a child for `run` (name, folder, files, basetemp and the caller's own
        fields); its pid."""
        try:
            os.write(self.requests, (json.dumps({"run": run}) + "\n").encode())
        except BrokenPipeError:
            raise ChildProcessError("the collector ended") from None
        while True:
            for message in self._messages:
                if message.get("name") == run["name"] and "pid" in message:
                    self._messages.remove(message)
                    return message["pid"]
            if not self._read(None):
                raise ChildProcessError("the collector ended")

    def result(self, name: str, block: bool) -> tuple[int, float] | None:
        """(exit status, CPU seconds) once the run has ended and the collector reaped it."""
        while name not in self.ended and not self.gone:
            self._read(None if block else 0)
            if not block:
                break
        return self.ended.get(name)

    def close(self) -> None:
        """End the collector: it ends its runs on the end of its requests; one still
        collecting (a suite whose imports never end) is stopped."""
        if not self.ready:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self.ready = False  # no more runs
        with contextlib.suppress(OSError):
            os.close(self.requests)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.answers)


def start(body: Callable[[int, int], None]) -> Client:
    """Fork the collector, which runs `body(requests, answers)` and then exits."""
    requests_read, requests_write = os.pipe()
    answers_read, answers_write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(requests_write)
        os.close(answers_read)
        body(requests_read, answers_write)
        os._exit(0)
    os.close(requests_read)
    os.close(answers_write)
    return Client(pid, requests_write, answers_read)
