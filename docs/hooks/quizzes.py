"""Hook: the lessons' self-check questions, as accessible forms answered with a button.

The notebooks write a question in mkdocs-quiz's Markdown format:

    <quiz>
    The question, in Markdown (it may span lines)
    - [x] a right answer
    - [ ] a wrong answer

    Why the right answer is right (Markdown, optional).
    </quiz>

Each becomes a <form>: the question is the <legend> of a fieldset of radio buttons (check
boxes when several answers are right), then a "Check answer" button and a live region that
says whether the choice is right. Choosing an answer, with the mouse or the arrow keys,
never submits it; docs/assets/javascripts/quiz.js grades the form when it is submitted. The
Markdown parts are rendered with the page (md_in_html), so code spans and links work.
"""

from __future__ import annotations

import html
import re

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

_QUIZ = re.compile(r"^<quiz>[ \t]*\n(.*?)\n[ \t]*</quiz>[ \t]*$", re.S | re.M)
_ANSWER = re.compile(r"^- \[([ xX])\] (.+)$")


def _parse(body: str, where: str) -> tuple[str, list[tuple[bool, str]], str]:
    """(question, [(right, answer)], explanation) from a quiz's Markdown."""
    lines = body.strip("\n").splitlines()
    first = next((i for i, line in enumerate(lines) if _ANSWER.match(line)), None)
    if first is None:
        raise PluginError(f"{where}: a <quiz> has no '- [x] answer' lines")
    last = first
    while last + 1 < len(lines) and _ANSWER.match(lines[last + 1]):
        last += 1
    question = " ".join(line.strip() for line in lines[:first]).strip()
    answers = [
        (m.group(1) != " ", m.group(2).strip())
        for m in (_ANSWER.match(line) for line in lines[first : last + 1])
    ]
    if not question:
        raise PluginError(f"{where}: a <quiz> has no question before its answers")
    if not any(right for right, _ in answers):
        raise PluginError(f"{where}: the quiz {question[:50]!r} marks no answer right ([x])")
    return question, answers, "\n".join(lines[last + 1 :]).strip()


def _form(number: int, question: str, answers, explanation: str) -> str:
    name = f"fl-quiz-{number}"
    kind = "checkbox" if sum(right for right, _ in answers) > 1 else "radio"
    options = "\n".join(
        f'<div class="fl-quiz__answer" markdown="span"><label>'
        f'<input type="{kind}" name="{name}" value="{i}"{" data-correct" if right else ""}> '
        f"{answer}</label></div>"
        for i, (right, answer) in enumerate(answers)
    )
    why = (
        f'<div class="fl-quiz__why" hidden markdown="1">\n\n{explanation}\n\n</div>'
        if explanation
        else ""
    )
    hint = " (choose all that apply)" if kind == "checkbox" else ""
    return (
        f'\n\n<form class="fl-quiz" id="{name}" data-fl-quiz markdown="1">\n'
        f'<fieldset markdown="1">\n<legend markdown="span">{question}'
        f"{html.escape(hint)}</legend>\n{options}\n</fieldset>\n"
        '<div class="fl-quiz__actions"><button type="submit" class="md-button">'
        "Check answer</button></div>\n"
        '<div class="fl-quiz__result" role="status" aria-live="polite" markdown="1">\n'
        f'<p class="fl-quiz__verdict"></p>\n{why}\n</div>\n</form>\n\n'
    )


@event_priority(80)  # after notebook_cells.py (90) has put the notebook's Markdown back
def on_page_markdown(markdown, page, config, files):
    if "<quiz>" not in markdown:
        return markdown
    count = 0

    def replace(match):
        nonlocal count
        count += 1
        where = f"{page.file.src_uri}, quiz {count}"
        return _form(count, *_parse(match.group(1), where))

    return _QUIZ.sub(replace, markdown)
