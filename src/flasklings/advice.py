"""Classic mistakes that behaviour alone cannot name, found by reading the learner's code.

Each rule looks at the syntax tree of every module in the lesson folder and returns findings:
where (`file:line` and the line), what is wrong and what to do instead. The grader shows them
only when some check fails, next to the failure they explain (`anchor`, a pattern matched
against the failure messages). Rules know Flask, not lessons: a new lesson needs no code here.
Never suggest a module-level app as a fix: that is the mistake the factory lessons undo.
"""

from __future__ import annotations

import ast
import difflib
import linecache
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from flasklings import diagnose

# Settings of the extensions the course uses, beside Flask's own `default_config`.
EXTENSION_SETTINGS = (
    "SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "SQLALCHEMY_ECHO",
    "SQLALCHEMY_BINDS", "SQLALCHEMY_RECORD_QUERIES", "SQLALCHEMY_TRACK_MODIFICATIONS",
    "WTF_CSRF_ENABLED", "WTF_CSRF_SECRET_KEY", "WTF_CSRF_TIME_LIMIT", "WTF_CSRF_HEADERS",
    "WTF_CSRF_METHODS", "WTF_CSRF_FIELD_NAME", "WTF_CSRF_SSL_STRICT", "WTF_CSRF_CHECK_DEFAULT",
)  # fmt: skip
TYPO_CUTOFF = 0.85  # difflib ratio: SQLALCHEMY_DATABASE_URL vs ..._URI is 0.96


@dataclass(frozen=True)
class Finding:
    rule: str
    where: str  # `lessons/03_blueprints/invoicer/api.py:36` and the line, indented
    text: str
    anchor: str | None = None  # regex: the failure messages this finding explains
    # Shown even when no failure matches the anchor: the code is wrong whatever else fails.
    # Otherwise the finding may describe correct code written another way (a guarded
    # os.makedirs), and is shown only beside a failure it explains.
    always: bool = True


@dataclass(frozen=True)
class Module:
    path: Path
    tree: ast.Module
    in_package: bool  # beside an __init__.py: part of a package such as invoicer/


def find(folder: Path, root: Path) -> list[dict]:
    """Every finding in the lesson folder, as plain dicts (they travel in the report JSON)."""
    modules = list(_modules(folder))
    findings: list[Finding] = []
    for rule in RULES:
        for module in modules:
            findings.extend(rule(module, modules, root))
    return [asdict(f) for f in findings]


def _modules(folder: Path) -> Iterator[Module]:
    for path in sorted(folder.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_bytes())  # bytes: Python reads a BOM or a coding line
        except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
            continue  # the precheck reports code that does not parse
        yield Module(path, tree, (path.parent / "__init__.py").is_file())


def _where(module: Module, node: ast.AST, root: Path) -> str:
    line = linecache.getline(str(module.path), node.lineno).strip()
    return f"{diagnose.shown(module.path, root)}:{node.lineno}\n    {line}"


def _name(node: ast.AST) -> str | None:
    """`with_appcontext` for `with_appcontext`, `flask.cli.with_appcontext`, or a call of it."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


Rule = Callable[[Module, list[Module], Path], Iterator[Finding]]


def decorator_order(module: Module, modules: list[Module], root: Path) -> Iterator[Finding]:
    for function in _functions(module.tree):
        names = [_name(d) for d in function.decorator_list]
        if "with_appcontext" not in names:
            continue
        commands = [i for i, n in enumerate(names) if n in ("command", "group")]
        context = names.index("with_appcontext")
        if commands and context < commands[0]:
            yield Finding(
                "decorator-order",
                _where(module, function.decorator_list[context], root),
                "`@with_appcontext` is above `@click.command(...)`. Decorators apply from the "
                "bottom up, and the top one decides what the name becomes: `@click.command` "
                "must be the top decorator, so that it makes a command out of the function "
                "`@with_appcontext` wrapped. Swap the two lines.",
                anchor="make_context|init-db|command",
            )


def status_first(module: Module, modules: list[Module], root: Path) -> Iterator[Finding]:
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Return) or not isinstance(node.value, ast.Tuple):
            continue
        items = node.value.elts
        first = items[0] if items else None
        if len(items) >= 2 and isinstance(first, ast.Constant) and _is_status(first.value):
            yield Finding(
                "status-first",
                _where(module, node, root),
                "This view returns the status first. In the tuple a view returns, the body "
                f"comes first, then the status, then the headers: `return body, {first.value}` "
                "(or `return body, status, headers`).",
                anchor="return type|must be a string|tuple",
            )


def _is_status(value: object) -> bool:
    return type(value) is int and 100 <= value <= 599


def main_guard_typo(module: Module, modules: list[Module], root: Path) -> Iterator[Finding]:
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Compare) or len(node.comparators) != 1:
            continue
        sides = [node.left, node.comparators[0]]
        names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
        texts = [s.value for s in sides if isinstance(s, ast.Constant) and type(s.value) is str]
        if names and texts and texts[0] != "__main__":
            yield Finding(
                "main-guard-typo",
                _where(module, node, root),
                f"The guard compares `__name__` with {texts[0]!r}. Run as a script, a module's "
                '`__name__` is "__main__" (two underscores on each side); imported, it is the '
                "module's name. So this block never runs: write "
                '`if __name__ == "__main__":`.',
            )


def after_return(module: Module, modules: list[Module], root: Path) -> Iterator[Finding]:
    for function in _functions(module.tree):
        for index, statement in enumerate(function.body):
            if isinstance(statement, ast.Return):
                dead = function.body[index + 1 :]
                if dead:
                    returned = ast.unparse(statement.value) if statement.value else ""
                    first = getattr(dead[0], "decorator_list", None) or [dead[0]]
                    yield Finding(
                        "after-return",
                        _where(module, first[0], root),
                        f"This code comes after `return {returned}` in {function.name}(), so "
                        "it never runs: a function stops at its return. Move it above "
                        f"`return {returned}`.",
                    )
                break


def _module_names(tree: ast.Module) -> set[str]:
    """Names a module binds at its top level (assignments, imports, definitions)."""
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(statement.name)  # what its body binds is local to it
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
    return names


def _has_blueprint(modules: list[Module]) -> bool:
    return any(
        isinstance(node, ast.Call) and _name(node) == "Blueprint"
        for module in modules
        for node in ast.walk(module.tree)
    )


def _has_factory(modules: list[Module]) -> bool:
    return any(f.name == "create_app" for m in modules for f in _functions(m.tree))


def _instead(modules: list[Module]) -> str:
    """Where a route belongs in a factory lesson: inside create_app, or on the blueprint."""
    if _has_blueprint(modules):
        return (
            "Put an API route on the blueprint (`@bp.get(...)`, which create_app() registers), "
            "or an app route inside create_app(), indented, before `return app`."
        )
    return "Move the route inside create_app(), indented, before `return app`."


NO_GLOBAL_APP = (
    "Do not make the name exist by building an app at module level: apps come only from "
    "create_app(), a new one for each call."
)


def app_outside_factory(module: Module, modules: list[Module], root: Path) -> Iterator[Finding]:
    if not _has_factory(modules) or "app" in _module_names(module.tree):
        return
    for statement in module.tree.body:
        if not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in statement.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(target, ast.Attribute) and getattr(target.value, "id", "") == "app":
                yield Finding(
                    "app-outside-factory",
                    _where(module, decorator, root),
                    "This route uses `app` at module level, but `app` exists only inside "
                    f"create_app(). {_instead(modules)} {NO_GLOBAL_APP}",
                    anchor="NameError: name 'app'",
                )
                break


def app_imported(module: Module, modules: list[Module], root: Path) -> Iterator[Finding]:
    if not module.in_package or not _has_factory(modules):
        return
    for node in ast.walk(module.tree):
        imported = isinstance(node, ast.ImportFrom) and (node.level or 0) >= 1
        if imported and any(alias.name in ("app", "application") for alias in node.names):
            yield Finding(
                "app-imported",
                _where(module, node, root),
                f"`from {'.' * node.level}{node.module or ''} import app`: the package has "
                f"no `app`, only create_app(). {_instead(modules)} {NO_GLOBAL_APP}",
                anchor="cannot import name 'app'",
            )


def app_at_import(module: Module, modules: list[Module], root: Path) -> Iterator[Finding]:
    if not module.in_package:
        return
    for statement in module.tree.body:
        if (
            isinstance(statement, ast.Assign | ast.AnnAssign)
            and isinstance(statement.value, ast.Call)
            and _name(statement.value) in ("create_app", "Flask")
        ):
            yield Finding(
                "app-at-import",
                _where(module, statement, root),
                "This line builds an app when it is imported. In a factory-built service "
                "only create_app() builds apps, when it is called, so every caller (a test, "
                f"`flask --app`, Gunicorn) gets its own. Delete it. {_instead(modules)}",
                anchor="circular import|created Flask|import",
            )


def prefix_doubled(module: Module, modules: list[Module], root: Path) -> Iterator[Finding]:
    prefixes = {}  # blueprint variable -> its url_prefix
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
            continue
        if _name(node.value) != "Blueprint" or not isinstance(node.targets[0], ast.Name):
            continue
        for keyword in node.value.keywords:
            if keyword.arg == "url_prefix" and isinstance(keyword.value, ast.Constant):
                prefixes[node.targets[0].id] = str(keyword.value.value).rstrip("/")
    for function in _functions(module.tree):
        for decorator in function.decorator_list:
            if not isinstance(decorator, ast.Call) or not decorator.args:
                continue
            owner = getattr(decorator.func, "value", None)
            prefix = prefixes.get(getattr(owner, "id", None))
            path = decorator.args[0]
            if not prefix or not isinstance(path, ast.Constant) or not isinstance(path.value, str):
                continue
            if path.value == prefix or path.value.startswith(prefix + "/"):
                yield Finding(
                    "prefix-doubled",
                    _where(module, decorator, root),
                    f"The blueprint already adds url_prefix {prefix!r}, so this route answers at "
                    f"{prefix + path.value!r}. Give blueprint routes the path after the prefix: "
                    f"{path.value.removeprefix(prefix) or '/'!r}.",
                )


def makedirs_twice(module: Module, modules: list[Module], root: Path) -> Iterator[Finding]:
    for function in _functions(module.tree):
        for node in ast.walk(function):
            if not isinstance(node, ast.Call) or _name(node) != "makedirs":
                continue
            if not any(k.arg == "exist_ok" for k in node.keywords):
                yield Finding(
                    "makedirs-twice",
                    _where(module, node, root),
                    f"{function.name}() runs for every app, but `os.makedirs(path)` fails "
                    "with FileExistsError once the folder exists: pass `exist_ok=True`.",
                    anchor="FileExistsError",
                    always=False,
                )


def factory_arguments(module: Module, modules: list[Module], root: Path) -> Iterator[Finding]:
    if _is_test_code(module):  # a test's own make_app(tmp_path) is called with arguments
        return
    for function in _functions(module.tree):
        arguments = function.args
        required = len(arguments.args) - len(arguments.defaults)
        if function.name in ("create_app", "make_app") and required > 0:
            name = arguments.args[0].arg
            yield Finding(
                "factory-arguments",
                _where(module, function, root),
                f"`flask --app`, Gunicorn and tests call {function.name}() with no arguments, "
                f"so `{name}` needs a default: `def {function.name}({name}=None):`.",
                anchor="required positional argument|could not call it",
            )


def _is_test_code(module: Module) -> bool:
    """A learner's test module or conftest (lesson 9 onwards), not the service."""
    name = module.path.name
    return name == "conftest.py" or name.startswith("test_") or module.path.parent.name == "tests"


def unsaved(module: Module, modules: list[Module], root: Path) -> Iterator[Finding]:
    for function in _functions(module.tree):
        calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)]
        adds = [c for c in calls if _name(c) in ("add", "add_all") and "session" in _text(c)]
        if adds and not any(_name(c) in ("commit", "flush") for c in calls):
            yield Finding(
                "unsaved",
                _where(module, adds[0], root),
                "The object is added to the session but never saved: nothing calls "
                "`db.session.commit()` after `db.session.add(...)`. Until the commit, the "
                "database has not given it an `id` or a `created_at`, so they are None "
                "(`url_for(..., invoice_id=None)` cannot build a URL, `to_dict()` sees no "
                "date). Call `db.session.commit()` right after `add`; guarding against None "
                "elsewhere only hides this.",
                anchor="BuildError|NoneType|invoice_id|created_at|201",
            )


def _text(call: ast.Call) -> str:
    return ast.unparse(call.func)


def config_typo(module: Module, modules: list[Module], root: Path) -> Iterator[Finding]:
    known = _known_settings()
    for key, node in _config_keys(module.tree):
        if key in known or not _SETTING.fullmatch(key):
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=TYPO_CUTOFF)
        if close:
            yield Finding(
                "config-typo",
                _where(module, node, root),
                f"`{key}` is not a setting Flask or its extensions read: did you mean "
                f"`{close[0]}`? A misspelt key is stored without a complaint, and the real "
                f"setting keeps its default (or stays missing).",
                anchor=re.escape(close[0]),
            )


def _known_settings() -> list[str]:
    import flask

    return sorted({*flask.Flask.default_config, *EXTENSION_SETTINGS})


_SETTING = re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+")


def _config_keys(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """UPPER_CASE keys given to app.config: from_mapping(KEY=...), config["KEY"], {"KEY": ...}
    inside a from_mapping/update call, and attributes of classes named *Config."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node) in ("from_mapping", "update", "setdefault"):
            for keyword in node.keywords:
                if keyword.arg:
                    yield keyword.arg, keyword
            for arg in node.args:
                if isinstance(arg, ast.Dict):
                    for key in arg.keys:
                        if isinstance(key, ast.Constant) and isinstance(key.value, str):
                            yield key.value, key
        elif isinstance(node, ast.Subscript) and _name(node.value) == "config":
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                yield key.value, key
        elif isinstance(node, ast.ClassDef) and node.name.endswith("Config"):
            for statement in node.body:
                if isinstance(statement, ast.Assign):
                    for target in statement.targets:
                        if isinstance(target, ast.Name):
                            yield target.id, target


RULES: list[Rule] = [
    config_typo,
    decorator_order,
    app_outside_factory,
    app_imported,
    app_at_import,
    after_return,
    status_first,
    main_guard_typo,
    prefix_doubled,
    makedirs_twice,
    factory_arguments,
    unsaved,
]
