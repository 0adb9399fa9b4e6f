"""The laptops matrix (.github/workflows/laptops.yml), checked here since it cannot run here:
the systems and Pythons it covers, that it grades every lesson and runs the learner-facing
tests, and that what it expects of lesson 8 on Windows is what the lesson says."""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LAPTOPS = ROOT / ".github" / "workflows" / "laptops.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


@pytest.fixture(scope="module")
def job() -> dict:
    workflow = yaml.safe_load(LAPTOPS.read_text(encoding="utf-8"))
    assert workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    [job] = workflow["jobs"].values()
    return job


def step(job: dict, name: str) -> dict:
    [found] = [s for s in job["steps"] if s.get("name") == name]
    return found


def supported_pythons() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    prefix = "Programming Language :: Python :: "
    return [c.removeprefix(prefix) for c in project["classifiers"] if c.startswith(prefix)]


def test_the_matrix_is_three_systems_times_every_supported_python(job: dict):
    strategy = job["strategy"]
    assert strategy["fail-fast"] is False
    assert strategy["matrix"]["os"] == ["ubuntu-latest", "macos-latest", "windows-latest"]
    assert strategy["matrix"]["python"] == supported_pythons() == ["3.12", "3.13"]
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["defaults"]["run"]["shell"] == "bash"  # the same script on Windows


def test_every_action_is_pinned_and_uv_gets_the_matrix_python(job: dict):
    used = [s["uses"] for s in job["steps"] if "uses" in s]
    assert used and all(PINNED.match(u) for u in used), used
    [setup] = [s for s in job["steps"] if s.get("uses", "").startswith("astral-sh/setup-uv@")]
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    assert step(job, "Install the course")["run"].split() == ["uv", "sync", "--locked"]


def test_the_scripts_are_valid_bash(job: dict):
    for found in job["steps"]:
        if "run" in found:
            done = subprocess.run(["bash", "-n", "-c", found["run"]], capture_output=True)
            assert done.returncode == 0, f"{found['name']}: {done.stderr.decode()}"


def test_every_lesson_is_graded_and_on_windows_lesson_8_says_why_not(job: dict):
    script = step(job, "Grade every lesson's solution")["run"]
    assert "course.load" in script  # the lessons come from course.toml, not a list here
    assert 'flasklings check "$lesson" --target solutions' in script
    assert '"$RUNNER_OS" = Windows' in script
    wsl_only = re.search(r'wsl_only=" ([\d ]+) "', script)[1].split()
    assert {"08", "09"} <= set(wsl_only)
    [expected] = re.findall(r'grep -F "([^"]+)"', script)
    # The text the workflow waits for is the one the lesson's checker prints on Windows.
    lesson_8 = (ROOT / "tests/checkers/test_08_deploy.py").read_text(encoding="utf-8")
    message = lesson_8[lesson_8.index("def needs_unix") :].split("\n\n")[0]
    assert expected in " ".join(re.findall(r'"([^"]*)"', message)).replace("  ", " ")
    lesson_9 = (ROOT / "tests/checkers/test_09_testing.py").read_text(encoding="utf-8")
    message = lesson_9[lesson_9.index('if not hasattr(os, "fork")') :].split("\n    lesson")[0]
    assert expected in " ".join(re.findall(r'"([^"]*)"', message)).replace("  ", " ")


def pytest_files(script: str) -> list[str]:
    words = shlex.split(script.replace("\\\n", " "))
    return [w for w in words if w.startswith("tests/")]


def test_the_learner_facing_tests_are_those_ci_runs_under_313_and_exist(job: dict):
    files = pytest_files(step(job, "Run the learner-facing tests")["run"])
    assert files and all((ROOT / f).is_file() for f in files), files
    ci_run = (ROOT / ".ci/run").read_text(encoding="utf-8")
    tail = ci_run[ci_run.index(".venv-3.13/bin/python -m pytest") :]
    assert pytest_files(tail) == files
