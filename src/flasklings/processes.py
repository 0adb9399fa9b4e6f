"""Ending a process and everything it started, on Linux, macOS and Windows.

POSIX: the checks run in a process group of their own (start_new_session / setsid), and
killing the group also reaches grandchildren whose parent has already exited. Windows has no
process groups to signal (and no os.killpg): psutil lists the process's descendants, which are
then killed one by one (TerminateProcess).
"""

from __future__ import annotations

import contextlib
import os
import signal

# False on Windows. FLASKLINGS_WITHOUT_GROUPS=1 selects the Windows path on POSIX too, so the
# tests run it here (the checks' process inherits the variable).
GROUPS = hasattr(os, "killpg") and not os.environ.get("FLASKLINGS_WITHOUT_GROUPS")


def kill_tree(pid: int) -> None:
    """Kill `pid` and everything it started, at once (SIGKILL, TerminateProcess). The caller
    still reaps `pid` itself (Popen.wait, os.waitpid)."""
    if GROUPS:
        # The group first, then the process itself if it has not made its own group yet.
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(pid, signal.SIGKILL)
        return
    import psutil  # only here: the POSIX path needs no import

    try:
        parent = psutil.Process(pid)
        # Listed before any is killed: a dead parent's children are no longer found under it.
        _kill([parent, *parent.children(recursive=True)])
    except psutil.NoSuchProcess:  # already gone: end_children() ended what it started
        return


def end_children() -> None:
    """Without process groups, the checks' process kills what the learner's code started
    before it exits itself: once it is gone, its children can no longer be found from it."""
    if GROUPS:
        return  # the grader ends the whole group
    import psutil

    _kill(psutil.Process().children(recursive=True))


def _kill(processes: list) -> None:
    import psutil

    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()  # psutil checks the pid still names the process it listed
