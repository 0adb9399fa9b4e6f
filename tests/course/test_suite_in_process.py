"""Lesson 9's grading with every run in one process, as in the browser's Python (no fork):
the same verdicts as the forked runs, for the same suites.

The checker runs the learner's suite once on the correct service and once per bug. Graded as
the browser grades (the plugin's --flasklings-browser), run_here runs them one after another
in the grading process itself and puts it back as it was after each. Each suite below is
graded both ways by the real grader, in a child process as `flasklings check` does, and the
results.json compared.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path

import pytest
from test_browser_run import as_in_the_browser  # flasklings check's grader, as in a browser
from test_suite_order import lesson_9  # the checker, loaded once

from flasklings import course, mutants, report, runner

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
LESSON = COURSE.find("09")
# The starter, the solution and a spread of the red-team's broken suites.
MUTANTS = mutants.load(ROOT / "tests/mutants/09_testing/mutants.toml")[::16]


def graded(folder: Path, in_process: bool) -> dict:
    launch = as_in_the_browser if in_process else None
    text = report.results_json(runner.run_checks(COURSE, LESSON, folder.parent, launch=launch))
    return json.loads(re.sub(r"\b\d+(\.\d+)? s\b", "<seconds>", text))  # timings in messages


@pytest.mark.parametrize("case", ["starter", "solution", *(m.name for m in MUTANTS)])
def test_runs_in_one_process_give_the_forked_runs_verdicts(case, tmp_path):
    if case == "starter":
        folder = COURSE.lesson_dir(LESSON)
    elif case == "solution":
        folder = COURSE.lesson_dir(LESSON, "solutions")
    else:
        mutant = next(m for m in MUTANTS if m.name == case)
        solution = COURSE.lesson_dir(LESSON, "solutions")
        folder = mutants.apply(mutant, solution, tmp_path / LESSON.slug)
    forked = graded(folder, in_process=False)
    here = graded(folder, in_process=True)
    for check, expected in zip(here["tests"], forked["tests"], strict=True):
        assert check == expected
    assert here == forked
    if case == "solution":
        assert here["status"] == "pass"


def test_a_run_in_this_process_leaves_the_process_as_it_was(tmp_path):
    """A suite that changes the working folder, the environment, logging and sys.path still
    leaves the grading process as it found them (for the checker's next run, the next Check)."""
    tests = tmp_path / "lesson" / "tests"
    tests.mkdir(parents=True)
    (tests / "test_meddles.py").write_text(
        "import logging, os, sys\n\n"
        "def test_meddles(tmp_path):\n"
        "    os.chdir(tmp_path)\n"
        "    os.environ['MEDDLED'] = '1'\n"
        "    sys.path.insert(0, '/nowhere')\n"
        "    logging.getLogger().addHandler(logging.NullHandler())\n"
        "    logging.getLogger().setLevel(logging.CRITICAL)\n",
        encoding="utf-8",
    )
    before = (os.getcwd(), dict(os.environ), list(sys.path))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    streams = (sys.stdin, sys.stdout, sys.stderr)
    # Modules named as a run's are (this test module, say): they must be the same after.
    same_names = {n: m for n, m in sys.modules.items() if n.startswith(("test_", "conftest"))}
    assert same_names
    grading = lesson_9.grade_suite(ROOT, tests, tmp_path / "runs", bugs=[], in_process=True)
    ran = grading.learner_tests()  # (the checker's probe fails: this suite has no fixtures)
    output = (grading.reference.files / "output.txt").read_text()
    assert [t["outcome"] for t in ran.values()] == ["passed"], output
    assert (os.getcwd(), dict(os.environ), list(sys.path)) == before
    assert (list(root.handlers), root.level) == (handlers, level)
    assert (sys.stdin, sys.stdout, sys.stderr) == streams
    assert "test_meddles" not in sys.modules
    assert {n: sys.modules.get(n) for n in same_names} == same_names
