"""Files as a Windows checkout has them: CRLF line endings, a UTF-8 BOM, tab indentation, and
a course folder whose path has spaces and non-ASCII characters (C:\\Users\\José\\My Projects).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from flasklings import course, mutants, mutation, runner
from flasklings.cli import main

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
TINY = Path(__file__).parent / "data" / "tiny_course"
BOM = b"\xef\xbb\xbf"


def as_windows(folder: Path, tabs: bool = False) -> None:
    """Every text file in CRLF; Python and HTML files start with a BOM, as some editors save
    them; with `tabs`, Python indentation in tabs."""
    for path in sorted(folder.rglob("*")):
        data = path.read_bytes() if path.is_file() else b"\0"
        if b"\0" in data:
            continue  # a folder, or a binary file
        lines = data.decode("utf-8").splitlines()
        if tabs and path.suffix == ".py":
            lines = [_tabbed(line) for line in lines]
        text = "\r\n".join(lines) + "\r\n"
        path.write_bytes((BOM if path.suffix in {".py", ".html"} else b"") + text.encode())


def _tabbed(line: str) -> str:
    stripped = line.lstrip(" ")
    depth, rest = divmod(len(line) - len(stripped), 4)
    return "\t" * depth + " " * rest + stripped


@pytest.fixture
def windows_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "My Projects" / "José Núñez"
    folder.mkdir(parents=True)
    return folder


def windows_copy(source: Path, folder: Path, tabs: bool = False) -> Path:
    copy = folder / source.name
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    as_windows(copy, tabs)
    return copy


@pytest.mark.parametrize("slug", ["01_hello", "03_blueprints"])
def test_a_solution_saved_on_windows_passes(windows_folder: Path, slug: str):
    windows_copy(ROOT / "solutions" / slug, windows_folder, tabs=slug == "01_hello")
    result = runner.run_checks(COURSE, COURSE.find(slug), target=windows_folder)
    failing = [f"{t['doc']}: {t['message']}" for t in result.tests if t["status"] != "pass"]
    assert result.status == "pass", result.message or failing


def test_a_starter_saved_on_windows_fails_with_the_usual_message(windows_folder: Path):
    windows_copy(ROOT / "lessons" / "01_hello", windows_folder)
    result = runner.run_checks(COURSE, COURSE.find("01"), target=windows_folder)
    assert result.status == "fail", result.message
    first = next(t for t in result.tests if t["status"] != "pass")
    assert first["message"].startswith("GET / → 404"), first["message"]


@pytest.mark.skipif(sys.platform == "win32", reason="Gunicorn runs only on Unix (lesson 8)")
def test_gunicorn_serves_the_capstone_from_a_folder_with_spaces(windows_folder: Path):
    # Gunicorn splits GUNICORN_CMD_ARGS like a shell: the checker must quote the path it adds.
    windows_copy(ROOT / "solutions" / "10_capstone", windows_folder)
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", str(COURSE.checker(COURSE.find("10"))),
            "-p", "flasklings.plugin", "-p", "no:cacheprovider", "-o", "addopts=", "-q",
            f"--rootdir={ROOT}", f"--target={windows_folder}",
            "-k", "test_gunicorn_serves_the_installed_layout",
        ],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout


@pytest.fixture
def tiny(windows_folder: Path) -> Path:
    """The tiny course in a spaced, non-ASCII folder, committed in a clone that checks text out
    with CRLF (core.autocrlf=true, Git for Windows' default) even on Linux."""
    root = windows_folder / "course"
    shutil.copytree(TINY, root)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q")
    git("config", "core.autocrlf", "true")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "course")
    for path in root.rglob("*.py"):  # check the files out again, as a Windows clone has them
        path.unlink()
    git("checkout", "--", ".")
    assert b"\r\n" in (root / "lessons/01_tiny/tiny.py").read_bytes()
    return root


def flasklings(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


def test_reset_backs_up_and_restores_the_starter_with_the_checkouts_line_endings(tiny: Path):
    lesson = tiny / "lessons/01_tiny/tiny.py"
    starter = lesson.read_bytes()
    lesson.write_bytes(BOM + b"my work\r\n")
    result = flasklings(tiny, "reset", "01")
    assert result.exit_code == 0, result.output
    assert lesson.read_bytes() == starter  # CRLF, like every other file of this checkout
    [saved] = (tiny / ".flasklings/backups/01_tiny").iterdir()
    assert (saved / "tiny.py").read_bytes() == BOM + b"my work\r\n"


def test_solution_shows_no_difference_for_line_endings_or_a_bom(tiny: Path):
    solved = tiny / "lessons/01_tiny/tiny.py"
    shutil.copy(tiny / "solutions/01_tiny/tiny.py", solved)
    as_windows(solved.parent)
    assert solved.read_bytes().startswith(BOM)
    assert flasklings(tiny, "check", "01").exit_code == 0
    result = flasklings(tiny, "solution", "01")
    assert result.exit_code == 0, result.output
    assert "match the reference solution" in result.output


def test_solution_diffs_a_windows_file_line_by_line(tiny: Path):
    as_windows(tiny / "lessons/01_tiny")
    result = flasklings(tiny, "solution", "01", "--force")
    assert result.exit_code == 0, result.output
    assert '-    return "TODO (Task 1)"\n+    return "hi"\n' in result.output
    assert "\r" not in result.output and "\ufeff" not in result.output


def test_the_mutant_tooling_reads_a_windows_checkout(windows_folder: Path):
    lesson = COURSE.find("01")
    windows_copy(ROOT / "solutions" / lesson.slug, windows_folder / "solutions")
    windows = replace(COURSE, root=windows_folder)
    made = mutation.lesson_mutations(windows, lesson)
    assert [m.id for m in made] == [m.id for m in mutation.lesson_mutations(COURSE, lesson)]

    def checks(lesson: course.Lesson, **options) -> runner.CheckResult:  # as warm.grader's
        return runner.run_checks(COURSE, lesson, **options)

    assert mutation.grade(windows, lesson, None, checks).status == "pass"
    wrong = next(m for m in made if "Hello, Invoicer!" in m.before)
    assert mutation.grade(windows, lesson, wrong, checks).status == "fail", str(wrong)
    [listed, *_] = mutants.load(ROOT / "tests/mutants" / lesson.slug / "mutants.toml")
    solution = windows_folder / "solutions" / lesson.slug
    copy = mutants.apply(listed, solution, windows_folder / "mutant" / lesson.slug)
    assert runner.run_checks(COURSE, lesson, target=copy.parent).status != "pass", listed.name


def test_line_endings_that_matter_are_pinned_in_gitattributes():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git clone")
    pinned = [".ci/run", "lessons/08_deploy/Dockerfile", "solutions/10_capstone/.env.example"]
    free = ["lessons/01_hello/hello.py"]
    done = subprocess.run(
        ["git", "check-attr", "eol", "--", *pinned, *free],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    eol = dict(line.split(": eol: ") for line in done.stdout.splitlines())
    assert {path: eol[path] for path in pinned} == dict.fromkeys(pinned, "lf")
    assert eol[free[0]] == "unspecified"  # the learner's files follow the checkout
