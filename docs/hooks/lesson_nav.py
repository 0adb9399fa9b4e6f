"""Hook: the "Lessons" section of the nav, filled from course.toml.

Titles and order come from course.toml; the build fails when a lesson's notebook is missing
or a notebook in docs/lessons/ is not a lesson. List this hook first: it loads the course
for the others.
"""

from __future__ import annotations

from pathlib import Path

import course_data
from mkdocs.exceptions import PluginError

LESSONS_SECTION = "Lessons"


def on_config(config):
    course = course_data.load(config)
    docs = Path(config.docs_dir)
    missing = [
        course_data.lesson_src(ls)
        for ls in course.lessons
        if not (docs / course_data.lesson_src(ls)).is_file()
    ]
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

    entries = [{ls.title: course_data.lesson_src(ls)} for ls in course.lessons]
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
