"""Hook: the workshop's "Instructor notes" pages, one a lesson, generated at build time.

The text comes from flasklings.notes (timings and tasks from course.toml, the common mistakes
from each lesson's mutants), so nothing is written twice. The pages are not files in docs/:
this hook adds them to the build and fills the nav section named "Instructor notes".

With a class gradebook, each page also lists the checks the class failed most often:
    FLASKLINGS_GRADEBOOK=grades/gradebook.json uv run mkdocs serve
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

import course_data
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

SECTION = "Instructor notes"
FOLDER = "workshop/notes"
GRADEBOOK = "FLASKLINGS_GRADEBOOK"


def _src(lesson) -> str:
    return f"{FOLDER}/{lesson.slug}.md"


def _fill(items) -> bool:
    """Put one entry a lesson into the (possibly nested) nav section SECTION."""
    for item in items or []:
        if not isinstance(item, dict):
            continue
        for title, value in item.items():
            if title == SECTION:
                if value:
                    raise PluginError(f"mkdocs.yml: leave the nav's {SECTION!r} section empty")
                item[title] = [
                    {f"{ls.number:02d} · {ls.title}": _src(ls)}
                    for ls in course_data.course().lessons
                ]
                return True
            if isinstance(value, list) and _fill(value):
                return True
    return False


def on_config(config):
    if not _fill(config.nav):
        raise PluginError(f"mkdocs.yml: the nav has no {SECTION!r} section to fill")
    return config


def _gradebook():
    from flasklings import notes

    value = os.environ.get(GRADEBOOK, "").strip()
    if not value:
        return None
    try:
        return notes.load_gradebook(Path(value))
    except (OSError, ValueError) as exc:
        raise PluginError(f"{GRADEBOOK}={value}: cannot read the gradebook: {exc}") from None


# Before the plugins' on_files (htmlproofer indexes the files there, to check links).
@event_priority(100)
def on_files(files, config):
    from flasklings import notes  # importable once course_data.load has run

    course = course_data.course()
    gradebook = _gradebook()
    for lesson in course.lessons:
        link = posixpath.relpath(course_data.lesson_src(lesson), FOLDER)
        page = notes.lesson_page(course, lesson, link, gradebook)
        files.append(File.generated(config, _src(lesson), content=page))
    return files
