"""`flasklings ci`: grade lessons on a CI runner and leave what CI systems read.

Into the output folder: results.json (every lesson's Exercism results.json v3, as
`check --all --json` prints them), junit/NN_slug.xml (one JUnit file a lesson) and summary.md
(a Markdown table, also appended to $GITHUB_STEP_SUMMARY on GitHub Actions). With
`--classroom`, the step output `result` that GitHub Classroom's grading reporter reads.

The exit status says whether the report was made, not whether the lessons pass: a learner's
fork is red only once `--require-pass` asks for it (see docs/workshop/ci.md).
"""

from __future__ import annotations

import base64
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from flasklings import report
from flasklings.course import Course, Lesson
from flasklings.runner import DEFAULT_TIMEOUT, CheckResult

RESULTS_FILE = "results.json"
JUNIT_DIR = "junit"
SUMMARY_FILE = "summary.md"
SHOWN_PER_LESSON = 10  # failed checks listed under a lesson in the summary; the rest counted


def grade(
    course: Course, lessons: list[Lesson], target: str, timeout: float | None
) -> list[CheckResult]:
    """Grade the lessons as `check --all` does: a warm worker, as many at a time as cores."""
    from flasklings import warm

    with warm.grader(course) as run, ThreadPoolExecutor(os.cpu_count()) as pool:
        return list(pool.map(lambda x: run(x, target=target, timeout=timeout), lessons))


def results_document(results: list[CheckResult]) -> list[dict]:
    """What `check --all --json` prints: each lesson's results.json with its slug."""
    return [{"lesson": r.lesson.slug, **json.loads(report.results_json(r))} for r in results]


def _cell(text: str) -> str:
    # A Markdown table cell is one line, and a bare | would end it.
    first = next(iter(text.strip().splitlines()), "")
    return first.replace("|", "\\|")


def summary_markdown(results: list[CheckResult], target: str) -> str:
    passed = sum(r.status == "pass" for r in results)
    lines = [
        f"## flasklings: {passed} of {len(results)} lessons pass",
        "",
        f"Graded `{target}/` with this course's own checks.",
        "",
        "| # | Lesson | Checks | Status |",
        "|--:|---|--:|---|",
    ]
    for r in results:
        checks, status = report.checks_cell(r), report.status_cell(r, _cell)
        lines.append(f"| {r.lesson.number:02d} | {r.lesson.title} | {checks} | {status} |")
    details = [_details(r) for r in results if r.status == "fail"]
    if details:
        lines += ["", "### What failed", "", *details]
    if passed < len(results):
        first = next(r for r in results if r.status != "pass").lesson.number
        lines += [
            "",
            f"On your machine, `uv run flasklings check {first:02d}` says what to fix, task by "
            "task, with hints. The full results are in this run's artifacts.",
        ]
    return "\n".join(lines) + "\n"


def _details(result: CheckResult) -> str:
    failed = [t for t in result.tests if t["status"] != "pass"]
    rows = [
        f"- Task {t['task']}: {_cell(t['doc'])} — {_cell(t['message'] or '')}"
        for t in failed[:SHOWN_PER_LESSON]
    ]
    if len(failed) > SHOWN_PER_LESSON:
        rows.append(f"- … and {len(failed) - SHOWN_PER_LESSON} more")
    heading = f"Lesson {result.lesson.number:02d} · {result.lesson.title}"
    return f"<details><summary>{heading}</summary>\n\n" + "\n".join(rows) + "\n\n</details>\n"


def classroom_result(results: list[CheckResult], course: Course) -> dict:
    """The JSON GitHub Classroom's grading reporter reads (before base64), one point a task.

    The shape is what classroom-resources/autograding-command-grader puts in its `result`
    output (src/main.js: version 1, status, max_score, tests[] with name, status, score,
    message, test_code, filename, line_no, duration). The reporter
    (classroom-resources/autograding-grading-reporter, src/main.js) reads it base64-encoded
    from $<STEP_ID>_RESULTS, sums the tests' `score` against `max_score` for Classroom, and
    fails its step when a status is "fail" or "error". Tasks, not checks, are the unit: their
    number comes from course.toml, so the maximum stays the same when a lesson cannot be graded.
    """
    tests = []
    for r in results:
        states = r.task_status()
        for task in r.lesson.tasks:
            name = f"Lesson {r.lesson.number:02d}, Task {task.number}: {task.title}"
            if r.status == "error":
                status, message = "error", _cell(r.message or "could not grade")
            else:
                status = "pass" if states.get(task.number, False) else "fail"
                message = "\n".join(
                    t["doc"] for t in r.tests if t["task"] == task.number and t["status"] != "pass"
                )
            tests.append(
                {
                    "name": name,
                    "status": status,
                    "score": 1 if status == "pass" else 0,
                    "message": message,
                    "test_code": f"flasklings check {r.lesson.number:02d}",
                    "filename": course.checker(r.lesson).relative_to(course.root).as_posix(),
                    "line_no": 0,
                    "duration": 0,
                }
            )
    states = {r.status for r in results}
    overall = "error" if "error" in states else "fail" if "fail" in states else "pass"
    return {"version": 1, "status": overall, "max_score": len(tests), "tests": tests}


def encode(document: dict) -> str:
    return base64.b64encode(json.dumps(document, ensure_ascii=False).encode()).decode("ascii")


def write(results: list[CheckResult], out: Path, target: str) -> str:
    """Write results.json, junit/ and summary.md into `out`; return the summary."""
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results_document(results), indent=2, ensure_ascii=False)
    (out / RESULTS_FILE).write_text(text + "\n", encoding="utf-8")
    for result in results:
        report.write_junit(result, out / JUNIT_DIR / f"{result.lesson.slug}.xml")
    summary = summary_markdown(results, target)
    (out / SUMMARY_FILE).write_text(summary, encoding="utf-8")
    return summary


def _append(variable: str, text: str) -> None:
    """Append to the file GitHub Actions names in $variable; do nothing elsewhere."""
    if path := os.environ.get(variable):
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


@click.command("ci")
@click.argument("lessons", nargs=-1)
@click.option(
    "--target",
    default="lessons",
    show_default=True,
    help="The folder of NN_slug lesson folders to grade (e.g. solutions).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("flasklings-results"),
    show_default=True,
    help="Where results.json, junit/ and summary.md are written.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_TIMEOUT,
    help="Seconds before a check that hangs is stopped (default: the lesson's own).",
)
@click.option(
    "--classroom",
    is_flag=True,
    help="Also write the step output `result` for GitHub Classroom's grading reporter.",
)
@click.option(
    "--require-pass",
    is_flag=True,
    help="Exit 1 when a lesson fails, 2 when one cannot be graded (default: 0 once reported).",
)
@click.pass_obj
def ci(
    state,
    lessons: tuple[str, ...],
    target: str,
    out: Path,
    timeout: float | None,
    classroom: bool,
    require_pass: bool,
) -> None:
    """Grade LESSONS (default: all) for CI: results.json, JUnit XML and a summary table.

    On GitHub Actions the table also goes to the job summary. Nothing is recorded in the
    progress file: a CI runner's copy is not the learner's.
    """
    chosen = [state.lesson(ref) for ref in lessons] or list(state.course.lessons)
    results = grade(state.course, chosen, target, timeout)
    summary = write(results, out, target)
    _append("GITHUB_STEP_SUMMARY", summary)
    if classroom:
        _append("GITHUB_OUTPUT", f"result={encode(classroom_result(results, state.course))}\n")
    click.echo(summary)
    click.echo(f"Written: {out / RESULTS_FILE}, {out / JUNIT_DIR}/, {out / SUMMARY_FILE}")
    if require_pass:
        raise SystemExit(max((r.exit_code for r in results), default=0))
