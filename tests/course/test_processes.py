"""Nothing the learner's code starts outlives a check, and relative paths stay out of the course.

The grader runs pytest in a process group of its own and ends the whole group when pytest ends,
normally or by timeout. Each case here grades a solved copy of lesson 1 that misbehaves.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import uuid
from pathlib import Path

import pytest

from flasklings import course, runner

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
HELLO = COURSE.find("01")


def processes_with(marker: str) -> list[str]:
    listing = subprocess.run(
        ["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True
    ).stdout
    return [line for line in listing.splitlines() if marker in line]


@pytest.fixture
def solved(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "solutions" / HELLO.slug, tmp_path / HELLO.slug)
    return tmp_path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("how", ["popen", "daemon-double-fork"])
def test_no_process_started_at_import_survives_the_check(solved: Path, how: str):
    marker = f"flasklings-orphan-{uuid.uuid4().hex[:8]}"
    # A child, or a grandchild whose parent exits at once (a daemon's double fork): both stay
    # in the check's process group. (Code that leaves the group with setsid() can only be
    # contained by the isolated mode.)
    body = "import time; time.sleep(600)"
    if how == "daemon-double-fork":
        body = "import os, time\nif os.fork() == 0: time.sleep(600)"
    start = f"subprocess.Popen([sys.executable, '-c', {body!r}, {marker!r}])"
    hello = solved / HELLO.slug / "hello.py"
    hello.write_text(hello.read_text() + f"\nimport subprocess, sys\n{start}\n")
    runner.run_checks(COURSE, HELLO, solved, timeout=60)
    assert not processes_with(marker), f"left running after the check: {processes_with(marker)}"


def test_a_server_started_at_import_is_gone_after_the_check(solved: Path):
    port = free_port()
    hello = solved / HELLO.slug / "hello.py"
    hello.write_text(
        hello.read_text()
        + f"\nimport subprocess, sys\nsubprocess.Popen([sys.executable, '-m', 'http.server', "
        f"'{port}', '--bind', '127.0.0.1'])\n"
    )
    runner.run_checks(COURSE, HELLO, solved, timeout=60)
    with socket.socket() as client:
        assert client.connect_ex(("127.0.0.1", port)) != 0, f"a server still answers on {port}"


def test_relative_paths_are_written_outside_the_course(solved: Path):
    name = f"flasklings-stray-{uuid.uuid4().hex[:8]}.txt"
    hello = solved / HELLO.slug / "hello.py"
    hello.write_text(hello.read_text() + f"\nopen({name!r}, 'w').close()\n")
    runner.run_checks(COURSE, HELLO, solved, timeout=60)
    assert not (ROOT / name).exists(), f"grading wrote {name} into the course folder"
    assert not (solved / name).exists()
