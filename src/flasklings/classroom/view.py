"""The room as the instructor reads it: every cell's text, made in one place for both the page
and its JSON (the page's script only puts the text where it belongs)."""

from __future__ import annotations

from flasklings.classroom import store

STATE_TEXT = {"pass": "✓ passed", "fail": "✗ failing", "error": "✗ could not grade"}
LESSON_TEXT = {"pass": "passes", "fail": "failing", "error": "could not grade"}


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def stuck_seconds(learner: dict, moment: float) -> float | None:
    """How long the learner's longest-failing task has failed (None: no task is failing)."""
    since = [t["failing_since"] for t in learner["tasks"] if t["failing_since"] is not None]
    return moment - min(since) if since else None


def row(learner: dict, moment: float) -> dict:
    stuck = stuck_seconds(learner, moment)
    checks = learner["checks"]
    failing = {}
    for check in checks:
        if check["status"] != "pass" and check["task"] is not None:
            failing.setdefault(check["task"], []).append(check["name"])
    tasks = []
    for task in learner["tasks"]:
        text = f"Task {task['task']}: {STATE_TEXT[task['state']]}"
        if task["failing_since"] is not None:
            text += f" for {duration(moment - task['failing_since'])}"
        checks_failing = ", ".join(failing.get(task["task"], []))
        tasks.append({"state": task["state"], "text": text, "checks": checks_failing})
    if learner["status"] == "error" and not checks and tasks:
        # Nothing could run (a syntax error, a missing file): the task states are older.
        note = "Could not grade the last check; the states below are from an earlier one"
        tasks.insert(0, {"state": "error", "text": note, "checks": ""})
    if learner["lesson"] is None:
        lesson = "not checked yet"
    else:
        passed = sum(c["status"] == "pass" for c in checks)
        lesson = f"{learner['lesson']}: {LESSON_TEXT[learner['status']]}"
        lesson += f" ({passed} of {len(checks)} checks pass)" if checks else ""
    return {
        "id": learner["id"],
        "name": learner["name"],
        "lesson": lesson,
        "status": learner["status"] or "none",
        "tasks": tasks,
        "stuck": duration(stuck) if stuck is not None else "—",
        "stuck_seconds": None if stuck is None else int(stuck),
        "last_check": (
            f"{duration(moment - learner['checked_at'])} ago"
            + (f" (took {learner['seconds']:.1f} s)" if learner["seconds"] is not None else "")
            if learner["checked_at"]
            else "—"
        ),
    }


def rows() -> list[dict]:
    """Longest stuck first: the people who need help most are at the top."""
    moment = store.now()
    listed = [row(learner, moment) for learner in store.room()]
    listed.sort(key=lambda r: (-(r["stuck_seconds"] or -1), r["name"].lower()))
    return listed
