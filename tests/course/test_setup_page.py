"""docs/setup.md's section per system: install uv, clone, and the README's two commands, in
the syntax of that system's shell (PowerShell on Windows)."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from flasklings.cli import main

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "docs" / "setup.md"
SYSTEMS = {  # title: the code block's language, the prompt its lines start with
    "Linux": ("console", "$ "),
    "macOS": ("console", "$ "),
    "Windows (PowerShell)": ("powershell", "PS> "),
}
UV_INSTALLERS = {
    "console": "https://astral.sh/uv/install.sh",
    "powershell": "https://astral.sh/uv/install.ps1",
}
BASH_ONLY = re.compile(r"^(export|source)\b|\$\?|&&|\|\| |\bsudo\b")


def section(title: str) -> str:
    text = SETUP.read_text(encoding="utf-8")
    start = text.index(f"\n### {title}\n")
    end = min(i for i in (text.find("\n## ", start), text.find("\n### ", start + 1)) if i > 0)
    return text[start:end]


def commands(title: str) -> list[str]:
    """The commands of the section's one code block, without their prompts."""
    language, prompt = SYSTEMS[title]
    [block] = re.findall(rf"```{language}\n(.*?)```", section(title), re.DOTALL)
    lines = block.strip().splitlines()
    assert all(line.startswith(prompt) for line in lines), lines
    return [line.removeprefix(prompt) for line in lines]


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme[readme.index("## Quick start") :]
    [block] = re.findall(r"```console\n(.*?)```", quick, re.DOTALL)[:1]
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


@pytest.mark.parametrize("title", SYSTEMS)
def test_each_system_installs_uv_clones_and_runs_the_two_commands(title: str):
    found = commands(title)
    language = SYSTEMS[title][0]
    installs = [c for c in found if "uv" in c and ("install" in c)]
    assert installs, f"{title}: no command installs uv"
    if title != "macOS":  # Homebrew's `brew install uv` there; the installer is in the text
        assert UV_INSTALLERS[language] in installs[0]
    assert UV_INSTALLERS["console"] in section("macOS")
    clone = found.index(next(c for c in found if c.startswith("git clone ")))
    folder = shlex.split(found[clone])[-1]
    assert found[clone + 1] == f"cd {folder}"
    assert found[clone + 2 :] == readme_commands() == ["uv run flasklings", "uv run pytest"]


def test_the_flasklings_commands_on_the_page_exist():
    text = SETUP.read_text(encoding="utf-8")
    verbs = set(re.findall(r"uv run flasklings ([a-z]+)", text))
    assert {"check", "doctor"} <= verbs
    assert verbs <= set(main.commands), sorted(verbs - set(main.commands))


@pytest.mark.parametrize("title", ["Linux", "macOS"])
def test_the_posix_commands_are_valid_shell(title: str):
    script = "\n".join(commands(title))
    done = subprocess.run(["sh", "-n", "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_powershell_block_uses_no_posix_shell_syntax():
    found = commands("Windows (PowerShell)")
    assert not [c for c in found if BASH_ONLY.search(c)], found
    notes = section("Windows (PowerShell)")
    assert "$LASTEXITCODE" in notes and '$env:NO_COLOR = "1"' in notes
