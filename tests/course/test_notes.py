"""Instructor notes (flasklings.notes, shown by docs/hooks/instructor_notes.py): made from
course.toml and the mutants' `mistake` lines, and from a class gradebook when there is one."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from flasklings import course, mutants, notes

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
each_lesson = pytest.mark.parametrize(
    "lesson", COURSE.lessons, ids=[lesson.slug for lesson in COURSE.lessons]
)


def page(lesson) -> str:
    return notes.lesson_page(COURSE, lesson, f"../../lessons/{lesson.slug}.ipynb")


@each_lesson
def test_page_lists_every_mistake_of_the_lesson(lesson):
    text = page(lesson)
    listed = [
        m.mistake for m in mutants.load(ROOT / "tests/mutants" / lesson.slug / "mutants.toml")
    ]
    assert listed, f"lesson {lesson.slug} has no mutants"
    bullets = re.findall(r"^- (.*)$", text, re.M)
    missing = [m for m in listed if notes.markdown_text(m) not in bullets]
    assert not missing, f"notes of {lesson.slug} leave out: {missing[:3]}"
    assert f"the {len(listed)} mistakes" in text


@each_lesson
def test_timings_add_up_to_the_lesson_minutes_and_name_every_task(lesson):
    rows = notes.timings(lesson)
    assert sum(minutes for _, minutes in rows) == lesson.minutes
    assert all(minutes > 0 for _, minutes in rows), rows
    text = page(lesson)
    assert f"**{lesson.minutes} minutes**" in text
    for task in lesson.tasks:
        assert f"Task {task.number}: {notes.markdown_text(task.title)}" in text


def test_mistakes_are_grouped_by_the_task_whose_checks_catch_them():
    hello = COURSE.find("01")
    groups = notes.mistakes_by_group(COURSE, hello)
    assert list(groups) == [f"Task {t.number}: {t.title}" for t in hello.tasks]
    # signatures.json: main-guard-typo fails only Task 3's check.
    assert any("compares __name__ with" in m for m in groups["Task 3: Run it safely"])


def test_without_signatures_mistakes_are_grouped_by_file():
    groups = notes.mistakes_by_group(COURSE, COURSE.find("04"))
    assert groups and all(h.startswith("In `") for h in groups), list(groups)
    assert "In `invoicer/config.py`" in groups


def test_markdown_text_keeps_code_and_escapes_the_rest():
    assert notes.markdown_text("the __main__ guard") == r"the \_\_main\_\_ guard"
    assert notes.markdown_text("wraps it in <h1> | tags") == "wraps it in &lt;h1&gt; &#124; tags"
    assert notes.markdown_text("keep `__init__.py` as is") == "keep `__init__.py` as is"
    assert notes.markdown_text("one ` tick") == r"one \` tick"


GRADEBOOK = {
    "learners": [
        {
            "name": "ann",
            "lessons": [
                {
                    "lesson": "01_hello",
                    "status": "fail",
                    "tests": [
                        {"name": "GET / answers 200.", "status": "fail", "task_id": 1},
                        {"name": "GET /api/info answers JSON.", "status": "fail", "task_id": 2},
                    ],
                },
                {"lesson": "02_factory", "status": "error", "message": "timeout", "tests": []},
            ],
        },
        {
            "name": "bob",
            "lessons": {
                "01_hello": {
                    "status": "fail",
                    "tests": [
                        {"name": "GET / answers 200.", "status": "pass", "task_id": 1},
                        {"name": "GET /api/info answers JSON.", "status": "fail", "task_id": 2},
                    ],
                }
            },
        },
    ]
}


def test_gradebook_gives_the_checks_failed_most_often():
    rows = notes.failed_most(GRADEBOOK, "01_hello")
    assert rows == [
        ("GET /api/info answers JSON.", 2, 2, 2),
        ("GET / answers 200.", 1, 1, 2),
    ]
    assert notes.failed_most(GRADEBOOK, "03_blueprints") == []
    text = notes.lesson_page(COURSE, COURSE.find("01"), "x.ipynb", GRADEBOOK)
    section = text[text.index("## What your class failed most often") :]
    assert "| GET /api/info answers JSON. | 2 | 2 of 2 |" in section
    without = notes.lesson_page(COURSE, COURSE.find("01"), "x.ipynb")
    assert "What your class failed" not in without


def test_built_site_has_a_notes_page_per_lesson_listing_its_mistakes(built_site):
    for lesson in COURSE.lessons:
        built = built_site.site_dir / "workshop" / "notes" / lesson.slug / "index.html"
        text = html.unescape(re.sub(r"<[^>]+>", "", built.read_text(encoding="utf-8")))
        first = mutants.load(ROOT / "tests/mutants" / lesson.slug / "mutants.toml")[0]
        assert first.mistake.replace("`", "") in text, f"{lesson.slug}: {first.mistake}"
