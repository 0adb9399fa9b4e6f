"""Hook: expands the `<!-- course:NAME -->` markers in the Markdown pages.

Each marker's text is made by a function in a sibling module: the lesson map and the growth
picture on Home, the schedules and total time in the workshop guide. A marker alone on an
indented line (inside a tab or an admonition) keeps its block there.
"""

from __future__ import annotations

import functools
import logging
import re

import course_data
import growth_picture
import lesson_map
import schedules
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.markers")

_MARKER = re.compile(r"<!--\s*course:([a-z-]+)\s*-->")


def _makers(config) -> dict:
    return {
        "lesson-map": lesson_map.lesson_map,
        "growth-picture": functools.partial(
            growth_picture.growth_picture, docs_dir=config.docs_dir
        ),
        "schedule-one-day": schedules.one_day,
        "schedule-two-half-days": schedules.two_half_days,
        "total-time": schedules.total_time,
    }


@event_priority(50)  # before other plugins read the page's Markdown
def on_page_markdown(markdown, page, config, files):
    if course_data.lesson_for(page) is not None:
        return markdown
    makers = _makers(config)

    def expand(match):
        name = match.group(1)
        if name not in makers:
            log.warning("%s: unknown marker <!-- course:%s -->", page.file.src_uri, name)
            return match.group(0)
        text = makers[name](page)
        line_start = markdown.rfind("\n", 0, match.start()) + 1
        indent = markdown[line_start : match.start()]
        if indent and not indent.strip():
            text = text.rstrip("\n").replace("\n", "\n" + indent)
        return text

    return _MARKER.sub(expand, markdown)
