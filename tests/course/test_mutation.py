"""Invariant 12: the automatic mutation score of every lesson's checker.

The unit tests pin what each operator of `flasklings.mutator` makes. The `mutation`-marked test
grades every automatic mutant through the real grader, which takes minutes.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from flasklings import course, mutation, mutator

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
LESSONS = {lesson.slug: lesson for lesson in COURSE.lessons}

SOURCE = textwrap.dedent('''\
    """Module docstring: never mutated."""

    # A comment with "text", 1 + 2 and `not x`: never mutated.
    LIMIT = 3


    @decorate("arg", flag=True)
    def check(value, items):
        """Function docstring: never mutated."""
        if value > LIMIT and not items:
            total = value + 1  # why one more
            return total, 400
        while value in items:
            value -= 1
        return {"key": f"got {value}", "todo": "TODO: never mutated"}
''')


@pytest.fixture(scope="module")
def made() -> list[mutator.Mutation]:
    return mutator.mutations(SOURCE, "tiny.py")


def changes(made: list[mutator.Mutation], operator: str) -> set[tuple[str, str]]:
    return {(m.before, m.after) for m in made if m.operator == operator}


@pytest.mark.parametrize(
    ("operator", "before", "after"),
    [
        ("arithmetic", "total = value + 1", "total = value - 1"),
        ("arithmetic", "value -= 1", "value += 1"),
        ("comparison", "if value > LIMIT and not items:", "if value >= LIMIT and not items:"),
        ("comparison", "while value in items:", "while value not in items:"),
        ("boolean", "if value > LIMIT and not items:", "if value > LIMIT or not items:"),
        ("unary", "if value > LIMIT and not items:", "if value > LIMIT and items:"),
        ("negate", "if value > LIMIT and not items:", "if not (value > LIMIT and not items):"),
        ("constant", "LIMIT = 3", "LIMIT = 4"),
        ("constant", '@decorate("arg", flag=True)', '@decorate("arg", flag=False)'),
        ("string", '@decorate("arg", flag=True)', '@decorate("XXargXX", flag=True)'),
        (
            "string",
            'return {"key": f"got {value}", "todo": "TODO: never mutated"}',
            'return {"XXkeyXX": f"got {value}", "todo": "TODO: never mutated"}',
        ),
        (
            "string",
            'return {"key": f"got {value}", "todo": "TODO: never mutated"}',
            'return {"key": f"", "todo": "TODO: never mutated"}',
        ),
        ("keyword", '@decorate("arg", flag=True)', '@decorate("arg")'),
        ("decorator", '@decorate("arg", flag=True)', ""),
        ("decorator-args", '@decorate("arg", flag=True)', "@decorate()"),
        ("statement", "total = value + 1", "pass"),
        ("return", "return total, 400", "return None"),
        ("return", "return total, 400", "return 400, total"),
        ("return", "return total, 400", "return total,"),
        (
            "dict-entry",
            'return {"key": f"got {value}", "todo": "TODO: never mutated"}',
            'return {"todo": "TODO: never mutated"}',
        ),
    ],
)
def test_operator_makes_the_expected_mutant(made, operator: str, before: str, after: str):
    assert (before, after) in changes(made, operator)


def test_while_test_is_not_negated_twice(made):
    """`in` → `not in` already negates it; `not (value in items)` would be the same mutant."""
    assert not any(m.before == "while value in items:" for m in made if m.operator == "negate")


def test_mutants_compile_differ_and_keep_the_rest_of_the_text(made):
    kept = [line for line in SOURCE.splitlines() if line.lstrip().startswith("#")]
    kept += ["# why one more", '"""Module docstring: never mutated."""']
    for m in made:
        text = m.apply(SOURCE)
        compile(text, m.file, "exec")
        assert text != SOURCE
        assert all(piece in text for piece in kept), m
    assert len({m.apply(SOURCE) for m in made}) == len(made)


def test_docstrings_comments_and_todo_text_are_not_mutated(made):
    for m in made:
        assert "never mutated" not in m.replacement, m
        assert "docstring" not in m.before.lower(), m


def test_ids_are_unique_and_survive_moved_lines_and_edited_comments(made):
    ids = [m.id for m in made]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("tiny.py@") for i in ids)
    moved = "# a new first comment\n\n" + SOURCE.replace("# why one more", "# reworded")
    assert [m.id for m in mutator.mutations(moved, "tiny.py")] == ids


def test_repeated_snippets_get_numbered_ids():
    made = mutator.mutations("def f(x):\n    return x\n\n\ndef g(x):\n    return x\n", "r.py")
    returns = [m.id for m in made if m.operator == "return"]
    assert len(returns) == 2 and returns[1] == returns[0] + "#2"


@pytest.mark.parametrize("slug", LESSONS)
def test_equivalent_entries_match_a_mutant_and_give_a_reason(slug: str):
    lesson = LESSONS[slug]
    equivalent = mutation.load_equivalents(mutation.equivalents_file(COURSE, lesson))
    ids = {m.id for m in mutation.lesson_mutations(COURSE, lesson)}
    stale = sorted(set(equivalent) - ids)
    assert not stale, f"{slug}: equivalent.toml lists mutants that no longer exist: {stale}"
    unexplained = sorted(i for i, reason in equivalent.items() if not reason.strip())
    assert not unexplained, f"{slug}: equivalent mutants without a reason: {unexplained}"


def test_an_equivalent_same_as_another_lesson_takes_that_lessons_reason(tmp_path: Path):
    for slug, text in {
        "09_testing": '[[equivalent]]\nid = "t.py@1"\nreason = "Test data."\n',
        "10_capstone": '[[equivalent]]\nid = "t.py@1"\nsame_as = "09_testing"\n\n'
        '[[equivalent]]\nid = "t.py@2"\nsame_as = "09_testing"\n',
    }.items():
        (tmp_path / slug).mkdir()
        (tmp_path / slug / "equivalent.toml").write_text(text, encoding="utf-8")
    reasons = mutation.load_equivalents(tmp_path / "10_capstone" / "equivalent.toml")
    # t.py@2 is not in lesson 9's list: no reason, which the check above reports
    assert reasons == {"t.py@1": "As in 09_testing: Test data.", "t.py@2": ""}


def test_list_prints_every_mutant_with_its_id(capsys: pytest.CaptureFixture[str], monkeypatch):
    monkeypatch.chdir(ROOT)
    lesson = COURSE.lessons[0]
    assert mutation.main([lesson.slug, "--list"]) == 0
    printed = capsys.readouterr().out
    assert all(m.id in printed for m in mutation.lesson_mutations(COURSE, lesson))


@pytest.mark.mutation
@pytest.mark.parametrize("slug", LESSONS)
def test_mutation_score(slug: str):
    result = mutation.score(COURSE, LESSONS[slug], jobs=os.cpu_count() or 2)
    survivors = "\n".join(f"  {m.id}  {m}" for m in result.survivors)
    assert result.percent >= mutation.THRESHOLD, f"{result.summary()}\nsurvivors:\n{survivors}"


def test_only_grades_the_chosen_mutants(capsys: pytest.CaptureFixture[str], monkeypatch):
    monkeypatch.chdir(ROOT)
    lesson = COURSE.lessons[0]
    chosen = mutation.lesson_mutations(COURSE, lesson)[0]
    assert mutation.main([lesson.slug, "--only", chosen.id, "--jobs", "1"]) == 0
    summary = capsys.readouterr().out
    generated = len(mutation.lesson_mutations(COURSE, lesson))
    assert f"{generated} mutants, 1 killed, 0 survived" in summary
    assert "only 1 graded, chosen with --only" in summary


def test_an_unknown_id_for_only_is_refused_before_anything_is_graded(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) as stopped:
        mutation.main([COURSE.lessons[0].slug, "--only", "hello.py@0000000000"])
    assert stopped.value.code == 2  # argparse's usage error
    error = capsys.readouterr().err
    assert "no mutant of 01_hello has the id hello.py@0000000000" in error
    assert "--list" in error


def test_a_seed_draws_the_same_sample_and_another_seed_another():
    mutations = mutation.lesson_mutations(COURSE, LESSONS["09_testing"])
    first = mutation.draw(mutations, 20)
    assert first == mutation.draw(mutations, 20, mutation.SEED)
    assert len(first) == 20 and first == sorted(first, key=mutations.index)
    assert mutation.draw(mutations, 20, mutation.SEED + 1) != first
    assert mutation.draw(mutations, 0) == mutations  # no sample: all of them


def test_first_task_runs_its_checks_first_and_keeps_the_verdict():
    """How a mutant of the learner's tests/ is graded: the suite's task first, same result."""
    from flasklings import runner

    lesson = LESSONS["02_factory"]
    usual = runner.run_checks(COURSE, lesson, target="solutions")
    first = runner.run_checks(COURSE, lesson, target="solutions", first_task=2)
    tasks = [test["task"] for test in first.tests]
    assert 2 in tasks and tasks[0] == 2 and tasks != [test["task"] for test in usual.tests]
    assert tasks == sorted(tasks, key=lambda task: task != 2)  # task 2's all come first
    assert first.status == usual.status == "pass"
    assert sorted(t["id"] for t in first.tests) == sorted(t["id"] for t in usual.tests)
