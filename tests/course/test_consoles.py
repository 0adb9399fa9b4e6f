"""Every console a learner may have: a Windows code page, a pipe, TERM=dumb, NO_COLOR.

The real command runs in a subprocess, so the streams are the ones Python makes from the
environment (PYTHONIOENCODING), as on the learner's machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = Path(__file__).parent / "data" / "tiny_course"
ESCAPE = b"\x1b["


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "PYTHONIOENCODING"}}
    return {**env, "TERM": "xterm-256color", "FLASKLINGS_COMMAND": "flasklings", **extra}


def _command(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "flasklings", "--root", str(root), *args]


def _piped(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(_command(root, *args), capture_output=True, env=_env(**env), timeout=300)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    shutil.copytree(TINY, root)
    return root


def test_a_windows_code_page_gets_ascii_marks_and_the_real_verdict():
    done = _piped(ROOT, "check", "01", "--target", "solutions", PYTHONIOENCODING="cp1252")
    out = done.stdout.decode("cp1252")
    assert done.returncode == 0, out + done.stderr.decode("cp1252", "replace")
    assert "  OK GET / answers 200." in out
    assert "All " in out and "lesson 01 is done." in out
    assert "✓" not in out and b"Traceback" not in done.stderr


def test_learner_text_the_console_cannot_encode_is_replaced_not_a_crash(tiny: Path):
    starter = tiny / "lessons/01_tiny/tiny.py"
    starter.write_text(starter.read_text().replace('"TODO (Task 1)"', '"✓ 日本"'))
    done = _piped(tiny, "check", "01", PYTHONIOENCODING="cp1252")
    out = done.stdout.decode("cp1252")
    assert done.returncode == 1, out + done.stderr.decode("cp1252", "replace")
    assert "  FAIL GET / says hi." in out
    assert "'OK ??'" in out  # the response body, as this console can show it
    assert b"Traceback" not in done.stderr


def test_a_pipe_gets_no_escape_codes(tiny: Path):
    done = _piped(tiny, "check", "01")
    assert done.returncode == 1
    assert "✗ GET / says hi." in done.stdout.decode()  # UTF-8 keeps the real marks
    assert ESCAPE not in done.stdout + done.stderr


def _on_a_terminal(root: Path, *args: str, **env: str) -> tuple[int, bytes]:
    """Run with stdout and stderr on a pseudo-terminal; its exit status and all it printed."""
    pty = pytest.importorskip("pty")  # POSIX only
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        _command(root, *args), stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal,
        env=_env(**env),
    )  # fmt: skip
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: every copy of the terminal's other end is closed
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    return process.wait(timeout=300), output


def test_a_terminal_gets_colour(tiny: Path):
    status, output = _on_a_terminal(tiny, "check", "01")
    assert status == 1, output
    assert ESCAPE in output  # so the two tests below test something


@pytest.mark.parametrize("variable", [("TERM", "dumb"), ("NO_COLOR", "1")])
def test_a_terminal_that_asks_for_plain_output_gets_none(tiny: Path, variable: tuple):
    status, output = _on_a_terminal(tiny, "check", "01", **dict([variable]))
    assert status == 1, output
    assert b"GET / says hi." in output
    assert ESCAPE not in output


def test_a_terminal_with_a_windows_code_page_gets_ascii_marks_in_colour(tiny: Path):
    status, output = _on_a_terminal(tiny, "check", "01", PYTHONIOENCODING="cp1252")
    assert status == 1, output
    assert b"FAIL" in output and ESCAPE in output


def test_the_maintainers_mutation_tool_lists_on_a_windows_code_page():
    done = subprocess.run(
        [sys.executable, "-m", "flasklings.mutation", "01", "--list"],
        capture_output=True, env=_env(PYTHONIOENCODING="cp1252"), timeout=300, cwd=ROOT,
    )  # fmt: skip
    out = done.stdout.decode("cp1252")
    assert done.returncode == 0, out + done.stderr.decode("cp1252", "replace")
    assert "[statement] app.run() -> pass" in out


def test_doctor_warns_about_a_code_page_without_failing_the_machine():
    from flasklings import doctor

    found = doctor.encoding("cp1252")
    assert not found.ok and found.warning, found
    assert "ASCII" in found.detail and "$env:PYTHONIOENCODING" in found.fix
