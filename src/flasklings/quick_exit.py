"""A pytest plugin for the grader's own pytest process (the cold path, runner.run_pytest): once
pytest has finished, the process leaves with pytest's exit status without tearing its
interpreter down.

Tearing down a process that imported Flask, SQLAlchemy and the learner's package and built
dozens of apps takes 0.1-0.2 s, a tenth of a lesson's check, and nobody waits for anything it
does: the results were sent and the output written. What Python's own exit does that a program
can see still happens, in the same order: the threads that are not daemons finish, then the
atexit functions run (logging's among them), then the output is flushed. Not loaded where
pytest runs inside a longer-lived process (the warm worker, the browser).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

import pytest

_sessions: list[pytest.Session] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    _sessions.append(session)


@pytest.hookimpl(trylast=True)  # every other plugin's unconfigure has run
def pytest_unconfigure(config: pytest.Config) -> None:
    if not _sessions:  # pytest stopped before a session (a usage error): its own way out
        return
    status = int(_sessions[-1].exitstatus)  # what pytest.main is about to return
    threading._shutdown()  # type: ignore[attr-defined]  # as at Python's exit: threads first
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
