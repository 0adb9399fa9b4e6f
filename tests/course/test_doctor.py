"""`flasklings doctor` on a copy of the tiny course: healthy, and broken in several ways."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from flasklings import doctor
from flasklings.cli import main

TINY = Path(__file__).parent / "data" / "tiny_course"


@pytest.fixture(autouse=True)
def plain_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASKLINGS_COMMAND", "flasklings")


@pytest.fixture
def healthy(tmp_path: Path) -> Path:
    """The tiny course with a folder for each lesson it lists (its copy has only lesson 1's)."""
    root = tmp_path / "course"
    shutil.copytree(TINY, root)
    (root / "lessons/02_later").mkdir()
    return root


def run_doctor(root: Path):
    return CliRunner().invoke(main, ["--root", str(root), "doctor"])


def marked(output: str, mark: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(mark + " ")]


def test_healthy_machine_passes_every_check(healthy: Path):
    result = run_doctor(healthy)
    assert result.exit_code == 0, result.output
    assert not marked(result.output, "✗"), result.output
    assert "✓ lessons/ holds all 2 lessons" in result.output
    assert "✓ the grader works: lesson 01's solution passes all 2 checks" in result.output
    assert "✓ progress can be saved in .flasklings/" in result.output
    assert "Ready" in result.output
    # Every check is reported, whatever its outcome (uv may be a warning on some machines).
    assert len(marked(result.output, "✓") + marked(result.output, "!")) == 8, result.output


def test_missing_lesson_folder_and_file_are_named_with_a_fix(healthy: Path):
    shutil.rmtree(healthy / "lessons/02_later")
    (healthy / "lessons/01_tiny/tiny.py").unlink()
    result = run_doctor(healthy)
    assert result.exit_code == 1, result.output
    [line] = [x for x in marked(result.output, "✗") if "lessons/" in x]
    assert "lessons/02_later/" in line and "lessons/01_tiny/tiny.py" in line
    assert "fix: `git checkout -- lessons/`" in result.output
    assert "flasklings reset 02" in result.output
    assert "1 of 8 checks failed" in result.output


def test_missing_lessons_folder_is_named(healthy: Path):
    shutil.rmtree(healthy / "lessons")
    result = run_doctor(healthy)
    assert result.exit_code == 1, result.output
    assert "✗ there is no lessons/ folder in" in result.output


def test_progress_that_cannot_be_written_fails_with_a_fix(healthy: Path):
    (healthy / ".flasklings").write_text("not a folder")  # root ignores chmod; this is robust
    result = run_doctor(healthy)
    assert result.exit_code == 1, result.output
    [line] = marked(result.output, "✗")
    assert "cannot write progress in" in line
    assert "make " in result.output and "a folder you own" in result.output


def test_missing_solution_means_the_grader_cannot_be_tried(healthy: Path):
    shutil.rmtree(healthy / "solutions/01_tiny")
    result = run_doctor(healthy)
    assert result.exit_code == 1, result.output
    [line] = marked(result.output, "✗")
    assert "cannot try the grader: solutions/01_tiny/ is missing" in line
    assert "git checkout -- solutions/01_tiny" in result.output


def test_broken_solution_is_reported_by_the_grader_check(healthy: Path):
    (healthy / "solutions/01_tiny/tiny.py").write_text("def broken(:\n")
    result = run_doctor(healthy)
    assert result.exit_code == 1, result.output
    [line] = marked(result.output, "✗")
    assert "could not pass lesson 01's own solution" in line


def test_single_checks_fail_where_they_should(tmp_path: Path):
    assert not doctor.python_version((3, 11, 9)).ok
    assert doctor.python_version((3, 12, 0)).ok
    assert not doctor.encoding("ascii").ok
    assert not doctor.encoding("latin-1").ok
    assert doctor.encoding("utf-8").ok
    assert not doctor.disk_space(tmp_path, minimum=10**18).ok
    assert doctor.disk_space(tmp_path, minimum=1).ok


def test_without_uv_it_warns_and_still_passes(healthy: Path, monkeypatch: pytest.MonkeyPatch):
    searched = doctor.uv_on_path
    monkeypatch.setattr(doctor, "uv_on_path", lambda: searched(path=""))  # an empty PATH
    result = run_doctor(healthy)
    assert result.exit_code == 0, result.output
    [line] = marked(result.output, "!")
    assert "uv is not on PATH" in line
    assert "astral.sh/uv/install.sh" in result.output
