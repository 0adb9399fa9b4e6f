"""How long does `flasklings grade` take for a class? Prints figures; asserts nothing.

Builds a synthetic class in a temporary folder: LEARNERS course folders (default 30), each at
its own point of the course. Learner i is working on lesson (i mod 10) + 1: the lessons before
it hold the reference solution, that lesson holds one of its known-wrong variants (a mutant
from tests/mutants/NN_slug/mutants.toml, a different one per learner), and the lessons after it
the untouched starter. Then it grades the whole class with `--no-isolation` (the warm worker)
and in the sandbox (bubblewrap, one cold pytest per run), printing wall and CPU time (the
grader and everything it started), how many lesson folders were graded (the rest share a
verdict) and the load average: figures from a busy machine show ratios, not budgets.

Goal: 30 learners x 10 lessons within 3 minutes on a 2-core machine.

    .venv/bin/python bench/class_speed.py [--learners 30] [--mode plain sandbox]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flasklings import course as course_mod
from flasklings import isolation, mutants

ROOT = Path(__file__).resolve().parents[1]
MODES = {"plain": ["--no-isolation"], "sandbox": []}


def build_class(folder: Path, learners: int) -> list[Path]:
    """LEARNERS course folders at different points of the course (see the module's text)."""
    course = course_mod.load(ROOT)
    lessons = course.lessons
    made = []
    for i in range(learners):
        learner = folder / f"learner{i + 1:02d}" / "lessons"
        working = i % len(lessons)
        for n, lesson in enumerate(lessons):
            if n < working:
                shutil.copytree(course.lesson_dir(lesson, "solutions"), learner / lesson.slug)
            elif n > working:
                shutil.copytree(course.lesson_dir(lesson), learner / lesson.slug)
            else:
                found = mutants.load(ROOT / "tests/mutants" / lesson.slug / "mutants.toml")
                wrong = found[(i // len(lessons) * 7) % len(found)]  # spread over the file
                solution = course.lesson_dir(lesson, "solutions")
                mutants.apply(wrong, solution, learner / lesson.slug)
        made.append(learner.parent)
    return made


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def grade(folders: list[Path], options: list[str], out: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds of one `flasklings grade` of the class, and what it printed."""
    command = [sys.executable, "-m", "flasklings", "--root", str(ROOT), "grade"]
    command += [*map(str, folders), *options, "--out", str(out)]
    env = {**os.environ, "NO_COLOR": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout + done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--mode", nargs="+", choices=list(MODES), default=list(MODES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="flasklings-class-bench-") as tmp:
        folders = build_class(Path(tmp) / "class", args.learners)
        lessons = len(course_mod.load(ROOT).lessons)
        print(f"{args.learners} learners x {lessons} lessons, {os.cpu_count()} cores")
        print(f"{'mode':<8} {'wall':>8} {'CPU':>8}  runs  load before -> after")
        for mode in args.mode:
            if mode == "sandbox" and (reason := isolation.problem()):
                print(f"{mode:<8} skipped: {reason}")
                continue
            before = load()
            wall, cpu, output = grade(folders, MODES[mode], Path(tmp) / f"out-{mode}")
            runs = re.search(r"from (\d+) grading runs?", output)
            count = runs[1] if runs else "?"
            # Measured: the CPU time used inside bwrap's sandbox never reaches the grader's
            # rusage, so only the unsandboxed figure is a real total.
            used = f"{cpu:>7.1f}s" if mode == "plain" else f"{'n/a':>8}"
            print(f"{mode:<8} {wall:>7.1f}s {used}  {count:>4}  {before} -> {load()}")
            if not runs:
                print(output[-2000:])
            errors = re.findall(r"^  (\S+, lesson \d+: .*)$", output, re.MULTILINE)
            for line in errors:
                print(f"    could not grade: {line}")
        print("Goal: 30 learners x 10 lessons within 180 s.")


if __name__ == "__main__":
    main()
