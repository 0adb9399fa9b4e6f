"""Mutants: known-wrong variants of a solution, each a set of exact text replacements.

tests/mutants/NN_slug/mutants.toml lists them. The course's own tests prove every mutant is
caught by the lesson's checkers; lesson 9 grades the learner's tests against mutants too.
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Edit:
    file: str
    find: str
    replace: str


@dataclass(frozen=True)
class Mutant:
    name: str
    mistake: str
    edits: tuple[Edit, ...]
    # "postgresql": a mistake only PostgreSQL shows (SQLite has no time zones in its
    # timestamps), caught where the checks run on PostgreSQL, as in CI.
    needs: str | None = None


def load(path: Path) -> list[Mutant]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Mutant(
            name=entry["name"],
            mistake=entry["mistake"],
            edits=tuple(Edit(e["file"], e["find"], e["replace"]) for e in entry["edit"]),
            needs=entry.get("needs"),
        )
        for entry in data.get("mutant", [])
    ]


class MutantError(Exception):
    """A mutant no longer fits its solution (its `find` text is gone or ambiguous)."""


def apply(mutant: Mutant, solution: Path, destination: Path) -> Path:
    """Copy the solution folder to `destination` and make the mutant's edits there."""
    shutil.copytree(solution, destination, ignore=shutil.ignore_patterns("__pycache__"))
    for edit in mutant.edits:
        path = destination / edit.file
        text = path.read_text(encoding="utf-8-sig")  # an editor on Windows may add a BOM
        count = text.count(edit.find)
        if count != 1:
            raise MutantError(
                f"mutant {mutant.name}: the text to replace occurs {count} times in "
                f"{edit.file}, expected exactly once"
            )
        path.write_text(text.replace(edit.find, edit.replace), encoding="utf-8")
    return destination
