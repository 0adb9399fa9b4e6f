"""Hints are written once, in course.toml; each notebook's Task cells carry exactly those."""

from __future__ import annotations

import json
from pathlib import Path

from flasklings import course, notebook_hints

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)


def test_notebook_hints_match_course_toml():
    stale = notebook_hints.out_of_date(COURSE)
    assert not stale, (
        f"{stale}: hints differ from course.toml; run `python -m flasklings.notebook_hints`"
    )


def test_sync_writes_the_hints_of_each_task(tmp_path: Path):
    lesson = COURSE.lessons[0]
    cells = json.loads(COURSE.notebook(lesson).read_text(encoding="utf-8"))["cells"]
    task_cells = [c for c in cells if "".join(c["source"]).startswith("## Task 1:")]
    assert len(task_cells) == 1
    stale = [{**task_cells[0], "source": ["## Task 1: old\n", "\n", '??? tip "Hint 1"\n', "    x"]}]
    (synced,) = notebook_hints.synced_cells(lesson, stale)
    text = "".join(synced["source"])
    assert text.startswith("## Task 1: old\n\n")
    for k, hint in enumerate(lesson.task(1).hints, 1):
        assert f'??? tip "Hint {k}"\n    {hint}' in text
    assert "    x" not in text
