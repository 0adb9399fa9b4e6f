"""The `flasklings` command, driven with Click's CliRunner against a tiny two-lesson course."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from flasklings import cli, report, watch
from flasklings.cli import main
from flasklings.progress import Progress

TINY = Path(__file__).parent / "data" / "tiny_course"
LESSON = Path("lessons/01_tiny/tiny.py")


@pytest.fixture(autouse=True)
def plain_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages name commands as `flasklings …`, whatever PATH this test run has."""
    monkeypatch.setenv("FLASKLINGS_COMMAND", "flasklings")


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


def test_late_checks_run_last_and_each_task_lists_its_own_checks_first(tiny: Path):
    checker = tiny / "tests/checkers/test_01_tiny.py"
    text = checker.read_text().replace("@pytest.mark.task(1)\n", "@pytest.mark.task(2)\n")
    text = text.replace('"""GET / says hi."""', '"""As in lesson 0: GET / says hi."""')
    checker.write_text(text)
    solve(tiny)
    shown = flasklings(tiny, "check", "01").output  # ran first, listed after the task's own
    assert shown.index("GET /bye says bye.") < shown.index("As in lesson 0: GET / says hi.")
    checker.write_text(text.replace("def test_hi", "@pytest.mark.late\ndef test_hi"))
    ran = json.loads(flasklings(tiny, "check", "01", "--json").output)
    assert [t["name"] for t in ran["tests"]] == [
        "GET /bye says bye.",
        "As in lesson 0: GET / says hi.",
    ]


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


def test_hints_are_revealed_one_at_a_time_and_stay_visible(tiny: Path):
    first = flasklings(tiny, "hint", "01", "1").output
    assert "Hint 1 of 2: Look at tiny.py." in first
    assert "Hint 2 of 2" not in first
    assert "Run it again for the next hint: `flasklings hint 01 1`" in first
    second = flasklings(tiny, "hint", "tiny", "1").output
    assert "Hint 1 of 2: Look at tiny.py." in second  # the earlier one, above the new one
    assert second.index("Hint 1 of 2") < second.index("Hint 2 of 2: Return the string 'hi'.")
    assert "That was the last hint for Task 1." in second
    assert "`flasklings solution 01 --force`" in second
    again = flasklings(tiny, "hint", "01", "1").output
    assert "Hint 1 of 2" in again and "Hint 2 of 2" in again
    assert "You have seen all 2 hints for Task 1." in again
    assert "`flasklings solution 01 --force`" in again


def test_hint_without_a_task_on_a_passed_lesson_says_it_passes(tiny: Path):
    solve(tiny)
    assert flasklings(tiny, "check", "01").exit_code == 0
    result = flasklings(tiny, "hint", "01")
    assert result.exit_code == 0
    assert "Lesson 01 passes" in result.output
    assert "`flasklings hint 01 1` (tasks 1–2)" in result.output
    assert "Hint 1 of" not in result.output
    # Named, the task's hints are still there; at the end, the solution needs no --force.
    flasklings(tiny, "hint", "01", "2")
    last = flasklings(tiny, "hint", "01", "2").output
    assert "Hint 1 of 1: Add a /bye route." in last
    assert "`flasklings solution 01` shows" in last


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


def test_reset_forgets_the_cached_result_but_keeps_the_hint_counters(tiny: Path):
    git_commit_all(tiny)
    solve(tiny)
    assert flasklings(tiny, "check", "01").exit_code == 0
    flasklings(tiny, "hint", "01", "1")
    assert flasklings(tiny, "reset", "01").exit_code == 0
    progress = flasklings(tiny).output
    assert "✓ passed" not in progress
    assert re.search(r"01  Tiny lesson +5  · not checked yet", progress)
    assert "Next: lesson 01 · Tiny lesson" in progress
    assert flasklings(tiny, "solution", "01").exit_code == 1  # hidden again until a pass
    assert "Hint 2 of 2" in flasklings(tiny, "hint", "01", "1").output


def test_backups_lists_each_backup_newest_first(tiny: Path):
    git_commit_all(tiny)
    none = flasklings(tiny, "backups", "01")
    assert none.exit_code == 0
    assert "Lesson 01 has no backups yet" in none.output
    (tiny / LESSON).write_text("my work\n")
    flasklings(tiny, "reset", "01")
    (tiny / "lessons/01_tiny/notes.txt").write_text("my notes\n")
    (tiny / "lessons/01_tiny/instance").mkdir()
    (tiny / "lessons/01_tiny/instance/app.sqlite").write_bytes(b"SQLite")
    flasklings(tiny, "reset", "01")
    result = flasklings(tiny, "backups", "tiny")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if re.match(r"  \d ", line)]
    assert [row[0] for row in rows] == ["1", "2"]
    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
    assert all(stamp.fullmatch(f"{row[1]} {row[2]}") for row in rows)
    assert rows[0][3:6] == ["2", "files", "+"] and "instance/" in rows[0]
    assert rows[1][3:5] == ["1", "file"] and "instance/" not in rows[1]
    assert rows[0][-1].startswith(".flasklings/backups/01_tiny/")
    newest = tiny / rows[0][-1]
    assert (newest / "notes.txt").read_text() == "my notes\n"
    assert "`flasklings restore 01 N`" in result.output


def test_restore_takes_the_newest_backup_after_backing_up_the_current_files(tiny: Path):
    git_commit_all(tiny)
    starter = (tiny / LESSON).read_text()
    (tiny / LESSON).write_text("my work\n")
    (tiny / "lessons/01_tiny/instance").mkdir()
    (tiny / "lessons/01_tiny/instance/app.sqlite").write_bytes(b"SQLite")
    reset = flasklings(tiny, "reset", "01")
    assert "To put them back: `flasklings restore 01`." in reset.output
    assert not (tiny / "lessons/01_tiny/instance").exists()  # the database went with the files
    result = flasklings(tiny, "restore", "01")
    assert result.exit_code == 0, result.output
    assert (tiny / LESSON).read_text() == "my work\n"
    assert (tiny / "lessons/01_tiny/instance/app.sqlite").read_bytes() == b"SQLite"
    assert "Your current files were moved to .flasklings/backups/01_tiny/" in result.output
    assert "(1 file + instance/)" in result.output
    assert "`flasklings check 01`" in result.output
    # Nothing is lost: the restored backup is still there, and the starter became a new one.
    saved = sorted((tiny / ".flasklings/backups/01_tiny").iterdir())
    assert len(saved) == 2
    assert [(b / "tiny.py").read_text() for b in saved] == ["my work\n", starter]
    # Restoring the newest again undoes the restore.
    assert flasklings(tiny, "restore", "01").exit_code == 0
    assert (tiny / LESSON).read_text() == starter


def test_restore_by_number_or_folder_name(tiny: Path):
    git_commit_all(tiny)
    for text in ("first\n", "second\n"):
        (tiny / LESSON).write_text(text)
        assert flasklings(tiny, "reset", "01").exit_code == 0
    by_number = flasklings(tiny, "restore", "01", "2")  # 1 is the newest ("second")
    assert by_number.exit_code == 0, by_number.output
    assert (tiny / LESSON).read_text() == "first\n"
    oldest = sorted((tiny / ".flasklings/backups/01_tiny").iterdir())[0]
    (tiny / LESSON).write_text("third\n")
    by_name = flasklings(tiny, "restore", "01", oldest.name)
    assert by_name.exit_code == 0, by_name.output
    assert (tiny / LESSON).read_text() == "first\n"


@pytest.mark.parametrize("wanted", ["0", "9", "20000101-000000"])
def test_restore_of_an_unknown_backup_changes_nothing(tiny: Path, wanted: str):
    git_commit_all(tiny)
    (tiny / LESSON).write_text("my work\n")
    flasklings(tiny, "reset", "01")
    (tiny / LESSON).write_text("later work\n")
    result = flasklings(tiny, "restore", "01", wanted)
    assert result.exit_code == 2
    assert f"no backup '{wanted}'" in result.output and "1 to 1" in result.output
    assert (tiny / LESSON).read_text() == "later work\n"
    assert len(list((tiny / ".flasklings/backups/01_tiny").iterdir())) == 1


def test_restore_without_backups(tiny: Path):
    result = flasklings(tiny, "restore", "01")
    assert result.exit_code == 2
    assert "lesson 01 has no backups" in result.output


def test_reset_and_restore_ask_first_on_a_terminal(tiny: Path, monkeypatch: pytest.MonkeyPatch):
    git_commit_all(tiny)
    (tiny / LESSON).write_text("my work\n")
    monkeypatch.setattr(cli, "_stdin_is_terminal", lambda: True)
    declined = flasklings(tiny, "reset", "01", input="n\n")
    assert declined.exit_code == 1
    assert "Replace your 1 file in lessons/01_tiny/ with the starter?" in declined.output
    assert "Nothing was changed." in declined.output
    assert (tiny / LESSON).read_text() == "my work\n"
    assert not (tiny / ".flasklings/backups").exists()
    accepted = flasklings(tiny, "reset", "01", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert (tiny / LESSON).read_text() != "my work\n"
    kept = flasklings(tiny, "restore", "01", input="n\n")
    assert kept.exit_code == 1 and "with the backup made" in kept.output
    assert (tiny / LESSON).read_text() != "my work\n"
    unasked = flasklings(tiny, "restore", "01", "--yes")  # no input: a question would abort
    assert unasked.exit_code == 0, unasked.output
    assert "Replace" not in unasked.output
    assert (tiny / LESSON).read_text() == "my work\n"


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


def test_watch_stops_at_end_of_input_even_while_watching_files(tiny: Path):
    # In a subprocess with a timeout, so a watcher that ignores the end of input fails the
    # test instead of hanging it (the timeout is a safety net, not a timing assertion).
    done = subprocess.run(
        [sys.executable, "-m", "flasklings", "--root", str(tiny), "watch", "01"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("Lesson 01 · Tiny lesson") == 1
    assert done.stdout.rstrip().endswith("End of input: watch mode stopped.")


def test_watch_clears_the_screen_before_each_run_on_a_terminal(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    piped = flasklings(tiny, "watch", "01", "--manual", input="\n")
    assert "\x1b" not in piped.output  # not a terminal: no escape codes at all
    monkeypatch.setattr(watch, "_terminal", lambda: True)
    result = flasklings(tiny, "watch", "01", "--manual", input="\n")
    assert result.output.count(watch.CLEAR) == 2
    assert result.output.index(watch.CLEAR, 1) < result.output.index("Enter pressed")


@pytest.mark.parametrize("variable", [("NO_COLOR", "1"), ("TERM", "dumb")])
def test_watch_never_clears_a_terminal_that_asks_for_plain_output(
    tiny: Path, monkeypatch: pytest.MonkeyPatch, variable: tuple[str, str]
):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv(*variable)
    monkeypatch.setattr(watch, "_terminal", lambda: True)
    result = flasklings(tiny, "watch", "01", "--manual", input="\n")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output


def test_messages_name_commands_the_way_the_learner_runs_flasklings(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FLASKLINGS_COMMAND", "uv run flasklings")
    git_commit_all(tiny)
    outputs = [
        flasklings(tiny).output,
        flasklings(tiny, "check", "01").output,
        flasklings(tiny, "solution", "01").output,
        flasklings(tiny, "hint", "01", "1").output,
        flasklings(tiny, "reset", "01").output,
        flasklings(tiny, "backups", "01").output,
        flasklings(tiny, "restore", "01").output,
        flasklings(tiny, "check", "03").output,
    ]
    solve(tiny)
    outputs.append(flasklings(tiny, "watch", "01", "--manual", input="").output)
    assert "`uv run flasklings check 01`" in outputs[0]
    assert "`uv run flasklings watch 01`" in outputs[0]
    assert "`uv run flasklings hint 01 1`" in outputs[1]
    assert "`uv run flasklings hint 01`" in outputs[2]
    assert "`uv run flasklings hint 01 1`" in outputs[3]
    assert "`uv run flasklings restore 01`" in outputs[4]
    assert "`uv run flasklings restore 01 N`" in outputs[5]
    assert "`uv run flasklings check 01`" in outputs[6]
    assert "`uv run flasklings list`" in outputs[7]
    assert "`uv run flasklings solution 01`" in outputs[8]
    assert "`uv run flasklings check 02`" in outputs[8]
    for output in outputs:
        assert "`flasklings" not in output, output


def fake_executable(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "flasklings"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    return folder


@pytest.mark.skipif(os.name == "nt", reason="a POSIX shell script stands in for flasklings")
def test_the_command_prefix_follows_how_flasklings_was_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    on_path = fake_executable(tmp_path / "on_path")
    empty = tmp_path / "empty"
    empty.mkdir()
    scripts = sysconfig.get_path("scripts")  # where `uv run` puts .venv/bin, first on PATH
    monkeypatch.delenv("FLASKLINGS_COMMAND")
    monkeypatch.delenv("UV_RUN_RECURSION_DEPTH", raising=False)
    monkeypatch.setattr(sys, "argv", ["/somewhere/pytest"])

    monkeypatch.setenv("PATH", str(on_path))
    assert report.command_prefix() == "flasklings"  # activated venv, pip or pipx install
    monkeypatch.setenv("PATH", str(empty))
    assert report.command_prefix() == "uv run flasklings"
    monkeypatch.setattr(sys, "argv", [".venv/bin/flasklings"])
    assert report.command("check", "02") == ".venv/bin/flasklings check 02"  # started by path

    # `uv run flasklings`: uv put the venv first on PATH, but the learner's shell lacks it...
    monkeypatch.setenv("UV_RUN_RECURSION_DEPTH", "1")
    monkeypatch.setattr(sys, "argv", [f"{scripts}/flasklings"])
    monkeypatch.setenv("PATH", os.pathsep.join([scripts, str(empty)]))
    assert report.command("check", "02") == "uv run flasklings check 02"
    # ...unless the venv is activated there too.
    monkeypatch.setenv("PATH", os.pathsep.join([scripts, str(on_path)]))
    assert report.command_prefix() == "flasklings"

    monkeypatch.setenv("FLASKLINGS_COMMAND", "  python -m flasklings ")
    assert report.command("hint", "01", 2) == "python -m flasklings hint 01 2"


def test_next_step_is_the_first_lesson_not_passed_in_course_order(tiny: Path):
    progress = Progress(tiny)
    progress.data["lessons"]["02_later"] = {"status": "pass", "failing_tasks": []}
    progress.save()
    assert "Next: lesson 01 · Tiny lesson" in flasklings(tiny).output
    solve(tiny)
    result = flasklings(tiny, "check", "01")
    assert result.exit_code == 0, result.output
    assert "check 02" not in result.output  # already passed: nothing to send the learner to
    assert "Every lesson written so far passes." in result.output
    assert "Coming later: 03 · Soon lesson." in result.output
    done = flasklings(tiny).output
    assert "Next:" not in done and "Every lesson written so far passes." in done


def test_planned_lessons_are_listed_as_coming_later(tiny: Path):
    for output in (flasklings(tiny).output, flasklings(tiny, "list").output):
        assert re.search(r"  03  Soon lesson +— +· coming later", output), output


@pytest.mark.parametrize(
    "args",
    [
        ("check", "3"),
        ("check", "03_soon"),
        ("watch", "soon"),
        ("hint", "03"),
        ("hint", "3", "1"),
        ("reset", "3"),
        ("backups", "3"),
        ("restore", "3"),
        ("solution", "3", "--force"),
    ],
)
def test_a_planned_lesson_is_not_written_yet(tiny: Path, args: tuple[str, ...]):
    result = flasklings(tiny, *args)
    assert result.exit_code == 2
    assert "lesson 03_soon (Soon lesson) is planned but not written yet" in result.output
    assert "the lessons so far are 01_tiny to 02_later" in result.output
    assert "`flasklings list` shows the lessons and those coming later" in result.output
    assert "Traceback" not in result.output and "Usage:" not in result.output
    assert isinstance(result.exception, SystemExit)


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
        process.stdin.close()  # end of input ends watch mode, file watching or not
        lines.extend(process.stdout)
        returncode = process.wait()
        watchdog.cancel()
    output = "".join(lines)
    assert "saved tiny.py: checking again" in output
    assert "All 2 checks pass" in output
    assert output.rstrip().endswith("End of input: watch mode stopped.")
    assert returncode == 0
