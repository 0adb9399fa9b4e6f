"""Show a CheckResult: for people (task by task), as Exercism results.json v3, as JUnit XML."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import sysconfig
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import click

from flasklings.course import CourseError
from flasklings.runner import CheckResult

PASS, FAIL = "✓", "✗"
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
    if result.status == "error":
        lines.append(click.style(f"{FAIL} Could not grade lesson {lesson.slug}:", fg="red"))
        lines.append(textwrap.indent(result.message or "", "  "))
        return "\n".join(lines)
    by_task: dict[int, list[dict]] = {}
    for test in result.tests:
        by_task.setdefault(test["task"], []).append(test)
    for number, tests in by_task.items():
        title = _task_title(result, number)
        lines.append(click.style(f"Task {number}: {title}", bold=True))
        for test in tests:
            if test["status"] == "pass":
                lines.append(click.style(f"  {PASS} ", fg="green") + test["doc"])
                continue
            lines.append(click.style(f"  {FAIL} ", fg="red") + test["doc"])
            lines.append(textwrap.indent(test["message"] or "", "      "))
            if test["output"].strip():
                printed = textwrap.shorten(test["output"].strip(), 200, placeholder=" …")
                lines.append(f"      Your code printed: {printed}")
        lines.append("")
    lines.append(summary(result))
    return "\n".join(lines)


def summary(result: CheckResult) -> str:
    lesson = result.lesson
    passed = sum(t["status"] == "pass" for t in result.tests)
    total = len(result.tests)
    if result.status == "pass":
        done = f"All {total} checks pass: lesson {lesson.number:02d} is done."
        return click.style(done, fg="green")
    failing = [n for n, ok in result.task_status().items() if not ok]
    return (
        f"{passed} of {total} checks pass. "
        f"Stuck? `{command('hint', f'{lesson.number:02d}', failing[0])}` shows a hint for Task "
        f"{failing[0]}."
    )


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
