"""Invariants 3, 4, 5 and 7: solutions pass, starters fail every task, mutants are caught.

Each grading goes through the real grader (a pytest subprocess), as `flasklings check` does.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

import pytest

from flasklings import course, mutants, postgres, runner

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
LESSONS = {lesson.slug: lesson for lesson in COURSE.lessons}
MUTANTS = [
    (slug, mutant)
    for slug in LESSONS
    for mutant in mutants.load(ROOT / "tests" / "mutants" / slug / "mutants.toml")
]


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def grade_starter(slug: str) -> tuple[runner.CheckResult, bool]:
    """The starter's result, and whether grading left lessons/ exactly as it was."""
    before = tree_digest(ROOT / "lessons")
    result = runner.run_checks(COURSE, LESSONS[slug], "lessons")
    return result, tree_digest(ROOT / "lessons") == before


@pytest.mark.parametrize("slug", LESSONS)
def test_solution_passes_every_check(slug: str):
    result = runner.run_checks(COURSE, LESSONS[slug], "solutions")
    assert result.status == "pass", f"solutions/{slug} fails:\n{result.failures()}"
    assert {t["task"] for t in result.tests} == {t.number for t in LESSONS[slug].tasks}


@pytest.mark.parametrize("slug", LESSONS)
def test_starter_is_graded_not_crashed(slug: str):
    """Invariant 5: the starter imports cleanly, so the grader says what is missing."""
    result, _ = grade_starter(slug)
    assert result.status == "fail", f"lessons/{slug} could not be graded: {result.message}"


@pytest.mark.parametrize("slug", LESSONS)
def test_starter_fails_every_task(slug: str):
    result, _ = grade_starter(slug)
    passing = [n for n, ok in result.task_status().items() if ok]
    assert not passing, f"lessons/{slug}: every check of task(s) {passing} passes on the starter"


@pytest.mark.parametrize("slug", LESSONS)
def test_grading_never_changes_the_lesson_folder(slug: str):
    _, unchanged = grade_starter(slug)
    assert unchanged, f"checking {slug} wrote into lessons/"


@pytest.mark.parametrize(("slug", "mutant"), MUTANTS, ids=[f"{s}-{m.name}" for s, m in MUTANTS])
def test_mutant_is_caught(slug: str, mutant: mutants.Mutant, mutant_results: dict):
    kind, why = postgres.decide()
    if mutant.needs == "postgresql" and kind == "sqlite" and not os.environ.get("CI"):
        pytest.skip(f"caught on PostgreSQL only, and the checks here use SQLite ({why})")
    result = mutant_results[f"{slug}/{mutant.name}"]
    assert result.status != "pass", f"no check catches mutant {mutant.name}: {mutant.mistake}"
