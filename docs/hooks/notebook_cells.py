"""Hook: puts each notebook cell's source back before the lesson page's Markdown is rendered.

mkdocs-jupyter turns a notebook into HTML with nbconvert, and nbconvert re-parses that HTML
before handing it over. Raw Markdown would not survive the trip (`<name>` in a code span and
`<http://...>` autolinks are read as tags and vanish), so docs/overrides/
flasklings-notebook.html.j2 carries each cell's source as JSON in a `data-fl-cell` attribute.
Here, still before Markdown runs, each placeholder becomes:

- for a Markdown cell, its Markdown, rendered with the site's extensions like any page;
- for a code cell, a fenced code block, so it looks, scrolls and copies like every code
  block on the site (Material's styles and copy button, no notebook CSS).

It also drops what mkdocs-jupyter adds that the site does not use: the <style> holding a
Python list of CSS strings after the notebook, a MathJax loader from a CDN on every page
(the lessons use no maths), and the tab stop (tabindex="0") nbconvert puts on every output,
which a keyboard user would have to pass through though most outputs do not scroll
(docs/assets/javascripts/scroll-regions.js gives one to those that do).
"""

from __future__ import annotations

import html
import json
import re

import course_data
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

_CELL = re.compile(r"""<div data-fl-cell=(?:"([^"]*)"|'([^']*)')>\s*</div>""")
_STYLE = re.compile(r"<style\b[^>]*>.*?</style>\s*", re.S | re.I)
_OUTPUT_STOP = re.compile(r'(<div class="[^"]*\bjp-OutputArea-output\b[^"]*"[^>]*?) tabindex="0"')
_MATHJAX = re.compile(r"<script data-mkdocs-jupyter-mathjax=.*?</script>\s*", re.S)


def _fenced(language: str, source: str) -> str:
    # A fence longer than any run of backticks in the code, so the code cannot close it.
    longest = max((len(run) for run in re.findall(r"`+", source)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{source.rstrip()}\n{fence}"


def _restore(match) -> str:
    cell = json.loads(html.unescape(match.group(1) or match.group(2) or ""))
    if cell["kind"] == "markdown":
        return f"\n\n{cell['source']}\n\n"
    if not cell["source"].strip():
        return ""
    return f"\n\n{_fenced(cell['language'], cell['source'])}\n\n"


@event_priority(90)  # after mkdocs-jupyter (100) has converted the notebook, before the rest
def on_page_markdown(markdown, page, config, files):
    if course_data.lesson_for(page) is None:
        return markdown
    restored, count = _CELL.subn(_restore, markdown)
    if not count:
        raise PluginError(
            f"{page.file.src_uri}: no cell placeholders; is mkdocs-jupyter's custom_template "
            "docs/overrides/flasklings-notebook.html.j2?"
        )
    return _STYLE.sub("", restored)


def on_page_content(html_text, page, config, files):
    if course_data.lesson_for(page) is None:
        return html_text
    return _OUTPUT_STOP.sub(r"\1", html_text)


@event_priority(-100)  # after mkdocs-jupyter has added its MathJax loader
def on_post_page(output, page, config):
    return _MATHJAX.sub("", output)
