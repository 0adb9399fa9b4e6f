"""Show a CheckResult: for people (task by task), as Exercism results.json v3, as JUnit XML."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
import sysconfig
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import click

from flasklings import causes, channel
from flasklings.checks import CARRIED
from flasklings.course import CourseError
from flasklings.runner import CheckResult

PASS, FAIL, LOCAL = "✓", "✗", "·"
COMMAND_VARIABLE = "FLASKLINGS_COMMAND"


def command(*words: object) -> str:
    """A flasklings command spelled the way this learner runs flasklings, ready to paste."""
    return " ".join([command_prefix(), *map(str, words)])


def command_prefix() -> str:
    """How the learner starts flasklings: the one place every suggested command comes from.

    $FLASKLINGS_COMMAND wins. Otherwise `flasklings` when the shell would find it on PATH;
    a script started by its path (`.venv/bin/flasklings`) keeps that path; and anything else
    gets `uv run flasklings`, the course's documented way in.
    """
    if override := os.environ.get(COMMAND_VARIABLE, "").strip():
        return override
    path = os.environ.get("PATH", "")
    under_uv = bool(os.environ.get("UV_RUN_RECURSION_DEPTH"))
    if under_uv:
        path = _without_uv_entry(path)
    if shutil.which("flasklings", path=path):
        return "flasklings"
    typed = sys.argv[0] if sys.argv else ""
    if not under_uv and os.sep in typed and Path(typed).stem == "flasklings":
        return shlex.quote(typed)
    return "uv run flasklings"


def _without_uv_entry(path: str) -> str:
    # `uv run` puts the project's .venv/bin first on PATH for this process only; the shell
    # the learner types into does not have it, unless the venv is activated (a later entry).
    entries = path.split(os.pathsep)
    scripts = os.path.normcase(os.path.abspath(sysconfig.get_path("scripts")))
    if entries and entries[0] and os.path.normcase(os.path.abspath(entries[0])) == scripts:
        entries = entries[1:]
    return os.pathsep.join(entries)


def human(result: CheckResult) -> str:
    lesson = result.lesson
    lines = [click.style(f"Lesson {lesson.number:02d} · {lesson.title}", bold=True), ""]
    notes = getattr(result, "notes", None) or {}
    findings = notes.get("advice") or []
    if result.status == "error":
        lines.append(click.style(f"{FAIL} Could not grade lesson {lesson.slug}:", fg="red"))
        lines.append(textwrap.indent(result.message or "", "  "))
        for finding in findings:
            lines.extend(_finding(finding, "  "))
        return "\n".join(lines)
    found = causes.group(result.tests)
    placed = _place(findings, found, result.tests)
    stopped = {id(t): n for n, cause in enumerate(found, 1) for t in cause.tests}
    for finding in placed.get(None, []):
        lines.extend([*_finding(finding, ""), ""])
    for n, cause in enumerate(found, 1):
        label = f"Problem {n}" if len(found) > 1 else "One problem"
        count = len(cause.tests)
        lines.append(click.style(f"{FAIL} {label}: this stops {count} checks", fg="red", bold=True))
        lines.append(textwrap.indent(cause.message, "    "))
        for finding in placed.get(id(cause), []):
            lines.extend(_finding(finding, "    "))
        lines.append("")
    by_task: dict[int, list[dict]] = {}
    for test in result.tests:
        by_task.setdefault(test["task"], []).append(test)
    for number, tests in by_task.items():
        tests.sort(key=lambda test: test["doc"].startswith(CARRIED))  # the task's own first
        title = _task_title(result, number)
        lines.append(click.style(f"Task {number}: {title}", bold=True))
        for test in tests:
            if test["status"] == "pass":
                lines.append(click.style(f"  {PASS} ", fg="green") + test["doc"])
                continue
            if test["status"] == channel.LOCAL:
                lines.append(click.style(f"  {LOCAL} ", fg="yellow") + test["doc"])
                if test is next(t for t in tests if t["message"] == test["message"]):
                    lines.append(f"      Runs only on your computer: it {test['message']}.")
                continue
            if id(test) in stopped:
                n = stopped[id(test)]
                which = f"problem {n}" if len(found) > 1 else "the problem"
                lines.append(click.style(f"  {FAIL} ", fg="red") + f"{test['doc']} ({which} above)")
                continue
            lines.append(click.style(f"  {FAIL} ", fg="red") + test["doc"])
            lines.append(textwrap.indent(test["message"] or "", "      "))
            for finding in placed.get(id(test), []):
                lines.extend(_finding(finding, "      "))
            if test["output"].strip():
                printed = textwrap.shorten(test["output"].strip(), 200, placeholder=" …")
                lines.append(f"      Your code printed: {printed}")
        lines.append("")
    # Reading the code is more specific than a resemblance of failures: it goes first.
    if (known := notes.get("known")) and not any(placed.values()):
        lines.append(_known(result, known))
    lines.append(summary(result, _broken_task(placed, found, result)))
    return "\n".join(lines)


def _place(findings: list[dict], found: list, tests: list[dict]) -> dict:
    """Where each finding is shown: under the cause or the check whose message its anchor
    matches (keyed by id), or at the top (key None) when it matches none."""
    placed: dict = {}
    failed = [t for t in tests if t["status"] in ("fail", "error") and t["message"]]
    for finding in findings:
        anchor = finding.get("anchor")
        key = None
        if anchor:
            pattern = re.compile(anchor)
            match = next((c for c in found if pattern.search(c.message)), None)
            match = match or next((t for t in failed if pattern.search(t["message"])), None)
            if match is None and not finding.get("always", True):
                continue  # it explains no failure, and may describe correct code
            key = id(match) if match is not None else None
        placed.setdefault(key, []).append(finding)
    return placed


def _finding(finding: dict, indent: str) -> list[str]:
    look = click.style("→ Look at ", fg="yellow") + finding["where"].split("\n")[0]
    code = finding["where"].split("\n")[1:]
    text = textwrap.fill(finding["text"], 96, initial_indent="  ", subsequent_indent="  ")
    return [textwrap.indent("\n".join([look, *code, text]), indent)]


def _known(result: CheckResult, known: dict) -> str:
    lesson = f"{result.lesson.number:02d}"
    line = f"This looks like a known mistake: {known['mistake']}."
    if known.get("task"):
        hint = command("hint", lesson, known["task"])
        line += f"\nThe hints of Task {known['task']} lead to the fix: `{hint}`."
    return click.style(line, fg="yellow") + "\n"


def _broken_task(placed: dict, found: list, result: CheckResult) -> int | None:
    """The task whose code broke: where the first explained failure is, else the first
    cause's task, else None (the first failing task)."""
    by_id = {id(c): c.task for c in found} | {id(t): t["task"] for t in result.tests}
    for key in placed:
        if key is not None and by_id.get(key):
            return by_id[key]
    return found[0].task if found else None


def summary(result: CheckResult, task: int | None = None) -> str:
    """The closing line; `task` is the one to ask a hint for (default: the first failing)."""
    lesson = result.lesson
    passed = sum(t["status"] == "pass" for t in result.tests)
    total = len(result.ran())
    if local := result.local():
        tasks = sorted({t["task"] for t in local})
        rest = (
            f"{len(local)} more (Task{'s' * (len(tasks) > 1)} {', '.join(map(str, tasks))}) "
            f"{'runs' if len(local) == 1 else 'run'} only on your computer: "
            f"`{command('check', f'{lesson.number:02d}')}` there "
            "runs them all."
        )
        if result.status == "pass":
            return click.style(f"All {total} checks that run here pass. ", fg="green") + rest
    if result.status == "pass":
        done = f"All {total} checks pass: lesson {lesson.number:02d} is done."
        return click.style(done, fg="green")
    failing = [n for n, ok in result.task_status().items() if not ok]
    task = task if task in {t.number for t in lesson.tasks} else failing[0]
    return (
        f"{passed} of {total} checks{' that run here' * bool(local)} pass. "
        f"Stuck? `{command('hint', f'{lesson.number:02d}', task)}` shows a hint for Task "
        f"{task}."
    )


STATUS_LABEL = {"pass": "✓ passed", "fail": "✗ failing", "error": "✗ could not grade"}


def checks_cell(result: CheckResult) -> str:
    """ "12/15": the checks that pass, of all; "—" when none ran (a lesson that could not grade)."""
    passed = sum(t["status"] == "pass" for t in result.tests)
    return f"{passed}/{len(result.tests)}" if result.tests else "—"


def status_cell(result: CheckResult, detail=lambda message: message) -> str:
    """A lesson's status in a table row: the tasks that fail, or why it could not be graded
    (`detail(message)` makes the message fit the table)."""
    label = STATUS_LABEL[result.status]
    if result.status == "fail":
        failing = [n for n, ok in result.task_status().items() if not ok and n is not None]
        return label + f" (tasks {', '.join(map(str, failing))})"
    if result.status == "error":
        return label + ": " + detail(result.message or "")
    return label


def _task_title(result: CheckResult, number: int | None) -> str:
    try:
        return result.lesson.task(number).title
    except CourseError:
        return "(not in course.toml)"


def results_json(result: CheckResult) -> str:
    """The Exercism test-runner interface, version 3."""
    data: dict = {"version": 3, "status": result.status}
    if result.status == "error":
        data["message"] = result.message
    data["tests"] = [
        {
            "name": test["doc"],
            "status": test["status"],
            "message": test["message"],
            "output": test["output"][:500] or None,
            "task_id": test["task"],
        }
        for test in result.tests
    ]
    return json.dumps(data, indent=2, ensure_ascii=False)


def write_junit(result: CheckResult, path: Path) -> None:
    suite = ET.Element(
        "testsuite",
        name=f"flasklings.{result.lesson.slug}",
        tests=str(len(result.tests)),
        failures=str(sum(t["status"] == "fail" for t in result.tests)),
        errors=str(sum(t["status"] == "error" for t in result.tests)),
    )
    if result.status == "error" and not result.tests:
        suite.set("errors", "1")
        case = ET.SubElement(suite, "testcase", classname=result.lesson.slug, name="grading")
        ET.SubElement(case, "error", message=result.message or "").text = result.message
    for test in result.tests:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{result.lesson.slug}.task{test['task']}",
            name=test["name"],
        )
        if test["status"] != "pass":
            tag = "failure" if test["status"] == "fail" else "error"
            ET.SubElement(case, tag, message=test["doc"]).text = test["message"]
        if test["output"]:
            ET.SubElement(case, "system-out").text = test["output"]
    path.parent.mkdir(parents=True, exist_ok=True)
    suites = ET.Element("testsuites")
    suites.append(suite)
    tree = ET.ElementTree(suites)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
