"""The course site as a reader uses it, in a real Chromium driven by Playwright.

The browser is Debian's `chromium` (found with shutil.which), never one downloaded by
`playwright install`. Without it the tests skip, except under CI=true, where they fail.

For the home page and every lesson page: the title matches course.toml, code cells and their
outputs render, the download button returns the notebook, search finds `create_app`, the
palette toggle switches to dark and back, the console stays free of errors, and no request
leaves 127.0.0.1. Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from flasklings import course

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
ARTIFACTS = ROOT / "test-artifacts" / "browser"
PAGES = [("home", "", COURSE.title)] + [
    (lesson.slug, f"lessons/{lesson.slug}/", lesson.title) for lesson in COURSE.lessons
]


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run must install Debian's chromium)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _unavailable(
            "Chromium is not installed: the browser test drives the system's chromium "
            "(Debian/Ubuntu: apt-get install chromium); it never runs `playwright install`"
        )
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site_url(built_site):
    """Serve the built site on the port it was built for (reserved by the fixture)."""
    handler = functools.partial(_QuietHandler, directory=str(built_site.site_dir))
    server = http.server.ThreadingHTTPServer(
        built_site.listener.getsockname(), handler, bind_and_activate=False
    )
    server.socket = built_site.listener
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield built_site.url
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (it is in the dev dependency group)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True)
        yield browser
        browser.close()


class Reader:
    """One browser tab, recording what a reader's visit requests and logs."""

    def __init__(self, browser, site_url: str):
        self.origin = site_url.rstrip("/")
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.requests: list[str] = []
        self.left_host: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        # Also requests that routing may not see (a worker's own fetches, for example).
        self.page.on("request", lambda request: self._record(request.url))
        self.page.on("worker", lambda worker: self._record(worker.url))

    def _record(self, url: str) -> bool:
        self.requests.append(url)
        local = url.startswith((self.origin + "/", "data:", "blob:", "about:"))
        if not local:
            self.left_host.append(url)
        return local

    def _route(self, route):
        if self._record(route.request.url):
            route.continue_()
        else:
            route.abort()  # never wait for the internet; the assertion reports it

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def close(self):
        self.context.close()


@pytest.fixture
def reader(browser, site_url):
    reader = Reader(browser, site_url)
    yield reader
    reader.close()


@pytest.mark.parametrize(("name", "path", "title"), PAGES, ids=[p[0] for p in PAGES])
def test_page_works_for_a_reader(reader, site_url, name, path, title):
    page = reader.page
    page.goto(site_url + path)
    page.wait_for_load_state("networkidle")

    # The title is course.toml's.
    heading = page.locator("article h1").first.inner_text().replace("¶", "").strip()
    assert heading == title
    assert page.title().startswith(title)

    if path:
        lesson = COURSE.find(name)
        check_notebook_renders(page)
        check_download_button(page, site_url + path, lesson)
    else:
        assert page.locator(".fl-growth svg").is_visible()
        first_lesson = f'article a[href$="lessons/{COURSE.lessons[0].slug}/"]'
        assert page.locator(first_lesson).first.is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    check_search_finds(page, "create_app")
    check_palette_toggle(page, ARTIFACTS / f"{name}-dark.png")

    assert not reader.errors, "\n".join(reader.errors)
    assert not reader.left_host, "requests left 127.0.0.1:\n" + "\n".join(reader.left_host)
    assert reader.requests, "no request was recorded: the recorder is broken"


def check_notebook_renders(page):
    cells = page.locator(".jp-CodeCell")
    assert cells.count() >= 1, "no code cells"
    first_input = page.locator(".jp-CodeCell .jp-InputArea .highlight-ipynb").first
    assert first_input.is_visible()
    assert first_input.inner_text().strip(), "the first code cell is empty"
    outputs = page.locator(".jp-CodeCell .jp-OutputArea-output")
    assert outputs.count() >= 1, "no cell outputs"
    assert outputs.first.is_visible()
    assert outputs.first.inner_text().strip(), "the first output is empty"
    # The shared notebook stylesheet applied: JupyterLab's layout is in effect.
    display = outputs.first.evaluate("e => getComputedStyle(e.closest('.jp-OutputArea-child'))")
    assert display["display"] == "flex", "notebook.css is not applied"


def check_download_button(page, page_url, lesson):
    button = page.locator("a.fl-download")
    assert button.is_visible()
    assert button.get_attribute("download") == f"{lesson.slug}.ipynb"
    url = page.evaluate("a => a.href", button.element_handle())
    assert url == page_url + f"{lesson.slug}.ipynb"
    response = page.request.get(url)
    assert response.ok
    notebook = json.loads(response.body())
    assert notebook["nbformat"] == 4
    assert response.body() == (ROOT / "docs" / "lessons" / f"{lesson.slug}.ipynb").read_bytes()


def check_search_finds(page, term):
    search = page.locator("input.md-search__input")
    search.click()
    page.keyboard.type(term)  # Material searches on key events, so type rather than fill
    results = page.locator(".md-search-result__item")
    results.first.wait_for(state="visible", timeout=10_000)
    assert results.count() >= 1
    assert term in page.locator(".md-search-result").inner_text()
    search.press("Escape")


def check_palette_toggle(page, screenshot):
    body = page.locator("body")

    def scheme():
        return body.get_attribute("data-md-color-scheme")

    def background():
        return page.evaluate("getComputedStyle(document.body).backgroundColor")

    assert scheme() == "default"
    light = background()
    page.locator("form[data-md-component=palette] label:visible").click()
    page.wait_for_function("document.body.dataset.mdColorScheme === 'slate'")
    assert background() != light
    page.screenshot(path=screenshot)
    page.locator("form[data-md-component=palette] label:visible").click()
    page.wait_for_function("document.body.dataset.mdColorScheme === 'default'")
    assert background() == light


def test_instant_navigation_keeps_the_page_loaded(reader, site_url):
    """Following a nav link swaps the content without reloading the page."""
    page = reader.page
    page.goto(site_url)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.__flasklingsMarker = 42")
    lesson = COURSE.lessons[0]
    page.locator(f'article a[href$="lessons/{lesson.slug}/"]').first.click()
    page.wait_for_url(f"{site_url}lessons/{lesson.slug}/")
    page.locator("a.fl-download").wait_for(state="visible")
    assert page.evaluate("window.__flasklingsMarker") == 42, "the page was reloaded"
    check_notebook_renders(page)  # the notebook styles came along with the new content
    # Material re-runs the quiz script on the new page: answering a question gives feedback.
    quiz = page.locator(".quiz").first
    quiz.scroll_into_view_if_needed()
    quiz.locator("input[data-correct]").first.check()
    if quiz.locator("button.quiz-button[type=submit]").is_visible():
        quiz.locator("button.quiz-button[type=submit]").click()
    quiz.locator(".quiz-feedback:not(.hidden)").wait_for(state="visible", timeout=5_000)
    assert not reader.errors, "\n".join(reader.errors)
    assert not reader.left_host, "requests left 127.0.0.1:\n" + "\n".join(reader.left_host)
