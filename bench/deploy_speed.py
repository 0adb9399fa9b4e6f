"""How long does the lesson 8 check take? Prints figures; asserts nothing.

Lesson 8's checks start real Gunicorn servers, so its check is the slowest of the course. This
times `flasklings check 08 --target solutions` (a new Python process per run, as a learner
runs it): the median wall time and CPU time over RUNS runs after one warm-up, with the load
average. The CPU time counts pytest and every Gunicorn it started (master and workers), and
barely moves with the load, but with the host's speed (the fixed loop printed with the load
average); the wall time is only meaningful on a quiet machine. Budget: 3 s
wall on a quiet 2-core machine. With --breakdown, one pytest run also lists the slowest
checks and fixtures (pytest's --durations).

    .venv/bin/python bench/deploy_speed.py [--runs N] [--breakdown]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from check_speed import QUIET, load, median_wall_and_cpu

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 3.0


def breakdown() -> str:
    """pytest's slowest durations for one run of the lesson 8 checks on the solution."""
    command = [
        sys.executable, "-m", "pytest", "tests/checkers/test_08_deploy.py",
        "-p", "flasklings.plugin", "-p", "no:cacheprovider", "-o", "addopts=",
        "--target=solutions", "-q", "--no-header", "--durations=8",
    ]  # fmt: skip
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = done.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if "slowest" in line), len(lines))
    return "\n".join(lines[start:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--breakdown", action="store_true", help="also list the slowest checks")
    options = parser.parse_args()
    flasklings = str(Path(sys.executable).with_name("flasklings"))
    command = [flasklings, "--root", str(ROOT), "check", "08", "--target", "solutions"]
    print(f"load average before: {load()}  ({os.cpu_count()} cores, median of {options.runs})")
    wall, cpu = median_wall_and_cpu(command, ROOT, options.runs, QUIET)
    print(f"load average after:  {load()}")
    verdict = "ok" if wall <= BUDGET else f"OVER {BUDGET:g} s (a busy machine? see the load)"
    print(f"flasklings check 08 (solution): wall {wall:.2f} s, cpu {cpu:.2f} s  {verdict}")
    if options.breakdown:
        print(breakdown())


if __name__ == "__main__":
    main()
