"""How many bytes does a reader's browser fetch to show a page? Prints figures.

Builds the site (or takes one already built, --site DIR), serves it on 127.0.0.1, and opens
each page in a fresh Chromium context with the cache off, as a first-time reader. It sums the
bodies of every response until the network is idle (the server does not compress, so these
are uncompressed bytes), by kind: HTML, CSS, JS, fonts, images, and data (the search index
and sitemap; the search index now loads only when the reader opens search). Goal: a lesson
page's total, data included, at most BUDGET (tests/course/test_browser.py asserts it).

    uv run python bench/page_weight.py [--site DIR] [--json]

Uses Debian's chromium (shutil.which), never `playwright install`.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 400 * 1024
KINDS = {
    "document": "html",
    "stylesheet": "css",
    "script": "js",
    "font": "font",
    "image": "image",
    "fetch": "data",
    "xhr": "data",
}
COLUMNS = ["html", "css", "js", "font", "image", "data", "other"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def build(site_dir: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site_dir)],
        cwd=ROOT,
        env=env,
        check=True,
    )


def pages(site_dir: Path) -> list[str]:
    """Home, every lesson, and the other pages, as paths below the site root."""
    found = sorted(
        str(p.parent.relative_to(site_dir)) + "/"
        for p in site_dir.rglob("index.html")
        if p.parent != site_dir and p.parent.name != "404"
    )
    return ["", *found]


def weigh(browser, url: str, site_dir: Path) -> dict[str, int]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: dict[str, int] = defaultdict(int)

    def finished(request):
        body = request.sizes()["responseBodySize"]
        sizes[KINDS.get(request.resource_type, "other")] += max(body, 0)

    def worker(worker):
        # A worker's script request is not reported as a page request: weigh its file.
        path = site_dir / worker.url.split("/", 3)[3].split("?")[0]
        if path.is_file():
            sizes["js"] += path.stat().st_size

    page.on("requestfinished", finished)
    page.on("worker", worker)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    context.close()
    return dict(sizes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one now)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("Chromium is not installed (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        site_dir = args.site
        if site_dir is None:
            site_dir = Path(tmp) / "site"
            build(site_dir)
        handler = functools.partial(_Quiet, directory=str(site_dir))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_address[1]}/"
        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True)
            for path in pages(site_dir):
                results[path or "/"] = weigh(browser, origin + path, site_dir)
            browser.close()
        server.shutdown()

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'page':<28}" + "".join(f"{c:>8}" for c in COLUMNS) + f"{'total':>9}{'no data':>9}")
    for path, sizes in results.items():
        total = sum(sizes.values())
        budgeted = total - sizes.get("data", 0)
        flag = "  over budget" if path.startswith("lessons/") and total > BUDGET else ""
        print(
            f"{path:<28}"
            + "".join(f"{sizes.get(c, 0) / 1024:>7.0f}K" for c in COLUMNS)
            + f"{total / 1024:>8.0f}K{budgeted / 1024:>8.0f}K{flag}"
        )
    print(f"budget for a lesson page, everything included: {BUDGET // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
