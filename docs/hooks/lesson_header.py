"""Hook: the line under each lesson's title (lesson number, time, tasks, download button).

The download button links to a copy of the notebook beside its page; that copy is registered
as a site file, so the link checker verifies the button like any other link.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import course_data
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.lesson_header")

_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_DOWNLOAD_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" aria-hidden="true">'
    '<path d="M5 20h14v-2H5m14-9h-4V3H9v6H5l7 7z"/></svg>'
)


@event_priority(50)  # before mkdocs-jupyter turns notebooks into pages, and htmlproofer indexes
def on_files(files, config):
    for lesson in course_data.course().lessons:
        source = Path(config.docs_dir) / course_data.lesson_src(lesson)
        files.append(
            File.generated(
                config,
                f"lessons/{lesson.slug}/{lesson.slug}.ipynb",
                content=source.read_bytes(),
            )
        )
    return files


def _header(lesson, count: int) -> str:
    name = f"{lesson.slug}.ipynb"
    tasks = len(lesson.tasks)
    return (
        '<div class="fl-lesson-meta">'
        f'<span class="fl-lesson-meta__item">Lesson {lesson.number} of {count}</span>'
        f'<span class="fl-lesson-meta__item">about {lesson.minutes} minutes</span>'
        f'<span class="fl-lesson-meta__item">{tasks} task{"s" if tasks != 1 else ""}</span>'
        f'<a class="md-button fl-download" href="{name}" download="{name}" '
        f'title="Download this notebook ({name})">{_DOWNLOAD_ICON} Download this notebook</a>'
        "</div>\n"
    )


@event_priority(-50)  # after mkdocs-jupyter and mkdocs-quiz have produced the page HTML
def on_page_content(html_text, page, config, files):
    lesson = course_data.lesson_for(page)
    if lesson is None:
        return html_text
    header = _header(lesson, len(course_data.course().lessons))
    h1 = _H1.search(html_text)
    if h1 is None:
        log.warning("%s: the notebook has no '# title' heading", page.file.src_uri)
        return header + html_text
    shown = html.unescape(_TAG.sub("", h1.group(1))).replace("¶", "").strip()
    if shown != lesson.title:
        log.warning(
            "%s: the notebook's title %r differs from course.toml's %r",
            page.file.src_uri,
            shown,
            lesson.title,
        )
    return html_text[: h1.end()] + "\n" + header + html_text[h1.end() :]
