"""Lessons run and checked in the reader's browser (course.toml `browser = true`).

First, without a browser: the in-process grading the browser uses (flasklings.browser_grading,
run from the course archive the site ships) gives the same results.json as `flasklings check`
for the same files (the starter, the solution and a spread of the lesson's mutants), both in
CPython and in the site's own Pyodide, run by Node.

Then in Debian's Chromium, on the built site served locally, with every request that leaves
the site blocked: Run on a lesson 1 cell shows its output, a later cell sees what an earlier
one defined, and in the "Try the tasks here" panel Check fails on the starter, passes once the
file is fixed in the editor, and the edit survives a reload. The times (cold first output, warm
Run, warm Check) are printed, never asserted: the machine's load decides them. And once a page
has run a cell, it reloads and runs again with the site's server gone (docs/sw.js).
"""

from __future__ import annotations

import ast
import functools
import http.server
import io
import json
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from test_browser import (  # noqa: F401 - fixtures
    Reader,
    _QuietHandler,
    axe_problems,
    browser,
    chromium_path,
    set_scheme,
    site_url,
)

from flasklings import browser_build, course, diagnose, mutants, plugin, report, runner

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
BROWSER_LESSONS = [lesson for lesson in COURSE.lessons if lesson.browser]

# Grades each case in one Python process, one after another, as the browser's worker does.
# (The scripts read their arguments from ARGS, a JSON string, and `main()` returns JSON.)
GRADE = """
import json, sys
from pathlib import Path

def main():
    args = json.loads(ARGS)
    sys.path.insert(0, args["root"] + "/src")
    from flasklings import browser_grading
    check = browser_grading.check
    return json.dumps({name: check(Path(args["root"]), args["slug"], files)["results"]
                       for name, files in args["cases"].items()})
"""
# The report a Check shows, for each case.
REPORT = GRADE.replace('files)["results"]', 'files)["report"]')
# Runs a lesson's code cells in order, as the page's Run buttons do.
CELLS = """
import json, sys

def main():
    args = json.loads(ARGS)
    sys.path.insert(0, args["root"] + "/src")
    from flasklings import browser_cells
    return json.dumps([json.loads(browser_cells.run(args["slug"], source))
                       for source in args["cells"]])
"""
# A script in the site's own Pyodide under Node, with the files the site ships (assets/python/).
PYODIDE = """
import fs from "node:fs";
import { pathToFileURL } from "node:url";
const [site, script, args, out] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${site}/pyodide/pyodide.mjs`));
const py = await loadPyodide({ indexURL: `${site}/pyodide/` });
const manifest = JSON.parse(fs.readFileSync(`${site}/manifest.json`));
const bytes = (name) => new Uint8Array(fs.readFileSync(`${site}/${name}`));
const purelib = py.runPython("import sysconfig; sysconfig.get_paths()['purelib']");
for (const name of manifest.archives) py.unpackArchive(bytes(name), "zip", { extractDir: purelib });
py.unpackArchive(bytes(manifest.course), "zip", { extractDir: "/course" });
py.globals.set("ARGS", fs.readFileSync(args, "utf8"));
py.runPython(fs.readFileSync(script, "utf8"));
fs.writeFileSync(out, py.globals.get("main")());
"""


def in_pyodide(tmp_path: Path, script: str, args: dict) -> str:
    """What the script's main() returns in Pyodide; args["root"] is set to /course."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: it runs Pyodide outside a browser")
    site = browser_build.build(COURSE, tmp_path / "site")
    inputs = {
        "run.mjs": PYODIDE,
        "script.py": script,
        "args.json": json.dumps({**args, "root": "/course"}),
    }
    for name, text in inputs.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    out = tmp_path / "out.json"
    result = subprocess.run(
        [node, str(tmp_path / "run.mjs"), str(site), str(tmp_path / "script.py"),
         str(tmp_path / "args.json"), str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return out.read_text(encoding="utf-8")


def in_cpython(tmp_path: Path, script: str, args: dict) -> str:
    """What the script's main() returns in CPython, from the course archive the site ships."""
    shipped = tmp_path / "course"  # what the site ships, not the working tree
    zipfile.ZipFile(io.BytesIO(browser_build.course_archive(COURSE))).extractall(shipped)
    result = subprocess.run(
        [sys.executable, "-c", script + "ARGS = sys.stdin.read()\nprint(main())"],
        input=json.dumps({**args, "root": str(shipped)}),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _as_if_in_lessons(results: str, folder: Path) -> dict:
    """The results, with the folder graded named as the browser's copy is: lessons/NN_slug/
    (messages name the learner's files relative to the course, or in full outside it)."""
    wanted = f"lessons/{folder.name}/"
    for shown in (diagnose.shown(folder, ROOT), str(folder)):
        results = results.replace(json.dumps(shown + "/")[1:-1], wanted)
    return json.loads(results)


_graded: dict[str, tuple[dict, dict]] = {}


def as_in_the_browser(args: list[str], *rest) -> int:
    """runner.run_pytest, with the browser's choice of checks: the local_only ones reported
    (status "local"), not run."""
    return runner.run_pytest([*args, plugin.BROWSER_OPTION], *rest)


def command_line_results(lesson, tmp_path_factory) -> tuple[dict, dict]:
    """({case: files}, {case: results.json}) for the starter, the solution and every 20th
    mutant of the lesson, graded once per test session by `flasklings check`'s grader in a
    child process, with the checks the browser runs. (A local_only check left out can change
    what a later one sees of a broken service, a module-level object it set up, say: so the
    in-process grading is compared with the same choice of checks; with every check, the
    solution passes them all and the starter fails.)"""
    if lesson.slug not in _graded:
        cases = {
            "starter": COURSE.lesson_dir(lesson),
            "solution": COURSE.lesson_dir(lesson, "solutions"),
        }
        where = tmp_path_factory.mktemp("mutants")
        for mutant in mutants.load(ROOT / "tests/mutants" / lesson.slug / "mutants.toml")[::20]:
            target = where / mutant.name / lesson.slug
            solution = COURSE.lesson_dir(lesson, "solutions")
            cases[mutant.name] = mutants.apply(mutant, solution, target)

        def graded(folder: Path, launch=None) -> dict:
            result = runner.run_checks(COURSE, lesson, folder.parent, launch=launch)
            return _as_if_in_lessons(report.results_json(result), folder)

        results = {name: graded(folder, as_in_the_browser) for name, folder in cases.items()}
        every_check = {name: graded(cases[name]) for name in ("starter", "solution")}
        assert every_check["starter"]["status"] == "fail"
        assert every_check["solution"]["status"] == "pass"
        local = local_only_docs(lesson)
        assert _timeless(results["solution"]) == _timeless(
            as_graded_in_the_browser(every_check["solution"], local)
        )
        assert results["starter"]["status"] == "fail"
        _graded[lesson.slug] = ({n: _files(f) for n, f in cases.items()}, results)
    return _graded[lesson.slug]


@pytest.mark.parametrize("python", [in_cpython, in_pyodide], ids=["cpython", "pyodide"])
@pytest.mark.parametrize("lesson", BROWSER_LESSONS, ids=lambda lesson: lesson.slug)
def test_in_process_grading_gives_the_command_lines_verdicts(
    lesson, python, tmp_path, tmp_path_factory
):
    files, expected = command_line_results(lesson, tmp_path_factory)
    graded = json.loads(python(tmp_path, GRADE, {"slug": lesson.slug, "cases": files}))
    for name in files:
        got, wanted = _timeless(graded[name]), _timeless(expected[name])
        for check, expected_check in zip(got["tests"], wanted["tests"], strict=True):
            assert check == expected_check, name  # one check at a time: a readable diff
        assert got == wanted, name


def test_a_check_in_the_browser_names_the_checks_it_leaves_to_the_computer(tmp_path):
    lesson = COURSE.find("05")
    cases = {
        "solution": _files(COURSE.lesson_dir(lesson, "solutions")),
        "starter": _files(COURSE.lesson_dir(lesson)),
    }
    reports = json.loads(in_cpython(tmp_path, REPORT, {"slug": lesson.slug, "cases": cases}))
    assert "threads, which the browser's Python lacks" in reports["solution"]
    assert "lesson 05 is done" not in reports["solution"]
    assert re.search(
        r"All 45 checks that run here pass\. 5 more \(Task 4\) run only on your computer: "
        r"`(uv run )?flasklings check 05` there runs them all\.$",
        reports["solution"].rstrip(),
    ), reports["solution"][-400:]
    # Not run is not failed: the starter's verdict counts only the checks that ran.
    assert re.search(r"\d+ of 45 checks that run here pass\.", reports["starter"])


def local_only_docs(lesson) -> dict[str, str]:
    """{the check's description: what it needs} for the lesson's local_only checks."""
    checker = COURSE.checker(lesson)
    tree = ast.parse(checker.read_bytes())
    docs = {
        node.name: ast.get_docstring(node).strip().splitlines()[0]
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and ast.get_docstring(node)
    }
    return {docs[name]: needs for name, (_, needs) in runner.local_only_checks(checker).items()}


def as_graded_in_the_browser(results: dict, local: dict[str, str]) -> dict:
    """The command line's results.json as the browser must give it: the local_only checks
    reported as such, not run, and the verdict of those that ran."""
    tests = [
        {
            **test,
            "status": "local",
            "message": f"needs {local[test['name']]}, which the browser's Python lacks",
            "output": None,
        }
        if test["name"] in local
        else test
        for test in results["tests"]
    ]
    status = results["status"]
    if status != "error":
        status = "pass" if all(t["status"] in ("pass", "local") for t in tests) else "fail"
    return {**results, "status": status, "tests": tests}


def _timeless(results: dict) -> dict:
    """The results with what differs from one grading to the next made equal: moments (an
    invoice's created_at, a log line's time or a cookie's expiry in a message), the random
    keys a check makes (shown cut short, as "b71941…") and request IDs (32 hex digits)."""
    text = json.dumps(results, ensure_ascii=False)
    moment = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:[+-]\d\d:\d\d|Z)?"
    text = re.sub(moment, "<time>", text)  # ISO 8601, and logging's asctime
    text = re.sub(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", "<time>", text)  # HTTP's
    text = re.sub(r"\b[0-9a-f]{6,}…", "<key>…", text)
    return json.loads(re.sub(r"\b[0-9a-f]{32}\b", "<id>", text))


def code_cells(lesson) -> list[dict]:
    notebook = json.loads(COURSE.notebook(lesson).read_text(encoding="utf-8"))
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def _local_only(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("flasklings", {}).get("local_only")


@pytest.mark.parametrize("lesson", BROWSER_LESSONS, ids=lambda lesson: lesson.slug)
def test_cells_give_their_committed_outputs_in_pyodide(lesson, tmp_path):
    """Like nbval, in the site's Pyodide: every cell not marked local_only, in order."""
    cells = [cell for cell in code_cells(lesson) if not _local_only(cell)]
    sources = ["".join(cell["source"]) for cell in cells]
    ran = json.loads(in_pyodide(tmp_path, CELLS, {"slug": lesson.slug, "cells": sources}))
    for number, (cell, result) in enumerate(zip(cells, ran, strict=True), start=1):
        committed = "".join("".join(out.get("text", "")) for out in cell.get("outputs", []))
        assert result["error"] is None, f"cell {number}:\n{result['error']}"
        assert result["output"] == committed, f"cell {number}:\n{sources[number - 1]}"


def test_the_site_ships_checkers_and_starters_never_solutions():
    archive = zipfile.ZipFile(io.BytesIO(browser_build.course_archive(COURSE)))
    names = set(archive.namelist())
    assert not [n for n in names if n.startswith("tests/alternatives/")]
    # One solution only: lesson 8's service, on which lesson 9 runs the reader's tests. It
    # is lesson 9's starter too, file for file: nothing the reader has to write.
    for name in (n for n in names if n.startswith("solutions/")):
        assert name.startswith("solutions/08_deploy/") and COURSE.find("09").browser, name
        starter = COURSE.lesson_dir(COURSE.find("09")) / name.removeprefix("solutions/08_deploy/")
        assert archive.read(name) == starter.read_bytes(), name
    assert "src/flasklings/plugin.py" in names and "course.toml" in names
    for lesson in COURSE.lessons:
        checker = f"tests/checkers/test_{lesson.slug}.py"
        assert (checker in names) == lesson.browser, checker
        starter = {f"lessons/{lesson.slug}/{n}" for n in _files(COURSE.lesson_dir(lesson))}
        assert (starter <= names) == lesson.browser, lesson.slug


def test_only_browser_lessons_get_run_buttons_and_no_page_loads_python(built_site):
    for lesson in COURSE.lessons:
        html = (built_site.site_dir / "lessons" / lesson.slug / "index.html").read_text("utf-8")
        runnable = [cell for cell in code_cells(lesson) if not _local_only(cell)]
        assert html.count("data-fl-run") == (len(runnable) if lesson.browser else 0)
        assert html.count("fl-run--local") == (
            len(code_cells(lesson)) - len(runnable) if lesson.browser else 0
        )
        assert ('id="try-the-tasks-here"' in html) == lesson.browser, lesson.slug
        # A lesson that does not run here says so where its checking begins, with the command.
        local_lesson = re.search(r'<p class="fl-local-lesson">(.*?)</p>\s*<h2 id="check', html)
        assert bool(local_lesson) != lesson.browser, lesson.slug
        if local_lesson:
            assert f"<code>flasklings check {lesson.number:02d}</code>" in local_lesson[1]
        # The panel says before any Check which checks run only on the reader's computer.
        local = runner.local_only_checks(COURSE.checker(lesson))
        said = "which the Python in this page lacks: Check lists" in html
        assert said == (lesson.browser and bool(local)), lesson.slug
        # Python, the wheels and the editor are fetched by script on demand, never by the page.
        assert not re.search(r'(?:src|href)="[^"]*assets/python/', html), lesson.slug
    assert (built_site.site_dir / "assets/python/pyodide/pyodide.asm.wasm").is_file()


# -- in Chromium ------------------------------------------------------------------------------

LOAD_WAIT = 180_000  # ms: the first Run loads Python on a busy 2-core machine


def _output_of(page, cell: int):
    return page.locator(".fl-cell").nth(cell).locator(".fl-run__output")


@pytest.mark.browser
def test_lesson_1_runs_and_checks_in_the_browser(browser, site_url):  # noqa: F811
    lesson = COURSE.find("01")
    solution = (COURSE.lesson_dir(lesson, "solutions") / "hello.py").read_text(encoding="utf-8")
    reader = Reader(browser, site_url)
    try:
        page = reader.page
        reader.open(f"{site_url}lessons/{lesson.slug}/")
        assert not any("/assets/python/" in url for url in reader.requests), (
            "the page loaded Python, or the panel's files, before anyone needed them"
        )
        # The panel's files come when it is seen: until then, its editors are empty.
        text = page.locator("[data-fl-try] textarea")
        assert not text.input_value() and text.get_attribute("readonly") is not None

        first = page.get_by_role("button", name="Run code cell 1", exact=True)
        started = time.perf_counter()
        first.click()
        output = _output_of(page, 0)
        output.wait_for(timeout=LOAD_WAIT)
        cold = time.perf_counter() - started
        assert "import name: __main__" in output.inner_text()
        assert "endpoint for /: index" in output.inner_text()
        status = page.locator(".fl-cell").nth(0).locator("[role=status]")
        assert status.inner_text() == "Ran."

        # Cell 3 uses the `app` cell 1 defined: the state is kept from cell to cell.
        started = time.perf_counter()
        page.get_by_role("button", name="Run code cell 3", exact=True).click()
        _output_of(page, 2).wait_for(timeout=60_000)
        warm_run = time.perf_counter() - started
        assert "200 text/html" in _output_of(page, 2).inner_text()
        assert "Hello from a notebook!" in _output_of(page, 2).inner_text()

        panel = page.locator("[data-fl-try]")
        name = f"lessons/{lesson.slug}/hello.py"
        panel.scroll_into_view_if_needed()  # the code editor loads when the panel is seen
        page.locator("[data-fl-try][data-fl-editor=ready]").wait_for(timeout=60_000)
        editor = panel.get_by_role("textbox", name=name)  # CodeMirror's, named by the label
        text = panel.locator("textarea")  # what Check sends and the browser keeps
        check = panel.get_by_role("button", name="Check", exact=True)
        verdict = panel.locator(".fl-try__status")
        check.click()
        page.wait_for_function(
            "el => / checks pass|Could not/.test(el.textContent)",
            arg=verdict.element_handle(),
            timeout=LOAD_WAIT,
        )
        assert "of 15 checks pass" in verdict.inner_text(), verdict.inner_text()
        assert "✗ GET / answers 200." in panel.locator(".fl-try__report").inner_text()

        editor.fill(solution)
        assert text.input_value() == solution, "the editor did not write back to the textarea"
        started = time.perf_counter()
        check.click()
        page.wait_for_function(
            "el => /All 15 checks pass|of 15|Could not/.test(el.textContent)"
            " && !el.textContent.startsWith('Checking')",
            arg=verdict.element_handle(),
            timeout=60_000,
        )
        warm_check = time.perf_counter() - started
        assert verdict.inner_text() == "All 15 checks pass.", panel.inner_text()
        assert "lesson 01 is done" in panel.locator(".fl-try__report").inner_text()

        with page.expect_download() as fetched:
            panel.get_by_role("button", name="Download your files").click()
        # The lesson folder as a zip, to unzip in lessons/ and check locally.
        assert fetched.value.suggested_filename == "01_hello.zip"
        with zipfile.ZipFile(fetched.value.path()) as folder:
            assert folder.namelist() == ["01_hello/hello.py"]
            assert folder.read("01_hello/hello.py").decode("utf-8") == solution
        assert "unzip it in the lessons folder" in verdict.inner_text()

        page.reload()
        page.wait_for_load_state("networkidle")
        panel.scroll_into_view_if_needed()
        page.locator("[data-fl-try][data-fl-editor=ready]").wait_for(timeout=60_000)
        assert text.input_value() == solution, "the edit was not kept in the browser's storage"
        assert text.get_attribute("readonly") is None
        assert "Hello, Invoicer!" in editor.inner_text()
        panel.get_by_role("button", name="Restore the starter").click()
        starter = (COURSE.lesson_dir(lesson) / "hello.py").read_text(encoding="utf-8")
        assert text.input_value() == starter
        assert 'return "Hello, World!"' in editor.inner_text(), "the editor still shows the edit"

        # With outputs, a report and the code editor on the page, in both palettes.
        for scheme in ("light", "dark"):
            set_scheme(page, scheme)
            assert not axe_problems(page), axe_problems(page)

        # Code that never ends: the page stops Python after the lesson's time limit (made
        # short here) and says why; the next Run starts a fresh Python.
        limit = panel.get_attribute("data-fl-timeout")
        assert float(limit) == lesson.timeout
        panel.evaluate("el => el.setAttribute('data-fl-timeout', '2')")
        editor.fill("while True:\n    pass\n")
        check.click()
        page.wait_for_function(
            "el => el.textContent.startsWith('Could not check')",
            arg=verdict.element_handle(),
            timeout=60_000,
        )
        assert "did not finish within 2 s" in verdict.inner_text(), verdict.inner_text()
        panel.evaluate("(el, limit) => el.setAttribute('data-fl-timeout', limit)", limit)
        first.click()
        page.wait_for_function(
            "el => /^(Ran|Could not)/.test(el.textContent)",
            arg=status.element_handle(),
            timeout=LOAD_WAIT,
        )
        assert status.inner_text() == "Ran.", status.inner_text()

        print(
            f"\nlesson 1 in Chromium: cold Run to first output {cold:.2f} s, "
            f"warm Run {warm_run:.2f} s, warm Check {warm_check:.2f} s"
        )
        reader.assert_clean()
    finally:
        reader.close()


def wait_for_verdict(page, finished: str, verdict, timeout: int) -> None:
    """Wait until `finished(verdict)`; if it never is, fail with what the page said last."""
    try:
        page.wait_for_function(finished, arg=verdict.element_handle(), timeout=timeout)
    except Exception as error:  # Playwright's TimeoutError: say where the page was
        report = page.locator(".fl-try__report").inner_text()
        pytest.fail(
            f"no verdict after {timeout / 1000:g} s: the status said "
            f"{verdict.inner_text()!r}; the report: {report[-1500:]!r} ({error})",
            pytrace=False,
        )


@pytest.mark.browser
@pytest.mark.parametrize(
    "lesson",
    [lesson for lesson in BROWSER_LESSONS if lesson.slug != "01_hello"],
    ids=lambda lesson: lesson.slug,
)
def test_a_lessons_tasks_check_in_the_browser(browser, site_url, lesson):  # noqa: F811
    """Every other browser lesson, end to end: Check fails on the starter, passes with the
    solution's files typed into the editors, and the download is the lesson folder."""
    solution = COURSE.lesson_dir(lesson, "solutions")
    reader = Reader(browser, site_url)
    try:
        page = reader.page
        reader.open(f"{site_url}lessons/{lesson.slug}/")
        panel = page.locator("[data-fl-try]")
        panel.scroll_into_view_if_needed()
        page.locator("[data-fl-try][data-fl-editor=ready]").wait_for(timeout=60_000)
        check = panel.get_by_role("button", name="Check", exact=True)
        verdict = panel.locator(".fl-try__status")
        finished = "el => /checks (that run here )?pass|Could not/.test(el.textContent)"
        # The checks the browser leaves out are said to be left out, with how many.
        local = len(runner.local_only_checks(COURSE.checker(lesson)))
        here = " that run here" if local else ""
        more = f" {local} more runs? only on your computer\\." if local else ""
        check.click()
        wait_for_verdict(page, finished, verdict, LOAD_WAIT)
        failing = rf"\d+ of \d+ checks{here} pass: see the report below\.{more}"
        assert re.fullmatch(failing, verdict.inner_text()), verdict.inner_text()

        names = panel.locator("textarea").evaluate_all(
            "areas => areas.map(a => a.getAttribute('data-fl-file'))"
        )
        assert names, "the panel has no file"
        for name in names:  # each editor is named by its path from the course folder
            text = (solution / name).read_text(encoding="utf-8")
            panel.get_by_role("textbox", name=f"lessons/{lesson.slug}/{name}").fill(text)
        started = time.perf_counter()
        check.click()
        # (lesson 9 runs the suite once per bug)
        unchecking = finished + " && !el.textContent.startsWith('Checking')"
        wait_for_verdict(page, unchecking, verdict, LOAD_WAIT)
        print(f"\n{lesson.slug} in Chromium: warm Check {time.perf_counter() - started:.2f} s")
        assert re.fullmatch(rf"All \d+ checks{here} pass\.{more}", verdict.inner_text()), (
            panel.inner_text()
        )
        if local:  # and the report says where they run
            assert "only on your computer" in panel.locator(".fl-try__report").inner_text()

        with page.expect_download() as fetched:
            panel.get_by_role("button", name="Download your files").click()
        assert fetched.value.suggested_filename == f"{lesson.slug}.zip"
        with zipfile.ZipFile(fetched.value.path()) as folder:
            assert sorted(folder.namelist()) == sorted(f"{lesson.slug}/{n}" for n in names)
        reader.assert_clean()
    finally:
        reader.close()


@pytest.mark.browser
def test_a_page_that_ran_python_runs_again_offline(browser, built_site):  # noqa: F811
    """The service worker keeps what a visit loaded: with the server stopped, the page
    reloads from that copy, and Run loads Python from it and gives the same output."""
    handler = functools.partial(_QuietHandler, directory=str(built_site.site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    context = browser.new_context()  # service workers allowed, no request router
    try:
        page = context.new_page()
        page.goto(f"{origin}/lessons/01_hello/")
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
        run = page.get_by_role("button", name="Run code cell 1", exact=True)
        run.click()
        _output_of(page, 0).wait_for(timeout=LOAD_WAIT)
        online = _output_of(page, 0).inner_text()
        assert online.strip(), "the cell printed nothing"
        # The page itself came before the worker: it is kept once the page has told it.
        kept = "async () => !!(await caches.match(location.href.split('#')[0]))"
        page.wait_for_function(kept, timeout=30_000)

        server.shutdown()
        server.server_close()  # from here on, nothing answers at that address
        with pytest.raises(Exception, match="ECONNREFUSED"):
            context.request.get(f"{origin}/lessons/01_hello/")
        page.reload()
        page.wait_for_load_state("load")
        page.get_by_role("button", name="Run code cell 1", exact=True).click()
        _output_of(page, 0).wait_for(timeout=LOAD_WAIT)
        assert _output_of(page, 0).inner_text() == online
    finally:
        context.close()
        server.server_close()
