"""Earlier lessons' checks, run again by a later lesson's checker on that lesson's code.

A later lesson imports an earlier checker module and turns it into a class: the class holds the
earlier lesson's fixtures (several lessons name a fixture `build` and mean different things) and
its checks, graded as a task of the later lesson. One place for each fact: a check is written
once, in the lesson that teaches the behaviour.
"""

from __future__ import annotations

import functools

import pytest

from flasklings.checks import CARRIED


def again(check, lesson: int, task: int = 1):
    """An earlier lesson's check as a check of this lesson's `task` (the service still does it)."""

    @functools.wraps(check)
    def still(*args, **kwargs):
        return check(*args, **kwargs)

    del still.pytestmark  # the earlier lesson's task number, copied by wraps
    still.__doc__ = f"{CARRIED}{lesson}: {check.__doc__.strip()}"
    return staticmethod(pytest.mark.task(task)(still))


def borrow(fixture):
    """An earlier lesson's fixture, for the class that runs that lesson's checks."""
    marker = fixture._fixture_function_marker
    return pytest.fixture(
        staticmethod(fixture.__wrapped__), scope=marker.scope, autouse=marker.autouse
    )


def lesson_class(module, lesson: int, leave_out=(), task: int = 1) -> type:
    """A class holding `module`'s fixtures and its checks that still apply, as `task`."""
    namespace = {}
    own = getattr(module, "NOT_CARRIED", frozenset())  # fixtures only its own file needs
    for name, value in vars(module).items():
        if type(value).__name__ == "FixtureFunctionDefinition" and name not in own:
            namespace[name] = borrow(value)
        elif name.startswith("test_") and callable(value) and name not in leave_out:
            namespace[name] = again(value, lesson, task)
    return type(f"TestLesson{lesson}", (), namespace)


# Lessons 6 and 7 each run lessons 3 to 5 again: a later lesson runs them once, as lesson 7
# has them (lesson 7 required TRUSTED_HOSTS in production, so lesson 6's copies no longer hold).
AGAIN_IN_LESSON_7 = frozenset(
    {
        "test_pages_still_answer",
        "test_settings_still_come_in_layers",
        "test_production_still_refuses_bad_settings",
        "test_invoices_still_work_as_in_lesson_3",
        "test_invoice_model_still_as_in_lesson_3",
        "test_audit_and_sending_still_work",
        "test_audit_connection_still_opened_once_and_closed",
    }
)
# Lesson 8 put the client's address in the audit log: lesson 7's check of it no longer holds.
CHANGED_IN_LESSON_8 = frozenset({"test_audit_and_sending_still_work"})
