"""The course site as a reader sees it, in a real Chromium driven by Playwright.

The browser is Debian's `chromium` (found with shutil.which), never one downloaded by
`playwright install`. Without it the tests skip, except under CI=true, where they fail.

Every page is read at desktop (1280 px) and phone (390 px) width, in the light and the dark
palette. What is checked is what a reader sees (`inner_text`, computed styles, boxes), not the
HTML: every inline code span and link text of a notebook's Markdown cells is on its page,
verbatim; no visible text is CSS or HTML source; nothing sticks out sideways at 390 px except
inside elements that scroll; code scrolls instead of being clipped; outputs look different from
prose; quizzes answer. Also: the download button, search, the palette toggle, the nav on the
home page, no console errors and no request leaving 127.0.0.1. Screenshots go to
test-artifacts/browser/NAME-WIDTH-SCHEME.png.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from flasklings import course

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
COURSE = course.load(ROOT)
ARTIFACTS = ROOT / "test-artifacts" / "browser"
LESSONS = [(lesson.slug, f"lessons/{lesson.slug}/") for lesson in COURSE.lessons]
PAGES = [("home", ""), *LESSONS, ("settings", "reference/settings/"), ("workshop", "workshop/")]
SOURCES = {  # the file each page is made from
    "home": DOCS / "index.md",
    "settings": DOCS / "reference" / "settings.md",
    "workshop": DOCS / "workshop" / "index.md",
    **{lesson.slug: DOCS / "lessons" / f"{lesson.slug}.ipynb" for lesson in COURSE.lessons},
}
VIEWS = [(1280, "light"), (1280, "dark"), (390, "light"), (390, "dark")]
VIEW_IDS = [f"{width}-{scheme}" for width, scheme in VIEWS]
# Content that may scroll sideways on a phone (besides code): the settings reference's tables,
# whose names are never broken.
WIDE = {"settings": ".md-typeset__scrollwrap"}


# -- what the notebook says -------------------------------------------------------------------


def _without_fences(markdown: str) -> str:
    """The Markdown with fenced code blocks (also indented ones, in admonitions) removed."""
    kept, fence = [], None
    for line in markdown.splitlines():
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence) and not stripped.strip(fence[0]).strip():
                fence = None
            continue
        opener = re.match(r"(`{3,}|~{3,})", stripped)
        if opener:
            fence = opener.group(1)
            continue
        kept.append(line)
    return "\n".join(kept)


def _squash(text: str) -> str:
    return " ".join(text.split())


def notebook_phrases(path: Path) -> list[str]:
    """Every inline code span and link text in the notebook's Markdown cells, as shown."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    phrases = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = _without_fences("".join(cell["source"]))
        text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
        for match in re.finditer(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", text, re.S):
            phrases.append(_squash(match.group(2)))
        no_code = re.sub(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", r"\2", text, flags=re.S)
        for match in re.finditer(r"(?<![!\\])\[([^\]]+)\]\([^)\s]+\)", no_code):
            phrases.append(_squash(match.group(1).replace("**", "")))
        for match in re.finditer(r"<((?:https?|mailto):[^>\s]+)>", no_code):
            phrases.append(match.group(1))
    return [p for p in dict.fromkeys(phrases) if p]


def source_lines(name: str) -> set[str]:
    """Every line the page's source says verbatim: text, code and committed outputs."""
    path = SOURCES[name]
    if path.suffix != ".ipynb":
        return {_squash(line) for line in path.read_text(encoding="utf-8").splitlines()}
    notebook = json.loads(path.read_text(encoding="utf-8"))
    lines = set()
    for cell in notebook["cells"]:
        chunks = ["".join(cell["source"])]
        for output in cell.get("outputs", []):
            chunks.append("".join(output.get("text", "")))
            chunks += ["".join(v) for v in output.get("data", {}).values() if isinstance(v, list)]
        for chunk in chunks:
            lines |= {_squash(line) for line in chunk.splitlines()}
    return lines


# Text that is markup or styles leaking onto the page, not something a reader should read.
SOURCE_LEAKS = [
    re.compile(r"<style\b|</style>|<script\b"),
    re.compile(r"</(?:div|span|p|pre|code|table|section)>"),
    re.compile(r"<!--|-->"),
    re.compile(r"\{\s*[a-z-]+\s*:\s*[^;{}]+;"),  # a CSS declaration block: { line-height: 1; }
    re.compile(r"\['[^']*\{"),  # a Python list of CSS strings
    re.compile(r"\bclass=\"|\bdata-[a-z-]+=\""),
]


def leaked_source(visible: str, name: str) -> list[str]:
    allowed = source_lines(name)
    found = []
    for line in visible.splitlines():
        if any(p.search(line) for p in SOURCE_LEAKS) and _squash(line) not in allowed:
            found.append(line[:160])
    return found


# -- the browser ------------------------------------------------------------------------------


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

    def __init__(self, browser, site_url: str, width: int = 1280):
        self.origin = site_url.rstrip("/")
        phone = width < 600
        self.context = browser.new_context(
            viewport={"width": width, "height": 844 if phone else 900},
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=1,
        )
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

    def open(self, url: str):
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")

    def assert_clean(self):
        assert not self.errors, "\n".join(self.errors)
        assert not self.left_host, "requests left 127.0.0.1:\n" + "\n".join(self.left_host)
        assert self.requests, "no request was recorded: the recorder is broken"

    def close(self):
        self.context.close()


@pytest.fixture
def reader(browser, site_url):
    reader = Reader(browser, site_url)
    yield reader
    reader.close()


def set_scheme(page, scheme: str):
    """Switch the palette with its toggle, as a reader does."""
    wanted = "slate" if scheme == "dark" else "default"
    if page.locator("body").get_attribute("data-md-color-scheme") != wanted:
        page.locator("form[data-md-component=palette] label:visible").click()
        page.wait_for_function(f"document.body.dataset.mdColorScheme === '{wanted}'")


# -- checks run inside the page ---------------------------------------------------------------

# Elements sticking out sideways, or clipping their content, that are not inside a scroller;
# and anything but code that needs sideways scrolling (part of it is out of sight) unless the
# page allows it (`wide`: a selector, for the settings tables).
OVERFLOW_JS = """(wide) => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  const doc = document.documentElement.scrollWidth;
  if (doc > width) problems.push(`the page is ${doc} px wide in a ${width} px viewport`);
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const name = (el) => el.tagName.toLowerCase()
    + (el.className && el.className.baseVal === undefined
      ? "." + String(el.className).trim().split(/\\s+/).join(".") : "");
  for (const el of document.querySelectorAll("article *")) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    let inScroller = false;
    for (let up = el.parentElement; up && up.tagName !== "ARTICLE"; up = up.parentElement) {
      if (scrolls(up)) { inScroller = true; break; }
    }
    if (!inScroller && box.right > width + 1)
      problems.push(`${name(el)} reaches ${Math.round(box.right)} px: `
        + `"${el.textContent.trim().slice(0, 50)}"`);
    const style = getComputedStyle(el);
    if (scrolls(el) && el.scrollWidth > el.clientWidth + 1
        && !el.closest("pre, .highlight") && !(wide && el.closest(wide)))
      problems.push(`${name(el)} hides ${el.scrollWidth - el.clientWidth} px: `
        + "only scrolling shows it");
    if (["hidden", "clip"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1
        && style.textOverflow !== "ellipsis")
      problems.push(`${name(el)} clips ${el.scrollWidth - el.clientWidth} px of its content`);
  }
  return [...new Set(problems)].slice(0, 20);
}"""

# Code and outputs: scroll rather than wrap mid-word, stand apart from prose, use the width.
CELLS_JS = """() => {
  const problems = [];
  const article = document.querySelector("article");
  const page = getComputedStyle(document.querySelector(".md-main") || document.body);
  const content = article.getBoundingClientRect();
  const outputs = [...document.querySelectorAll("article .jp-OutputArea-output")];
  if (!outputs.length) problems.push("no cell outputs");
  for (const out of outputs) {
    const pre = out.querySelector("pre") || out;
    const s = getComputedStyle(pre), o = getComputedStyle(out);
    const apart = [s, o].some(c => c.backgroundColor !== "rgba(0, 0, 0, 0)"
        && c.backgroundColor !== page.backgroundColor)
      || [s, o].some(c => parseFloat(c.borderLeftWidth) > 0 || parseFloat(c.borderTopWidth) > 0);
    const text = pre.textContent.trim().slice(0, 40);
    if (!apart) problems.push(`output "${text}" looks like prose`);
    if (s.whiteSpace !== "pre" || s.wordBreak === "break-all" || s.overflowWrap !== "normal")
      problems.push(`output "${text}" wraps lines (white-space ${s.whiteSpace}, `
        + `word-break ${s.wordBreak}, overflow-wrap ${s.overflowWrap})`);
  }
  const inputs = [...document.querySelectorAll("article .jp-CodeCell pre, article .fl-cell pre")]
    .filter(p => !p.closest(".jp-OutputArea-output"));
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  if (!inputs.length) problems.push("no code cells");
  for (const pre of [...inputs, ...outputs.map(o => o.querySelector("pre") || o)]) {
    const box = pre.getBoundingClientRect();
    for (const el of [pre, ...pre.querySelectorAll("code")]) {
      if (el.scrollWidth > el.clientWidth + 1 && !scrolls(el)
          && !(el.tagName === "CODE" && scrolls(pre)))
        problems.push(`"${pre.textContent.trim().slice(0, 40)}" is clipped, not scrollable`);
    }
    if (box.width < 0.9 * content.width)
      problems.push(`"${pre.textContent.trim().slice(0, 40)}" uses ${Math.round(box.width)}`
        + ` of ${Math.round(content.width)} px`);
  }
  // A copy button must not sit on top of code text.
  const buttons = "article .md-code__button, article .md-clipboard, article clipboard-copy";
  for (const button of document.querySelectorAll(buttons)) {
    const b = button.getBoundingClientRect();
    if (!b.width) continue;
    const pre = button.closest("pre") || button.closest(".jp-CodeCell");
    const code = pre && pre.querySelector("code, .highlight-ipynb pre");
    if (!code) continue;
    const clip = code.getBoundingClientRect();
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        const left = Math.max(r.left, clip.left), right = Math.min(r.right, clip.right);
        if (left < b.right && right > b.left && r.top < b.bottom && r.bottom > b.top) {
          problems.push(`the copy button covers "${node.textContent.trim().slice(0, 30)}"`);
          break;
        }
      }
    }
  }
  return [...new Set(problems)].slice(0, 20);
}"""

# Quiz answers: text lines start right of the radio button (a hanging indent), themed borders.
QUIZ_JS = """() => {
  const problems = [];
  for (const quiz of document.querySelectorAll("article .quiz")) {
    const c = getComputedStyle(quiz);
    if (parseFloat(c.borderTopWidth) > 0
        && ["rgb(0, 0, 0)", "rgb(255, 255, 255)"].includes(c.borderTopColor))
      problems.push(`a quiz has a hard ${c.borderTopColor} border`);
    for (const label of quiz.querySelectorAll("label")) {
      const input = label.querySelector("input") || document.getElementById(label.htmlFor);
      if (!input) continue;
      const edge = input.getBoundingClientRect().right;
      const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const r of range.getClientRects()) {
          if (r.width && r.left < edge - 1) {
            problems.push(`the answer "${label.textContent.trim().slice(0, 40)}" `
              + "wraps under its radio button");
            break;
          }
        }
      }
    }
  }
  return [...new Set(problems)];
}"""


def open_everything(page):
    """Open every collapsible block, as a reader who wants the hints does."""
    page.evaluate("document.querySelectorAll('article details').forEach(d => d.open = true)")


def answer_quizzes(page) -> int:
    """Answer each quiz correctly and wait for its feedback; return how many."""
    quizzes = page.locator("article .quiz")
    for i in range(quizzes.count()):
        quiz = quizzes.nth(i)
        quiz.scroll_into_view_if_needed()
        quiz.locator("input[data-correct]").first.check()
        submit = quiz.locator("button.quiz-button[type=submit]")
        if submit.count() and submit.first.is_visible():
            submit.first.click()
        quiz.locator(".quiz-feedback:not(.hidden)").wait_for(state="visible", timeout=5_000)
        feedback = quiz.locator(".quiz-feedback:not(.hidden)").first
        assert feedback.inner_text().strip(), f"quiz {i + 1}: the feedback is empty"
    return quizzes.count()


# -- what a reader sees ---------------------------------------------------------------------


@pytest.mark.parametrize(("width", "scheme"), VIEWS, ids=VIEW_IDS)
@pytest.mark.parametrize(("name", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_what_a_reader_sees(browser, site_url, name, path, width, scheme):
    reader = Reader(browser, site_url, width)
    try:
        page = reader.page
        reader.open(site_url + path)
        set_scheme(page, scheme)
        problems: list[str] = []
        lesson = name in {slug for slug, _ in LESSONS}
        if lesson:
            if not answer_quizzes(page):
                problems.append("the lesson has no quiz")
            problems += page.evaluate(QUIZ_JS)
            problems += page.evaluate(CELLS_JS)
        open_everything(page)
        visible = page.locator("article").inner_text()
        if lesson:
            shown = _squash(visible)
            missing = [p for p in notebook_phrases(SOURCES[name]) if p not in shown]
            problems += [f"the notebook says {p!r}; the page does not show it" for p in missing]
        problems += [f"markup shown as text: {line!r}" for line in leaked_source(visible, name)]
        if width < 600:
            problems += page.evaluate(OVERFLOW_JS, WIDE.get(name, ""))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{name}-{width}-{scheme}.png", full_page=True)
        assert not problems, f"{name} at {width} px, {scheme}:\n" + "\n".join(problems)
        reader.assert_clean()
    finally:
        reader.close()


def test_settings_names_never_break(browser, site_url):
    """A setting's name is one word: it never breaks across lines, at either width."""
    for width in (1280, 390):
        reader = Reader(browser, site_url, width)
        try:
            reader.open(site_url + "reference/settings/")
            broken = reader.page.evaluate(
                """() => [...document.querySelectorAll("article td:first-child code")]
                    .filter(c => c.getClientRects().length > 1
                      || c.getBoundingClientRect().height
                         > 1.6 * parseFloat(getComputedStyle(c).lineHeight || 20))
                    .map(c => c.textContent)"""
            )
            assert not broken, f"at {width} px these names break: {broken}"
        finally:
            reader.close()


@pytest.mark.parametrize(
    ("name", "path"), [("home", ""), *LESSONS], ids=["home"] + [n for n, _ in LESSONS]
)
def test_page_works_for_a_reader(reader, site_url, name, path):
    page = reader.page
    reader.open(site_url + path)
    title = COURSE.title if name == "home" else COURSE.find(name).title

    # The title is course.toml's.
    heading = page.locator("article h1").first.inner_text().replace("¶", "").strip()
    assert heading == title
    assert page.title().startswith(title)

    # The navigation is there on a desktop, on every page, with the reference section.
    nav = page.locator(".md-sidebar--primary")
    assert nav.is_visible(), "the navigation sidebar is hidden"
    assert nav.locator('a[href$="reference/settings/"]').count() == 1

    if path:
        check_download_button(page, site_url + path, COURSE.find(name))
    else:
        assert page.locator(".fl-growth svg").is_visible()
        first_lesson = f'article a[href$="lessons/{COURSE.lessons[0].slug}/"]'
        assert page.locator(first_lesson).first.is_visible()

    check_palette_toggle(page)
    reader.assert_clean()


@pytest.mark.parametrize(
    ("term", "where"),
    [
        ("create_app", "02_factory"),
        ("test_client", "01_hello"),
        ("flask --app", "01_hello"),
        ("url_prefix", "03_blueprints"),
    ],
)
def test_search_finds_what_the_lessons_teach(reader, site_url, term, where):
    page = reader.page
    reader.open(site_url)
    search = page.locator("input.md-search__input")
    search.click()
    page.keyboard.type(term)  # Material searches on key events, so type rather than fill
    results = page.locator(".md-search-result__item")
    results.first.wait_for(state="visible", timeout=10_000)
    shown = page.locator(".md-search-result").inner_text()
    assert term.lower() in shown.lower(), f"search for {term!r} shows:\n{shown[:500]}"
    assert page.locator(f'.md-search-result a[href*="lessons/{where}/"]').count() >= 1
    assert "Copied!" not in shown
    search.press("Escape")
    reader.assert_clean()


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
    assert response.body() == (DOCS / "lessons" / f"{lesson.slug}.ipynb").read_bytes()


def check_palette_toggle(page):
    def background():
        return page.evaluate("getComputedStyle(document.body).backgroundColor")

    assert page.locator("body").get_attribute("data-md-color-scheme") == "default"
    light = background()
    set_scheme(page, "dark")
    assert background() != light
    set_scheme(page, "light")
    assert background() == light


def test_instant_navigation_keeps_the_page_loaded(reader, site_url):
    """Following a nav link swaps the content without reloading the page."""
    page = reader.page
    reader.open(site_url)
    page.evaluate("window.__flasklingsMarker = 42")
    lesson = COURSE.lessons[0]
    page.locator(f'article a[href$="lessons/{lesson.slug}/"]').first.click()
    page.wait_for_url(f"{site_url}lessons/{lesson.slug}/")
    page.locator("a.fl-download").wait_for(state="visible")
    assert page.evaluate("window.__flasklingsMarker") == 42, "the page was reloaded"
    assert not page.evaluate(CELLS_JS)  # the cell styles came along with the new content
    # Material re-runs the quiz script on the new page: answering a question gives feedback.
    assert answer_quizzes(page) >= 1
    reader.assert_clean()
