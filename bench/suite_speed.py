"""How long does lesson 9's mutation grading take? Prints figures; asserts nothing.

Lesson 9 grades the learner's test suite: one run on the correct service, then one run per
buggy variant (tests/mutants/09_testing/bugs.toml). This times `flasklings check 09` end to
end, as a learner runs it (a new Python process), on a copy of the course:
  solution  the reference suite (solutions/09_testing/tests): every bug caught;
  starter   the starter's suite (lessons/09_testing/tests): the checks stop early.
and prints, per suite, the median wall time and the median CPU time of the whole check (all
processes), plus one grading's breakdown: the children's CPU, and how many of the suite's
tests the bug runs ran before their first failure.

`--checker FILE` times another version of the checker (e.g. an older one from git) in the
same conditions, for a before/after comparison; `--bugs FILE` gives it another bugs.toml
(each bug costs a run, so a longer list is slower with the same checker):

    git show :tests/checkers/test_09_testing.py > /tmp/old_09.py   # the staged version
    git show :tests/mutants/09_testing/bugs.toml > /tmp/bugs.toml
    .venv/bin/python bench/suite_speed.py --runs 3 --checker /tmp/old_09.py --bugs /tmp/bugs.toml

Budget: ≤ 5 s wall for the solution suite on a quiet 2-core machine. The load average and a
fixed loop's CPU time (check_speed.load) are printed with the figures: on a busy machine only
the CPU times compare, and on a slow moment every figure moves with the loop.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from check_speed import load  # this folder is first on sys.path: run as a script

ROOT = Path(__file__).resolve().parents[1]
CHECKER = Path("tests/checkers/test_09_testing.py")
BUGS = Path("tests/mutants/09_testing/bugs.toml")
QUIET = {**os.environ, "NO_COLOR": "1", "FLASKLINGS_COMMAND": "flasklings"}
BUDGET = 5.0


def course_copy(folder: Path, checker: Path, bugs: Path | None = None) -> Path:
    """The files `flasklings check 09` reads, with `checker` as lesson 9's checker (and
    `bugs` as its bugs.toml, if given)."""
    for name in ("course.toml", "pyproject.toml", "conftest.py"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "tests" / "checkers", folder / "tests" / "checkers")
    shutil.copy(checker, folder / CHECKER)
    shutil.copytree(ROOT / "tests" / "mutants", folder / "tests" / "mutants")
    if bugs:
        shutil.copy(bugs, folder / BUGS)
    for target in ("solutions", "lessons"):
        shutil.copytree(ROOT / target, folder / target)
    return folder


def timed(command: list[str], runs: int) -> tuple[float, float, str]:
    """Median wall and CPU seconds of `command` (and every process it waited for)."""
    walls, cpus, output = [], [], ""
    for _ in range(runs):
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, env=QUIET, capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
        output = done.stdout
    return statistics.median(walls), statistics.median(cpus), output


def breakdown(course: Path, tests: Path) -> str:
    """One grading in this process: the runs' CPU and the tests the bug runs ran."""
    spec = importlib.util.spec_from_file_location("checker_09", course / CHECKER)
    checker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checker)
    if not hasattr(checker, "grade_suite"):
        return "(this checker has no grade_suite(): no breakdown)"
    with tempfile.TemporaryDirectory() as tmp:
        grading = checker.grade_suite(course, tests, Path(tmp))
    bug_runs = [run for _, run in grading.bugs.values()]
    ran = [len(run.record.get("tests", {})) for run in bug_runs]
    suite = len(grading.learner_tests())
    return (
        f"the grading alone (in this process) {grading.seconds:.2f} s wall; "
        f"children's CPU: correct service {grading.reference.cpu:.2f} s, "
        f"{len(bug_runs)} bugs {sum(run.cpu for run in bug_runs):.2f} s; "
        f"tests run per bug run: median {statistics.median(ran):g}, max {max(ran)} "
        f"of the {suite} in the suite"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--checker", type=Path, help="another checker file to time as well")
    parser.add_argument("--bugs", type=Path, help="the bugs.toml for --checker's timing")
    options = parser.parse_args()
    flasklings = str(Path(sys.executable).with_name("flasklings"))
    checkers = {"current": (ROOT / CHECKER, None)}
    if options.checker:
        bugs = options.bugs.resolve() if options.bugs else None
        checkers["--checker"] = (options.checker.resolve(), bugs)
    print(f"load average before: {load()}  ({os.cpu_count()} cores, median of {options.runs})")
    for label, (checker, bugs) in checkers.items():
        with tempfile.TemporaryDirectory() as tmp:
            course = course_copy(Path(tmp), checker, bugs)
            for suite, target in (("solution", "solutions"), ("starter", "lessons")):
                command = [flasklings, "--root", tmp, "check", "09", "--target", target]
                wall, cpu, output = timed(command, options.runs)
                lines = output.strip().splitlines() or ["(no output)"]
                verdict = next((x for x in reversed(lines) if "check" in x), lines[-1])
                over = " OVER BUDGET" if suite == "solution" and wall > BUDGET else ""
                print(f"{label:>9} {suite:<8} wall {wall:6.2f} s  cpu {cpu:6.2f} s{over}")
                print(f"{'':>19}{verdict.strip()[:90]}")
            print(f"{'':>19}{breakdown(course, course / 'solutions' / '09_testing' / 'tests')}")
    print(f"load average after:  {load()}")


if __name__ == "__main__":
    main()
