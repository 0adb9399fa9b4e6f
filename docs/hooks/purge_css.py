"""Hook: after the build, trim Material's stylesheets to the rules the site uses.

Material ships one stylesheet for every feature of the theme (about 150 KB with the
palette); a page here uses a quarter of it. PurgeCSS (pinned in package.json, installed by
`npm ci`) removes the rest, with docs/hooks/purgecss.config.js saying what to scan and what
Material adds at run time. The trimmed files keep their names, so the pages need no change;
their source maps, which would no longer match, are removed.

Without Node or `npm ci`, the site is built untrimmed and a warning says so (a strict build,
as in CI, then fails: the page-weight budget depends on this step).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.purge_css")

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "purgecss.config.js"


def on_post_build(config):
    root = Path(config.config_file_path).parent
    purgecss = root / "node_modules" / ".bin" / "purgecss"
    node = shutil.which("node")
    if node is None or not purgecss.is_file():
        log.warning(
            "Material's CSS is not trimmed: PurgeCSS is not installed (run `npm ci` in %s); "
            "pages weigh about 110 KB more",
            root,
        )
        return
    site = Path(config.site_dir)
    sheets = sorted((site / "assets" / "stylesheets").glob("*.min.css"))
    result = subprocess.run(
        [str(purgecss), "--config", str(CONFIG), "--output", "assets/stylesheets"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        log.warning("PurgeCSS failed, Material's CSS is not trimmed:\n%s", result.stderr)
        return
    for sheet in sheets:
        text = sheet.read_text(encoding="utf-8")
        sheet.write_text(re.sub(r"/\*# sourceMappingURL=[^*]*\*/\s*$", "", text), "utf-8")
        sheet.with_name(sheet.name + ".map").unlink(missing_ok=True)
