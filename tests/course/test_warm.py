"""The warm grader (watch mode, check --all) gives the cold grader's verdicts, run after run.

Each test grades a copy of a course in tmp_path: the tiny two-lesson course, or lesson 1 of
the real one. Nothing here measures time; timeouts are safety nets, not assertions.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from flasklings import course as course_mod
from flasklings import report, runner, warm, warm_server
from flasklings.cli import main

ROOT = Path(__file__).resolve().parents[2]
TINY = Path(__file__).parent / "data" / "tiny_course"
SOLVED = (TINY / "solutions/01_tiny/tiny.py").read_text()

pytestmark = pytest.mark.skipif(not warm.available(), reason="the warm grader needs os.fork")


@pytest.fixture
def tiny(tmp_path: Path) -> course_mod.Course:
    shutil.copytree(TINY, tmp_path / "course")
    return course_mod.load(tmp_path / "course")


@pytest.fixture
def worker(tiny: course_mod.Course):
    with warm.WarmWorker(tiny) as started:
        yield started


def write(course: course_mod.Course, name: str, text: str) -> Path:
    path = course.root / "lessons/01_tiny" / name
    path.write_text(text)
    return path


def grade(course: course_mod.Course, worker: warm.WarmWorker | None, **options):
    launch = worker.launch if worker else None
    return runner.run_checks(course, course.lessons[0], launch=launch, **options)


def results(result: runner.CheckResult) -> dict:
    return json.loads(report.results_json(result))


@pytest.fixture
def hello(tmp_path: Path) -> course_mod.Course:
    """Lesson 1 of the real course, its starter in lessons/, in a folder of its own."""
    root = tmp_path / "course"
    (root / "tests").mkdir(parents=True)
    shutil.copy(ROOT / "course.toml", root)
    shutil.copytree(ROOT / "tests/checkers", root / "tests/checkers")
    shutil.copytree(ROOT / "solutions/01_hello", root / "solutions/01_hello")
    shutil.copytree(ROOT / "lessons/01_hello", root / "lessons/01_hello")
    return course_mod.load(root)


@pytest.mark.parametrize("target", ["solutions", "lessons"])
def test_warm_and_cold_give_the_same_results(hello: course_mod.Course, target: str):
    lesson = hello.lessons[0]
    cold = runner.run_checks(hello, lesson, target=target)
    with warm.WarmWorker(hello) as worker:
        warmed = runner.run_checks(hello, lesson, target=target, launch=worker.launch)
    assert cold.status == ("pass" if target == "solutions" else "fail"), cold.message
    assert results(warmed) == results(cold)
    assert warmed.tests == cold.tests  # task numbers and docstrings too, not only the JSON


def test_a_changed_file_is_read_again(tiny: course_mod.Course, worker: warm.WarmWorker):
    assert grade(tiny, worker).status == "fail"
    write(tiny, "tiny.py", SOLVED)
    assert grade(tiny, worker).status == "pass"


def test_a_deleted_module_is_gone_in_the_next_run(tiny: course_mod.Course, worker):
    helper = write(tiny, "helper.py", 'WORD = "hi"\n')
    write(tiny, "tiny.py", SOLVED.replace('return "hi"', "return helper.WORD") + "import helper\n")
    assert grade(tiny, worker).status == "pass"
    helper.unlink()
    result = grade(tiny, worker)
    assert result.status == "error"
    assert "ModuleNotFoundError" in result.message and "'helper'" in result.message


def test_module_state_changed_by_one_run_is_fresh_in_the_next(tiny: course_mod.Course, worker):
    # A library module (json, already imported by the worker) counts the imports of tiny.py;
    # each check imports it afresh, so the first check of a run must see a count of 1.
    code = SOLVED.replace('return "hi"', 'return "hi" if json.tiny_runs == 1 else "stale"')
    count = "import json\njson.tiny_runs = getattr(json, 'tiny_runs', 0) + 1\n"
    write(tiny, "tiny.py", count + code)
    for _ in range(2):
        result = grade(tiny, worker)
        assert result.status == "pass", results(result)


def test_learner_code_reads_no_stdin(tiny: course_mod.Course, worker: warm.WarmWorker):
    # Reading the worker's own input would take its requests (or wait for ever).
    code = SOLVED.replace('return "hi"', 'return "hi" if STDIN == b"" else repr(STDIN)')
    write(tiny, "tiny.py", "import os\nSTDIN = os.read(0, 64)\n" + code)
    result = grade(tiny, worker, timeout=20)
    assert result.status == "pass", result.message or results(result)
    assert grade(tiny, worker, timeout=20).status == "pass"  # and the worker still answers


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z")


HANG = """import os, subprocess
sleeper = subprocess.Popen(["sleep", "600"])
with open(os.environ["TINY_PIDS"], "w") as out:
    out.write(f"{os.getpid()} {sleeper.pid}")
while True: pass  # one line: the stack dump names line 5 whichever bytecode it stops on
"""


@pytest.mark.skipif(not shutil.which("sleep"), reason="needs the sleep command")
def test_an_endless_loop_is_diagnosed_as_cold_and_its_process_group_ended(
    tiny: course_mod.Course, worker: warm.WarmWorker, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("TINY_PIDS", str(tmp_path / "pids"))
    write(tiny, "tiny.py", HANG + SOLVED)
    # 8 s: enough for a cold start on a busy machine to reach its stack dump, 1 s early.
    warmed = grade(tiny, worker, timeout=8)
    pids = [int(pid) for pid in (tmp_path / "pids").read_text().split()]
    cold = grade(tiny, None, timeout=8)
    assert warmed.status == "error"
    assert "did not finish within 8 s" in warmed.message
    assert "lessons/01_tiny/tiny.py:5" in warmed.message  # the line that was running
    # A cold start on a busy machine can use up the second before the timeout in which the
    # stack is dumped; then only the line that was running is missing from its diagnosis.
    running = "\nYour code was still running at lessons/01_tiny/tiny.py:5\n    while True: pass"
    assert running in warmed.message
    expected = cold.message if running in cold.message else warmed.message.replace(running, "")
    assert cold.message == expected
    deadline = time.monotonic() + 30  # a bound on waiting, not a measurement
    while any(map(_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, pids)), "the check's process group outlived the timeout"
    write(tiny, "tiny.py", SOLVED)
    assert grade(tiny, worker).status == "pass"  # the worker goes on after a timeout


STARTS_A_SLEEPER = """import os, subprocess
sleeper = subprocess.Popen(["sleep", "600"])
with open(os.environ["TINY_PIDS"], "w") as out:
    out.write(str(sleeper.pid))
"""


@pytest.mark.skipif(not shutil.which("sleep"), reason="needs the sleep command")
def test_a_process_the_code_started_is_ended_with_the_check(
    tiny: course_mod.Course, worker: warm.WarmWorker, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("TINY_PIDS", str(tmp_path / "pids"))
    write(tiny, "tiny.py", STARTS_A_SLEEPER + SOLVED)
    assert grade(tiny, worker).status == "pass"
    sleeper = int((tmp_path / "pids").read_text())
    deadline = time.monotonic() + 30  # a bound on waiting, not a measurement
    while _alive(sleeper) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(sleeper), "a process started by the learner's code outlived the check"


def test_nothing_is_written_into_the_graded_folder(hello: course_mod.Course):
    folder = hello.root / "solutions/01_hello"
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    with warm.WarmWorker(hello) as worker:
        for _ in range(2):
            result = runner.run_checks(hello, hello.lessons[0], "solutions", launch=worker.launch)
            assert result.status == "pass", result.message
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before


def test_the_worker_never_imports_a_learner_module(tiny: course_mod.Course, monkeypatch):
    folder = tiny.root / "lessons/01_tiny"
    monkeypatch.syspath_prepend(str(folder))
    assert not warm_server._is_library("tiny", tiny.root)
    assert not warm_server._is_library("test_01_tiny", tiny.root)
    assert warm_server._is_library("flask", tiny.root)
    assert warm_server._is_library("json", tiny.root)
    assert "flask" in warm.preload_names(tiny) and "flasklings.checks" in warm.preload_names(tiny)


def test_a_worker_that_stopped_falls_back_to_cold(tiny: course_mod.Course, worker):
    write(tiny, "tiny.py", SOLVED)
    assert grade(tiny, worker).status == "pass"
    worker._process.kill()
    worker._process.wait()
    assert grade(tiny, worker).status == "pass"


def test_without_fork_the_cold_path_grades(tiny: course_mod.Course, monkeypatch):
    monkeypatch.delattr(os, "fork")  # as on Windows
    assert not warm.available()

    def no_worker(*args, **kwargs):
        raise AssertionError("a warm worker was started without os.fork")

    monkeypatch.setattr(warm, "WarmWorker", no_worker)
    write(tiny, "tiny.py", SOLVED)
    with warm.grader(tiny) as grade_lesson:
        assert grade_lesson(tiny.lessons[0]).status == "pass"


def test_cold_is_used_when_asked(tiny: course_mod.Course, monkeypatch):
    monkeypatch.setattr(warm, "WarmWorker", lambda course: pytest.fail("no worker for --cold"))
    result = CliRunner().invoke(
        main, ["--root", str(tiny.root), "watch", "01", "--manual", "--cold"], input=""
    )
    assert result.exit_code == 0, result.output
    assert "End of input: watch mode stopped." in result.output


@pytest.fixture
def solved_course(tmp_path: Path) -> Path:
    """Every lesson of the real course with its reference solution."""
    root = tmp_path / "course"
    (root / "tests").mkdir(parents=True)
    shutil.copy(ROOT / "course.toml", root)
    shutil.copytree(ROOT / "tests/checkers", root / "tests/checkers")
    shutil.copytree(ROOT / "tests/mutants", root / "tests/mutants")  # lessons 9-10: bugs.toml
    shutil.copytree(ROOT / "solutions", root / "solutions")
    return root


def test_check_all_grades_every_lesson_of_the_solutions(solved_course: Path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    lessons = course_mod.load(solved_course).lessons
    args = ["--root", str(solved_course), "check", "--all", "--target", "solutions"]
    table = CliRunner().invoke(main, args)
    assert table.exit_code == 0, table.output
    for lesson in lessons:
        assert f"  {lesson.number:02d}  {lesson.title}" in table.output
    assert table.output.count("✓ passed") == len(lessons)
    assert f"{len(lessons)} of {len(lessons)} lessons pass." in table.output
    listed = CliRunner().invoke(main, [*args, "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert [entry["lesson"] for entry in data] == [lesson.slug for lesson in lessons]
    assert all(entry["version"] == 3 and entry["status"] == "pass" for entry in data)


def test_check_all_exits_with_the_worst_status_and_names_the_lessons_to_fix(tiny):
    result = CliRunner().invoke(main, ["--root", str(tiny.root), "check", "--all"])
    assert result.exit_code == 2, result.output  # 02_later has no checker: could not grade
    assert "0/2  ✗ failing (tasks 1, 2)" in result.output
    assert "✗ could not grade: The checker" in result.output
    assert "0 of 2 lessons pass." in result.output
    assert "check 01` shows what to fix in lesson 01" in result.output


@pytest.mark.parametrize("extra", [["01"], ["--junit-xml", "out.xml"]])
def test_check_all_takes_no_lesson_and_no_junit(tiny: course_mod.Course, extra: list[str]):
    result = CliRunner().invoke(main, ["--root", str(tiny.root), "check", "--all", *extra])
    assert result.exit_code == 2
    assert "Usage:" in result.output
