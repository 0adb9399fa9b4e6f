"""What a learner may send, and nothing more: lesson, states, check names, timings.

Anything else (a failure message, output, code) is refused with a 400 that names the field,
so a client that sends too much learns it at once instead of leaking quietly.
"""

from __future__ import annotations

import re

STATES = ("pass", "fail", "error")
LESSON = re.compile(r"[0-9]{2}_[a-z0-9_]{1,40}")
# A check's name: a test function's name, with pytest's parameter id in brackets.
CHECK_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,120}(\[[^\x00-\x1f\x7f]{1,120}\])?")
MAX_LESSONS = 20
MAX_CHECKS = 300
MAX_TASK = 50
MAX_SECONDS = 24 * 3600
NAME = re.compile(r"[^\x00-\x1f\x7f]{1,40}")


class Invalid(ValueError):
    """The payload does not fit; the message says where and how."""


def join_request(data: object) -> tuple[str, str]:
    """(code, name) from a join request."""
    _keys(data, "request", {"code", "name"})
    code, name = data["code"], data["name"]
    if not isinstance(code, str) or not 1 <= len(code) <= 100:
        raise Invalid("code must be the join code, as text")
    if not isinstance(name, str) or not NAME.fullmatch(name.strip()):
        raise Invalid("name must be 1 to 40 characters, without control characters")
    return code, name.strip()


def results(data: object) -> list[dict]:
    """The list of lesson results in a results post."""
    _keys(data, "request", {"results"})
    listed = data["results"]
    if not isinstance(listed, list) or not 1 <= len(listed) <= MAX_LESSONS:
        raise Invalid(f"results must be a list of 1 to {MAX_LESSONS} lesson results")
    return [_lesson(item, f"results[{i}]") for i, item in enumerate(listed)]


def _lesson(item: object, where: str) -> dict:
    _keys(item, where, {"lesson", "status", "seconds", "checks"})
    if not isinstance(item["lesson"], str) or not LESSON.fullmatch(item["lesson"]):
        raise Invalid(f"{where}.lesson must be a lesson folder name such as 01_hello")
    _state(item["status"], f"{where}.status")
    seconds = item["seconds"]
    if seconds is not None and (not _number(seconds) or not 0 <= seconds <= MAX_SECONDS):
        raise Invalid(f"{where}.seconds must be a number from 0 to {MAX_SECONDS}, or null")
    checks = item["checks"]
    if not isinstance(checks, list) or len(checks) > MAX_CHECKS:
        raise Invalid(f"{where}.checks must be a list of at most {MAX_CHECKS} checks")
    for i, check in enumerate(checks):
        at = f"{where}.checks[{i}]"
        _keys(check, at, {"name", "task", "status"})
        if not isinstance(check["name"], str) or not CHECK_NAME.fullmatch(check["name"]):
            raise Invalid(f"{at}.name must be a check's function name")
        task = check["task"]
        if task is not None and (type(task) is not int or not 1 <= task <= MAX_TASK):
            raise Invalid(f"{at}.task must be a task number from 1 to {MAX_TASK}, or null")
        _state(check["status"], f"{at}.status")
    return {key: item[key] for key in ("lesson", "status", "seconds", "checks")}


def _keys(data: object, where: str, wanted: set[str]) -> None:
    if not isinstance(data, dict):
        raise Invalid(f"{where} must be a JSON object")
    if extra := sorted(set(data) - wanted):
        raise Invalid(f"{where} has fields the dashboard does not accept: {', '.join(extra)}")
    if missing := sorted(wanted - set(data)):
        raise Invalid(f"{where} lacks {', '.join(missing)}")


def _state(value: object, where: str) -> None:
    if value not in STATES:
        raise Invalid(f"{where} must be one of {', '.join(STATES)}")


def _number(value: object) -> bool:
    return type(value) in (int, float)
