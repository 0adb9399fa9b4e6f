"""A grade the learner's code cannot write: forged results, patched reporting and runs that end
early are errors, never a pass, on the cold and the warm path.

Each case adds code to hello.py of lesson 1 in a copy of the course (the starter, whose checks
fail, or the solution) and grades it the way `flasklings check` does.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import pytest

from flasklings import channel, limits, runner, warm
from flasklings import course as course_mod

ROOT = Path(__file__).resolve().parents[2]
HELLO = "lessons/01_hello/hello.py"


@pytest.fixture(params=["cold", "warm"])
def grade(request: pytest.FixtureRequest, tmp_path: Path):
    """grade(code, solved=False) -> CheckResult: hello.py (starter or solution) + code."""
    if request.param == "warm" and not warm.available():
        pytest.skip("the warm grader needs os.fork")
    root = tmp_path / "course"
    (root / "tests").mkdir(parents=True)
    shutil.copy(ROOT / "course.toml", root)
    shutil.copytree(ROOT / "tests/checkers", root / "tests/checkers")
    shutil.copytree(ROOT / "solutions/01_hello", root / "solutions/01_hello")
    loaded = course_mod.load(root)
    worker = warm.WarmWorker(loaded) if request.param == "warm" else None
    request.addfinalizer(lambda: worker and worker.close())

    def _grade(code: str, solved: bool = False) -> runner.CheckResult:
        source = "solutions" if solved else "lessons"
        folder = root / "lessons/01_hello"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(ROOT / source / "01_hello", folder)
        hello = root / HELLO
        hello.write_text(hello.read_text() + code)
        launch = worker.launch if worker else None
        return runner.run_checks(loaded, loaded.lessons[0], launch=launch, timeout=60)

    _grade.root = root
    return _grade


def line_of(root: Path, text: str) -> int:
    lines = (root / HELLO).read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def test_the_solution_still_passes_and_the_starter_still_fails(grade):
    assert grade("", solved=True).status == "pass"
    assert grade("").status == "fail"


# The exploit from issue 14: the report path from sys.argv, every task "passed", os._exit(0).
ISSUE_14 = """
import json, os, sys
rep = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--flasklings-report=")][0]
json.dump({"tests": [{"name": "t", "doc": "all good", "task": t, "status": "pass",
  "message": None, "learner_error": None, "output": ""} for t in (1, 2, 3)],
  "collect_errors": []}, open(rep, "w"))
os._exit(0)
"""


def test_the_issue_14_exploit_finds_no_report_to_forge(grade):
    result = grade(ISSUE_14)
    assert result.status == "error"
    assert "IndexError" in result.message  # nothing in sys.argv names a report


# Every open pipe gets a full, well-formed but unsigned run: each check of the checker file
# "passed", then the end marker; then the process ends before the real checks can speak.
FORGE_EVERY_PIPE = """
import ast, json, os, stat
_names = [n.name for n in ast.parse(open("{checker}").read()).body
          if getattr(n, "name", "").startswith("test_")]
_tests = [{{"id": f"tests/checkers/test_01_hello.py::{{n}}", "name": n, "doc": n, "task": 1,
            "status": "pass", "message": None, "learner_error": None, "output": ""}}
          for n in _names]
_run = [("collected", [t["id"] for t in _tests]), ("report", {{"tests": _tests,
        "collect_errors": [], "notes": {{}}}}), ("end", 0)]
_lines = "".join("0" * 64 + " " + json.dumps({{"seq": i, "kind": k, "body": b}}) + "\\n"
                 for i, (k, b) in enumerate(_run))
for _fd in range(3, 64):
    try:
        if stat.S_ISFIFO(os.fstat(_fd).st_mode):
            os.write(_fd, _lines.encode())
    except OSError:
        pass
os._exit(0)
"""


def test_a_forged_report_with_every_check_is_refused(grade):
    checker = ROOT / "tests/checkers/test_01_hello.py"
    result = grade(FORGE_EVERY_PIPE.format(checker=checker), solved=True)
    assert result.status == "error"
    assert "a message the checks did not send" in result.message


# Patching the plugin at import: turn every failure into a pass.
PATCH_DESCRIBE = """
import flasklings.plugin as _plugin
_plugin._describe = lambda item, call: ("pass", None, None)
"""

# ... or rewrite every result as passed just before the report is sent.
PATCH_REPORT = """
import flasklings.plugin as _plugin
def _all_passed(session, tests):
    for test in tests:
        test.update(status="pass", message=None, learner_error=None)
    return {}
_plugin._notes = _all_passed
"""


def test_patching_how_a_check_is_described_cannot_pass_it(grade):
    result = grade(PATCH_DESCRIBE)
    assert result.status == "fail", result.message
    assert sum(t["status"] == "pass" for t in result.tests) < len(result.tests)


def test_rewriting_the_results_disagrees_with_pytest_and_is_an_error(grade):
    result = grade(PATCH_REPORT)
    assert result.status == "error"
    assert "pytest ended with exit status 1: they disagree" in result.message


# "Deleting the report": close every pipe the process holds, so nothing more can be sent.
CLOSE_THE_PIPES = """
import os, stat
for _fd in range(3, 64):
    try:
        if stat.S_ISFIFO(os.fstat(_fd).st_mode):
            os.close(_fd)
    except OSError:
        pass
"""


def test_closing_the_channel_is_an_error(grade):
    result = grade(CLOSE_THE_PIPES, solved=True)
    assert result.status == "error"
    assert "ended early" in result.message


def test_os_exit_at_import_is_an_error_that_names_the_line(grade):
    result = grade("\nimport os\nos._exit(0)\n", solved=True)
    assert result.status == "error"
    line = line_of(grade.root, "os._exit(0)")
    assert "The checks ended early (exit status 0) during the check test_" in result.message
    assert f"lessons/01_hello/hello.py:{line} ends the process at once (os._exit)" in (
        result.message
    )
    assert "uv sync" not in result.message


def test_os_exit_with_a_status_is_an_error_too(grade):
    result = grade("\nimport os\nos._exit(3)\n", solved=True)
    assert result.status == "error"
    assert "(exit status 3)" in result.message and "os._exit" in result.message


def test_sys_exit_at_import_fails_and_names_the_line(grade):
    result = grade("\nimport sys\nsys.exit(0)\n", solved=True)
    assert result.status != "pass"
    line = line_of(grade.root, "sys.exit(0)")
    assert f"hello.py:{line}" in (result.message or result.failures())
    assert "SystemExit" in (result.message or result.failures())


def test_keyboard_interrupt_at_import_names_the_line_not_internals(grade):
    result = grade("\nraise KeyboardInterrupt\n", solved=True)
    assert result.status == "error"
    line = line_of(grade.root, "raise KeyboardInterrupt")
    assert "Your code raised KeyboardInterrupt" in result.message
    assert f"lessons/01_hello/hello.py:{line}, in <module>" in result.message
    assert "_pytest" not in result.message and "uv sync" not in result.message


RECORD = """
import json, os, sys
with open({path!r}, "w") as _out:
    json.dump({{"argv": sys.argv, "env": dict(os.environ)}}, _out)
"""


def test_the_channel_is_not_named_in_argv_or_the_environment(grade, tmp_path, monkeypatch):
    key = bytes(range(32))
    monkeypatch.setattr(channel, "new_key", lambda: key)
    seen = tmp_path / "seen.json"
    assert grade(RECORD.format(path=str(seen)), solved=True).status == "pass"
    text = seen.read_text()
    assert key.hex() not in text
    assert "flasklings-report" not in text  # no results file is named either


def test_only_messages_signed_with_the_runs_key_are_accepted():
    read_end, write_end = os.pipe()
    channel.Sender(write_end, b"another key").send("end", 0)
    forged = channel.Receiver()
    forged.feed(os.read(read_end, 4096))
    with pytest.raises(channel.Forged):
        forged.messages()
    genuine = channel.Receiver()
    channel.Sender(write_end, genuine.key).send("end", 0)
    genuine.feed(os.read(read_end, 4096))
    assert genuine.messages() == [{"seq": 0, "kind": "end", "body": 0}]
    os.close(read_end)
    os.close(write_end)


# --- nothing left behind -------------------------------------------------------------------


def test_a_server_started_at_import_is_gone_after_a_normal_check(grade):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = (
        "\nimport subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-m', 'http.server', '{port}', '--bind', "
        "'127.0.0.1'])\n"
    )
    result = grade(code, solved=True)
    assert result.status == "pass", result.message or result.failures()
    deadline = time.monotonic() + 10  # a bound on waiting for the kill, not a measurement
    while time.monotonic() < deadline:
        with socket.socket() as client:
            if client.connect_ex(("127.0.0.1", port)) != 0:
                break
        time.sleep(0.1)
    with socket.socket() as client:
        assert client.connect_ex(("127.0.0.1", port)) != 0, f"a server still answers on {port}"


# --- bounded resources: small, safe versions of a runaway ------------------------------------

ALLOCATE = """
import resource
_soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
if _soft == resource.RLIM_INFINITY or _soft > 3 * 2**30:
    raise RuntimeError("no memory limit in place: not allocating")
_big = bytearray(20 * 2**30)
"""


@pytest.mark.skipif(limits.resource is None, reason="resource limits need the resource module")
def test_a_20_gb_allocation_fails_at_once_with_a_diagnosis(grade, monkeypatch):
    monkeypatch.setenv(limits.MEMORY_VARIABLE, "3")
    result = grade(ALLOCATE, solved=True)
    assert result.status == "error"
    assert "Importing hello raised MemoryError" in result.message
    assert "more memory than the grader allows (3 GiB of memory per process" in result.message


FORK = """
import os, time
for _ in range(100):  # bounded: the limit below stops it after a few
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
@pytest.mark.skipif(os.name != "posix" or os.getuid() == 0, reason="RLIMIT_NPROC ignores root")
def test_a_fork_loop_meets_the_process_limit_with_a_diagnosis(grade, monkeypatch):
    monkeypatch.setenv(limits.PROCESS_VARIABLE, str(limits._user_processes() + 30))
    result = grade(FORK, solved=True)
    assert result.status == "error"
    assert "BlockingIOError" in result.message
    assert "more processes than the grader allows" in result.message


def test_the_limits_leave_room_for_real_lessons():
    chosen = limits.settings()
    assert chosen["memory"] >= 4 * limits.GIB and chosen["cpu"] >= 300
