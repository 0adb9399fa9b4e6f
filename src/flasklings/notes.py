"""Instructor notes for each lesson, as Markdown, made from what the course already states.

Timings and tasks come from course.toml; the common mistakes are the lesson's mutants'
`mistake` lines (tests/mutants/NN_slug/mutants.toml), every one proven caught by the checks,
grouped by the task whose checks catch it where signatures.json records that, else by the
file the mistake is made in. Given a class gradebook (`flasklings grade --out DIR` writes
DIR/gradebook.json), the checks the class failed most often are added.
docs/hooks/instructor_notes.py turns these into the site's "Instructor notes" pages.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from flasklings import mutants, recognise
from flasklings.course import Course, CourseError, Lesson

INTRO_SHARE, DEBRIEF_SHARE = 0.15, 0.10  # of a lesson's minutes; the tasks share the rest
MOST_FAILED = 8  # checks listed from a gradebook
_SPECIAL = re.compile(r"([\\*_\[\]#])")  # escaped with a backslash
_ENTITIES = {"<": "&lt;", ">": "&gt;", "|": "&#124;"}  # Python-Markdown has no \< or \|


def _plain(text: str) -> str:
    text = _SPECIAL.sub(r"\\\1", text)
    return "".join(_ENTITIES.get(c, c) for c in text)


def markdown_text(text: str) -> str:
    """Plain text as Markdown: code spans kept, other Markdown and HTML characters escaped."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code spans at all
        return _plain(text).replace("`", "\\`")
    return "`".join(p if i % 2 else _plain(p) for i, p in enumerate(parts))


def timings(lesson: Lesson) -> list[tuple[str, int]]:
    """(part, minutes): an introduction, each task, a debrief; they add up to the lesson's."""
    total = lesson.minutes
    intro, debrief = round(total * INTRO_SHARE), round(total * DEBRIEF_SHARE)
    rest = total - intro - debrief
    count = len(lesson.tasks) or 1
    shares = [rest // count + (1 if i < rest % count else 0) for i in range(count)]
    rows = [("Introduce: the objectives, the idea, the pitfalls", intro)]
    rows += [(f"Task {t.number}: {t.title}", m) for t, m in zip(lesson.tasks, shares, strict=False)]
    rows.append(("Debrief: the solution, the self-check questions", debrief))
    return rows


def mistakes_by_group(course: Course, lesson: Lesson) -> dict[str, list[str]]:
    """Group heading -> the mistakes in it, in catalogue order."""
    folder = course.root / "tests" / "mutants" / lesson.slug
    catalogue = folder / "mutants.toml"
    if not catalogue.is_file():
        return {}
    tasks = _tasks_of(folder)
    groups: dict[str, list[str]] = {}
    for mutant in mutants.load(catalogue):
        task = tasks.get(mutant.name)
        if task is not None:
            try:
                heading = f"Task {task}: {lesson.task(task).title}"
            except CourseError:
                heading = f"Task {task}"
        else:
            files = sorted({edit.file for edit in mutant.edits})
            heading = "In " + " and ".join(f"`{name}`" for name in files)
        groups.setdefault(heading, []).append(mutant.mistake)
    return dict(sorted(groups.items(), key=lambda item: _order(item[0])))


def _tasks_of(folder: Path) -> dict[str, int]:
    """Mutant name -> the task whose checks catch it, from signatures.json when there is one."""
    path = folder / recognise.SIGNATURES
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {m["name"]: m["task"] for m in data.get("mutants", []) if m.get("task")}


def _order(heading: str) -> tuple:
    match = re.match(r"Task (\d+)", heading)
    return (0, int(match.group(1)), "") if match else (1, 0, heading)


def failed_most(gradebook: object, slug: str, limit: int = MOST_FAILED) -> list[tuple]:
    """(check, task, failed, graded) for the lesson's checks the class failed most often.

    Any JSON holding Exercism results.json documents works: each either with a "lesson" field
    (as `check --all --json` and `grade --json` print them) or under its lesson's slug as key.
    """
    failed: Counter = Counter()
    graded: Counter = Counter()
    for lesson, document in _results(gradebook, None):
        if lesson != slug:
            continue
        for test in document.get("tests") or []:
            if not isinstance(test, dict) or "name" not in test:
                continue
            key = (test["name"], test.get("task_id"))
            graded[key] += 1
            failed[key] += test.get("status") != "pass"
    ranked = [(name, task, failed[(name, task)], graded[(name, task)]) for name, task in failed]
    ranked = [row for row in ranked if row[2]]
    return sorted(ranked, key=lambda row: (-row[2], row[0]))[:limit]


def _results(node: object, key: str | None):
    """Yield (lesson slug, results.json document) found anywhere in a JSON value."""
    if isinstance(node, dict):
        if isinstance(node.get("tests"), list):
            lesson = node.get("lesson") if isinstance(node.get("lesson"), str) else key
            yield lesson, node
            return
        for name, value in node.items():
            yield from _results(value, name if isinstance(name, str) else key)
    elif isinstance(node, list):
        for value in node:
            yield from _results(value, key)


def lesson_page(course: Course, lesson: Lesson, lesson_link: str, gradebook=None) -> str:
    """The instructor notes of one lesson, as a Markdown page."""
    n = f"{lesson.number:02d}"
    lines = [
        f"# Lesson {lesson.number}: {lesson.title}",
        "",
        f"Notes for teaching [the lesson]({lesson_link}) in a workshop. Generated from "
        "`course.toml` and the lesson's mistake catalogue: edit those, not this page.",
        "",
        "## Timing",
        "",
        f"The lesson takes **{lesson.minutes} minutes** (`course.toml`). A split that works:",
        "",
        "| Part | Minutes |",
        "|---|--:|",
        *[f"| {markdown_text(part)} | {minutes} |" for part, minutes in timings(lesson)],
        "",
        "## What to live-code",
        "",
        "Live-code Task 1 with the class and check it on the projector, so everyone sees a ✗ "
        f"turn into a ✓ (`uv run flasklings check {n}`). Then let people work on the rest "
        f"with `uv run flasklings watch {n}`.",
        "",
    ]
    for task in lesson.tasks:
        idea = f" The idea to show: {markdown_text(task.hints[0])}" if task.hints else ""
        lines.append(f"- **Task {task.number}: {markdown_text(task.title)}.**{idea}")
    lines.append("")
    groups = mistakes_by_group(course, lesson)
    count = sum(map(len, groups.values()))
    lines += [
        "## Where people get stuck",
        "",
        f"The lesson's pitfalls are in [its page]({lesson_link}#pitfalls). Below are the "
        f"{count} mistakes the checks are proven to catch (each a known-wrong variant of the "
        f"solution in `tests/mutants/{lesson.slug}/mutants.toml`). When someone's check fails, "
        "the one they made is usually here.",
        "",
    ]
    for heading, found in groups.items():
        lines += [f"### {markdown_text(heading)}", "", *[f"- {markdown_text(m)}" for m in found]]
        lines.append("")
    if gradebook is not None:
        lines += _gradebook_section(gradebook, lesson)
    return "\n".join(lines).rstrip("\n") + "\n"


def _gradebook_section(gradebook, lesson: Lesson) -> list[str]:
    rows = failed_most(gradebook, lesson.slug)
    lines = ["## What your class failed most often", ""]
    if not rows:
        return [*lines, "The gradebook has no failed check for this lesson.", ""]
    lines += ["| Check | Task | Failed |", "|---|--:|--:|"]
    for name, task, failed, graded in rows:
        lines.append(f"| {markdown_text(name)} | {task or '—'} | {failed} of {graded} |")
    return [*lines, ""]


def load_gradebook(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))
