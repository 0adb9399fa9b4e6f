"""Hook: accessibility fixes to the markup Material 9.8 and pymdownx write.

- Material's search dialog (role="dialog") and its page-loading progress bar
  (role="progressbar") have no name; screen readers announce "dialog" and "progress bar".
- pymdownx.tasklist's check boxes (the workshop checklist) sit in a <label> that holds no
  text, so each is announced as an unnamed check box; each gets its item's text as its name.

- Material's search results box is a tab stop even while it is closed or empty, so the
  keyboard lands on something unseen; the results' own links are the stops it needs.

These are theme defects (listed for upstream in docs/reference/accessibility.md). A pattern
that no longer matches is reported, so a theme update that changes the markup is noticed.
"""

from __future__ import annotations

import html
import logging
import re

from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.theme_markup")

# (what Material writes, what it becomes): each must occur on every page.
FIXES = [
    (
        '<div class="md-search" data-md-component="search" role="dialog">',
        '<div class="md-search" data-md-component="search" role="dialog" aria-label="Search">',
    ),
    (
        '<div class="md-progress" data-md-component="progress" role="progressbar">',
        '<div class="md-progress" data-md-component="progress" role="progressbar" '
        'aria-label="Loading the page">',
    ),
    (
        '<div class="md-search__scrollwrap" tabindex="0" data-md-scrollfix>',
        '<div class="md-search__scrollwrap" data-md-scrollfix>',
    ),
]

_TASK = re.compile(
    r'(<li class="task-list-item"><label class="task-list-control">)<input type="checkbox"'
    r"([^>]*)>(.*?)(?=<li\b|<ul\b|<ol\b|</li>)",
    re.S,
)
_TAG = re.compile(r"<[^>]+>")


def _name_task(match) -> str:
    text = " ".join(html.unescape(_TAG.sub("", match.group(3))).split())
    label = html.escape(text, quote=True)
    return f'{match.group(1)}<input type="checkbox" aria-label="{label}"{match.group(2)}>' + (
        match.group(3)
    )


@event_priority(-90)  # after the other hooks and plugins have written the content
def on_page_content(html_text, page, config, files):
    return _TASK.sub(_name_task, html_text)


def on_post_page(output, page, config):
    for before, after in FIXES:
        if before not in output:
            log.warning(
                "%s: Material's markup changed, %r is not there to fix; see "
                "docs/hooks/theme_markup.py",
                page.file.src_uri,
                before,
            )
            continue
        output = output.replace(before, after)
    return output
