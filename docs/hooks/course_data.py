"""The course, as the site's hooks see it (a helper module, not a hook).

course.toml is the course's one list of lessons, read with `flasklings.course.load`.
docs/hooks/lesson_nav.py loads it once per build (`load`); the other hooks read it with
`course()` and use the small helpers here to find a page's lesson and link to lessons.
"""

from __future__ import annotations

import posixpath
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

_loaded: dict = {"course": None}


def load(config):
    """Read course.toml beside mkdocs.yml and keep it for the rest of the build."""
    root = Path(config.config_file_path).parent
    try:
        from flasklings.course import load as load_course
    except ImportError:  # building from a checkout that is not installed
        sys.path.insert(0, str(root / "src"))
        from flasklings.course import load as load_course
    course = load_course(root)
    if not course.lessons:
        raise PluginError(f"{root / 'course.toml'} lists no lessons")
    _loaded["course"] = course
    return course


def course():
    if _loaded["course"] is None:
        raise PluginError("docs/hooks/lesson_nav.py must be listed first under `hooks:`")
    return _loaded["course"]


def lesson_src(lesson) -> str:
    """The lesson's notebook, relative to docs/."""
    return f"lessons/{lesson.slug}.ipynb"


def lesson_for(page):
    """The lesson a page shows, or None for the other pages."""
    for lesson in course().lessons:
        if page.file.src_uri == lesson_src(lesson):
            return lesson
    return None


def link(page, lesson) -> str:
    """A Markdown link target from `page` to the lesson's page."""
    here = posixpath.dirname(page.file.src_uri)
    return posixpath.relpath(lesson_src(lesson), here or ".")


def minutes(total: int) -> str:
    """For example "2 h 05 min", with no-break spaces: it never wraps in a table cell."""
    hours, rest = divmod(total, 60)
    if not hours:
        return f"{rest}\u00a0min"
    return f"{hours}\u00a0h\u00a0{rest:02d}\u00a0min" if rest else f"{hours}\u00a0h"
