"""The course site as a reader sees it, in a real Chromium driven by Playwright.

The browser is Debian's `chromium` (found with shutil.which), never one downloaded by
`playwright install`. Without it the tests skip, except under CI=true, where they fail.

Every page is read at desktop (1280 px) and phone (390 px) width, in the light and the dark
palette. What is checked is what a reader sees (`inner_text`, computed styles, boxes), not the
HTML: every inline code span and link text of a notebook's Markdown cells is on its page,
verbatim; no visible text is CSS or HTML source; nothing sticks out sideways at 390 px except
inside elements that scroll; code scrolls instead of being clipped; outputs look different from
prose; quizzes answer; axe-core finds no critical or serious accessibility violation. Also:
a keyboard-only walk through a lesson (every tab stop shows its focus and has a name), the
byte budget of a cold lesson page, the download button, search, the palette toggle, the nav
on the home page, no console errors and no request leaving 127.0.0.1. Screenshots go to
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
OTHER_PAGES = {  # name: (path, the file the page is made from)
    "home": ("", DOCS / "index.md"),
    "setup": ("setup/", DOCS / "setup.md"),
    "cli": ("reference/cli/", DOCS / "reference" / "cli.md"),
    "settings": ("reference/settings/", DOCS / "reference" / "settings.md"),
    "errata": ("reference/errata/", DOCS / "reference" / "errata.md"),
    "accessibility": ("reference/accessibility/", DOCS / "reference" / "accessibility.md"),
    "workshop": ("workshop/", DOCS / "workshop" / "index.md"),
    "trust": ("reference/grading-security/", DOCS / "reference" / "grading-security.md"),
    "before-the-day": ("workshop/setup/", DOCS / "workshop" / "setup.md"),
    "classroom": ("workshop/classroom/", DOCS / "workshop" / "classroom.md"),
    "grading": ("workshop/grading/", DOCS / "workshop" / "grading.md"),
    "ci": ("workshop/ci/", DOCS / "workshop" / "ci.md"),
    # Made by docs/hooks/instructor_notes.py from course.toml and the lesson's mutants.
    "notes": ("workshop/notes/03_blueprints/", ROOT / "tests/mutants/03_blueprints/mutants.toml"),
}
PAGES = [
    ("home", ""),
    *LESSONS,
    *[(name, path) for name, (path, _) in OTHER_PAGES.items() if name != "home"],
]
SOURCES = {
    **{name: source for name, (_, source) in OTHER_PAGES.items()},
    **{lesson.slug: DOCS / "lessons" / f"{lesson.slug}.ipynb" for lesson in COURSE.lessons},
}
VIEWS = [(1280, "light"), (1280, "dark"), (390, "light"), (390, "dark")]
VIEW_IDS = [f"{width}-{scheme}" for width, scheme in VIEWS]
# Content that may scroll sideways on a phone (besides code): the settings reference's tables,
# whose names are never broken.
WIDE = {"settings": ".md-typeset__scrollwrap"}
# A cold lesson page, everything it fetches until the network is idle, uncompressed: at most.
PAGE_BYTES_BUDGET = 400 * 1024
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


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
    # Markup the lesson quotes in inline code (`<script>alert(1)</script>`) is meant to show.
    quoted = notebook_phrases(SOURCES[name]) if SOURCES[name].suffix == ".ipynb" else []
    found = []
    for line in visible.splitlines():
        hits = [m.group(0) for p in SOURCE_LEAKS for m in p.finditer(line)]
        if not hits or _squash(line) in allowed:
            continue
        if not all(any(hit in phrase for phrase in quoted) for hit in hits):
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
            # Every request must reach the router below, which a service worker's answers
            # (docs/sw.js) would not; the offline copy has a test of its own.
            service_workers="block",
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
    """Switch the palette with its toggle, as a reader does, and let the colours settle."""
    wanted = "slate" if scheme == "dark" else "default"
    if page.locator("body").get_attribute("data-md-color-scheme") != wanted:
        page.locator("form[data-md-component=palette] label:visible").click()
        page.wait_for_function(f"document.body.dataset.mdColorScheme === '{wanted}'")
        page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")


def axe_problems(page) -> list[str]:
    """axe-core's critical and serious violations on the page: rule, targets, why."""
    if not AXE.is_file():
        _unavailable("axe-core is not installed: run `npm ci` at the repository root")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    problems = []
    for rule in result["violations"]:
        if rule["impact"] not in ("critical", "serious"):
            continue
        nodes = rule["nodes"]
        targets = ", ".join(" ".join(map(str, n["target"])) for n in nodes[:4])
        why = (nodes[0].get("failureSummary") or "").splitlines()
        detail = " ".join(line.strip() for line in why[1:3])
        problems.append(
            f"axe {rule['impact']} {rule['id']} ({len(nodes)}x: {targets}"
            f"{', ...' if len(nodes) > 4 else ''}): {detail[:240]}"
        )
    return problems


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
    """Answer each quiz correctly with its button and wait for the verdict; return how many."""
    quizzes = page.locator("article form.fl-quiz")
    for i in range(quizzes.count()):
        quiz = quizzes.nth(i)
        quiz.scroll_into_view_if_needed()
        quiz.locator("input[data-correct]").first.check()
        assert not quiz.locator(".fl-quiz__verdict").inner_text(), "answered before submit"
        quiz.locator("button[type=submit]").click()
        verdict = quiz.locator(".fl-quiz__verdict")
        verdict.wait_for(state="visible", timeout=5_000)
        assert verdict.inner_text().strip() == "Correct.", f"quiz {i + 1}: {verdict.inner_text()}"
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
        problems += axe_problems(page)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # A whole lesson at phone width is a very tall image: on a busy machine it takes
        # longer than Playwright's default 30 s to capture.
        shot = ARTIFACTS / f"{name}-{width}-{scheme}.png"
        page.screenshot(path=shot, full_page=True, timeout=180_000)
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


# -- keyboard and screen reader ----------------------------------------------------------------

# The focused element as a keyboard user meets it: its name, whether it is seen, and its focus
# ring (outline, or box-shadow) with the ring's contrast against what surrounds it. The
# palette toggle's focus is on a hidden radio button; its ring is drawn on the label after it.
FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const shown = el.matches(".md-option") ? el.nextElementSibling : el;
  // Measure the focused state, not a fade on its way there (the search box turns white).
  for (const a of document.getAnimations()) try { a.finish(); } catch (endless) {}
  const rgba = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const background = (node) => {
    for (let up = node.parentElement; up; up = up.parentElement) {
      const c = rgba(getComputedStyle(up).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return rgba(getComputedStyle(document.body).backgroundColor).slice(0, 3);
  };
  const s = getComputedStyle(shown);
  let ring = 0;
  if (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 1)
    ring = ratio(rgba(s.outlineColor).slice(0, 3), background(shown));
  else if (s.boxShadow && s.boxShadow !== "none") ring = 3;  // a shadow ring: seen, not measured
  const label = (id) => (document.getElementById(id) || {}).textContent || "";
  const name = (el.getAttribute("aria-label")
    || (el.getAttribute("aria-labelledby") || "").split(/\\s+/).map(label).join(" ")
    || (el.labels && el.labels.length ? el.labels[0].textContent : "")
    || el.getAttribute("title") || el.textContent || el.getAttribute("alt") || "").trim();
  const box = shown.getBoundingClientRect();
  return {
    what: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + (el.className && typeof el.className === "string"
        ? "." + el.className.trim().split(/\\s+/).join(".") : ""),
    name: name.replace(/\\s+/g, " ").slice(0, 60),
    seen: box.width > 0 && box.height > 0 && getComputedStyle(shown).visibility !== "hidden"
      && parseFloat(getComputedStyle(shown).opacity) > 0
      && box.right > 0 && box.left < innerWidth,  // not in a drawer slid out of view
    ring: Math.round(ring * 100) / 100,
    scrolls: el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1,
    href: el.getAttribute("href") || "",
  };
}"""


def focus_problems(stop: dict) -> list[str]:
    problems = []
    where = f"{stop['what']} {stop['name']!r}"
    if not stop["seen"]:
        problems.append(f"{where}: a tab stop nobody can see")
    # Known flake, open in the accessibility issue: the search box's ring sometimes measures
    # 1.05:1 while Material animates the box; its ring is set in site.css for every focus.
    if stop["ring"] < 3 and "md-search__input" not in stop["what"]:
        problems.append(f"{where}: no visible focus (ring contrast {stop['ring']}:1, need 3:1)")
    if not stop["name"] and not stop["scrolls"]:
        problems.append(f"{where}: no accessible name, and it is not a scroll region")
    return problems


def tab(page) -> dict | None:
    page.keyboard.press("Tab")
    return page.evaluate(FOCUS_JS)


def tab_until(page, what: str, test, limit: int = 400) -> tuple[dict, list[str]]:
    """Tab until `test(stop)` holds; return that stop and the problems met on the way."""
    problems = []
    lost = 0
    for _ in range(limit):
        stop = tab(page)
        if stop is None:
            # Right after the skip link's jump the browser may still be moving its focus
            # starting point; once is a race, a second time the page really lost focus.
            lost += 1
            assert lost < 2, f"focus left the page before reaching {what}"
            page.wait_for_timeout(200)
            continue
        problems += focus_problems(stop)
        if test(stop):
            return stop, problems
    raise AssertionError(f"{limit} tab stops and no {what}")


def test_keyboard_walk_through_a_lesson(reader, site_url):
    """Skip link, download, a hint opened and closed, a quiz answered on purpose, next lesson."""
    lesson, following = COURSE.lessons[0], COURSE.lessons[1]
    page = reader.page
    reader.open(site_url + f"lessons/{lesson.slug}/")
    problems = []

    stop = tab(page)
    assert stop and "md-skip" in stop["what"], f"the first tab stop is {stop}, not the skip link"
    problems += focus_problems(stop)
    page.keyboard.press("Enter")

    stop, seen = tab_until(page, "the download link", lambda s: "fl-download" in s["what"])
    problems += seen

    stop, seen = tab_until(page, "a hint", lambda s: s["what"].startswith("summary"))
    problems += seen
    page.evaluate("document.activeElement.closest('details').id = 'fl-walked-hint'")
    hint = page.locator("details#fl-walked-hint")
    page.keyboard.press("Enter")
    assert hint.evaluate("d => d.open"), "Enter did not open the hint"
    page.keyboard.press("Enter")
    assert not hint.evaluate("d => d.open"), "Enter did not close the hint"

    stop, seen = tab_until(
        page,
        "a quiz answer",
        lambda s: (
            "fl-quiz"
            in page.evaluate(
                "document.activeElement.closest('form') ? "
                "document.activeElement.closest('form').className : ''"
            )
        ),
    )
    problems += seen
    quiz_id = page.evaluate("document.activeElement.closest('form').id")
    quiz = page.locator(f"form#{quiz_id}")
    verdict = quiz.locator(".fl-quiz__verdict")
    radios = quiz.locator("input[type=radio]")
    count = radios.count()
    for _ in range(count):  # explore every option with the arrow keys: nothing is submitted
        page.keyboard.press("ArrowDown")
        problems += focus_problems(page.evaluate(FOCUS_JS))
    page.wait_for_timeout(300)
    assert verdict.inner_text() == "", f"the arrow keys answered the quiz: {verdict.inner_text()}"
    assert quiz.locator("input:disabled").count() == 0, "the quiz locked itself"
    right = [radios.nth(i).get_attribute("data-correct") is not None for i in range(count)]
    while not page.evaluate("document.activeElement.hasAttribute('data-correct')"):
        page.keyboard.press("ArrowDown")
    stop = tab(page)
    assert stop["what"].startswith("button"), f"after the answers, focus is on {stop}"
    problems += focus_problems(stop)
    page.keyboard.press("Enter")
    verdict.wait_for(state="visible")
    assert verdict.inner_text() == "Correct.", verdict.inner_text()
    assert right.count(True) == 1
    status = quiz.locator("[role=status]")
    assert status.count() == 1 and verdict.evaluate("v => !!v.closest('[role=status]')")

    next_url = f"lessons/{following.slug}/"
    stop, seen = tab_until(
        page,
        "the next lesson link",
        lambda s: s["href"].endswith(f"{following.slug}/") and "md-footer__link" in s["what"],
    )
    problems += seen
    page.keyboard.press("Enter")
    page.wait_for_url(site_url + next_url)
    assert not problems, "\n".join(dict.fromkeys(problems))
    reader.assert_clean()


@pytest.mark.parametrize(("width", "scheme"), VIEWS, ids=VIEW_IDS)
def test_every_tab_stop_is_seen_and_named(browser, site_url, width, scheme):
    """On a lesson page, each tab stop shows its focus and has a name or scrolls."""
    reader = Reader(browser, site_url, width)
    try:
        page = reader.page
        reader.open(site_url + f"lessons/{COURSE.lessons[-1].slug}/")
        set_scheme(page, scheme)
        page.locator("body").focus()
        stops, problems, first = 0, [], None
        for _ in range(600):
            stop = tab(page)
            if stop is None or (first and stop == first):
                break
            first = first or stop
            stops += 1
            problems += focus_problems(stop)
        assert stops > 10, f"only {stops} tab stops"
        assert not problems, f"{stops} tab stops:\n" + "\n".join(dict.fromkeys(problems))
    finally:
        reader.close()


# -- page weight ---------------------------------------------------------------------------------


def cold_page_bytes(browser, url: str, site_dir: Path) -> dict[str, int]:
    """Bytes of every response a first-time visit loads until the network is idle, by URL."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        sizes: dict[str, int] = {}

        def finished(request):
            sizes[request.url] = max(request.sizes()["responseBodySize"], 0)

        def worker(worker):  # a worker's script is not reported as a page request
            path = site_dir / worker.url.split("/", 3)[3].split("?")[0]
            sizes[worker.url] = path.stat().st_size if path.is_file() else 0

        page.on("requestfinished", finished)
        page.on("worker", worker)
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        return sizes
    finally:
        context.close()


@pytest.mark.parametrize(("name", "path"), LESSONS, ids=[n for n, _ in LESSONS])
def test_cold_lesson_page_is_within_its_byte_budget(browser, built_site, site_url, name, path):
    """HTML, CSS, JS, fonts, images and data fetched at load: at most 400 KB, uncompressed."""
    sizes = cold_page_bytes(browser, site_url + path, built_site.site_dir)
    total = sum(sizes.values())
    listing = "\n".join(
        f"{size / 1024:8.1f} KB  {url.removeprefix(site_url)}"
        for url, size in sorted(sizes.items(), key=lambda item: -item[1])
    )
    assert not [u for u in sizes if "search_index" in u or "/workers/" in u], (
        f"{name}: the search index or worker loads before the reader opens search:\n{listing}"
    )
    assert total <= PAGE_BYTES_BUDGET, (
        f"{name}: a cold visit fetches {total / 1024:.0f} KB, over the "
        f"{PAGE_BYTES_BUDGET // 1024} KB budget:\n{listing}"
    )
