"""A first run works on a fresh machine: uv finds a Python, users' uv may download one, CI won't."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_python_version_file_satisfies_requires_python():
    # uv (and pyenv's shims) read .python-version; a pin below requires-python would fail.
    pinned = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"3\.\d+", pinned), f".python-version is {pinned!r}, expected e.g. 3.12"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    floor = tuple(int(p) for p in requires.removeprefix(">=").split("."))
    assert tuple(int(p) for p in pinned.split(".")) >= floor[:2], (pinned, requires)


def test_project_config_lets_users_uv_download_python():
    uv_config = tomllib.loads((ROOT / "pyproject.toml").read_text()).get("tool", {}).get("uv", {})
    assert "python-downloads" not in uv_config, "the project must not forbid users' downloads"


def test_ci_never_downloads_python():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "UV_PYTHON_DOWNLOADS=never" in script
    assert re.search(r"export UV_PYTHON\b", script)
