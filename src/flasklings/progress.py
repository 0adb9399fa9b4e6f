"""Progress in .flasklings/state.json: cached check results and hint counters.

Everything here can be rebuilt by checking again, so a missing or corrupt file is replaced,
never fatal. Writes go to a temporary file first and are renamed into place (atomic).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import click

STATE_DIR = ".flasklings"
VERSION = 1


class Progress:
    def __init__(self, root: Path):
        self.path = root / STATE_DIR / "state.json"
        self.data = self._read()

    def _read(self) -> dict:
        empty = {"version": VERSION, "lessons": {}, "hints": {}}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return empty
        except (OSError, ValueError) as exc:
            click.echo(f"note: {self.path} was unreadable ({exc}); starting it afresh.", err=True)
            return empty
        if not isinstance(data, dict) or data.get("version") != VERSION:
            click.echo(f"note: {self.path} had an unknown format; starting it afresh.", err=True)
            return empty
        data.setdefault("lessons", {})
        data.setdefault("hints", {})
        return data

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(self.data, out, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    def status(self, slug: str) -> str | None:
        """ "pass", "fail", "error", or None when the lesson was never checked."""
        entry = self.data["lessons"].get(slug)
        return entry.get("status") if isinstance(entry, dict) else None

    def failing_tasks(self, slug: str) -> list[int]:
        entry = self.data["lessons"].get(slug)
        return list(entry.get("failing_tasks", [])) if isinstance(entry, dict) else []

    def record(self, result) -> None:
        """Remember the outcome of a check (a runner.CheckResult)."""
        failing = sorted(n for n, ok in result.task_status().items() if not ok and n is not None)
        self.data["lessons"][result.lesson.slug] = {
            "status": result.status,
            "failing_tasks": failing,
        }
        self.save()

    def forget(self, slug: str) -> None:
        """Drop the lesson's cached result (its files changed); its hint counters stay."""
        if self.data["lessons"].pop(slug, None) is not None:
            self.save()

    def hints_shown(self, slug: str, task: int) -> int:
        """How many of the task's hints the learner has seen so far."""
        counters = self.data["hints"].get(slug)
        if not isinstance(counters, dict):
            return 0
        try:
            return max(0, int(counters.get(str(task), 0)))
        except (TypeError, ValueError):
            return 0

    def reveal_hint(self, slug: str, task: int, available: int) -> int:
        """Reveal one more hint (up to `available`); returns how many are shown now."""
        shown = min(self.hints_shown(slug, task) + 1, available)
        counters = self.data["hints"].get(slug)
        if not isinstance(counters, dict):
            counters = self.data["hints"][slug] = {}
        counters[str(task)] = shown
        self.save()
        return shown
