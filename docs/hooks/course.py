"""MkDocs hooks for the course site.

course.toml is the course's one list of lessons (read with `flasklings.course.load`). From it
this hook:

- fills the "Lessons" section of the nav (titles and order), and fails the build when a
  lesson's notebook is missing or a notebook in docs/lessons/ is not a lesson;
- expands the `<!-- course:... -->` markers in Markdown pages: the lesson map on Home, the
  workshop schedules (one day, two half-days) and total times;
- gives each lesson page its header line (lesson number, time, "download this notebook").

It also keeps the site light and self-contained:

- mkdocs-jupyter inlines ~600 KB of JupyterLab CSS into every notebook page; the hook takes
  the <style> blocks out of lesson pages, writes them once to assets/stylesheets/notebook.css,
  and links that file from each lesson page's content. Browsers fetch it once and cache it;
  pages without notebooks never load it (its rules are not all scoped to notebooks), and
  because the <link> is part of the content, Material's instant navigation adds and removes it
  with the page;
- mkdocs-quiz inlines its 44 KB script into every page with a quiz; the hook serves it once
  from assets/javascripts/mkdocs-quiz.js instead (Material's instant navigation runs a page's
  scripts, inline or not, when it swaps the content in);
- mkdocs-jupyter adds a MathJax loader (from a CDN) to every page; the lessons use no maths,
  so the hook removes it.
"""

from __future__ import annotations

import hashlib
import html
import logging
import posixpath
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url

log = logging.getLogger("mkdocs.hooks.course")

NOTEBOOK_CSS = "assets/stylesheets/notebook.css"
QUIZ_JS = "assets/javascripts/mkdocs-quiz.js"
GROWTH_SVG = "assets/images/invoicer-growth.svg"
LESSONS_SECTION = "Lessons"


_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>\s*", re.S | re.I)
_MATHJAX = re.compile(r"<script data-mkdocs-jupyter-mathjax=.*?</script>\s*", re.S)
_MARKER = re.compile(r"<!--\s*course:([a-z-]+)\s*-->")
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_CHARSET = re.compile(r'^@charset "[^"]*";\s*')

_state: dict = {"course": None, "docs": None, "styles": {}, "quiz_js": None}


def _quiz_script() -> tuple[str, str] | None:
    """mkdocs-quiz's inline <script> element, and the script inside it."""
    try:
        from mkdocs_quiz.plugin import js_script
    except ImportError:
        return None
    match = re.fullmatch(r"(?s)<script[^>]*>(.*)</script>", js_script)
    return (js_script, match.group(1)) if match else None


# -- course.toml ----------------------------------------------------------------------------


def _load_course(root: Path):
    try:
        from flasklings.course import load
    except ImportError:  # building from a checkout that is not installed
        sys.path.insert(0, str(root / "src"))
        from flasklings.course import load
    return load(root)


def _lesson_src(lesson) -> str:
    return f"lessons/{lesson.slug}.ipynb"


def on_config(config):
    root = Path(config.config_file_path).parent
    course = _load_course(root)
    if not course.lessons:
        raise PluginError(f"{root / 'course.toml'} lists no lessons")
    _state["course"] = course
    _state["docs"] = Path(config.docs_dir)
    _state["styles"] = {}
    _state["quiz_js"] = None

    docs = Path(config.docs_dir)
    missing = [_lesson_src(ls) for ls in course.lessons if not (docs / _lesson_src(ls)).is_file()]
    if missing:
        raise PluginError(
            "course.toml lists lessons without a notebook: "
            + ", ".join(f"docs/{m}" for m in missing)
        )
    listed = {f"{ls.slug}.ipynb" for ls in course.lessons}
    unexpected = sorted(p.name for p in (docs / "lessons").glob("*.ipynb") if p.name not in listed)
    if unexpected:
        raise PluginError(
            "notebooks in docs/lessons/ that course.toml does not list: " + ", ".join(unexpected)
        )

    entries = [{ls.title: _lesson_src(ls)} for ls in course.lessons]
    for item in config.nav or []:
        if isinstance(item, dict) and LESSONS_SECTION in item:
            if item[LESSONS_SECTION]:
                raise PluginError(
                    f"mkdocs.yml: leave the nav's {LESSONS_SECTION!r} section empty; "
                    "it is filled from course.toml"
                )
            item[LESSONS_SECTION] = entries
            break
    else:
        raise PluginError(f"mkdocs.yml: the nav has no {LESSONS_SECTION!r} section to fill")
    return config


@event_priority(50)  # before mkdocs-jupyter turns notebooks into pages, and htmlproofer indexes
def on_files(files, config):
    # The download button links to a copy of the notebook beside its page. Registering that
    # copy as a site file lets the link checker verify the button like any other link.
    for lesson in _state["course"].lessons:
        source = Path(config.docs_dir) / _lesson_src(lesson)
        files.append(
            File.generated(
                config,
                f"lessons/{lesson.slug}/{lesson.slug}.ipynb",
                content=source.read_bytes(),
            )
        )
    return files


def _lesson_for(page):
    course = _state["course"]
    for lesson in course.lessons:
        if page.file.src_uri == _lesson_src(lesson):
            return lesson
    return None


# -- generated Markdown ---------------------------------------------------------------------


def _minutes(total: int) -> str:
    hours, minutes = divmod(total, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"


def _link(page, lesson) -> str:
    here = posixpath.dirname(page.file.src_uri)
    return posixpath.relpath(_lesson_src(lesson), here or ".")


def _lesson_map(page) -> str:
    course = _state["course"]
    rows = [
        "| # | Lesson | Time | Tasks |",
        "|--:|---|--:|---|",
    ]
    for lesson in course.lessons:
        tasks = " · ".join(task.title for task in lesson.tasks).replace("|", "\\|")
        rows.append(
            f"| {lesson.number} | [{lesson.title}]({_link(page, lesson)}) "
            f"| {lesson.minutes} min | {tasks} |"
        )
    total = sum(lesson.minutes for lesson in course.lessons)
    rows.append(f"| | **Total** | **{_minutes(total)}** | |")
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


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _session(
    lessons, page, opening: str, closing: str, *, lunch: bool, start: int = 9 * 60
) -> list[tuple]:
    """One teaching session: (start, end, what) rows with breaks and, for a day, lunch."""
    rows = []
    t = start

    def add(minutes: int, what: str):
        nonlocal t
        rows.append((t, t + minutes, what))
        t += minutes

    add(15, opening)
    since_break = 15
    lunch_done = not lunch
    for lesson in lessons:
        lunch_due = t >= 12 * 60 or (t >= 11 * 60 + 30 and t + lesson.minutes > 12 * 60 + 45)
        if not lunch_done and lunch_due:
            add(60, "Lunch")
            lunch_done, since_break = True, 0
        elif since_break and since_break + lesson.minutes > 105:
            add(15, "Break")
            since_break = 0
        add(
            lesson.minutes,
            f"Lesson {lesson.number}: [{lesson.title}]({_link(page, lesson)})",
        )
        since_break += lesson.minutes
    add(15, closing)
    return rows


def _table(rows) -> str:
    lines = ["| Time | What |", "|---|---|"]
    for start, end, what in rows:
        lines.append(f"| {_clock(start)}–{_clock(end)} | {what} |")
    return "\n".join(lines) + "\n"


def _split_two(lessons):
    """Split the lessons into two consecutive groups with the most even teaching time."""
    best = None
    for cut in range(1, len(lessons)):
        first = sum(ls.minutes for ls in lessons[:cut])
        second = sum(ls.minutes for ls in lessons[cut:])
        score = max(first, second)
        if best is None or score < best[0]:
            best = (score, cut)
    cut = best[1] if best else len(lessons)
    return lessons[:cut], lessons[cut:]


def _schedule_one_day(page) -> str:
    lessons = _state["course"].lessons
    rows = _session(
        lessons,
        page,
        "Welcome; everyone runs `uv run flasklings` (setup check)",
        "Wrap-up: progress check (`uv run flasklings`), questions, what next",
        lunch=True,
    )
    out = _table(rows)
    if rows[-1][1] > 17 * 60 + 30:
        out += (
            '\n!!! warning "Longer than a day"\n'
            f"    This plan ends at {_clock(rows[-1][1])}. Use the two half-days, or move "
            "the last lessons to a follow-up session.\n"
        )
    return out


def _schedule_half_days(page) -> str:
    lessons = _state["course"].lessons
    first, second = _split_two(lessons)
    halves = [
        (
            first,
            "Welcome; everyone runs `uv run flasklings` (setup check)",
            "Wrap-up: where we stopped, what tomorrow starts from",
        ),
        (
            second,
            "Recap; anyone behind starts from the next lesson's starter (catch-up)",
            "Wrap-up: progress check (`uv run flasklings`), questions, what next",
        ),
    ]
    out = ""
    for number, (group, opening, closing) in enumerate(halves, start=1):
        if not group:
            continue
        rows = _session(group, page, opening, closing, lunch=False)
        out += f"\n**Half-day {number}**\n\n" + _table(rows)
        if rows[-1][1] > 13 * 60:
            out += (
                '\n!!! warning "Longer than a half-day"\n'
                f"    Half-day {number} ends at {_clock(rows[-1][1])}. Make it a full day, or "
                "spread the lessons over more sessions.\n"
            )
    return out.lstrip("\n")


def _total_time(page) -> str:
    lessons = _state["course"].lessons
    return f"{len(lessons)} lessons, {_minutes(sum(ls.minutes for ls in lessons))} of teaching"


def _growth_picture(page) -> str:
    svg = (_state["docs"] / GROWTH_SVG).read_text(encoding="utf-8")
    svg = re.sub(r"<\?xml[^>]*>\s*", "", svg)
    # Inline (not <img>), so its colours follow the light/dark palette toggle.
    return f'<figure class="fl-growth" markdown="0">\n{svg.strip()}\n</figure>\n'


MARKERS = {
    "lesson-map": _lesson_map,
    "schedule-one-day": _schedule_one_day,
    "schedule-two-half-days": _schedule_half_days,
    "total-time": _total_time,
    "growth-picture": _growth_picture,
}


@event_priority(50)  # before mkdocs-quiz (0), which reads page.meta["quiz"]
def on_page_markdown(markdown, page, config, files):
    if _lesson_for(page) is not None:
        page.meta["quiz"] = {"enabled": True}
        return markdown

    def expand(match):
        name = match.group(1)
        if name not in MARKERS:
            log.warning("%s: unknown marker <!-- course:%s -->", page.file.src_uri, name)
            return match.group(0)
        text = MARKERS[name](page)
        # A marker alone on an indented line (inside a tab or an admonition) keeps its block
        # there: indent every generated line like the marker.
        line_start = markdown.rfind("\n", 0, match.start()) + 1
        indent = markdown[line_start : match.start()]
        if indent and not indent.strip():
            text = text.rstrip("\n").replace("\n", "\n" + indent)
        return text

    return _MARKER.sub(expand, markdown)


# -- lesson pages ---------------------------------------------------------------------------

_DOWNLOAD_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" aria-hidden="true">'
    '<path d="M5 20h14v-2H5m14-9h-4V3H9v6H5l7 7z"/></svg>'
)


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
    lesson = _lesson_for(page)
    if lesson is None:
        return html_text

    def keep(match):
        css = match.group(1).strip()
        if css.startswith("["):
            # mkdocs-jupyter also appends str(list_of_css): a Python list repr, not CSS, and
            # a second copy of styles already kept.
            return ""
        css = _CHARSET.sub("", css)  # one @charset, at the top of the file
        _state["styles"].setdefault(hashlib.sha256(css.encode()).hexdigest(), css)
        return ""

    html_text = _STYLE.sub(keep, html_text)
    quiz = _quiz_script()
    if quiz and quiz[0] in html_text:
        _state["quiz_js"] = quiz[1]
        script = get_relative_url(QUIZ_JS, page.url)
        html_text = html_text.replace(quiz[0], f'<script src="{script}"></script>')
    stylesheet = get_relative_url(NOTEBOOK_CSS, page.url)
    html_text = f'<link rel="stylesheet" href="{stylesheet}">\n' + html_text

    h1 = _H1.search(html_text)
    if h1 is None:
        log.warning("%s: the notebook has no '# title' heading", page.file.src_uri)
        return _header(lesson, len(_state["course"].lessons)) + html_text
    shown = html.unescape(_TAG.sub("", h1.group(1))).replace("¶", "").strip()
    if shown != lesson.title:
        log.warning(
            "%s: the notebook's title %r differs from course.toml's %r",
            page.file.src_uri,
            shown,
            lesson.title,
        )
    end = h1.end()
    return html_text[:end] + "\n" + _header(lesson, len(_state["course"].lessons)) + html_text[end:]


@event_priority(-100)  # after mkdocs-jupyter has added its MathJax loader
def on_post_page(output, page, config):
    return _MATHJAX.sub("", output)


def on_post_build(config):
    styles = _state["styles"]
    if not styles:
        raise PluginError("no notebook styles were collected: is mkdocs-jupyter enabled?")
    target = Path(config.site_dir) / NOTEBOOK_CSS
    target.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "/* JupyterLab and notebook styles for the lesson pages, collected from mkdocs-jupyter\n"
        "   by docs/hooks/course.py so that every lesson page does not inline them. */\n"
    )
    target.write_text(
        '@charset "UTF-8";\n' + header + "\n".join(styles.values()) + "\n", encoding="utf-8"
    )
    if _state["quiz_js"]:
        script = Path(config.site_dir) / QUIZ_JS
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(_state["quiz_js"], encoding="utf-8")
