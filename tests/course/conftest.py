"""Shared fixtures for the maintainer tests.

`built_site` builds the course site once per test session (`mkdocs build --strict`, into a
temporary folder) for tests/course/test_site.py and tests/course/test_browser.py.
`mutant_results` grades every lesson's mutants once per session, for test_grading.py (each is
caught) and test_messages.py (each lesson's signatures.json is their real results).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def mutant_results(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict:
    """{"NN_slug/name": CheckResult} for every mutant of the lessons the selected tests ask
    about (`-k 08` grades lesson 8's only), as many graded at a time as cores.

    Lessons with a signatures.json are graded in full (the recogniser needs every failing
    check); the others only to their first failing check, which is all "caught" needs.
    """
    from flasklings import course, mutants, recognise, runner

    course_ = course.load(ROOT)
    wanted = {
        item.callspec.params["slug"]
        for item in request.session.items
        if "mutant_results" in getattr(item, "fixturenames", ())
        and "slug" in getattr(getattr(item, "callspec", None), "params", {})
    }

    def grade(lesson, mutant):
        target = tmp_path_factory.mktemp(mutant.name)
        mutants.apply(mutant, ROOT / "solutions" / lesson.slug, target / lesson.slug)
        signed = (ROOT / "tests/mutants" / lesson.slug / recognise.SIGNATURES).exists()
        return runner.run_checks(course_, lesson, target, exitfirst=not signed)

    tmp_path_factory.getbasetemp()  # made before the threads: pytest's first use is not thread-safe
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {
            f"{lesson.slug}/{mutant.name}": pool.submit(grade, lesson, mutant)
            for lesson in course_.lessons
            if lesson.slug in wanted
            for mutant in mutants.load(ROOT / "tests/mutants" / lesson.slug / "mutants.toml")
        }
        return {key: future.result() for key, future in futures.items()}


@dataclass(frozen=True)
class BuiltSite:
    root: Path  # the course folder the site was built from
    site_dir: Path  # the built site
    url: str  # the site_url it was built for: http://127.0.0.1:<port>/
    listener: socket.socket  # bound to that port and listening, for a server to adopt
    log: str  # mkdocs's output


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltSite]:
    # Material's instant navigation follows only the URLs in sitemap.xml, which are made from
    # site_url. The port is reserved now, so the browser test can serve the site at exactly
    # the address it was built for.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    site_dir = tmp_path_factory.mktemp("site") / "site"
    env = {
        **os.environ,
        "FLASKLINGS_SITE_URL": url,
        "NO_MKDOCS_2_WARNING": "1",  # Material 9.8's banner about MkDocs 2, not a finding
    }
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = result.stdout + result.stderr
    if result.returncode != 0:
        listener.close()
        pytest.fail(f"mkdocs build --strict failed:\n{log}", pytrace=False)
    yield BuiltSite(root=ROOT, site_dir=site_dir, url=url, listener=listener, log=log)
    listener.close()
