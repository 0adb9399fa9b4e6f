"""The `<!-- course:growth-picture -->` marker: Invoicer growing over the lessons, on Home.

A helper of markers.py. The SVG is inlined (not an <img>), so its colours follow the
light/dark palette toggle.
"""

from __future__ import annotations

import re
from pathlib import Path

GROWTH_SVG = "assets/images/invoicer-growth.svg"


def growth_picture(page, docs_dir: str) -> str:
    svg = (Path(docs_dir) / GROWTH_SVG).read_text(encoding="utf-8")
    svg = re.sub(r"<\?xml[^>]*>\s*", "", svg)
    return f'<figure class="fl-growth" markdown="0">\n{svg.strip()}\n</figure>\n'
