"""Run the dashboard under Gunicorn, as `flasklings classroom` does, until Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from flasklings.classroom import auth, config

APP = "flasklings.classroom:create_app()"  # the factory, called once (--preload)
READY_WAIT = 15.0  # seconds for Gunicorn to answer /health before giving up


class StartError(RuntimeError):
    """Gunicorn did not come up; the message says why."""


@dataclass
class Room:
    process: subprocess.Popen
    url: str  # the address learners use
    join_code: str
    instructor_token: str
    folder: Path  # holds the database; removed on stop

    @property
    def instructor_url(self) -> str:
        return f"{self.url}/?token={self.instructor_token}"

    def stop(self) -> int:
        """Stop Gunicorn (SIGTERM: it finishes requests in flight) and remove the database."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
        return self.process.returncode


def gunicorn() -> str:
    """The gunicorn installed beside this Python (the course's own environment)."""
    beside = Path(sys.executable).parent / "gunicorn"
    return str(beside) if beside.exists() else shutil.which("gunicorn") or "gunicorn"


def start(host: str, port: int, code: str | None) -> Room:
    folder = Path(tempfile.mkdtemp(prefix="flasklings-classroom-"))
    room_code = code or auth.new_join_code()
    token = auth.new_token()
    env = {
        **os.environ,
        f"{config.PREFIX}_SECRET_KEY": auth.new_token(),
        f"{config.PREFIX}_JOIN_CODE": room_code,
        f"{config.PREFIX}_INSTRUCTOR_TOKEN": token,
        f"{config.PREFIX}_DATABASE": str(folder / "classroom.sqlite3"),
    }
    args = [
        gunicorn(),
        "--bind", f"{host}:{port}",
        "--workers", "2", "--threads", "4",  # two processes: the database is what they share
        "--preload",  # create_app() once, so a bad setting stops it at once
        "--log-level", "warning",  # no access log: the instructor's token URL stays off it
        "--no-control-socket",
        APP,
    ]  # fmt: skip
    try:
        process = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise StartError(f"could not start Gunicorn ({exc})") from None
    room = Room(process, public_url(host, port), room_code, token, folder)
    try:
        _wait_ready(process, f"http://{_local(host)}:{port}/health")
    except BaseException:  # also Ctrl-C while waiting: leave no Gunicorn or folder behind
        room.stop()
        raise
    return room


def _wait_ready(process: subprocess.Popen, health: str) -> None:
    deadline = time.monotonic() + READY_WAIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(
                f"Gunicorn stopped at once (exit status {process.returncode}); its message is "
                "above. Is the port taken? Choose another with --port."
            )
        try:
            with urllib.request.urlopen(health, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise StartError(f"Gunicorn did not answer {health} within {READY_WAIT:g} s")


def _local(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host


def public_url(host: str, port: int) -> str:
    """The address others in the room use: this machine's LAN address when bound to all."""
    if host in ("0.0.0.0", "", "::"):
        host = lan_address()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def lan_address() -> str:
    # Connecting a UDP socket sends nothing; it only makes the system pick the interface
    # (and so the address) it would route outside traffic through.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
        except OSError:
            return socket.gethostname()


def run_until_interrupted(room: Room) -> bool:
    """Wait for Ctrl-C or SIGTERM (True), or for Gunicorn to end by itself (False); then
    stop cleanly."""
    # Both stop it, also when started where SIGINT is ignored (a background job of a script).
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    interrupted = False
    try:
        room.process.wait()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        room.stop()
    return interrupted


def _interrupt(signum, frame):
    raise KeyboardInterrupt
