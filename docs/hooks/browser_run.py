"""Hook: lessons that run in the browser (course.toml `browser = true`) get a Run button on
each code cell and a "Try the tasks here" panel, and the build gets the Python they run on;
the others say, where their "Check your work" begins, that they run on the reader's computer.

A code cell whose notebook metadata says `"flasklings": {"local_only": "why"}` gets that
reason and the local command instead of a button.

The buttons and the panel are plain HTML made here (the editor is a <textarea> until
CodeMirror, bundled from docs/hooks/editor.mjs, replaces it when the panel comes into view);
docs/assets/javascripts/browser-run.js makes them work, and starts Python
(docs/assets/javascripts/python-worker.js, a Web Worker) only when a reader first presses
one. The Python itself, the wheels and the course files go into assets/python/ after the
build (flasklings.browser_build), so a page that nobody runs weighs what it did before.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from pathlib import Path

import course_data
from mkdocs.exceptions import PluginError

_CELL = re.compile(r'<div class="fl-cell">')
_CHECK_HEADING = re.compile(r'<h2 id="check-your-work"')


def _run_bar(number: int) -> str:
    return (
        '<div class="fl-run">'
        f'<button type="button" class="md-button fl-run__button" data-fl-run '
        f'aria-label="Run code cell {number}">Run</button>'
        '<span class="fl-run__status" role="status" aria-live="polite"></span>'
        "</div>"
    )


def _local_only(reason: str) -> str:
    return (
        '<p class="fl-run fl-run--local">This cell runs on your computer only: '
        f"{html.escape(reason)}. Run the notebook there with "
        "<code>uv run --extra lab jupyter lab</code>.</p>"
    )


def _code_cells(page) -> list[dict]:
    """Each code cell's `flasklings` metadata, in page order (`local_only`: why it cannot
    run in the browser)."""
    notebook = json.loads(Path(page.file.abs_src_path).read_text(encoding="utf-8"))
    return [
        cell.get("metadata", {}).get("flasklings", {})
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    ]


def _panel(lesson, course, python_url: str) -> str:
    from flasklings import browser_build

    editors = []
    # The files' text is fetched when the panel comes into view (assets/python/starters/):
    # a page that nobody works on weighs what it did without the panel.
    for name in browser_build.panel_files(course, lesson):
        field = f"fl-try-{lesson.slug}-{re.sub(r'[^A-Za-z0-9]', '-', name)}"
        editors.append(
            f'<label class="fl-try__label" id="{field}-label" for="{field}">'
            f"lessons/{lesson.slug}/{name}</label>"
            f'<textarea class="fl-try__editor" id="{field}" data-fl-file="{html.escape(name)}" '
            'spellcheck="false" autocapitalize="off" autocomplete="off" rows="18" readonly '
            'placeholder="The starter file loads when this panel comes into view…"></textarea>'
        )
    command = f"flasklings check {lesson.number:02d}"
    return (
        f'<section class="fl-try" data-fl-try="{lesson.slug}" data-fl-python="{python_url}" '
        f'data-fl-timeout="{lesson.timeout:g}" '
        f'data-fl-starters="{python_url}starters/{lesson.slug}.json" '
        'aria-labelledby="try-the-tasks-here">'
        '<h2 id="try-the-tasks-here">Try the tasks here</h2>'
        "<p>Work on the tasks in your browser: edit the starter below and press Check. Check "
        f"runs this lesson's own checks (the ones <code>{command}</code> runs) in a Python "
        "inside this page, which loads the first time you press Run or Check. Your edits "
        "stay in this browser; to continue on your computer, download them into "
        f"<code>lessons/{lesson.slug}/</code> and run <code>{command}</code> there.</p>"
        + _left_out(lesson, course, command)
        + (f"<p>{_inline_code(lesson.browser_note)}</p>" if lesson.browser_note else "")
        + "".join(editors)
        + '<div class="fl-try__actions">'
        '<button type="button" class="md-button md-button--primary" data-fl-check>Check</button>'
        '<button type="button" class="md-button" data-fl-download>Download your files</button>'
        '<button type="button" class="md-button" data-fl-restore>Restore the starter</button>'
        "</div>"
        '<p class="fl-try__status" role="status" aria-live="polite"></p>'
        '<pre class="fl-try__report" hidden></pre>'
        "</section>"
    )


def _inline_code(text: str) -> str:
    """course.toml's `code` spans as <code>, the rest escaped."""
    parts = html.escape(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code spans at all
        return html.escape(text)
    return "".join(f"<code>{p}</code>" if n % 2 else p for n, p in enumerate(parts))


def _left_out(lesson, course, command: str) -> str:
    """What Check here does not run (the checker's local_only checks), said before it is
    pressed; the page's own Python lacks what they need."""
    from flasklings import runner

    found = runner.local_only_checks(course.checker(lesson)).values()
    if not found:
        return ""
    tasks = sorted({task for task, _ in found})
    needs = " and ".join(sorted({need for _, need in found}))
    which = f"Task {tasks[0]}" if len(tasks) == 1 else f"Tasks {', '.join(map(str, tasks))}"
    count = "One check" if len(found) == 1 else f"{len(found)} checks"
    return (
        f"<p>{count} of {which} {'needs' if len(found) == 1 else 'need'} {needs}, which the "
        "Python in this page lacks: Check lists "
        f"{'it' if len(found) == 1 else 'them'} without running "
        f"{'it' if len(found) == 1 else 'them'}. <code>{command}</code> on your computer "
        "runs every check.</p>"
    )


def _local_lesson(lesson) -> str:
    """For a lesson that does not run in the browser: why (course.toml browser_note), and the
    command that checks it, where its "Check your work" section begins."""
    command = f"flasklings check {lesson.number:02d}"
    why = f" {_inline_code(lesson.browser_note)}" if lesson.browser_note else ""
    return (
        '<p class="fl-local-lesson">This lesson runs on your computer only: there is no '
        f"Run button and no panel to check it on this page.{why} Check it with "
        f"<code>{command}</code> in your copy of the course.</p>"
    )


def on_page_content(html_text, page, config, files):
    lesson = course_data.lesson_for(page)
    if lesson is None:
        return html_text
    if not lesson.browser:
        return _CHECK_HEADING.sub(lambda m: _local_lesson(lesson) + m.group(0), html_text, count=1)
    cells = _code_cells(page)
    if len(cells) != len(_CELL.findall(html_text)):
        raise PluginError(f"{page.file.src_uri}: the page's code cells are not the notebook's")
    number = iter(range(1, len(cells) + 1))

    def controls(match) -> str:
        n = next(number)
        reason = cells[n - 1].get("local_only")
        return match.group(0) + (_local_only(reason) if reason else _run_bar(n))

    html_text = _CELL.sub(controls, html_text)
    python_url = posixpath.relpath("assets/python", page.url.rstrip("/") or ".") + "/"
    panel = _panel(lesson, course_data.course(), python_url)
    placed, found = _CHECK_HEADING.subn(lambda m: panel + m.group(0), html_text, count=1)
    return placed if found else html_text + panel


def on_post_build(config):
    from flasklings import browser_build

    try:
        browser_build.build(course_data.course(), Path(config.site_dir))
    except browser_build.BuildError as exc:
        raise PluginError(f"The in-browser Python could not be built: {exc}") from exc
