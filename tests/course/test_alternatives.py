"""Invariant 11: correct solutions written in other idioms pass their lesson's checkers.

Each `tests/alternatives/NN_slug/vK/` holds the learner's files of a lesson folder (all of
them, or those course.toml's `learner_files` names: lesson 9's `tests/`), doing what the lesson
asks in its own way; it is graded laid over the solution's other files. A checker that fails
one is stricter than the lesson: a defect.
Each grading goes through the real grader (a pytest subprocess), as `flasklings check` does.
"""

from __future__ import annotations

import ast
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flasklings import course, runner, workspace

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
LESSONS = {lesson.slug: lesson for lesson in COURSE.lessons}
ALTERNATIVES_DIR = ROOT / "tests" / "alternatives"
MIN_ALTERNATIVES = 3
ALTERNATIVES = sorted(
    (folder.parent.name, folder.name)
    for folder in ALTERNATIVES_DIR.glob("*/v*")
    if folder.is_dir() and folder.parent.name in LESSONS
)
IDS = [f"{slug}-{version}" for slug, version in ALTERNATIVES]


@pytest.fixture(scope="module")
def alternative_results(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, runner.CheckResult]:
    """Every alternative graded once, as many at a time as there are cores."""

    def grade(slug: str, version: str) -> runner.CheckResult:
        target = tmp_path_factory.mktemp(f"{slug}-{version}")
        ignore = shutil.ignore_patterns(*workspace.IGNORED_PARTS, "*.pyc")
        solution = COURSE.lesson_dir(LESSONS[slug], "solutions")
        shutil.copytree(solution, target / slug, ignore=ignore)
        for name in workspace.files(solution):  # the learner's part comes from the alternative
            if LESSONS[slug].writes(name):
                (target / slug / name).unlink()
        shutil.copytree(
            ALTERNATIVES_DIR / slug / version, target / slug, ignore=ignore, dirs_exist_ok=True
        )
        return runner.run_checks(COURSE, LESSONS[slug], target)

    # pytest makes its base folder on first use, and not thread-safely: two threads could each
    # make one, and mktemp then refuses the other's path. Made here, before the threads.
    tmp_path_factory.getbasetemp()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {f"{s}-{v}": pool.submit(grade, s, v) for s, v in ALTERNATIVES}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize(("slug", "version"), ALTERNATIVES, ids=IDS)
def test_alternative_passes_every_check(slug: str, version: str, alternative_results: dict):
    result = alternative_results[f"{slug}-{version}"]
    assert result.status == "pass", (
        f"tests/alternatives/{slug}/{version} is correct but fails:\n{result.failures()}"
    )


def test_only_lessons_of_the_course_have_alternatives():
    unknown = {p.name for p in ALTERNATIVES_DIR.iterdir() if p.is_dir()} - LESSONS.keys()
    assert not unknown, f"tests/alternatives holds folders for no lesson: {sorted(unknown)}"


@pytest.mark.parametrize("slug", LESSONS)
def test_every_lesson_has_enough_alternatives(slug: str):
    versions = [v for s, v in ALTERNATIVES if s == slug]
    assert len(versions) >= MIN_ALTERNATIVES, (
        f"tests/alternatives/{slug} has {len(versions)} alternatives {versions}, "
        f"expected at least {MIN_ALTERNATIVES}"
    )


@pytest.mark.parametrize(("slug", "version"), ALTERNATIVES, ids=IDS)
def test_alternative_mirrors_the_solution(slug: str, version: str):
    folder = ALTERNATIVES_DIR / slug / version
    solution = workspace.files(COURSE.lesson_dir(LESSONS[slug], "solutions"))
    learners = [name for name in solution if LESSONS[slug].writes(name)]
    assert workspace.files(folder) == learners, f"{folder.relative_to(ROOT)} vs solutions/{slug}"


@pytest.mark.parametrize(("slug", "version"), ALTERNATIVES, ids=IDS)
def test_alternative_files_name_their_idiom_and_have_no_todo(slug: str, version: str):
    folder = ALTERNATIVES_DIR / slug / version
    for name in workspace.files(folder):
        text = (folder / name).read_text(encoding="utf-8")
        assert "TODO" not in text, f"{slug}/{version}/{name} contains TODO"
        if name.endswith(".py"):
            doc = ast.get_docstring(ast.parse(text))
            assert doc and "\n" not in doc.strip(), (
                f"{slug}/{version}/{name}: start with a one-line docstring naming the idiom"
            )
