"""Invariant 9 and the site's quality bars, checked on the built site (no browser).

`mkdocs build --strict` passing is checked by the `built_site` fixture (conftest.py): strict
mode plus mkdocs-htmlproofer-plugin make every warning, broken internal link and missing anchor
fail the build. Here: the lesson nav and the generated tables follow course.toml, lesson pages
stay within their size budget and carry no notebook CSS, notebook text is not parsed as tags,
the site loads nothing from other hosts, and the reference pages say what the installed Flask
does. What a reader sees in a browser is tests/course/test_browser.py.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from flasklings import course

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
DOCS = ROOT / "docs"
PAGE_BUDGET = 250 * 1024  # bytes of HTML per lesson page
each_lesson = pytest.mark.parametrize(
    "lesson", COURSE.lessons, ids=[lesson.slug for lesson in COURSE.lessons]
)


def page(site, path: str) -> str:
    return (site.site_dir / path / "index.html").read_text(encoding="utf-8")


class Elements(HTMLParser):
    """Every start tag with its attributes, plus the text of inline <script> and <style>."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.inline: list[tuple[str, str]] = []
        self._open: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag in ("script", "style") and "src" not in attributes:
            self._open = tag

    def handle_data(self, data):
        if self._open:
            self.inline.append((self._open, data))

    def handle_endtag(self, tag):
        if tag == self._open:
            self._open = None

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.tags
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]


# -- nav and generated content follow course.toml -----------------------------------------


def test_lesson_pages_are_exactly_the_lessons_of_course_toml(built_site):
    built = sorted(p.parent.name for p in (built_site.site_dir / "lessons").glob("*/index.html"))
    assert built == sorted(lesson.slug for lesson in COURSE.lessons)


def test_nav_lists_the_lessons_in_course_toml_order_with_their_titles(built_site):
    home = page(built_site, "")
    nav = home[home.index('class="md-nav md-nav--primary"') :]
    positions = []
    for lesson in COURSE.lessons:
        link = re.search(
            rf'<a href="lessons/{lesson.slug}/" class="md-nav__link">\s*'
            rf'<span class="md-ellipsis">\s*([^<]*?)\s*</span>',
            nav,
        )
        assert link, f"no nav link to lesson {lesson.slug}"
        assert link.group(1) == lesson.title
        positions.append(link.start())
    assert positions == sorted(positions)


@each_lesson
def test_lesson_page_title_and_header_come_from_course_toml(built_site, lesson):
    html = page(built_site, f"lessons/{lesson.slug}")
    assert re.search(rf"<title>{re.escape(lesson.title)} - ", html.replace("&#39;", "'"))
    header = re.search(r'<div class="fl-lesson-meta">(.*?)</div>', html, re.S)
    assert header, "the lesson header (number, time, download button) is missing"
    assert f"Lesson {lesson.number} of {len(COURSE.lessons)}" in header.group(1)
    assert f"about {lesson.minutes} minutes" in header.group(1)


@each_lesson
def test_download_button_serves_the_committed_notebook(built_site, lesson):
    elements = Elements(page(built_site, f"lessons/{lesson.slug}"))
    (button,) = [a for t, a in elements.tags if t == "a" and "fl-download" in a.get("class", "")]
    assert button["href"] == button["download"] == f"{lesson.slug}.ipynb"
    served = built_site.site_dir / "lessons" / lesson.slug / button["href"]
    assert served.read_bytes() == (DOCS / "lessons" / f"{lesson.slug}.ipynb").read_bytes()


def test_home_lesson_map_lists_every_lesson_with_its_time(built_site):
    home = page(built_site, "")
    for lesson in COURSE.lessons:
        row = re.search(
            rf'<tr>\s*<td[^>]*>{lesson.number}</td>\s*<td[^>]*><a href="lessons/{lesson.slug}/">'
            rf"(.*?)</a></td>\s*<td[^>]*>(\d+)\s+min</td>",
            home,
        )
        assert row, f"lesson map has no row for {lesson.slug}"
        assert row.group(1).replace("&amp;", "&") == lesson.title
        assert int(row.group(2)) == lesson.minutes


def test_workshop_schedules_come_from_lesson_minutes(built_site):
    html = page(built_site, "workshop")
    slots = re.findall(r"<td>(\d\d):(\d\d)–(\d\d):(\d\d)</td>\s*<td>Lesson (\d+):", html)
    # Every lesson appears once in the one-day plan and once in the two half-days.
    numbers = [int(s[4]) for s in slots]
    assert sorted(numbers) == sorted(2 * [lesson.number for lesson in COURSE.lessons])
    for h1, m1, h2, m2, number in slots:
        minutes = (int(h2) * 60 + int(m2)) - (int(h1) * 60 + int(m1))
        assert minutes == COURSE.lessons[int(number) - 1].minutes


def test_no_marker_is_left_unexpanded(built_site):
    for html_file in built_site.site_dir.rglob("*.html"):
        assert "<!-- course:" not in html_file.read_text(encoding="utf-8"), html_file


# -- light pages -----------------------------------------------------------------------------


@each_lesson
def test_lesson_page_is_within_the_size_budget(built_site, lesson):
    size = (built_site.site_dir / "lessons" / lesson.slug / "index.html").stat().st_size
    assert size <= PAGE_BUDGET, f"{lesson.slug}: {size / 1024:.0f} KB > 250 KB"


@each_lesson
def test_lesson_pages_load_no_notebook_css(built_site, lesson):
    """Cells are styled by site.css and Material: no JupyterLab CSS, inline or linked."""
    elements = Elements(page(built_site, f"lessons/{lesson.slug}"))
    assert not [text for tag, text in elements.inline if tag == "style"], "inline <style>"
    sheets = [a["href"] for a in elements.find("link", rel="stylesheet")]
    assert not [s for s in sheets if "notebook" in s], sheets
    assert not list(built_site.site_dir.rglob("notebook.css"))
    site_css = (DOCS / "assets" / "stylesheets" / "site.css").read_text(encoding="utf-8")
    assert ".jp-OutputArea-output" in site_css


@each_lesson
def test_quizzes_are_forms_with_a_submit_button(built_site, lesson):
    """Each question is a fieldset named by its question, answered with a button."""
    html = page(built_site, f"lessons/{lesson.slug}")
    forms = re.findall(r'<form class="fl-quiz".*?</form>', html, re.S)
    assert forms, "no self-check question"
    for form in forms:
        assert re.search(r"<fieldset>\s*<legend>.+?</legend>", form, re.S), form[:300]
        assert len(re.findall(r'<input type="(?:radio|checkbox)"', form)) >= 2
        assert "data-correct" in form
        assert '<button type="submit"' in form
        assert 'role="status"' in form, "the verdict is not announced"
    assert "<quiz>" not in html and "mkdocs-quiz" not in html and "quiz-header-link" not in html
    scripts = [a.get("src") for a in Elements(html).find("script")]
    assert "../../assets/javascripts/quiz.js" in scripts


def test_search_loads_on_demand_and_css_is_trimmed(built_site):
    """The search script runs before Material's bundle; Material's CSS has been purged."""
    home = page(built_site, "")
    scripts = [a.get("src", "") for a in Elements(home).find("script")]
    on_demand = scripts.index("assets/javascripts/search-on-demand.js")
    bundle = next(i for i, src in enumerate(scripts) if "/bundle." in src)
    assert on_demand < bundle, "search-on-demand.js must run before Material's bundle"
    (main_css,) = (built_site.site_dir / "assets" / "stylesheets").glob("main.*.min.css")
    size = main_css.stat().st_size
    assert size < 110 * 1024, f"{main_css.name} is {size // 1024} KB: was PurgeCSS run (npm ci)?"


def test_theme_controls_have_names_and_outputs_no_tab_stops(built_site):
    for html_file in built_site.site_dir.rglob("index.html"):
        text = html_file.read_text(encoding="utf-8")
        assert 'role="dialog" aria-label="Search"' in text, html_file
        assert 'role="progressbar" aria-label=' in text, html_file
        unnamed = re.findall(r'<input type="checkbox"(?![^>]*aria-label)[^>]*>', text)
        assert not unnamed, f"{html_file}: unnamed check boxes {unnamed[:3]}"
        assert not re.search(r'jp-OutputArea-output[^>]*tabindex="0"', text), html_file


# Every element a lesson page may contain. Anything else is Markdown text that an HTML
# parser took for a tag on the way (`<function name>` in a code span, an `<http://...>`
# autolink) and that the reader never sees.
KNOWN_TAGS = set(
    re.findall(
        r"\S+",
        """
        html head body meta title link script style noscript div span p a code pre kbd em strong
        b i u s small sub sup br hr h1 h2 h3 h4 h5 h6 ul ol li dl dt dd table thead tbody tfoot
        tr th td caption blockquote details summary figure figcaption img picture source label
        input button form fieldset legend select option textarea nav header footer main article
        section aside svg path g rect circle line polyline polygon text tspan title desc defs
        use symbol mark abbr del ins time var samp cite q dfn iframe
        """,
    )
)


@each_lesson
def test_lesson_page_has_only_real_elements(built_site, lesson):
    html = page(built_site, f"lessons/{lesson.slug}")
    unknown = sorted({tag for tag, _ in Elements(html).tags} - KNOWN_TAGS)
    assert not unknown, f"Markdown text parsed as tags: {unknown}"
    assert "data-fl-cell" not in html, "a notebook cell was not put back (notebook_cells.py)"
    assert "jp-Notebook -->" not in html and "&lt;style" not in html
    assert "Copied!" not in html and "clipboard-copy" not in html


def test_home_page_shows_the_navigation(built_site):
    home = page(built_site, "")
    assert not re.search(r'class="md-sidebar md-sidebar--primary"[^>]*\bhidden\b', home)
    assert 'href="reference/settings/"' in home


# -- self-contained ----------------------------------------------------------------------------

# URLs in Material's bundle that it loads only in situations this site never creates.
DORMANT = {
    "https://unpkg.com/mermaid@11/dist/mermaid.min.js": "only for pages with Mermaid diagrams",
    "https://unpkg.com/resize-observer-polyfill": "only in browsers without ResizeObserver",
    "https://api.github.com/repos/": "only when mkdocs.yml sets repo_url",
    "https://api.github.com/users/": "only when mkdocs.yml sets repo_url",
}
CDN_HOSTS = re.compile(
    r"https?://(?:[\w.-]*\.)?(?:jsdelivr|unpkg|cdnjs|googleapis|gstatic|cloudflare|"
    r"polyfill|bootstrapcdn|fontawesome|mathjax|typekit|jquery)\.[\w./@?=&%-]*",
    re.I,
)
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)
RESOURCE_ATTRS = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "track": ("src",),
    "input": ("src",),
    "image": ("href",),
    "use": ("href",),
}


def external_loads_in_html(text: str) -> list[str]:
    found = []
    elements = Elements(text)
    for tag, attrs in elements.tags:
        names = RESOURCE_ATTRS.get(tag, ())
        if tag == "link" and attrs.get("rel", "") not in ("canonical", "alternate"):
            names = ("href",)
        for name in names:
            for value in attrs.get(name, "").replace(",", " ").split():
                if EXTERNAL.match(value) and not value.startswith("data:"):
                    found.append(f"<{tag} {name}={value}>")
        if "url(" in attrs.get("style", ""):
            found += external_loads_in_css(attrs["style"])
        if tag != "a":  # a loader may keep its URL in any attribute (data-*, for example)
            found += [m.group(0) for value in attrs.values() for m in CDN_HOSTS.finditer(value)]
    for tag, text_ in elements.inline:
        if tag == "style":
            found += external_loads_in_css(text_)
        else:
            found += [m.group(0) for m in CDN_HOSTS.finditer(text_)]
    return found


def external_loads_in_css(text: str) -> list[str]:
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", text) + re.findall(
        r"@import\s+(?:url\()?\s*['\"]?([^'\")\s;]+)", text
    )
    return [u for u in urls if EXTERNAL.match(u) and not u.startswith("data:")]


def test_site_loads_nothing_from_other_hosts(built_site):
    problems = []
    for path in sorted(built_site.site_dir.rglob("*")):
        rel = path.relative_to(built_site.site_dir)
        if path.suffix == ".html":
            problems += [f"{rel}: {u}" for u in external_loads_in_html(path.read_text("utf-8"))]
        elif path.suffix == ".css":
            problems += [f"{rel}: {u}" for u in external_loads_in_css(path.read_text("utf-8"))]
        elif path.suffix == ".js":
            for match in CDN_HOSTS.finditer(path.read_text("utf-8")):
                if not any(match.group(0).startswith(url) for url in DORMANT):
                    problems.append(f"{rel}: {match.group(0)}")
    assert not problems, "the site loads from other hosts:\n" + "\n".join(problems)


def test_the_dormant_loaders_stay_dormant(built_site):
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert not re.search(r"^repo_url:", config, re.M), "repo_url makes Material call GitHub"
    for html_file in built_site.site_dir.rglob("*.html"):
        text = html_file.read_text(encoding="utf-8")
        assert 'class="mermaid"' not in text, f"{html_file}: Mermaid loads from unpkg.com"
        assert "data-mkdocs-jupyter-mathjax" not in text, f"{html_file}: MathJax loader"
        assert "fonts.googleapis" not in text


def test_quizzes_are_on_lesson_pages_only(built_site):
    for html_file in built_site.site_dir.rglob("index.html"):
        text = html_file.read_text(encoding="utf-8")
        is_lesson = html_file.parent.parent.name == "lessons"
        assert ('class="fl-quiz"' in text) == is_lesson, html_file


@each_lesson
def test_lesson_ends_with_two_to_four_self_check_questions(built_site, lesson):
    html = page(built_site, f"lessons/{lesson.slug}")
    assert 2 <= len(re.findall(r'<form class="fl-quiz"', html)) <= 4


# -- the reference pages say what the installed packages do --------------------------------


def settings_rows(markdown: str) -> dict[str, list[str]]:
    rows = {}
    for line in markdown.splitlines():
        match = re.match(r"\|\s*`([A-Z_]+)`\s*\|(.*)\|\s*$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split(" | ")]
    return rows


def literal(cell: str):
    source = cell.strip("`")
    if source.startswith("timedelta("):
        return eval(source, {"__builtins__": {}, "timedelta": timedelta})
    return ast.literal_eval(source)


def test_settings_cheat_sheet_matches_flask_defaults(monkeypatch: pytest.MonkeyPatch):
    from flask import Flask

    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    rows = settings_rows((DOCS / "reference" / "settings.md").read_text(encoding="utf-8"))
    # What a new app holds: make_config turns default_config's DEBUG None into False.
    defaults = dict(Flask(__name__).config)
    missing = sorted(set(defaults) - set(rows))
    assert not missing, f"settings.md does not list {missing}"
    for key, value in defaults.items():
        assert literal(rows[key][0]) == value, f"{key}: page says {rows[key][0]}, Flask {value!r}"


def test_settings_cheat_sheet_extension_defaults_match_the_extensions():
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy
    from flask_wtf import CSRFProtect

    rows = settings_rows((DOCS / "reference" / "settings.md").read_text(encoding="utf-8"))
    app = Flask(__name__)
    app.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI="sqlite://")
    SQLAlchemy().init_app(app)
    CSRFProtect().init_app(app)
    extension_keys = [k for k in rows if k.startswith(("SQLALCHEMY_", "WTF_"))]
    assert extension_keys
    for key in extension_keys:
        if key == "SQLALCHEMY_DATABASE_URI":
            assert literal(rows[key][0]) is None
            continue
        assert literal(rows[key][0]) == app.config[key], key


def test_removed_settings_are_really_gone():
    from flask import Flask

    markdown = (DOCS / "reference" / "settings.md").read_text(encoding="utf-8")
    removed = markdown.split("## Settings that no longer exist")[1].split("\n## ")[0]
    keys = re.findall(r"^\|\s*`([A-Z_]+)`", removed, re.M)
    assert len(keys) >= 6
    assert not set(keys) & set(Flask.default_config)


DEMO = re.compile(
    r'```python title="Run it"\n(?P<code>.*?)\n```\s*\n```text title="Output"\n(?P<out>.*?)\n```',
    re.S,
)


def run_demo(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("page_name", ["errata"])
def test_reference_demonstrations_print_what_the_page_shows(page_name, tmp_path):
    markdown = (DOCS / "reference" / f"{page_name}.md").read_text(encoding="utf-8")
    demos = list(DEMO.finditer(markdown))
    assert len(demos) >= 10
    assert markdown.count('title="Run it"') == len(demos), "a demonstration has no Output block"
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda m: run_demo(m.group("code"), tmp_path), demos))
    for demo, result in zip(demos, results, strict=True):
        first_line = demo.group("code").splitlines()[0]
        where = f"{page_name}.md line {markdown[: demo.start()].count(chr(10)) + 1}"
        assert result.returncode == 0, f"{where} ({first_line}):\n{result.stderr}"
        assert result.stdout.strip() == demo.group("out").strip(), where


def test_search_index_covers_the_lessons(built_site):
    index = json.loads(
        (built_site.site_dir / "search" / "search_index.json").read_text(encoding="utf-8")
    )
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    for lesson in COURSE.lessons:
        assert f"lessons/{lesson.slug}/" in locations
