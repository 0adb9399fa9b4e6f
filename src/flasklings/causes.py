"""One cause, shown once: failed checks that share one error are grouped under it.

A learner's single mistake (an import error, an exception in the factory, a missing
extension) can fail most of a lesson's checks with the same message. Shown once, first, with
the number of checks it stops, it cannot bury the failures that have causes of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MIN_CHECKS = 2  # a message shared by this many failed checks is one cause
MIN_CORE = 40  # characters: a shorter message is too generic to find inside another one
_RAISED = re.compile(r"Your code raised (\w+)\b.*?\n(\s+at .*)", re.DOTALL)
_TASK = re.compile(r"\(Task (\d+)\)\s*$")


@dataclass
class Cause:
    message: str
    tests: list[dict] = field(default_factory=list)

    @property
    def task(self) -> int | None:
        """The task whose code this is: named by the checker, else the first check it stops."""
        if named := _TASK.search(self.message):
            return int(named[1])
        return self.tests[0]["task"] if self.tests else None


def group(tests: list[dict]) -> list[Cause]:
    """The causes behind two or more failed checks each, in the order they first appear.

    Checks are grouped by their message: the grader words one exception (type, message and
    the learner's line) the same way in every check. A message that merely adds context
    around another one ("with the app from create_app(): <message>") joins that group.
    """
    failed = [t for t in tests if t["status"] in ("fail", "error") and t["message"]]
    counts: dict[str, int] = {}
    first: dict[str, str] = {}  # key -> the first message with it, the one shown
    for test in failed:
        counts[_key(test["message"])] = counts.get(_key(test["message"]), 0) + 1
        first.setdefault(_key(test["message"]), test["message"])
    shared = [first[k] for k, n in counts.items() if n >= MIN_CHECKS]
    causes = {message: Cause(message) for message in shared}
    for test in failed:
        message = first[_key(test["message"])]
        if message not in causes:
            message = next((m for m in shared if len(m) >= MIN_CORE and m in test["message"]), None)
        if message:
            causes[message].tests.append(test)
    return sorted(causes.values(), key=lambda c: tests.index(c.tests[0]))


def _key(message: str) -> str:
    """What makes two messages one cause. An exception raised by the learner's code is one
    cause wherever the same type is raised at the same learner line, whatever its text (which
    often names a check's own temporary folder)."""
    if match := _RAISED.match(message):
        return f"{match[1]}\n{match[2]}"
    return message
