"""Lighthouse scores for every page of the course site, served as GitHub Pages serves it.

Builds the site (or takes a built one, --site DIR), serves it from 127.0.0.1 with a small
server of our own, and runs Lighthouse (node_modules, from `npm ci`) on each page with its
default mobile profile (a slow 4G link and a slowed CPU, simulated), printing a table of the
accessibility and performance scores and the first contentful paint. Not a test: scores
vary from run to run and machine to machine; tests never assert on them.

What the server does, like GitHub Pages:
- gzip for text (HTML, CSS, JS, JSON, SVG, XML) when the browser accepts it;
- `Cache-Control: max-age=600` on every file (GitHub Pages' ten minutes), with an ETag;
- no HTTP/2 and no Brotli (GitHub Pages has both; so real figures are a little better).

    uv run python bench/site_audit.py [--site DIR] [--pages lessons/01_hello/ ...] [--runs N]

With --runs N each page is audited N times and the median of each score is printed (one run
moves by several points on this machine: lesson 1 scored 88 and 96 ten minutes apart).

Uses Debian's chromium (CHROME_PATH from shutil.which), never a downloaded browser.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
COMPRESSIBLE = {".html", ".css", ".js", ".json", ".svg", ".xml", ".map", ".txt", ".ipynb"}


class PagesLikeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with gzip, ETag and GitHub Pages' cache lifetime."""

    def log_message(self, format, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()  # the redirect to the slash
            path = path / "index.html"
        if not path.is_file():
            return super().send_head()  # 404
        body = path.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        zipped = path.suffix in COMPRESSIBLE and "gzip" in self.headers.get("Accept-Encoding", "")
        if zipped:
            body = gzip.compress(body, compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.send_header("ETag", etag)
        if zipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return None


def build(site_dir: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site_dir)],
        cwd=ROOT,
        env=env,
        check=True,
    )


def pages(site_dir: Path) -> list[str]:
    found = sorted(
        str(p.parent.relative_to(site_dir)) + "/"
        for p in site_dir.rglob("index.html")
        if p.parent != site_dir and p.parent.name != "404"
    )
    return ["", *found]


def lighthouse(url: str, chromium: str, out: Path) -> dict:
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--only-categories=accessibility,performance",
            "--chrome-flags=--headless=new --no-sandbox",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
        ],
        env={**os.environ, "CHROME_PATH": chromium},
        check=True,
        timeout=180,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    return {
        "accessibility": round(100 * report["categories"]["accessibility"]["score"]),
        "performance": round(100 * report["categories"]["performance"]["score"]),
        "fcp_ms": round(report["audits"]["first-contentful-paint"]["numericValue"]),
        "failed": [
            audit_id
            for audit_id, audit in report["audits"].items()
            if audit.get("score") == 0
            and audit_id in {r["id"] for r in report["categories"]["accessibility"]["auditRefs"]}
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one now)")
    parser.add_argument("--pages", nargs="*", help="paths below the site root (default: all)")
    parser.add_argument("--runs", type=int, default=1, help="audits per page; medians shown")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None or not LIGHTHOUSE.is_file():
        print("needs Debian's chromium and `npm ci` (Lighthouse)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        site_dir = args.site
        if site_dir is None:
            site_dir = Path(tmp) / "site"
            build(site_dir)
        handler = functools.partial(PagesLikeHandler, directory=str(site_dir))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_address[1]}/"
        print(f"{'page':<28}{'a11y':>6}{'perf':>6}{'FCP ms':>8}  failed accessibility audits")
        for path in args.pages if args.pages is not None else pages(site_dir):
            runs = [
                lighthouse(origin + path, chromium, Path(tmp) / "report.json")
                for _ in range(args.runs)
            ]
            scores = {
                name: round(statistics.median(run[name] for run in runs))
                for name in ("accessibility", "performance", "fcp_ms")
            }
            scores["failed"] = sorted({audit for run in runs for audit in run["failed"]})
            print(
                f"{path or '/':<28}{scores['accessibility']:>6}{scores['performance']:>6}"
                f"{scores['fcp_ms']:>8}  {' '.join(scores['failed']) or '-'}",
                flush=True,
            )
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
