"""Lesson 9's grader tries first the learner's tests most likely to catch a bug.

The order only changes how long a bug's run takes (it stops at the first failure), never its
verdict; these tests pin down which tests go first, from the correct service's coverage.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flasklings import mutants

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "lesson_9_checker", ROOT / "tests/checkers/test_09_testing.py"
)
lesson_9 = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lesson_9)

SERVICE = """\
import re
import uuid

WELL_FORMED = re.compile(r"[a-z]+")


def request_id(sent):
    return sent if WELL_FORMED.fullmatch(sent) else uuid.uuid4().hex
"""
# Which tests ran which line of invoicer/request_id.py ("": at import). Every test runs the
# hook, as every request does; test_cli.py's test runs fewest lines in all.
EVERY = ["", "tests/test_api.py::test_list", "tests/test_cli.py::test_init",
         "tests/test_errors.py::test_request_id"]  # fmt: skip
COVERAGE = {
    "invoicer/request_id.py": {"tests": {**{str(n): [""] for n in (1, 2, 4, 7)}, "8": EVERY[1:]}},
    "invoicer/api.py": {"tests": {"3": ["tests/test_api.py::test_list"]}},
    "invoicer/errors.py": {"tests": {"5": ["tests/test_errors.py::test_request_id"]}},
}


def bug(*edits: tuple[str, str]) -> lesson_9.Bug:
    made = tuple(mutants.Edit("invoicer/request_id.py", find, replace) for find, replace in edits)
    return lesson_9.Bug("b", 4, "a bug", mutants.Mutant("b", "a bug", made))


def catchers(tmp_path: Path, made: lesson_9.Bug) -> tuple[str, ...]:
    (tmp_path / "invoicer").mkdir(exist_ok=True)
    (tmp_path / "invoicer/request_id.py").write_text(SERVICE, encoding="utf-8")
    return lesson_9.likely_catchers(made, tmp_path, COVERAGE)


def test_a_hook_every_test_runs_is_tried_first_by_the_tests_named_after_its_files(tmp_path):
    changed = bug(("else uuid.uuid4().hex", "else 'same'"))
    assert catchers(tmp_path, changed) == (
        "tests/test_errors.py::test_request_id",  # test_errors.py: task 4's errors.py
        "tests/test_cli.py::test_init",  # then the fewest lines first
        "tests/test_api.py::test_list",
    )


def test_an_import_beside_a_changed_function_does_not_make_every_test_a_catcher(tmp_path):
    made_once = ("import uuid\n", "import uuid\nNEW = 1\n"), ("else uuid.uuid4().hex", "else NEW")
    changed = bug(*made_once)
    assert catchers(tmp_path, changed)[0] == "tests/test_errors.py::test_request_id"


def test_a_changed_constant_alone_is_every_tests_with_the_named_ones_first(tmp_path):
    changed = bug(('r"[a-z]+"', 'r"[a-z ]+"'))
    assert catchers(tmp_path, changed) == (
        "tests/test_errors.py::test_request_id",
        "tests/test_cli.py::test_init",
        "tests/test_api.py::test_list",
    )


def test_the_correct_run_records_every_test_that_ran_a_line(tmp_path):
    # The order above comes from this coverage. Every test's request runs the request-ID
    # hook, so its lines must list every test that makes one, not only the first to run it.
    tests = ROOT / "solutions/09_testing/tests"
    grading = lesson_9.grade_suite(ROOT, tests, tmp_path, bugs=[])
    passed = [name for name, test in grading.learner_tests().items() if test["outcome"] == "passed"]
    assert grading.reference.status == 0, grading.reference.record
    ran = grading.coverage()["invoicer/request_id.py"]["tests"]
    most = max(ran.values(), key=len)
    assert len(most) >= len(passed) // 2, (len(most), len(passed))
    assert set(most) <= {"", *passed}
