"""Bad learner code gets a diagnosis, not a traceback wall: end-to-end `flasklings check` runs.

Each case breaks lesson 1 in a copy of the course and runs the real command in a subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HELLO = Path("lessons/01_hello/hello.py")


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """Lesson 1 of the course, solved, in a folder of its own."""
    root = tmp_path / "course"
    (root / "tests").mkdir(parents=True)
    shutil.copy(ROOT / "course.toml", root)
    shutil.copytree(ROOT / "tests/checkers", root / "tests/checkers")
    shutil.copytree(ROOT / "solutions/01_hello", root / "solutions/01_hello")
    shutil.copytree(ROOT / "solutions/01_hello", root / "lessons/01_hello")
    return root


def check(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "flasklings", "--root", str(root), "check", "01", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def append(root: Path, code: str) -> int:
    """Add code at the end of hello.py; returns the line number where it starts."""
    path = root / HELLO
    text = path.read_text()
    path.write_text(text + code)
    return text.count("\n") + 1


def test_the_solved_copy_passes(course_copy: Path):
    done = check(course_copy)
    assert done.returncode == 0, done.stdout


def test_syntax_error_shows_path_line_column_and_a_caret(course_copy: Path):
    line = append(course_copy, "def broken(:\n    pass\n")
    done = check(course_copy)
    assert done.returncode == 2
    assert f"lessons/01_hello/hello.py:{line}:12: SyntaxError" in done.stdout
    lines = done.stdout.splitlines()
    code = next(i for i, text in enumerate(lines) if text.strip() == "def broken(:")
    assert lines[code + 1].index("^") == lines[code].index("(:") + 1, "caret under the colon"
    assert "Traceback" not in done.stdout


def test_exception_at_import_shows_the_learners_frame(course_copy: Path):
    line = append(course_copy, 'settings = {}\nport = settings["PORT"]\n')
    done = check(course_copy)
    assert done.returncode == 2
    assert "Importing hello raised KeyError: 'PORT'" in done.stdout
    assert f"lessons/01_hello/hello.py:{line + 1}, in <module>" in done.stdout
    assert "_pytest" not in done.stdout and "Traceback" not in done.stdout


def test_app_run_at_import_is_stopped_and_the_guard_explained(course_copy: Path):
    line = append(course_copy, "app.run(port=5001)\n")
    done = check(course_copy)
    assert done.returncode == 2
    assert "Importing hello started the development server" in done.stdout
    assert f"hello.py:{line}" in done.stdout
    assert 'if __name__ == "__main__":' in done.stdout


def test_input_at_import_is_named(course_copy: Path):
    append(course_copy, 'name = input("Your name? ")\n')
    done = check(course_copy)
    assert done.returncode == 2
    assert "Importing hello called input()" in done.stdout


def test_endless_loop_is_ended_by_the_timeout_and_located(course_copy: Path):
    line = append(course_copy, "while True:\n    pass\n")
    done = check(course_copy, "--timeout", "3")
    assert done.returncode == 2
    assert "did not finish within 3 s" in done.stdout
    assert f"lessons/01_hello/hello.py:{line}" in done.stdout
    assert "loop that never ends" in done.stdout


@pytest.mark.parametrize("action", ["delete", "rename"])
def test_missing_file_is_named_with_how_to_restore_it(course_copy: Path, action: str):
    path = course_copy / HELLO
    if action == "delete":
        path.unlink()
    else:
        path.rename(path.with_name("helo.py"))
    done = check(course_copy)
    assert done.returncode == 2
    assert "lessons/01_hello/hello.py" in done.stdout
    assert "flasklings reset 01" in done.stdout


def test_missing_lesson_folder_is_named(course_copy: Path):
    shutil.rmtree(course_copy / "lessons/01_hello")
    done = check(course_copy)
    assert done.returncode == 2
    assert "lessons/01_hello/ is missing" in done.stdout


def test_checks_write_nothing_into_the_lesson_folder(course_copy: Path):
    folder = course_copy / "lessons/01_hello"
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    assert check(course_copy).returncode == 0
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before
