"""The gradebook as one self-contained HTML page: no CDN, no other file; CSS and script inline.

Three parts: the class table (sortable by any column, with keyboard-operable buttons in the
headers), the pass rate of every task, and the checks failed most often: what to re-teach.
Everything a submission could have written (names, messages, output) is escaped.
"""

from __future__ import annotations

from html import escape

from flasklings.gradebook import Cell, Gradebook, most_failed, not_graded, task_stats

STYLE = """
:root { color-scheme: light dark; --pass: #1b6e3a; --fail: #a3261b; --muted: #5c5c5c; }
@media (prefers-color-scheme: dark) {
  :root { --pass: #7fd99b; --fail: #ff9c8f; --muted: #b8b8b8; }
}
body { font: 16px/1.5 system-ui, sans-serif; max-width: 80rem; margin: 0 auto; padding: 1rem; }
table { border-collapse: collapse; margin: 1rem 0 2rem; }
caption { text-align: left; font-weight: bold; padding: .5rem 0; }
th, td { border: 1px solid #8888; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0;
  cursor: pointer; color: inherit; text-decoration: underline dotted; }
th button:focus-visible { outline: 3px solid #1565c0; outline-offset: 2px; }
th[aria-sort=ascending] button::after { content: " ▲"; }
th[aria-sort=descending] button::after { content: " ▼"; }
.pass { color: var(--pass); } .fail, .error { color: var(--fail); } .todo { color: var(--muted); }
.bar { display: inline-block; height: .7em; background: currentColor; vertical-align: middle; }
pre { white-space: pre-wrap; margin: .3rem 0; font-size: .9em; }
.note { color: var(--muted); }
"""

# Sort a table's body rows by the column whose header button was pressed; a second press
# reverses. A cell's data-sort value wins over its text; numbers sort as numbers.
SCRIPT = """
function sortKey(cell) {
  const value = cell.dataset.sort ?? cell.textContent.trim();
  const number = Number(value);
  return value !== "" && !Number.isNaN(number) ? number : value.toLowerCase();
}
for (const button of document.querySelectorAll("table.sortable th button")) {
  button.addEventListener("click", () => {
    const header = button.closest("th");
    const table = button.closest("table");
    const column = [...header.parentElement.children].indexOf(header);
    const up = header.getAttribute("aria-sort") !== "ascending";
    for (const other of table.querySelectorAll("thead th")) other.removeAttribute("aria-sort");
    header.setAttribute("aria-sort", up ? "ascending" : "descending");
    const body = table.tBodies[0];
    const rows = [...body.rows].sort((a, b) => {
      const x = sortKey(a.cells[column]), y = sortKey(b.cells[column]);
      return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1);
    });
    body.append(...rows);
  });
}
"""


def render(book: Gradebook) -> str:
    title = f"{book.course.title}: class gradebook"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style></head>",
        "<body><main>",
        f"<h1>{escape(title)}</h1>",
        _summary(book),
        _class_table(book),
        _task_table(book),
        _reteach(book),
        _problems(book),
        "</main>",
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _summary(book: Gradebook) -> str:
    learners = len(book.learners)
    cells = learners * len(book.lessons)
    return (
        f"<p>{learners} learner{'s' if learners != 1 else ''}, {len(book.lessons)} lesson"
        f"{'s' if len(book.lessons) != 1 else ''}: {cells} verdicts from {book.runs} grading "
        "runs (lesson folders with identical files are graded once). Pass rates and the "
        "list of checks failed most often leave out lessons a learner has not started "
        "(their folder is the untouched starter) and lessons that could not be graded.</p>"
    )


def _sortable(label: str) -> str:
    return f'<th scope="col"><button type="button">{escape(label)}</button></th>'


def _class_table(book: Gradebook) -> str:
    rows = []
    for n, learner in enumerate(book.learners):
        cells = [
            f'<th scope="row">{escape(learner.name)}</th>',
            f'<td data-sort="{learner.passed()}">{learner.passed()} of {len(book.lessons)}</td>',
        ]
        cells += [_cell(n, cell) for cell in learner.cells.values()]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    headers = [_sortable("Learner"), _sortable("Lessons passed")]
    headers += [_sortable(f"{lesson.number:02d} {lesson.title}") for lesson in book.lessons]
    return (
        '<table class="sortable" id="class">'
        "<caption>Each learner's result per lesson (checks passed). "
        "Select a column heading to sort by it; select it again to reverse.</caption>"
        f"<thead><tr>{''.join(headers)}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _cell(learner: int, cell: Cell) -> str:
    result = cell.result
    passed = sum(t["status"] == "pass" for t in result.tests)
    total = len(result.tests)
    if result.status == "error":
        anchor = _anchor(learner, result.lesson.slug)
        return f'<td class="error" data-sort="-1"><a href="#{anchor}">could not grade</a></td>'
    if result.status == "pass":
        return f'<td class="pass" data-sort="{total + 1000}">✓ {passed}/{total}</td>'
    if not cell.started:
        return f'<td class="todo" data-sort="{passed}">not started ({passed}/{total})</td>'
    failing = [str(n) for n, ok in result.task_status().items() if not ok]
    tasks = f"task{'s' if len(failing) > 1 else ''} {', '.join(failing)}"
    return f'<td class="fail" data-sort="{passed}">✗ {passed}/{total}, {tasks}</td>'


def _anchor(learner: int, slug: str) -> str:
    """The id of a could-not-grade reason: learner by position, since names are free text."""
    return f"why-{learner}-{slug}"


def _task_table(book: Gradebook) -> str:
    rows = []
    for stat in task_stats(book):
        title = stat.lesson.task(stat.task).title
        if stat.rate is None:
            rate, sort = "—", -1
        else:
            width = round(stat.rate * 6, 2)
            rate = f'{stat.rate:.0%} <span class="bar" style="width:{width}em"></span>'
            sort = round(stat.rate * 100, 1)
        rows.append(
            f'<tr><td data-sort="{stat.lesson.number}">{stat.lesson.number:02d}</td>'
            f'<td data-sort="{stat.task}">Task {stat.task}</td>'
            f'<th scope="row">{escape(title)}</th>'
            f'<td data-sort="{stat.passed}">{stat.passed} of {stat.graded}</td>'
            f'<td data-sort="{sort}">{rate}</td></tr>'
        )
    headers = "".join(_sortable(x) for x in ("Lesson", "Task", "Title", "Passed", "Pass rate"))
    return (
        '<h2 id="tasks">Pass rate per task</h2>'
        '<table class="sortable">'
        "<caption>The share of learners who started a lesson whose every check of the task "
        "passes. Select a column heading to sort.</caption>"
        f"<thead><tr>{headers}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _reteach(book: Gradebook) -> str:
    failing = most_failed(book)
    if not failing:
        return (
            '<h2 id="reteach">What to re-teach tomorrow</h2>'
            "<p>No check failed for a learner who started its lesson.</p>"
        )
    items = []
    for stat in failing:
        common = max(stat.messages, key=stat.messages.get)
        items.append(
            f"<li><strong>Lesson {stat.lesson.number:02d}, Task {stat.task}: "
            f"{escape(stat.name)}</strong> failed for {len(stat.failed)} of {stat.graded} "
            f"learners ({escape(', '.join(stat.failed))}).<br>Most common message:"
            f"<pre>{escape(common)}</pre></li>"
        )
    return (
        '<h2 id="reteach">What to re-teach tomorrow</h2>'
        "<p>The checks that failed for the most learners, most first.</p>"
        f'<ol class="most-failed">{"".join(items)}</ol>'
    )


def _problems(book: Gradebook) -> str:
    found = not_graded(book)
    if not found:
        return ""
    items = [
        f'<li id="{_anchor(book.learners.index(learner), lesson.slug)}">'
        f"<strong>{escape(learner.name)}, lesson {lesson.number:02d}</strong>"
        f"<pre>{escape(message)}</pre></li>"
        for learner, lesson, message in found
    ]
    return (
        '<h2 id="could-not-grade">Could not grade</h2>'
        '<p class="note">Broken, hanging or refused submissions: the reason for each.</p>'
        f"<ul>{''.join(items)}</ul>"
    )
