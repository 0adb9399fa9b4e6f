"""The `flasklings` command, driven with Click's CliRunner against a tiny two-lesson course."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from flasklings.cli import main

TINY = Path(__file__).parent / "data" / "tiny_course"
LESSON = Path("lessons/01_tiny/tiny.py")


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    shutil.copytree(TINY, root)
    return root


def flasklings(root: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(main, ["--root", str(root), *args], input=input)


def solve(root: Path) -> None:
    shutil.copy(root / "solutions/01_tiny/tiny.py", root / LESSON)


def git_commit_all(root: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "course")


def test_no_command_shows_progress_and_next_step(tiny: Path):
    result = flasklings(tiny)
    assert result.exit_code == 0, result.output
    assert "Tiny lesson" in result.output and "Later lesson" in result.output
    assert "Next: lesson 01 · Tiny lesson" in result.output
    assert "flasklings check 01" in result.output


@pytest.mark.parametrize("ref", ["1", "01", "01_tiny", "tiny", "TINY"])
def test_lesson_accepts_number_padded_number_slug_and_name(tiny: Path, ref: str):
    result = flasklings(tiny, "check", ref)
    assert result.exit_code == 1, result.output
    assert "Lesson 01 · Tiny lesson" in result.output


def test_unknown_lesson_is_a_usage_error_listing_the_lessons(tiny: Path):
    result = flasklings(tiny, "check", "99")
    assert result.exit_code == 2
    assert "01_tiny, 02_later" in result.output


def test_missing_course_file_is_reported(tmp_path: Path):
    result = flasklings(tmp_path)
    assert result.exit_code == 2
    assert "course.toml" in result.output


def test_check_reports_each_task_and_exits_1_on_the_starter(tiny: Path):
    result = flasklings(tiny, "check", "01")
    assert result.exit_code == 1
    out = result.output
    assert "Task 1: Say hi" in out and "Task 2: Say bye" in out
    assert "✗ GET / says hi." in out
    assert "GET / → 200 text/html 'TODO (Task 1)', expected 'hi'" in out
    assert "flasklings hint 01 1" in out
    listing = flasklings(tiny, "list").output
    assert "failing (tasks 1, 2)" in listing


def test_check_exits_0_once_solved_and_progress_moves_on(tiny: Path):
    solve(tiny)
    result = flasklings(tiny, "check")
    assert result.exit_code == 0, result.output
    assert "All 2 checks pass" in result.output
    assert "flasklings check 02" in result.output
    progress = flasklings(tiny).output
    assert "✓ passed" in progress
    assert "Next: lesson 02 · Later lesson" in progress


def test_json_is_exercism_results_v3_in_file_order(tiny: Path):
    result = flasklings(tiny, "check", "01", "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["version"] == 3 and data["status"] == "fail"
    assert "message" not in data
    assert [t["name"] for t in data["tests"]] == ["GET / says hi.", "GET /bye says bye."]
    assert [t["task_id"] for t in data["tests"]] == [1, 2]
    assert all(t["status"] == "fail" for t in data["tests"])
    assert data["tests"][0]["output"] is None
    assert data["tests"][1]["output"] == "checked /bye\n"


def test_json_output_is_cut_to_500_characters(tiny: Path):
    solve(tiny)
    (tiny / LESSON).write_text(
        (tiny / LESSON).read_text().replace('print("bye was called")', 'print("x" * 2000)')
    )
    data = json.loads(flasklings(tiny, "check", "01", "--json").output)
    assert data["status"] == "pass"
    assert len(data["tests"][1]["output"]) == 500


def test_json_error_carries_the_diagnosis(tiny: Path):
    (tiny / LESSON).write_text("from flask import Flask\napp = Flask(__name__\n")
    result = flasklings(tiny, "check", "01", "--json")
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["status"] == "error"
    assert "lessons/01_tiny/tiny.py:2:" in data["message"]
    assert data["tests"] == []


def test_junit_xml_lists_every_check(tiny: Path, tmp_path: Path):
    report = tmp_path / "out" / "junit.xml"
    result = flasklings(tiny, "check", "01", "--junit-xml", str(report))
    assert result.exit_code == 1
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "2"
    cases = suite.findall("testcase")
    assert [c.get("classname") for c in cases] == ["01_tiny.task1", "01_tiny.task2"]
    assert "expected 'hi'" in cases[0].find("failure").text


def test_hints_are_revealed_one_at_a_time(tiny: Path):
    first = flasklings(tiny, "hint", "01", "1").output
    assert "Hint 1 of 2: Look at tiny.py." in first
    second = flasklings(tiny, "hint", "tiny", "1").output
    assert "Hint 2 of 2: Return the string 'hi'." in second
    assert "last hint" in second
    again = flasklings(tiny, "hint", "01", "1").output
    assert "Hint 2 of 2" in again


def test_hint_defaults_to_the_first_failing_task(tiny: Path):
    solve(tiny)
    (tiny / LESSON).write_text((tiny / LESSON).read_text().replace('"/bye"', '"/later"'))
    flasklings(tiny, "check", "01")
    assert "Task 2: Say bye" in flasklings(tiny, "hint", "01").output


def test_hint_for_a_task_that_does_not_exist(tiny: Path):
    result = flasklings(tiny, "hint", "01", "7")
    assert result.exit_code == 2
    assert "tasks 1–2" in result.output


def test_reset_backs_up_the_learners_files_then_restores_the_starter(tiny: Path):
    git_commit_all(tiny)
    starter = (tiny / LESSON).read_text()
    (tiny / LESSON).write_text("my work\n")
    (tiny / "lessons/01_tiny/notes.txt").write_text("my notes\n")
    result = flasklings(tiny, "reset", "01")
    assert result.exit_code == 0, result.output
    assert (tiny / LESSON).read_text() == starter
    assert not (tiny / "lessons/01_tiny/notes.txt").exists()
    backups = list((tiny / ".flasklings/backups/01_tiny").iterdir())
    assert len(backups) == 1
    assert (backups[0] / "tiny.py").read_text() == "my work\n"
    assert (backups[0] / "notes.txt").read_text() == "my notes\n"
    assert str(backups[0].relative_to(tiny)) in result.output
    # A second reset keeps the first backup and makes another.
    flasklings(tiny, "reset", "01")
    assert len(list((tiny / ".flasklings/backups/01_tiny").iterdir())) == 2


def test_reset_restores_a_deleted_file(tiny: Path):
    git_commit_all(tiny)
    (tiny / LESSON).unlink()
    assert flasklings(tiny, "reset", "01").exit_code == 0
    assert (tiny / LESSON).exists()


def test_reset_outside_git_changes_nothing(tiny: Path):
    (tiny / LESSON).write_text("my work\n")
    result = flasklings(tiny, "reset", "01")
    assert result.exit_code == 2
    assert "Nothing was changed" in result.output
    assert (tiny / LESSON).read_text() == "my work\n"


def test_solution_stays_hidden_until_the_lesson_passes(tiny: Path):
    hidden = flasklings(tiny, "solution", "01")
    assert hidden.exit_code == 1
    assert "--force" in hidden.output and "+++" not in hidden.output
    forced = flasklings(tiny, "solution", "01", "--force")
    assert forced.exit_code == 0
    assert "--- lessons/01_tiny/tiny.py" in forced.output
    assert "+++ solutions/01_tiny/tiny.py" in forced.output
    assert '+    return "hi"' in forced.output


def test_solution_after_a_pass(tiny: Path):
    solve(tiny)
    assert flasklings(tiny, "check", "01").exit_code == 0
    result = flasklings(tiny, "solution", "01")
    assert result.exit_code == 0
    assert "match the reference solution" in result.output


@pytest.mark.parametrize("garbage", ["{not json", '{"version": 99}', "[]"])
def test_a_corrupt_state_file_is_rebuilt(tiny: Path, garbage: str):
    state = tiny / ".flasklings/state.json"
    state.parent.mkdir()
    state.write_text(garbage)
    result = flasklings(tiny, "check", "01")
    assert result.exit_code == 1
    assert "starting it afresh" in result.output
    assert json.loads(state.read_text())["lessons"]["01_tiny"]["status"] == "fail"


def test_watch_rechecks_when_enter_is_pressed(tiny: Path):
    result = flasklings(tiny, "watch", "01", "--manual", input="\n\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Lesson 01 · Tiny lesson") == 3
    assert result.output.count("Enter pressed: checking again") == 2


def test_watch_rechecks_when_a_file_is_saved(tiny: Path):
    """A real watchfiles run in a subprocess: saving the solution turns the check green."""
    import os
    import sys
    import threading
    import time

    command = [sys.executable, "-m", "flasklings", "--root", str(tiny), "watch", "01"]
    env = {**os.environ, "NO_COLOR": "1"}
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=env,
    ) as process:  # fmt: skip
        watchdog = threading.Timer(60, process.kill)  # a hung watcher fails the test, not CI
        watchdog.start()
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "re-check" in line:
                break
        time.sleep(0.5)  # let the watcher start before the save (not a timing assertion)
        solve(tiny)
        for line in process.stdout:
            lines.append(line)
            if "All 2 checks pass" in line:
                break
        process.kill()
        watchdog.cancel()
    output = "".join(lines)
    assert "saved tiny.py: checking again" in output
    assert "All 2 checks pass" in output
