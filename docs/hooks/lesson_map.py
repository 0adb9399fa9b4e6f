"""The `<!-- course:lesson-map -->` marker: the lesson table on Home (a helper of markers.py).

One row per lesson of course.toml (number, linked title, minutes, task titles), a total, and
the lessons planned in course.toml's [[planned]] as "coming later".
"""

from __future__ import annotations

import course_data

NBSP = "\u00a0"  # "30 min" stays on one line in a narrow column


def lesson_map(page) -> str:
    course = course_data.course()
    rows = [
        "| # | Lesson | Time | Tasks |",
        "|--:|---|--:|---|",
    ]
    for lesson in course.lessons:
        tasks = " · ".join(task.title for task in lesson.tasks).replace("|", "\\|")
        rows.append(
            f"| {lesson.number} | [{lesson.title}]({course_data.link(page, lesson)}) "
            f"| {lesson.minutes}{NBSP}min | {tasks} |"
        )
    total = sum(lesson.minutes for lesson in course.lessons)
    rows.append(f"| | **Total** | **{course_data.minutes(total)}** | |")
    out = "\n".join(rows) + "\n"
    if course.planned:
        items = "\n".join(
            f"- **{later.number} · {later.title}** — {later.summary}" for later in course.planned
        )
        out += (
            '\n<div class="fl-later" markdown>\n\n'
            "**Coming later.** These lessons are being written; each appears here, in the "
            "navigation and in `flasklings` when it is added to `course.toml`.\n\n"
            f"{items}\n\n</div>\n"
        )
    return out
