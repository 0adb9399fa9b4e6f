"""How fast does `flasklings check` answer? Prints figures; asserts nothing.

Times, over RUNS runs each (after one warm-up), the median wall time of
  1. `flasklings check 01` and 2. `flasklings check 03` on a copy of the course whose
     lessons/ hold the reference solutions (so every check runs to the end), and
  3. the baseline: bare `python -m pytest` on a one-test Flask file, plugin autoloading off.
Goal on a 2-core machine: each check's median at most 2.5 × the baseline, and under 1 s.

    uv run python bench/check_speed.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_TEST = """from flask import Flask


def test_one():
    app = Flask(__name__)
    assert app.test_client().get("/").status_code == 404
"""


def median_seconds(command: list[str], cwd: Path, runs: int, env: dict | None = None) -> float:
    subprocess.run(command, cwd=cwd, env=env, capture_output=True)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}")
    return statistics.median(times)


def course_with_solutions(folder: Path) -> Path:
    for name in ("course.toml", "pyproject.toml", "conftest.py"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "tests" / "checkers", folder / "tests" / "checkers")
    shutil.copytree(ROOT / "solutions", folder / "solutions")
    shutil.copytree(ROOT / "solutions", folder / "lessons")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    flasklings = shutil.which("flasklings") or str(Path(sys.executable).with_name("flasklings"))
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as base_dir:
        course = course_with_solutions(Path(tmp))
        check_01 = median_seconds([flasklings, "check", "01"], course, runs)
        check_03 = median_seconds([flasklings, "check", "03"], course, runs)
        base = Path(base_dir)  # apart from the course, so no pytest config applies to it
        (base / "test_one.py").write_text(ONE_TEST)
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"]
        baseline = median_seconds(command, base, runs, env)
    print(f"median of {runs} runs on {os.cpu_count()} cores")
    print(f"baseline  python -m pytest (one Flask test)  {baseline:6.3f} s")
    for label, seconds in (("check 01", check_01), ("check 03", check_03)):
        verdict = "ok" if seconds <= 2.5 * baseline and seconds < 1 else "OVER GOAL"
        ratio = seconds / baseline
        print(f"flasklings {label:<31} {seconds:6.3f} s  {ratio:4.2f} × baseline  {verdict}")


if __name__ == "__main__":
    main()
