"""The Windows way of ending what a check started, run here: no process groups, a psutil
tree walk instead (processes.GROUPS switched off, FLASKLINGS_WITHOUT_GROUPS for the checks'
own process). What only Windows itself can show runs in .github/workflows/laptops.yml.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from flasklings import course, processes, runner

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
HELLO = COURSE.find("01")
WAIT = 60.0  # seconds to wait for processes to start: a safety net, not a measurement


@pytest.fixture
def without_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASKLINGS_WITHOUT_GROUPS", "1")
    monkeypatch.setattr(processes, "GROUPS", False)


def running(marker: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if process.info["status"] != psutil.STATUS_ZOMBIE and marker in (
            process.info["cmdline"] or []
        ):
            found.append(process)
    return found


def wait_for(marker: str, count: int) -> None:
    deadline = time.monotonic() + WAIT
    while len(running(marker)) < count:
        assert time.monotonic() < deadline, f"{count} processes marked {marker} never started"
        time.sleep(0.05)


def sleeper(marker: str) -> str:
    """Python code that starts a process sleeping for ten minutes, marked in its command line."""
    return f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}])"


def test_without_groups_a_tree_kill_ends_children_and_grandchildren(without_groups):
    marker = f"flasklings-tree-{uuid.uuid4().hex[:8]}"
    child = f"import subprocess, sys, time\n{sleeper(marker)}\ntime.sleep(600)"
    parent = (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {child!r}, {marker!r}])\ntime.sleep(600)"
    )
    top = subprocess.Popen([sys.executable, "-c", parent, marker])  # in this test's group
    try:
        wait_for(marker, 3)
        processes.kill_tree(top.pid)
        top.wait(timeout=WAIT)
        assert not running(marker), [p.info["cmdline"] for p in running(marker)]
    finally:
        for process in [top, *running(marker)]:
            process.kill()


@pytest.fixture
def solved(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "solutions" / HELLO.slug, tmp_path / HELLO.slug)
    return tmp_path


def test_without_groups_what_the_code_started_ends_with_the_check(solved: Path, without_groups):
    marker = f"flasklings-started-{uuid.uuid4().hex[:8]}"
    hello = solved / HELLO.slug / "hello.py"
    hello.write_text(hello.read_text() + f"\nimport subprocess, sys\n{sleeper(marker)}\n")
    try:
        assert runner.run_checks(COURSE, HELLO, solved, timeout=120).status == "pass"
        assert not running(marker), "left running after the check"
    finally:
        for process in running(marker):
            process.kill()


def test_without_groups_a_timeout_ends_the_checks_and_what_they_started(
    solved: Path, without_groups
):
    marker = f"flasklings-hung-{uuid.uuid4().hex[:8]}"
    hello = solved / HELLO.slug / "hello.py"
    hang = f"\nimport subprocess, sys, time\n{sleeper(marker)}\ntime.sleep(600)\n"
    hello.write_text(hello.read_text() + hang)
    try:
        result = runner.run_checks(COURSE, HELLO, solved, timeout=10)
        assert result.status == "error" and "10" in (result.message or ""), result.message
        assert not running(marker), "left running after the timeout"
    finally:
        for process in running(marker):
            process.kill()
