"""Nothing the learner's code starts outlives a check, and relative paths stay out of the course.

The grader runs pytest in a process group of its own and ends the whole group when pytest ends,
normally or by timeout. Each case here grades a solved copy of lesson 1 that misbehaves.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
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
    assert not answers_for_long(port), f"a server still answers on {port}"


def answers_for_long(port: int, tries: int = 200) -> bool:
    """Whether something still listens on `port` after `tries` looks 10 ms apart. The grader's
    SIGKILL is sent when it returns, not yet acted on: a process it killed may be a few
    milliseconds from closing its socket (more when the check ends fast, its folder in memory)."""
    for _ in range(tries):
        with socket.socket() as client:
            if client.connect_ex(("127.0.0.1", port)) != 0:
                return False
        time.sleep(0.01)
    return True


def test_relative_paths_are_written_outside_the_course(solved: Path):
    name = f"flasklings-stray-{uuid.uuid4().hex[:8]}.txt"
    hello = solved / HELLO.slug / "hello.py"
    hello.write_text(hello.read_text() + f"\nopen({name!r}, 'w').close()\n")
    runner.run_checks(COURSE, HELLO, solved, timeout=60)
    assert not (ROOT / name).exists(), f"grading wrote {name} into the course folder"
    assert not (solved / name).exists()


# --- lesson 8: the checks start real Gunicorn servers -----------------------------------------

DEPLOY = COURSE.find("08")


def processes_marked(marker: str) -> list[str]:
    """Command lines of the processes whose command line or environment holds `marker`
    (Gunicorn's workers are forks of its master: same arguments, same environment)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes()
            environment = (proc / "environ").read_bytes()
        except OSError:  # gone, or not ours
            continue
        if marker.encode() in command or marker.encode() in environment:
            found.append(command.replace(b"\0", b" ").decode(errors="replace"))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="lists processes through /proc (Linux)")
@pytest.mark.parametrize("how", ["finished", "timed-out"])
def test_no_gunicorn_outlives_the_deploy_check(tmp_path: Path, how: str):
    """Every Gunicorn the lesson 8 checks start is gone afterwards, also when the grader's
    timeout kills the checks while Gunicorn runs (its groups are outside pytest's)."""
    lesson = tmp_path / DEPLOY.slug
    shutil.copytree(ROOT / "solutions" / DEPLOY.slug, lesson)
    timeout = 60.0
    if how == "timed-out":  # every request hangs: the grader's timeout ends the checks
        health = lesson / "invoicer" / "health.py"
        health.write_text(
            health.read_text().replace('    return {"status": "ok"}', "    time.sleep(600)")
            + "\nimport time\n"
        )
        timeout = 15.0  # shorter than the checker's wait for Gunicorn's first answer
    marker = str(lesson)
    seen: set[str] = set()
    with ThreadPoolExecutor(1) as pool:
        grading = pool.submit(runner.run_checks, COURSE, DEPLOY, tmp_path, timeout=timeout)
        while not grading.done():
            seen.update(p for p in processes_marked(marker) if "gunicorn" in p)
            time.sleep(0.05)
        result = grading.result()
    expected = "pass" if how == "finished" else "error"
    assert result.status == expected, f"{how}: {result.status}\n{result.failures()}"
    assert seen, "no Gunicorn was seen running during the check: the test proved nothing"
    deadline = time.monotonic() + 10  # the watchdog kills the groups once pytest is gone
    while (left := processes_marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"left running after the check ({how}): {left}"


# --- where a grading's temporary folder goes ------------------------------------------------


def test_a_grading_works_in_memory_on_linux_and_leaves_nothing_there(monkeypatch, tmp_path):
    memory = tmp_path / "shm"
    memory.mkdir()
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(runner.sys, "platform", "linux")
    monkeypatch.setattr(runner, "SHARED_MEMORY", memory)
    monkeypatch.setattr(runner, "SCRATCH_ROOM", 1)
    assert runner.scratch_folder() == str(memory)
    made = []
    real = runner.tempfile.TemporaryDirectory

    def recorded(*args, **kwargs):
        folder = real(*args, **kwargs)
        made.append(Path(folder.name))
        return folder

    monkeypatch.setattr(runner.tempfile, "TemporaryDirectory", recorded)
    result = runner.run_checks(COURSE, HELLO, target="solutions")
    assert result.status == "pass", result.message
    assert [folder.parent for folder in made] == [memory]
    assert list(memory.iterdir()) == []  # and removed once the grading was over


@pytest.mark.parametrize("case", ["TMPDIR set", "not Linux", "no folder", "too little room"])
def test_the_system_temporary_folder_is_used_otherwise(case, monkeypatch, tmp_path):
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(runner.sys, "platform", "linux")
    monkeypatch.setattr(runner, "SHARED_MEMORY", tmp_path)
    monkeypatch.setattr(runner, "SCRATCH_ROOM", 1)
    if case == "TMPDIR set":
        monkeypatch.setenv("TMPDIR", str(tmp_path))
    elif case == "not Linux":
        monkeypatch.setattr(runner.sys, "platform", "darwin")
    elif case == "no folder":
        monkeypatch.setattr(runner, "SHARED_MEMORY", tmp_path / "missing")
    else:
        monkeypatch.setattr(runner, "SCRATCH_ROOM", 2**80)
    assert runner.scratch_folder() is None
