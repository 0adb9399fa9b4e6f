"""Keep each lesson notebook's hints equal to course.toml, the one place they are written.

A notebook's `## Task n: ...` Markdown cell ends with its hints as collapsible admonitions,
`??? tip "Hint k"`, one per hint of that task in course.toml. This module writes them from
course.toml (`python -m flasklings.notebook_hints`) and lists notebooks that differ
(`--check`, which the course's own tests use).
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from flasklings import course as course_mod
from flasklings.course import Course, Lesson

_HINTS_START = '??? tip "Hint'
_TASK_HEADING = re.compile(r"## Task (\d+):")


def hint_block(hints: tuple[str, ...]) -> str:
    return "\n\n".join(f'??? tip "Hint {k}"\n    {text}' for k, text in enumerate(hints, 1))


def synced_cells(lesson: Lesson, cells: list[dict]) -> list[dict]:
    """The notebook's cells with every task cell's hints written from course.toml."""
    result = []
    for cell in cells:
        source = "".join(cell["source"])
        match = _TASK_HEADING.match(source)
        if cell["cell_type"] == "markdown" and match:
            task = lesson.task(int(match[1]))
            body = source.split(_HINTS_START, 1)[0].rstrip()
            source = f"{body}\n\n{hint_block(task.hints)}"
            cell = {**cell, "source": source.splitlines(keepends=True)}
        result.append(cell)
    return result


def out_of_date(course: Course) -> list[str]:
    """Notebooks whose hints differ from course.toml."""
    stale = []
    for lesson in course.lessons:
        notebook = json.loads(course.notebook(lesson).read_text(encoding="utf-8"))
        if synced_cells(lesson, notebook["cells"]) != notebook["cells"]:
            stale.append(str(course.notebook(lesson).relative_to(course.root)))
    return stale


def sync(course: Course) -> list[str]:
    """Rewrite the hints of every notebook that differs; returns the ones written."""
    written = []
    for lesson in course.lessons:
        path = course.notebook(lesson)
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = synced_cells(lesson, notebook["cells"])
        if cells != notebook["cells"]:
            notebook["cells"] = cells
            text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
            path.write_text(text, encoding="utf-8")
            written.append(str(path.relative_to(course.root)))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list notebooks that differ")
    args = parser.parse_args(argv)
    course = course_mod.load(course_mod.find_root())
    if args.check:
        stale = out_of_date(course)
        for name in stale:
            print(f"{name}: hints differ from course.toml")
        return 1 if stale else 0
    for name in sync(course):
        print(f"wrote the hints of {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
