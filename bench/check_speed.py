"""How fast does flasklings give a verdict? Prints figures; asserts nothing.

On a copy of the course whose lessons/ hold the reference solutions (so every check runs to
the end), for every lesson in course.toml, the median wall time over RUNS runs (after one
warm-up) of
  cold   `flasklings check NN`: a new Python process per check;
  warm   `flasklings watch NN`: from saving a lesson file to the verdict being printed;
then `flasklings check --all` once per run, and the baseline measured in the same run: bare
`python -m pytest` on a one-test Flask file, plugin autoloading off. With uv on PATH, it also
times `uv run --no-sync` against the venv's script, and `uv --version` alone (a pyenv shim
in front of uv costs more than uv itself). Plain `uv run` is not timed: it first syncs the
environment to uv.lock and .python-version, which a benchmark must not do.

Budgets, on a quiet 2-core machine: warm ≤ 0.25 s and cold ≤ 1 s for lessons 1-7;
`check --all` ≤ 10 s for ten lessons. The load average is printed with the figures: numbers
taken on a busy machine only show the ratios, and must be measured again on a quiet one.

    .venv/bin/python bench/check_speed.py [--runs N] [--lessons 01 03]
"""

from __future__ import annotations

import argparse
import os
import queue
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from flasklings import course as course_mod
from flasklings import runner, warm

ROOT = Path(__file__).resolve().parents[1]

ONE_TEST = """from flask import Flask


def test_one():
    app = Flask(__name__)
    assert app.test_client().get("/").status_code == 404
"""
BUDGET_LESSONS = range(1, 8)  # the warm budget holds for lessons 1-7
WARM_BUDGET, COLD_BUDGET, ALL_BUDGET = 0.25, 1.0, 10.0
# Cold budgets of the lessons that start Gunicorn (8, 10) or grade a test suite (9).
COLD_BUDGETS = {8: 3.0, 9: 5.0, 10: 3.0}
END_OF_VERDICT = "re-check"  # the last line watch prints after each verdict
QUIET = {**os.environ, "NO_COLOR": "1", "FLASKLINGS_COMMAND": "flasklings"}


def median_seconds(command: list[str], cwd: Path, runs: int, env: dict | None = None) -> float:
    return median_wall_and_cpu(command, cwd, runs, env)[0]


def median_wall_and_cpu(
    command: list[str], cwd: Path, runs: int, env: dict | None = None
) -> tuple[float, float]:
    """Median wall time, and median CPU time of the command and the processes it waited for."""
    subprocess.run(command, cwd=cwd, env=env, capture_output=True)  # warm-up
    times, cpu = [], []
    for _ in range(runs):
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}")
    return statistics.median(times), statistics.median(cpu)


def warm_cpu(worker: warm.WarmWorker, course: Path, lesson: course_mod.Lesson, runs: int) -> float:
    """Median CPU seconds of the warm worker's child for one check (the whole verdict's work
    but for watch noticing the save and printing)."""
    loaded = course_mod.load(course)
    cpu = []
    for _ in range(runs + 1):
        result = runner.run_checks(loaded, lesson, launch=worker.launch)
        if result.status != "pass":
            sys.exit(f"{lesson.slug} did not pass warm: {result.message}")
        cpu.append(worker.last_cpu)
    return statistics.median(cpu[1:])


def watch_seconds(flasklings: str, course: Path, slug: str, runs: int) -> float:
    """Median time from saving a file of the lesson to watch printing the whole verdict."""
    saved = sorted((course / "lessons" / slug).rglob("*.py"))[0]
    command = [flasklings, "--root", str(course), "watch", slug.split("_")[0]]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=QUIET,
    )  # fmt: skip
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True).start()

    def verdict() -> str:
        seen = []
        while END_OF_VERDICT not in (line := lines.get(timeout=120)):
            seen.append(line)
        return "".join(seen)

    try:
        verdict()  # the first check, which also starts the warm worker
        times = []
        for _ in range(runs + 1):
            time.sleep(0.5)  # let the watcher settle, so each save is an event of its own
            start = time.perf_counter()
            saved.write_bytes(saved.read_bytes())
            shown = verdict()
            times.append(time.perf_counter() - start)
            if "checks pass" not in shown:
                sys.exit(f"watch {slug} did not pass:\n{shown}")
        return statistics.median(times[1:])  # the first save is the warm-up
    finally:
        process.stdin.close()
        process.wait(timeout=60)


def course_with_solutions(folder: Path) -> Path:
    for name in ("course.toml", "pyproject.toml", "conftest.py"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "tests" / "checkers", folder / "tests" / "checkers")
    # Lessons 9 and 10 grade the learner's suite against the bugs listed there.
    shutil.copytree(ROOT / "tests" / "mutants", folder / "tests" / "mutants")
    shutil.copytree(ROOT / "solutions", folder / "solutions")
    shutil.copytree(ROOT / "solutions", folder / "lessons")
    return folder


def load() -> str:
    """The load average, and how fast this machine is right now: the CPU seconds of a fixed
    pure-Python loop. On a shared virtual machine the second can double with no load in sight,
    and every figure below moves with it."""
    average = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"{average}; a fixed loop took {loop_seconds():.2f} CPU-s"


def loop_seconds() -> float:
    """CPU seconds for ten million additions in Python (about 0.85 s at this machine's best)."""
    start = time.process_time()
    total = 0
    for number in range(10_000_000):
        total += number
    return time.process_time() - start


def verdict(lesson: course_mod.Lesson, cold: float, warm: float) -> str:
    cold_budget = COLD_BUDGETS.get(lesson.number, COLD_BUDGET)
    over = [f"cold > {cold_budget:g} s"] * (cold > cold_budget)
    if lesson.number in BUDGET_LESSONS:
        over += [f"warm > {WARM_BUDGET:g} s"] * (warm > WARM_BUDGET)
    return "OVER: " + ", ".join(over) if over else "ok"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lessons", nargs="*", help="only these lessons (default: all)")
    options = parser.parse_args()
    runs = options.runs
    flasklings = str(Path(sys.executable).with_name("flasklings"))
    lessons = course_mod.load(ROOT).lessons
    if options.lessons:
        lessons = tuple(x for x in lessons if x.slug[:2] in [n.zfill(2) for n in options.lessons])
    print(f"load average before: {load()}  ({os.cpu_count()} cores, median of {runs} runs)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as base_dir:
        course = course_with_solutions(Path(tmp))
        with warm.WarmWorker(course_mod.load(course)) as worker:
            for lesson in lessons:
                n = f"{lesson.number:02d}"
                check = [flasklings, "--root", tmp, "check", n]
                cold, cold_cpu = median_wall_and_cpu(check, course, runs, QUIET)
                watched = watch_seconds(flasklings, course, lesson.slug, runs)
                rows.append(
                    (lesson, cold, cold_cpu, watched, warm_cpu(worker, course, lesson, runs))
                )
        every = median_seconds([flasklings, "--root", tmp, "check", "--all"], course, runs, QUIET)
        uv = shutil.which("uv")
        if uv:
            check_01 = ["--root", tmp, "check", "01"]
            direct = median_seconds([flasklings, *check_01], course, runs, QUIET)
            via_uv = [uv, "run", "--no-sync", "--project", str(ROOT), "flasklings", *check_01]
            uv_run = median_seconds(via_uv, course, runs, QUIET)
            uv_alone = median_seconds([uv, "--version"], course, runs)
        base = Path(base_dir)  # apart from the course, so no pytest config applies to it
        (base / "test_one.py").write_text(ONE_TEST)
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"]
        baseline, base_cpu = median_wall_and_cpu(command, base, runs, env)
    print(f"load average after:  {load()}")
    print(f"baseline: python -m pytest, one Flask test   {baseline:6.3f} s, cpu {base_cpu:.2f} s")
    print("wall: median wall time; cpu: median CPU time (moved by the host's speed, not the load)")
    header = (
        f"{'cold check':>10} {'× base':>7} {'cpu':>7} {'warm watch':>11} {'× base':>7} {'cpu':>7}"
    )
    print(f"{'lesson':<16} {header}  budget (wall)")
    for lesson, cold, cold_cpu, watched, child_cpu in rows:
        print(
            f"{lesson.slug:<16} {cold:8.3f} s {cold / baseline:7.2f} {cold_cpu:5.2f} s "
            f"{watched:9.3f} s {watched / baseline:7.2f} {child_cpu:5.2f} s  "
            f"{verdict(lesson, cold, watched)}"
        )
    graded = len(course_mod.load(ROOT).lessons)
    per_ten = every * 10 / graded
    print(
        f"check --all ({graded} lessons)  {every:6.3f} s"
        f"  (≈ {per_ten:.1f} s for ten; budget {ALL_BUDGET:g} s)"
    )
    if uv:
        print(
            f"uv run --no-sync … check 01  {uv_run:6.3f} s; the venv's script {direct:6.3f} s: "
            f"uv adds {uv_run - direct:+.3f} s, of which {uv_alone:.3f} s is starting "
            f"{uv} itself (uv --version)"
        )


if __name__ == "__main__":
    main()
