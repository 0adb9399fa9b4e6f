"""Where the room is kept: one SQLite file, shared by every Gunicorn worker.

A connection is opened once per request (on `g`) and closed when the app context ends. Writes
take the database lock first (BEGIN IMMEDIATE), so two workers never interleave an update.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

from flask import Flask, current_app, g

SCHEMA = """
CREATE TABLE IF NOT EXISTS learners (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    joined_at REAL NOT NULL,
    lesson TEXT,
    status TEXT,
    checks TEXT,
    seconds REAL,
    checked_at REAL
);
CREATE TABLE IF NOT EXISTS tasks (
    learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    lesson TEXT NOT NULL,
    task INTEGER NOT NULL,
    state TEXT NOT NULL,
    failing_since REAL,
    PRIMARY KEY (learner_id, lesson, task)
);
"""


def now() -> float:
    """The time, in seconds since the epoch (tests replace it)."""
    return time.time()


def token_hash(token: str) -> str:
    # Only a hash of each learner's token is stored: a copy of the database lets nobody post.
    return hashlib.sha256(token.encode()).hexdigest()


def init_app(app: Flask) -> None:
    path = app.config["DATABASE"] or str(Path(app.instance_path) / "classroom.sqlite3")
    app.config["DATABASE"] = path
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with _connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")  # readers do not wait for a writer
        db.executescript(SCHEMA)
    app.teardown_appcontext(_close)


def _connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=5, isolation_level=None)  # transactions stated below
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys=ON")
    return db


def connection() -> sqlite3.Connection:
    if "classroom_db" not in g:
        g.classroom_db = _connect(current_app.config["DATABASE"])
    return g.classroom_db


def _close(exc: BaseException | None = None) -> None:
    db = g.pop("classroom_db", None)
    if db is not None:
        db.close()


def add_learner(name: str, token: str) -> int | None:
    """The new learner's id, or None when the name is taken."""
    try:
        cursor = connection().execute(
            "INSERT INTO learners (name, token_hash, joined_at) VALUES (?, ?, ?)",
            (name, token_hash(token), now()),
        )
    except sqlite3.IntegrityError:
        return None
    return cursor.lastrowid


def learner_for(token: str) -> sqlite3.Row | None:
    return (
        connection()
        .execute("SELECT * FROM learners WHERE token_hash = ?", (token_hash(token),))
        .fetchone()
    )


def forget(learner_id: int) -> bool:
    cursor = connection().execute("DELETE FROM learners WHERE id = ?", (learner_id,))
    return cursor.rowcount > 0


def record(learner_id: int, results: list[dict]) -> None:
    """Store a learner's check results (already validated), in the order they ran.

    A task's `failing_since` is when it first failed and has not passed since: a pass clears
    it, a failure keeps the earlier time.
    """
    db = connection()
    moment = now()
    db.execute("BEGIN IMMEDIATE")
    try:
        for result in results:
            for task, state in _task_states(result).items():
                db.execute(
                    """INSERT INTO tasks (learner_id, lesson, task, state, failing_since)
                       VALUES (:id, :lesson, :task, :state, :since)
                       ON CONFLICT (learner_id, lesson, task) DO UPDATE SET
                         state = excluded.state,
                         failing_since = CASE WHEN excluded.state = 'pass' THEN NULL
                           ELSE coalesce(tasks.failing_since, excluded.failing_since) END""",
                    {
                        "id": learner_id,
                        "lesson": result["lesson"],
                        "task": task,
                        "state": state,
                        "since": None if state == "pass" else moment,
                    },
                )
            db.execute(
                """UPDATE learners SET lesson = ?, status = ?, checks = ?, seconds = ?,
                   checked_at = ? WHERE id = ?""",
                (
                    result["lesson"],
                    result["status"],
                    json.dumps(result["checks"]),
                    result["seconds"],
                    moment,
                    learner_id,
                ),
            )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _task_states(result: dict) -> dict[int, str]:
    """Task number -> pass, fail or error: a task passes when all of its checks pass."""
    rank = {"pass": 0, "fail": 1, "error": 2}
    states: dict[int, str] = {}
    for check in result["checks"]:
        if check["task"] is None:
            continue
        before = states.get(check["task"], "pass")
        states[check["task"]] = max(before, check["status"], key=rank.__getitem__)
    return states


def room() -> list[dict]:
    """Every learner with the tasks of their current lesson."""
    db = connection()
    learners = [dict(row) for row in db.execute("SELECT * FROM learners ORDER BY name")]
    for learner in learners:
        learner["checks"] = json.loads(learner["checks"]) if learner["checks"] else []
        learner["tasks"] = [
            dict(row)
            for row in db.execute(
                "SELECT task, state, failing_since FROM tasks WHERE learner_id = ? "
                "AND lesson = ? ORDER BY task",
                (learner["id"], learner["lesson"]),
            )
        ]
        del learner["token_hash"]
    return learners
