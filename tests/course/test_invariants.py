"""Invariants 1, 2, 4 (TODO rules), 6, 7 (mutant files) and 10: the course holds together.

course.toml is the one list of lessons; every folder, checker, mutant file and notebook is
checked against it here.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path

import pytest

from flasklings import course, mutants, workspace

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
SLUGS = [lesson.slug for lesson in COURSE.lessons]
DESIGN_SLUGS = [
    "01_hello", "02_factory", "03_blueprints", "04_config", "05_context",
    "06_errors", "07_security", "08_deploy", "09_testing", "10_capstone",
]  # fmt: skip
LEARNER_PACKAGES = {"hello", "invoicer"}


def by_slug(items):
    return pytest.mark.parametrize("lesson", items, ids=[lesson.slug for lesson in items])


each_lesson = by_slug(COURSE.lessons)


def test_lessons_are_the_designs_first_lessons_in_order():
    assert DESIGN_SLUGS[: len(SLUGS)] == SLUGS


@each_lesson
def test_metadata_is_complete(lesson: course.Lesson):
    assert lesson.title and lesson.minutes > 0 and lesson.objectives
    assert len(lesson.tasks) >= 3, f"{lesson.slug} has {len(lesson.tasks)} tasks, expected ≥ 3"
    for task in lesson.tasks:
        assert 2 <= len(task.hints) <= 4, f"{lesson.slug} task {task.number}: 2–4 hints"


@pytest.mark.parametrize("where", ["lessons", "solutions", "tests/mutants"])
def test_per_lesson_folders_match_course_toml(where: str):
    found = sorted(p.name for p in (ROOT / where).iterdir() if p.is_dir())
    assert found == SLUGS


@pytest.mark.parametrize(
    ("where", "pattern"),
    [("tests/checkers", "test_{}.py"), ("docs/lessons", "{}.ipynb")],
)
def test_per_lesson_files_match_course_toml(where: str, pattern: str):
    regex = re.compile(re.escape(pattern).replace(r"\{\}", r"(\d\d_\w+)"))
    found = sorted(m[1] for p in (ROOT / where).iterdir() if (m := regex.fullmatch(p.name)))
    assert found == SLUGS


@each_lesson
def test_lesson_and_solution_list_the_same_files(lesson: course.Lesson):
    starter = workspace.files(COURSE.lesson_dir(lesson))
    solution = workspace.files(COURSE.lesson_dir(lesson, "solutions"))
    assert starter == solution


def _text_files(folder: Path) -> dict[str, str]:
    return {name: (folder / name).read_text(encoding="utf-8") for name in workspace.files(folder)}


@each_lesson
def test_starter_has_a_todo_for_every_task(lesson: course.Lesson):
    text = "\n".join(_text_files(COURSE.lesson_dir(lesson)).values())
    for task in lesson.tasks:
        assert f"TODO (Task {task.number})" in text, f"no TODO (Task {task.number})"


@each_lesson
def test_solution_has_no_todo(lesson: course.Lesson):
    for name, text in _text_files(COURSE.lesson_dir(lesson, "solutions")).items():
        assert "TODO" not in text, f"solutions/{lesson.slug}/{name} contains TODO"


@by_slug(COURSE.lessons[1:])
def test_starter_builds_on_the_previous_solution(lesson: course.Lesson):
    """Invariant 6: what the learner finished last lesson is in this lesson's starter."""
    previous = COURSE.lessons[lesson.number - 2]
    before = _defined_names(COURSE.lesson_dir(previous, "solutions"))
    now = _defined_names(COURSE.lesson_dir(lesson))
    missing = sorted(before - now)
    assert not missing, f"lessons/{lesson.slug} lost {missing} from solutions/{previous.slug}"


def _defined_names(folder: Path) -> set[str]:
    """Every function and class the lesson's code defines, in any of its files."""
    return {
        node.name
        for name, source in _text_files(folder).items()
        if name.endswith(".py")  # templates and other files define no Python names
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
    }


# --- checkers --------------------------------------------------------------------------


def _checker_tests(lesson: course.Lesson):
    tree = ast.parse(COURSE.checker(lesson).read_text(encoding="utf-8"))
    return tree, [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]


def _task_number(function: ast.FunctionDef) -> int | None:
    for decorator in function.decorator_list:
        if (
            isinstance(decorator, ast.Call)
            and ast.unparse(decorator.func) == "pytest.mark.task"
            and decorator.args
        ):
            return ast.literal_eval(decorator.args[0])
    return None


@each_lesson
def test_every_check_has_a_task_and_a_one_line_docstring(lesson: course.Lesson):
    _, tests = _checker_tests(lesson)
    numbers = {t.number for t in lesson.tasks}
    for function in tests:
        assert _task_number(function) in numbers, f"{function.name}: @pytest.mark.task(n)"
        doc = ast.get_docstring(function)
        assert doc and "\n" not in doc.strip(), f"{function.name}: one-line docstring"


@each_lesson
def test_every_task_has_several_checks(lesson: course.Lesson):
    _, tests = _checker_tests(lesson)
    counts = {t.number: 0 for t in lesson.tasks}
    for function in tests:
        counts[_task_number(function)] += 1
    assert all(n >= 2 for n in counts.values()), f"checks per task: {counts}"


@each_lesson
def test_every_assert_in_a_checker_says_what_failed(lesson: course.Lesson):
    tree, _ = _checker_tests(lesson)
    bare = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert) and not node.msg]
    assert not bare, f"{COURSE.checker(lesson).name}: asserts without a message on lines {bare}"


@each_lesson
def test_checkers_never_import_learner_code_at_module_level(lesson: course.Lesson):
    tree, _ = _checker_tests(lesson)
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = {a.name.split(".")[0] for a in node.names}
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {node.module.split(".")[0]}
            assert not names & LEARNER_PACKAGES, f"line {node.lineno} imports learner code"


# --- mutants ---------------------------------------------------------------------------


@each_lesson
def test_mutants_are_well_formed_and_fit_the_solution(lesson: course.Lesson):
    found = mutants.load(ROOT / "tests" / "mutants" / lesson.slug / "mutants.toml")
    assert len(found) >= 5, f"{lesson.slug} has {len(found)} mutants, expected ≥ 5"
    names = [m.name for m in found]
    assert len(set(names)) == len(names), "mutant names must be unique"
    solution = COURSE.lesson_dir(lesson, "solutions")
    for mutant in found:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", mutant.name), mutant.name
        assert mutant.mistake and mutant.edits
        for edit in mutant.edits:
            text = (solution / edit.file).read_text(encoding="utf-8")
            assert text.count(edit.find) == 1, f"{mutant.name}: `find` must occur once"
            assert edit.find != edit.replace, f"{mutant.name} changes nothing"


# --- notebooks -------------------------------------------------------------------------


def _markdown(lesson: course.Lesson) -> list[str]:
    notebook = json.loads(COURSE.notebook(lesson).read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"]


def _headings(lesson: course.Lesson, level: str) -> list[str]:
    return [
        line[len(level) + 1 :].strip()
        for cell in _markdown(lesson)
        for line in cell.splitlines()
        if line.startswith(level + " ")
    ]


@each_lesson
def test_notebook_title_matches_course_toml(lesson: course.Lesson):
    first = _markdown(lesson)[0].splitlines()[0]
    assert first == f"# {lesson.title}"


@each_lesson
def test_notebook_follows_the_lesson_skeleton(lesson: course.Lesson):
    headings = _headings(lesson, "##")
    tasks = [f"Task {t.number}: {t.title}" for t in lesson.tasks]
    assert [h for h in headings if h.startswith("Task ")] == tasks
    expected = ["You will", "Pitfalls", *tasks, "Check your work", "Key points", "Self-check",
                "Further reading"]  # fmt: skip
    in_order = [h for h in headings if h in expected]
    assert in_order == expected, f"sections out of order or missing: {in_order}"


@each_lesson
def test_notebook_objectives_match_course_toml(lesson: course.Lesson):
    text = "\n".join(_markdown(lesson))
    section = text.split("## You will", 1)[1].split("\n## ", 1)[0]
    bullets = [line[2:].strip() for line in section.splitlines() if line.startswith(("- ", "* "))]
    assert bullets == list(lesson.objectives)


@each_lesson
def test_notebook_ends_with_two_to_four_self_check_questions(lesson: course.Lesson):
    quizzes = sum(cell.count("<quiz>") for cell in _markdown(lesson))
    assert 2 <= quizzes <= 4, f"{quizzes} self-check questions"


@each_lesson
def test_notebook_tells_how_to_check_the_lesson(lesson: course.Lesson):
    assert f"flasklings check {lesson.number:02d}" in "\n".join(_markdown(lesson))


def test_lesson_9_notebook_counts_the_bugs_of_bugs_toml():
    """The page tells the learner how many bugs there are, in all and per task: the same
    numbers as the list the grader reads."""
    (lesson,) = [x for x in COURSE.lessons if x.slug == "09_testing"]
    bugs = tomllib.loads((ROOT / "tests/mutants/09_testing/bugs.toml").read_text("utf-8"))["bug"]
    text = "\n".join(_markdown(lesson))
    assert f"**{len(bugs)} buggy copies**" in text
    for task in lesson.tasks:
        count = sum(1 for bug in bugs if bug["task"] == task.number)
        assert f"Task {task.number} bugs your suite catches ({count})" in text, task.number
