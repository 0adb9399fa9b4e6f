"""The GitHub Actions workflows in .github/workflows/, checked here since they cannot run here.

Both files parse; every action is pinned to a version; every flasklings, uv and mkdocs
command they run exists with the options they give it; the check workflow's own script,
run on two lessons' solutions, passes and leaves the files its upload step names; and its
GitHub Classroom output decodes to the shape the Classroom reporter reads.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from flasklings.cli import main

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
CHECK, SITE = WORKFLOWS / "check.yml", WORKFLOWS / "site.yml"
# owner/repo[/path]@version: a tag such as v7, v7.0 or v7.0.1, or a full commit SHA.
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")
LAUNCHER = "uv run --no-sync flasklings"


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def step(workflow: dict, name: str) -> dict:
    [found] = [s for s in steps(workflow) if s.get("name") == name]
    return found


def run_lines(workflow: dict) -> list[str]:
    return [line.strip() for s in steps(workflow) for line in s.get("run", "").splitlines()]


@pytest.mark.parametrize("path", [CHECK, SITE], ids=lambda p: p.name)
def test_workflow_parses_and_has_triggers_and_jobs(path: Path):
    workflow = load(path)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers, f"{path.name}: no `on:` triggers"
    assert workflow["jobs"], f"{path.name}: no jobs"
    for name, job in workflow["jobs"].items():
        assert job.get("runs-on"), f"{path.name}: job {name} has no runs-on"
        assert job.get("steps"), f"{path.name}: job {name} has no steps"


@pytest.mark.parametrize("path", [CHECK, SITE], ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_version(path: Path):
    used = [s["uses"] for s in steps(load(path)) if "uses" in s]
    assert used, f"{path.name} uses no action"
    loose = [u for u in used if not PINNED.match(u)]
    assert not loose, f"{path.name}: actions not pinned to a version tag or commit: {loose}"


def flasklings_calls(workflow: dict) -> list[tuple[str, set[str]]]:
    """(verb, options) for each flasklings command, options added through options+=(...)
    included."""
    extra = set()
    for line in run_lines(workflow):
        if match := re.search(r"options\+=\(([^)]*)\)", line):
            extra |= set(match.group(1).split())
    calls = []
    for line in run_lines(workflow):
        if LAUNCHER not in line:
            continue
        words = shlex.split(line.split(LAUNCHER, 1)[1])
        options = {w.split("=")[0] for w in words if w.startswith("--")}
        calls.append((words[0], options | extra))
    return calls


def test_flasklings_commands_of_the_check_workflow_exist():
    calls = flasklings_calls(load(CHECK))
    assert calls, f"check.yml runs no `{LAUNCHER} ...` command"
    for verb, options in calls:
        command = main.commands.get(verb)
        assert isinstance(command, click.Command), f"check.yml runs `flasklings {verb}`: no such"
        known = {opt for param in command.params for opt in param.opts}
        assert options <= known, f"flasklings {verb} has no option(s) {sorted(options - known)}"
        help_ = CliRunner().invoke(main, ["--root", str(ROOT), verb, "--help"])
        assert help_.exit_code == 0, help_.output


def uv_calls() -> list[list[str]]:
    lines = run_lines(load(CHECK)) + run_lines(load(SITE))
    return [shlex.split(line.split("#")[0]) for line in lines if line.startswith("uv ")]


def test_uv_and_mkdocs_commands_exist_with_their_options():
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    calls = uv_calls()
    assert calls, "the workflows run no uv command"
    for words in calls:
        sub = words[1]
        own = []  # uv's own options; for `uv run`, those before the program
        for word in words[2:]:
            if not word.startswith("-"):
                break
            own.append(word)
        usage = subprocess.run([uv, sub, "--help"], capture_output=True, text=True).stdout
        for option in own:
            assert option.split("=")[0] in usage, f"`uv {sub}` has no option {option}"
        if sub == "run" and words[2 + len(own)] == "mkdocs":
            program = words[2 + len(own) :]
            usage = subprocess.run(
                [sys.executable, "-m", "mkdocs", program[1], "--help"],
                capture_output=True,
                text=True,
            ).stdout
            for option in (w for w in program[2:] if w.startswith("-")):
                assert option in usage, f"`mkdocs {program[1]}` has no option {option}"


def test_check_workflow_script_passes_on_solutions_and_leaves_what_is_uploaded(tmp_path: Path):
    workflow = load(CHECK)
    script = step(workflow, "Check the lessons")["run"]
    assert f"{LAUNCHER} ci " in script
    # Here: this environment's flasklings, two small lessons, their solutions.
    here = f"{shlex.quote(sys.executable)} -m flasklings --root {shlex.quote(str(ROOT))}"
    script = script.replace(f"{LAUNCHER} ci ", f"{here} ci --target solutions ")
    outputs, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = {
        **os.environ,
        **workflow["env"],
        "FLASKLINGS_CLASSROOM": "true",
        "FLASKLINGS_REQUIRE_PASS": "true",  # so a failing solution fails this test
        "FLASKLINGS_LESSONS": "01 02",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    upload = step(workflow, "Upload the results")["with"]["path"]
    uploaded = tmp_path / upload
    results = json.loads((uploaded / "results.json").read_text(encoding="utf-8"))
    assert [(r["lesson"], r["status"]) for r in results] == [
        ("01_hello", "pass"),
        ("02_factory", "pass"),
    ]
    assert sorted(p.name for p in (uploaded / "junit").iterdir()) == [
        "01_hello.xml",
        "02_factory.xml",
    ]
    assert "2 of 2 lessons pass" in summary.read_text(encoding="utf-8")

    # What the reporter step reads: env <STEP ID>_RESULTS = the step's `result` output.
    reporter = step(workflow, "Report to GitHub Classroom")
    step_id = step(workflow, "Check the lessons")["id"]
    assert reporter["with"]["runners"] == step_id
    expected = f"${{{{ steps.{step_id}.outputs.result }}}}"
    assert reporter["env"] == {f"{step_id.upper()}_RESULTS": expected}
    [line] = outputs.read_text(encoding="utf-8").splitlines()
    name, _, encoded = line.partition("=")
    assert name == "result"
    classroom_shape(json.loads(base64.b64decode(encoded)), tasks=3 + 3)


def classroom_shape(document: dict, tasks: int) -> None:
    """The shape of autograding-command-grader's `result`, which the reporter reads."""
    assert document["version"] == 1
    assert document["status"] == "pass"
    assert document["max_score"] == tasks == len(document["tests"])
    keys = {"name", "status", "score", "message", "test_code", "filename", "line_no", "duration"}
    for test in document["tests"]:
        assert set(test) == keys, test
        assert test["status"] == "pass" and test["score"] == 1, test
    assert sum(t["score"] for t in document["tests"]) == document["max_score"]


def test_classroom_result_scores_failing_and_ungraded_tasks_zero(tmp_path: Path):
    from flasklings import ci, course, runner

    course_ = course.load(ROOT)
    first = course_.lessons[0]
    failing = runner.CheckResult(
        first,
        "fail",
        tests=[
            {"task": 1, "status": "pass", "doc": "one passes.", "message": ""},
            {"task": 2, "status": "fail", "doc": "two answers JSON.", "message": "GET → 404"},
        ],
    )
    ungraded = runner.CheckResult(course_.lessons[1], "error", "SyntaxError in invoicer/x.py")
    document = ci.classroom_result([failing, ungraded], course_)
    statuses = [(t["name"][:17], t["status"], t["score"]) for t in document["tests"]]
    assert statuses[:3] == [
        ("Lesson 01, Task 1", "pass", 1),
        ("Lesson 01, Task 2", "fail", 0),
        ("Lesson 01, Task 3", "fail", 0),  # a task whose checks did not run has not passed
    ]
    assert {s[1:] for s in statuses[3:]} == {("error", 0)}
    assert document["max_score"] == len(first.tasks) + len(course_.lessons[1].tasks)
    assert document["status"] == "error"
    assert "two answers JSON." in document["tests"][1]["message"]


def test_site_workflow_publishes_a_strict_build_at_the_pages_address():
    workflow = load(SITE)
    assert workflow["permissions"]["pages"] == "write"
    assert workflow["permissions"]["id-token"] == "write"
    assert workflow["concurrency"]["group"]
    used = {s["uses"].split("@")[0] for s in steps(workflow) if "uses" in s}
    assert {
        "actions/configure-pages",
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    } <= used
    build = step(workflow, "Build the site")
    words = shlex.split(build["run"])
    assert words[words.index("mkdocs") + 1 : words.index("mkdocs") + 3] == ["build", "--strict"]
    site_dir = words[words.index("--site-dir") + 1]
    uploaded = next(s for s in steps(workflow) if "upload-pages-artifact" in s.get("uses", ""))
    assert uploaded["with"]["path"].rstrip("/") == site_dir
    # mkdocs.yml takes site_url from this variable; it must be the base URL with a slash.
    assert "!ENV [FLASKLINGS_SITE_URL" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    url = build["env"]["FLASKLINGS_SITE_URL"]
    assert url.startswith("${{ steps.pages.outputs.base_url }}") and url.endswith("/"), url
    assert step(workflow, "Configure GitHub Pages")["id"] == "pages"


def test_classroom_reporting_is_off_by_default_and_finds_its_job():
    workflow = load(CHECK)
    assert workflow["env"]["FLASKLINGS_CLASSROOM"] == "false"
    assert workflow["env"]["FLASKLINGS_REQUIRE_PASS"] == "false"
    reporter = step(workflow, "Report to GitHub Classroom")
    assert "env.FLASKLINGS_CLASSROOM == 'true'" in reporter["if"]
    # The reporter posts the points to the check run of the job with this id.
    assert list(workflow["jobs"]) == ["run-autograding-tests"]
    assert workflow["permissions"]["checks"] == "write"


def test_ci_exit_status_is_the_report_unless_passing_is_required(tmp_path: Path):
    """A failing lesson (the tiny course's starter) leaves the job green by default."""
    tiny = tmp_path / "course"
    shutil.copytree(Path(__file__).parent / "data" / "tiny_course", tiny)
    out = tmp_path / "out"
    args = ["--root", str(tiny), "ci", "01", "--out", str(out)]
    reported = CliRunner().invoke(main, args)
    assert reported.exit_code == 0, reported.output
    assert "0 of 1 lessons pass" in reported.output
    assert "✗ failing (tasks 1, 2)" in (out / "summary.md").read_text(encoding="utf-8")
    required = CliRunner().invoke(main, [*args, "--require-pass"])
    assert required.exit_code == 1, required.output
