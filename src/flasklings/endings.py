"""Why a run of the checks ended early: the statements in learner code that end a process,
and what an exit status says about how it ended."""

from __future__ import annotations

import ast
import signal
from pathlib import Path

from flasklings import diagnose

# call name -> what it does, for calls that end the process (or the test run) on the spot
_ENDING_CALLS = {
    "_exit": "ends the process at once (os._exit), so the checks cannot report",
    "exit": "ends the program (exit / sys.exit)",
    "quit": "ends the program (quit)",
    "abort": "aborts the process (os.abort)",
    "kill": "sends a signal (os.kill), which may end the process running the checks",
    "killpg": "sends a signal to a process group (os.killpg)",
}
_ENDING_RAISES = {
    "SystemExit": "raises SystemExit, which ends the program",
    "KeyboardInterrupt": "raises KeyboardInterrupt, which stops a whole test run",
}


def ending_statements(folder: Path, root: Path) -> list[str]:
    """`path:line what it does` for each statement in the learner's files that ends the
    process, outside the `if __name__ == "__main__":` guard."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError, OSError):
            continue
        for node in _outside_main_guard(tree):
            if what := _ends(node):
                found.append(f"{diagnose.shown(path, root)}:{node.lineno} {what}")
    return found


def _outside_main_guard(tree: ast.Module):
    for statement in tree.body:
        if isinstance(statement, ast.If) and _is_main_guard(statement.test):
            continue
        yield from ast.walk(statement)


def _is_main_guard(test: ast.expr) -> bool:
    return isinstance(test, ast.Compare) and getattr(test.left, "id", None) == "__name__"


def _ends(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        return _ENDING_CALLS.get(name)
    if isinstance(node, ast.Raise) and node.exc is not None:
        raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return _ENDING_RAISES.get(getattr(raised, "id", None) or getattr(raised, "attr", None))
    return None


def exit_status(returncode: int) -> str:
    """'exit status 0', or 'killed by signal SIGKILL'."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return f"killed by signal {name}"
    return f"exit status {returncode}"
