"""`flasklings doctor`: is this machine ready for the course? Each check says how to fix it.

Meant for the day before a workshop: Python, uv, the course's libraries, the lesson folders,
the progress folder, the grader end to end (lesson 1's solution graded in a temporary copy,
no browser involved), disk space and the terminal's encoding.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from flasklings import console, runner, workspace
from flasklings.course import Course
from flasklings.progress import STATE_DIR
from flasklings.report import command

MIN_PYTHON = (3, 12)
MIN_FREE_BYTES = 1_000_000_000  # the environment, the lessons' databases and backups fit
# The libraries a check imports (module names); Gunicorn is for lesson 8 on, Unix only.
LIBRARIES = ("flask", "werkzeug", "flask_sqlalchemy", "flask_wtf", "pytest", "watchfiles")
# Characters the course prints: marks, arrows, dashes, the ellipsis.
COURSE_CHARACTERS = "✓✗→←·—–…"
UV_INSTALL = (
    "install uv: `curl -LsSf https://astral.sh/uv/install.sh | sh` (Linux, macOS, WSL) or "
    '`pip install uv`; without uv, the README\'s "Without uv" section works too'
)


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False  # shown, but does not make the machine "not ready"


def python_version(version: tuple = tuple(sys.version_info)) -> Finding:
    shown = ".".join(map(str, version[:3]))
    if tuple(version[:2]) >= MIN_PYTHON:
        return Finding("Python", True, f"Python {shown} (3.12 or newer needed)")
    return Finding(
        "Python",
        False,
        f"Python {shown}; the course needs 3.12 or newer",
        "install Python 3.12+ (python.org, your package manager, `pyenv install 3.12`), then "
        "`UV_PYTHON=/path/to/python3.12 uv sync`",
    )


def uv_on_path(path: str | None = None) -> Finding:
    found = shutil.which("uv", path=path)  # path: the PATH to search (default: $PATH)
    if found:
        return Finding("uv", True, f"uv found: {found}")
    return Finding("uv", False, "uv is not on PATH", UV_INSTALL, warning=True)


def libraries() -> Finding:
    try:
        version = importlib.metadata.version("flasklings")
    except importlib.metadata.PackageNotFoundError:
        version = None
    missing = [name for name in LIBRARIES if importlib.util.find_spec(name) is None]
    if version and not missing:
        return Finding("course", True, f"flasklings {version} and its libraries are installed")
    what = ", ".join(missing) if missing else "the flasklings package"
    return Finding(
        "course",
        False,
        f"not installed: {what} (Python {sys.executable})",
        "in the course folder run `uv sync` (or, without uv, `python -m pip install -e .`)",
    )


def lesson_folders(course: Course) -> Finding:
    """Every lesson course.toml lists has its folder, with every file its solution has."""
    if not (course.root / "lessons").is_dir():
        return Finding(
            "lessons",
            False,
            f"there is no lessons/ folder in {course.root}",
            "`git checkout -- lessons/` restores it, if this is a clone of the course",
        )
    missing_dirs, missing_files = [], []
    for lesson in course.lessons:
        folder = course.lesson_dir(lesson)
        if not folder.is_dir():
            missing_dirs.append(lesson.slug)
            continue
        reference = course.lesson_dir(lesson, "solutions")
        if reference.is_dir():
            have = set(workspace.files(folder))
            gone = [name for name in workspace.files(reference) if name not in have]
            missing_files += [f"{lesson.slug}/{name}" for name in gone]
    if not missing_dirs and not missing_files:
        return Finding("lessons", True, f"lessons/ holds all {len(course.lessons)} lessons")
    parts = []
    if missing_dirs:
        parts.append("missing lesson folders: " + ", ".join(f"lessons/{s}/" for s in missing_dirs))
    if missing_files:
        parts.append("missing files: " + ", ".join(f"lessons/{f}" for f in missing_files))
    first = (missing_dirs or [missing_files[0].split("/")[0]])[0]
    return Finding(
        "lessons",
        False,
        "; ".join(parts),
        f"`git checkout -- lessons/` restores them from the clone; for one lesson, "
        f"`{command('reset', first[:2])}` (it backs up your files first)",
    )


def progress_writable(course: Course) -> Finding:
    folder = course.root / STATE_DIR
    try:
        folder.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Finding(
            "progress",
            False,
            f"cannot write progress in {folder}: {exc.strerror or exc}",
            f"make {folder} a folder you own and can write (`ls -ld {folder}`); deleting it "
            "loses nothing but cached results",
        )
    return Finding("progress", True, f"progress can be saved in {STATE_DIR}/")


def grader_works(course: Course) -> Finding:
    """Grade the first lesson's reference solution, copied to a temporary folder."""
    lesson = course.lessons[0]
    solution = course.lesson_dir(lesson, "solutions")
    if not solution.is_dir():
        return Finding(
            "grader",
            False,
            f"cannot try the grader: solutions/{lesson.slug}/ is missing",
            f"`git checkout -- solutions/{lesson.slug}` restores it from the clone",
        )
    with tempfile.TemporaryDirectory(prefix="flasklings-doctor-") as tmp:
        copy = Path(tmp) / lesson.slug
        shutil.copytree(solution, copy, ignore=shutil.ignore_patterns("__pycache__", "instance"))
        result = runner.run_checks(course, lesson, target=Path(tmp))
    if result.status == "pass":
        return Finding(
            "grader",
            True,
            f"the grader works: lesson {lesson.number:02d}'s solution passes all "
            f"{len(result.tests)} checks",
        )
    why = result.message if result.status == "error" else result.failures()
    first = next(iter((why or "").strip().splitlines()), "no reason given")
    return Finding(
        "grader",
        False,
        f"the grader could not pass lesson {lesson.number:02d}'s own solution: {first}",
        f"run `uv sync`, then `{command('check', f'{lesson.number:02d}', '--target', 'solutions')}`"
        " for the full report; if it still fails, send both outputs to your instructor",
    )


def disk_space(root: Path, minimum: int = MIN_FREE_BYTES) -> Finding:
    free = shutil.disk_usage(root).free
    shown = f"{free / 1e9:.1f} GB free"
    if free >= minimum:
        return Finding("disk", True, f"{shown} where the course is")
    return Finding(
        "disk",
        False,
        f"only {shown} where the course is; {minimum / 1e9:.0f} GB is enough",
        "free some space (`uv cache clean` frees uv's download cache)",
    )


def encoding(name: str | None) -> Finding:
    name = name or "ascii"
    try:
        COURSE_CHARACTERS.encode(name)
    except (UnicodeEncodeError, LookupError):
        return Finding(
            "terminal",
            False,
            f"the terminal's encoding {name} cannot show the course's marks ({COURSE_CHARACTERS}):"
            " the course spells them in ASCII (OK, FAIL, ->)",
            "for the marks, use a UTF-8 locale: `export LANG=C.UTF-8` (or PYTHONIOENCODING=utf-8);"
            " in Windows PowerShell, `$env:PYTHONIOENCODING = 'utf-8'`",
            warning=True,  # every command still works: console.py spells the marks in ASCII
        )
    return Finding("terminal", True, f"the terminal's encoding ({name}) shows ✓ and ✗")


def run_all(course: Course, stream_encoding: str | None) -> list[Finding]:
    return [
        python_version(),
        uv_on_path(),
        libraries(),
        lesson_folders(course),
        progress_writable(course),
        grader_works(course),
        disk_space(course.root),
        encoding(stream_encoding),
    ]


def _marks(stream_encoding: str | None) -> dict[str, str]:
    if encoding(stream_encoding).ok:
        return {"ok": "✓", "bad": "✗", "warn": "!"}
    return {"ok": "OK", "bad": "FAIL", "warn": "WARN"}  # what any terminal can print


@click.command()
@click.pass_obj
def doctor(state) -> None:
    """Check that this machine is ready for the course, and say how to fix what is not.

    Exit status: 0 when every check passes (warnings allowed), 1 otherwise.
    """
    stream_encoding = getattr(sys.stdout, "encoding", None)  # a test runner's stream, too
    marks = _marks(stream_encoding)
    _echo(f"Checking this machine for the course in {state.course.root}")
    findings = run_all(state.course, stream_encoding)
    for found in findings:
        mark = marks["ok"] if found.ok else marks["warn"] if found.warning else marks["bad"]
        colour = "green" if found.ok else "yellow" if found.warning else "red"
        _echo(click.style(f"{mark} ", fg=colour) + found.detail)
        if found.fix:
            _echo(f"    fix: {found.fix}")
    failed = [f for f in findings if not f.ok and not f.warning]
    if failed:
        _echo(
            f"\n{len(failed)} of {len(findings)} checks failed: fix them from the top, then run "
            f"`{command('doctor')}` again."
        )
        raise SystemExit(1)
    warned = sum(not f.ok for f in findings)
    _echo("\nReady: every check passes." if not warned else f"\nReady ({warned} warning above).")


def _echo(text: str) -> None:
    click.echo(text, color=console.colour())
