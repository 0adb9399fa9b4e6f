"""The isolated mode: the checks, and the learner's code they import, run inside bubblewrap.

Inside: no network (a private loopback only), the whole file system read-only (so the course,
its checkers, the grader's Python and the submission cannot be changed), a private /tmp in
which only this run's own folder (output, pytest's temporary files) is writable, the user's
home folder hidden (only the Python installation and the course are visible in it if they
live there), a process namespace of its own (nothing started inside outlives the run) and the
resource limits of flasklings.limits. The grader process stays outside: it judges what comes
back over the signed results channel and writes the verdict.

Linux only (bubblewrap uses kernel namespaces). Elsewhere `available()` says why not, and the
caller decides whether to fall back to the unisolated grader (docs/reference/grading-security.md).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO

from flasklings import channel, runner

PACKAGE = "bubblewrap"  # Debian's (and most distributions') package that provides bwrap


@functools.cache
def problem() -> str | None:
    """Why the isolated mode cannot run here, or None if it can."""
    if not sys.platform.startswith("linux"):
        return f"the isolated mode needs Linux (bubblewrap); this is {sys.platform}"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return f"bwrap is not installed (Debian and Ubuntu: `apt install {PACKAGE}`)"
    probe = [bwrap, *_base(), "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not start: {exc}"
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        return f"bwrap cannot make a sandbox here ({detail[0]}); user namespaces may be disabled"
    return None


def available() -> bool:
    return problem() is None


def _base() -> list[str]:
    return [
        "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
        "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
        "--die-with-parent", "--new-session",
    ]  # fmt: skip


def hidden_folders() -> list[Path]:
    """Folders replaced by an empty one inside the sandbox: the home folder and /tmp."""
    home = Path.home().resolve()
    return [path for path in (home, Path("/tmp")) if path != Path("/")]


def shown_again(course_root: Path, submission: Path | None) -> list[Path]:
    """What must stay readable inside the hidden folders: Python, its libraries, the course
    and the submission (outermost folders only)."""
    wanted = [sys.prefix, sys.base_prefix, sys.exec_prefix, course_root, submission]
    wanted += [Path(sys.executable).resolve().parent.parent, *sys.path]
    hidden = hidden_folders()
    found: set[Path] = set()
    for entry in wanted:
        if not entry:
            continue
        path = Path(entry).resolve()
        if path.exists() and any(path != h and path.is_relative_to(h) for h in hidden):
            found.add(path)
    return sorted(p for p in found if not any(p != q and p.is_relative_to(q) for q in found))


def command(workdir: Path, course_root: Path, submission: Path | None) -> list[str]:
    """The bwrap prefix for one run whose private folder is `workdir`'s parent."""
    private = workdir.parent.resolve()  # the run's temporary folder: output, basetemp, cwd
    args = [shutil.which("bwrap") or "bwrap", *_base()]
    for folder in hidden_folders():
        args += ["--tmpfs", str(folder)]
    for path in shown_again(course_root, submission):
        args += ["--ro-bind", str(path), str(path)]
    args += ["--bind", str(private), str(private), "--chdir", str(workdir)]
    return args


def launcher(course_root: Path, submission: Path | None) -> runner.Launcher:
    """A launcher for runner.run_checks that runs pytest inside bubblewrap."""

    def launch(
        args: list[str],
        env: dict,
        cwd: Path,
        out: IO[str],
        timeout: float,
        results: channel.Receiver,
    ) -> int:
        prefix = command(cwd, course_root, submission)
        inside = {**env, "TMPDIR": str(cwd.parent)}
        return runner.run_pytest(args, inside, cwd, out, timeout, results, prefix=prefix)

    return launch


def unavailable_message(reason: str) -> str:
    return (
        f"Cannot grade in isolation: {reason}.\n"
        "The isolated mode runs the code with no network, read-only files and a hidden home "
        "folder. Without it, the code you grade runs with all your rights: grade only code "
        "you trust with `--no-isolation`, or let each learner's repository grade itself in CI "
        "(see docs/reference/grading-security.md)."
    )
