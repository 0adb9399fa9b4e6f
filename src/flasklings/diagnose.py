"""Turn what went wrong in a learner's code into a short message that says where to look."""

from __future__ import annotations

import ast
import linecache
import re
import traceback
from pathlib import Path

GUARD_ADVICE = (
    "Importing a module must not start a server: `flask run`, Gunicorn, the checks and your\n"
    "tests all import it. Put the call under the guard, so that it runs only when the file is\n"
    "run as a script (`python hello.py`):\n"
    '    if __name__ == "__main__":\n'
    "        app.run()"
)


def shown(path: str | Path, root: Path) -> str:
    """A path as the learner knows it: relative to the course root where possible."""
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)


def syntax_error(exc: SyntaxError, root: Path) -> str:
    """`path:line:col: SyntaxError: msg`, then the line and a caret under the column."""
    where = f"{shown(exc.filename or '?', root)}:{exc.lineno or '?'}:{exc.offset or '?'}"
    lines = [f"{where}: {type(exc).__name__}: {exc.msg}"]
    text = (exc.text or "").rstrip("\n")
    if text:
        stripped = text.lstrip()
        indent = len(text) - len(stripped)
        lines.append(f"    {stripped}")
        if exc.offset:
            lines.append("    " + " " * max(exc.offset - 1 - indent, 0) + "^")
    return "\n".join(lines)


def learner_frames(tb, folder: Path) -> list[traceback.FrameSummary]:
    """The frames of a traceback that run code inside the learner's lesson folder."""
    folder = folder.resolve()
    frames = []
    for frame in traceback.extract_tb(tb):
        try:
            Path(frame.filename).resolve().relative_to(folder)
        except ValueError:
            continue
        frames.append(frame)
    return frames


def where(frame: traceback.FrameSummary, root: Path) -> str:
    line = (frame.line or linecache.getline(frame.filename, frame.lineno or 0)).strip()
    return f"{shown(frame.filename, root)}:{frame.lineno}, in {frame.name}\n    {line}"


def exception(exc: BaseException, folder: Path, root: Path, during: str) -> str:
    """One exception raised by learner code: what, and the learner's own innermost frame."""
    message = f"{during} raised {type(exc).__name__}: {exc}".rstrip(": ")
    frames = learner_frames(exc.__traceback__, folder)
    if frames:
        message += f"\n  at {where(frames[-1], root)}"
    return message


_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')


def stuck_at(stack_dump: str, folder: Path, root: Path) -> str | None:
    """From a faulthandler dump, the innermost line of learner code that was running."""
    folder = folder.resolve()
    for match in _FRAME.finditer(stack_dump):  # faulthandler lists the innermost frame first
        path = Path(match["file"])
        try:
            path.resolve().relative_to(folder)
        except ValueError:
            continue
        lineno = int(match["line"])
        source = linecache.getline(str(path), lineno).strip()
        return f"{shown(path, root)}:{lineno}\n    {source}"
    return None


def likely_hang_causes(folder: Path, root: Path) -> list[str]:
    """Top-level statements that block an import: app.run(), input(), an endless loop."""
    causes = []
    for path in sorted(folder.rglob("*.py")):
        try:
            tree = ast.parse(path.read_bytes())  # bytes: Python reads a BOM or a coding line
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for statement in tree.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                continue  # a function body does not run at import
            if isinstance(statement, ast.If) and _is_main_guard(statement.test):
                continue  # runs only for `python file.py`
            for node in ast.walk(statement):
                if cause := _blocking(node):
                    causes.append(f"{shown(path, root)}:{node.lineno} {cause}")
    return causes


def _blocking(node: ast.AST) -> str | None:
    if isinstance(node, ast.While) and isinstance(node.test, ast.Constant) and node.test.value:
        return "starts a loop that never ends"
    if isinstance(node, ast.Call):
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name in ("run", "run_simple"):
            return "starts a server when the module is imported"
        if name == "input":
            return "waits for keyboard input when the module is imported"
    return None


def _is_main_guard(test: ast.expr) -> bool:
    return isinstance(test, ast.Compare) and getattr(test.left, "id", None) == "__name__"
