"""The cold path's pytest leaves without tearing its interpreter down (flasklings.quick_exit):
what a program can see of Python's exit must not change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flasklings import runner

# A check file that leaves work for the exit: a thread that is not a daemon, and an atexit
# function. Each notes in order.txt when it ran.
CHECKS = """
import atexit, threading, time
from pathlib import Path

ORDER = Path("order.txt")


def note(what):
    with ORDER.open("a") as order:
        order.write(what + "\\n")


def late_thread():
    time.sleep(0.3)
    note("thread")


threading.Thread(target=late_thread).start()
atexit.register(note, "atexit")


def test_one():
    assert OUTCOME
"""


def run(tmp_path: Path, outcome: str, *extra: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_leaving.py").write_text(CHECKS.replace("OUTCOME", outcome))
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-m", "pytest", "-p", "flasklings.quick_exit"]
    command += ["-p", "no:cacheprovider", "-q", *extra]
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("outcome", "status", "summary"), [("True", 0, "1 passed"), ("False", 1, "1 failed")]
)
def test_pytest_status_output_threads_and_atexit_are_kept(tmp_path, outcome, status, summary):
    done = run(tmp_path, outcome, "test_leaving.py")
    assert done.returncode == status, done.stdout + done.stderr
    assert summary in done.stdout, done.stdout  # the last lines pytest printed got out
    # As at Python's own exit: the thread finishes first, then the atexit functions run.
    assert (tmp_path / "order.txt").read_text().split() == ["thread", "atexit"]


def test_no_tests_and_usage_errors_keep_their_status(tmp_path):
    assert run(tmp_path, "True", "-k", "nothing_matches").returncode == 5
    usage = run(tmp_path, "True", "--no-such-option")
    assert usage.returncode == 4, usage.stdout + usage.stderr
    assert "--no-such-option" in usage.stderr


def test_the_cold_path_loads_it(monkeypatch, tmp_path):
    """(The warm worker and the browser run pytest inside a process that must go on: their
    own tests would hang or fail if it were loaded there.)"""
    seen = []

    class Stop(Exception):
        pass

    def popen(command, **kwargs):
        seen.append(command)
        raise Stop

    monkeypatch.setattr(runner.subprocess, "Popen", popen)
    with pytest.raises(Stop):
        runner.run_pytest(["-q"], dict(os.environ), tmp_path, None, 1.0, None)
    assert seen[0][seen[0].index("-m") :][:4] == ["-m", "pytest", "-p", "flasklings.quick_exit"]
