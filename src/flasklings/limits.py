"""Resource limits for the process that runs the checks (and so the learner's code), set before
it starts and inherited by every process it starts.

The values are far above what real lesson code uses (lesson 8's Gunicorn workers, lesson 9's
suite runs, lesson 10's PostgreSQL), so they only stop a runaway: a 20 GB allocation fails at
once with MemoryError instead of freezing the machine, a CPU-bound process that escaped the
check's process group stops by itself, and (for a user other than root) a fork loop runs into a
process limit instead of filling the process table. Soft and hard limits are set alike, so the
learner's code cannot raise them again. Where `resource` is missing (Windows), nothing is set.
"""

from __future__ import annotations

import contextlib
import os

try:
    import resource
except ImportError:  # Windows
    resource = None

GIB = 2**30
CPU_SECONDS = 600  # per process; the wall-clock timeout ends a normal check long before
MORE_PROCESSES = 512  # processes the check may start beyond what this user already runs
# Variables that lower a limit, for tests and for instructors on small machines. They are
# read by the grader before the checks start; the learner's code cannot raise a hard limit.
MEMORY_VARIABLE = "FLASKLINGS_MEMORY_LIMIT_GB"
PROCESS_VARIABLE = "FLASKLINGS_PROCESS_LIMIT"


def memory_limit() -> int:
    """Bytes of address space per process: the machine's memory, at least 4 and at most
    16 GiB (Python with Flask reserves well under 1 GiB)."""
    if wanted := os.environ.get(MEMORY_VARIABLE):
        return int(float(wanted) * GIB)
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        physical = 16 * GIB
    return max(4 * GIB, min(16 * GIB, physical))


def process_limit() -> int | None:
    """Processes this user may have while the check runs (None: no limit applies)."""
    if wanted := os.environ.get(PROCESS_VARIABLE):
        return int(wanted)
    if not hasattr(os, "getuid") or os.getuid() == 0:
        return None  # RLIMIT_NPROC does not bind root: only the isolated mode contains it
    return _user_processes() + MORE_PROCESSES


def _user_processes() -> int:
    uid = os.getuid()
    count = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    count += entry.stat().st_uid == uid
    return count


def settings() -> dict[str, int]:
    """The limits to set, computed in the grader (before anything is forked)."""
    chosen = {"memory": memory_limit(), "cpu": CPU_SECONDS}
    if (processes := process_limit()) is not None:
        chosen["processes"] = processes
    return chosen


def apply(chosen: dict[str, int]) -> None:
    """Set the limits on this process (run in the child, before the checks start)."""
    if resource is None:
        return
    names = {"memory": "RLIMIT_AS", "cpu": "RLIMIT_CPU", "processes": "RLIMIT_NPROC"}
    for key, value in chosen.items():
        which = getattr(resource, names[key], None)
        if which is None:
            continue
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(which, (value, value))


def describe(chosen: dict[str, int]) -> str:
    parts = [f"{chosen['memory'] / GIB:g} GiB of memory per process"]
    if "processes" in chosen:
        parts.append(f"{chosen['processes']} processes")
    parts.append(f"{chosen['cpu']} s of CPU time per process")
    return ", ".join(parts)
