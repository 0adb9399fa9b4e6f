"""The isolated mode (`flasklings grade`, `check --isolated`): the learner's code runs in
bubblewrap with no network, read-only files, a hidden home folder and a private /tmp.

The sandboxed code below tries each thing and prints what happened; the checks still pass
(the solution is graded), and its printed output comes back with the results.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from flasklings import course as course_mod
from flasklings import isolation, runner
from flasklings.cli import main

ROOT = Path(__file__).resolve().parents[2]

# Under CI (.ci/run installs bubblewrap) a missing sandbox fails these tests instead.
needs_bwrap = pytest.mark.skipif(
    not isolation.available() and not os.environ.get("CI"),
    reason=f"no sandbox here: {isolation.problem()}",
)


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    """A learner's course folder: lesson 1 solved."""
    folder = tmp_path / "submission"
    shutil.copytree(ROOT / "solutions/01_hello", folder / "lessons/01_hello")
    return folder


PROBE = """
import socket
def _try(label, action):
    try:
        action()
        print(label, "allowed")
    except OSError as exc:
        print(label, "refused", type(exc).__name__)
_try("course-write", lambda: open({course!r}, "w").close())
_try("submission-write", lambda: open({mine!r}, "w").close())
_try("home-read", lambda: open({secret!r}).read())
_try("home-write", lambda: open({home_file!r}, "w").close())
_try("tmp-write", lambda: open("/tmp/flasklings-probe", "w").close())
_try("net", lambda: socket.create_connection(("192.0.2.1", 80), timeout=2))
print("interfaces", sorted(name for _, name in socket.if_nameindex()))
"""


@needs_bwrap
def test_the_sandbox_allows_only_its_private_temp_folder(submission: Path):
    loaded = course_mod.load(ROOT)
    secret = Path.home() / f".flasklings-secret-{uuid.uuid4().hex[:8]}"
    home_file = Path.home() / f".flasklings-written-{uuid.uuid4().hex[:8]}"
    secret.write_text("the instructor's token")
    hello = submission / "lessons/01_hello/hello.py"
    probe = PROBE.format(
        course=str(ROOT / "course-pwned.txt"),
        mine=str(submission / "pwned.txt"),
        secret=str(secret),
        home_file=str(home_file),
    )
    hello.write_text(hello.read_text() + probe)
    try:
        launch = isolation.launcher(ROOT, submission)
        target = submission / "lessons"
        result = runner.run_checks(loaded, loaded.find("01"), target, timeout=120, launch=launch)
    finally:
        secret.unlink()
    printed = "\n".join(t["output"] for t in result.tests)
    assert result.status == "pass", result.message or result.failures()
    assert "course-write refused OSError" in printed, printed
    assert "submission-write refused OSError" in printed
    assert "home-read refused FileNotFoundError" in printed  # the home folder is hidden
    assert "tmp-write allowed" in printed  # the private /tmp
    assert "net refused" in printed and "interfaces ['lo']" in printed
    assert not (ROOT / "course-pwned.txt").exists() and not (submission / "pwned.txt").exists()
    assert not home_file.exists(), "a write in the sandbox's home reached the real one"


@needs_bwrap
def test_grade_grades_a_submission_in_the_sandbox(submission: Path):
    done = CliRunner().invoke(
        main, ["--root", str(ROOT), "grade", str(submission), "--lesson", "01"]
    )
    assert done.exit_code == 0, done.output
    assert "All 15 checks pass" in done.output


@needs_bwrap
def test_a_forged_verdict_from_inside_the_sandbox_is_refused(submission: Path):
    hello = submission / "lessons/01_hello/hello.py"
    hello.write_text(hello.read_text() + "\nimport os\nos._exit(0)\n")
    args = ["--root", str(ROOT), "grade", str(submission), "--lesson", "01", "--json"]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 2, done.output
    assert "ended early" in done.output and "os._exit" in done.output


def test_without_a_sandbox_grade_says_why_and_how_to_go_on(submission: Path, monkeypatch):
    monkeypatch.setattr(isolation, "problem", lambda: "bwrap is not installed")
    done = CliRunner().invoke(
        main, ["--root", str(ROOT), "grade", str(submission), "--lesson", "01"]
    )
    assert done.exit_code == 2
    assert "Cannot grade in isolation: bwrap is not installed" in done.output
    assert "--no-isolation" in done.output
    weaker = ["--root", str(ROOT), "grade", str(submission), "--lesson", "01", "--no-isolation"]
    done = CliRunner().invoke(main, weaker)
    assert done.exit_code == 0, done.output
    assert "without isolation" in done.output


@needs_bwrap
def test_check_isolated_grades_the_learners_lesson(tmp_path: Path):
    root = tmp_path / "course"
    (root / "tests").mkdir(parents=True)
    shutil.copy(ROOT / "course.toml", root)
    shutil.copytree(ROOT / "tests/checkers", root / "tests/checkers")
    shutil.copytree(ROOT / "solutions/01_hello", root / "solutions/01_hello")
    shutil.copytree(ROOT / "solutions/01_hello", root / "lessons/01_hello")
    done = CliRunner().invoke(main, ["--root", str(root), "check", "01", "--isolated"])
    assert done.exit_code == 0, done.output
