"""Hook: quizzes on lesson pages only, with their script and styles served once.

mkdocs-quiz is off by default (mkdocs.yml); this hook turns it on for each lesson page. The
plugin inlines its 44 KB script and 10 KB of CSS into every page with a quiz; the hook serves
them once, as assets/javascripts/mkdocs-quiz.js and assets/stylesheets/mkdocs-quiz.css, so the
browser caches them. Material's instant navigation runs a page's scripts and adds its
stylesheet links when it swaps the content in. site.css then fits the quizzes to the theme.
"""

from __future__ import annotations

import re
from pathlib import Path

import course_data
from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url

QUIZ_JS = "assets/javascripts/mkdocs-quiz.js"
QUIZ_CSS = "assets/stylesheets/mkdocs-quiz.css"

_served: dict[str, str] = {}


def _inline_assets() -> list[tuple[str, str, str]]:
    """(inline element, its content, the file that replaces it) for the script and styles."""
    try:
        from mkdocs_quiz.plugin import js_script, style
    except ImportError:
        return []
    found = []
    for element, path in ((js_script, QUIZ_JS), (style, QUIZ_CSS)):
        match = re.fullmatch(r"(?s)<(?:script|style)[^>]*>(.*)</(?:script|style)>", element)
        if match:
            found.append((element, match.group(1), path))
    return found


@event_priority(50)  # before mkdocs-quiz (0), which reads page.meta["quiz"]
def on_page_markdown(markdown, page, config, files):
    if course_data.lesson_for(page) is not None:
        page.meta["quiz"] = {"enabled": True}
    return markdown


@event_priority(-50)  # after mkdocs-quiz has added its script and styles to the content
def on_page_content(html_text, page, config, files):
    for element, content, path in _inline_assets():
        if element not in html_text:
            continue
        _served[path] = content
        url = get_relative_url(path, page.url)
        tag = (
            f'<script src="{url}"></script>'
            if path.endswith(".js")
            else f'<link rel="stylesheet" href="{url}">'
        )
        html_text = html_text.replace(element, tag)
    return html_text


def on_pre_build(config):
    _served.clear()


def on_post_build(config):
    for path, content in _served.items():
        target = Path(config.site_dir) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
