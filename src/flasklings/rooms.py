"""The learner's side of the classroom dashboard: join, leave, and share check results.

Nothing is sent until the learner joins. After that, each check sends only its results: the
lesson, the status, each check's name, task and status, and how long the run took. Never a
failure message or output (either can quote the learner's code), never a file.

The membership (the dashboard's address and this learner's token) is a credential, not
progress, so it lives in the user's config folder (click.get_app_dir), readable only by them,
and not in .flasklings/, whose loss must lose nothing but cached results.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from flasklings.report import command

TIMEOUT = 2.0  # seconds: a slow dashboard must not hold up the next check
FILE = "classroom.json"


class ClassroomError(RuntimeError):
    """Joining or leaving failed; the message is for the learner."""


@dataclass
class Membership:
    url: str
    name: str
    learner: int
    token: str


def path() -> Path:
    return Path(click.get_app_dir("flasklings")) / FILE


def membership() -> Membership | None:
    try:
        return Membership(**json.loads(path().read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):
        return None  # unreadable: as if not joined, so nothing is sent


def _save(member: Membership) -> None:
    folder = path().parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".classroom-", suffix=".json")
    os.chmod(tmp, 0o600)  # the token lets whoever has it post as this learner
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(asdict(member), out, indent=1)
    os.replace(tmp, path())


def _forget() -> None:
    path().unlink(missing_ok=True)


def dashboard_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClassroomError(
            f"{url!r} is not a dashboard address: give the one your instructor shows, "
            "such as http://192.168.1.20:8750"
        )
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


@functools.cache
def _opener():
    # Made on first use: urllib.request and its TLS set-up cost a check that shares nothing
    # about a tenth of a second.
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # never carry a token to another address

    # No proxies: the dashboard is in the room, and a proxy from the environment would see
    # the tokens.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)


def _open(request):
    return _opener().open(request, timeout=TIMEOUT)


def _post(url: str, body: dict | None, token: str | None = None) -> tuple[int, dict]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url,
        data=json.dumps(body or {}).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
        method="POST",
    )
    try:
        with _open(request) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        answer = json.loads(raw) if raw else {}
    except ValueError:
        answer = {}
    return status, answer if isinstance(answer, dict) else {}


def join(url: str, code: str, name: str) -> Membership:
    base = dashboard_url(url)
    try:
        status, answer = _post(f"{base}/api/join", {"code": code, "name": name})
    except OSError as exc:
        raise ClassroomError(f"could not reach the dashboard at {base} ({_reason(exc)})") from None
    if status != 201:
        said = answer.get("message") or f"it answered HTTP {status}"
        raise ClassroomError(f"the dashboard at {base} did not let you join: {said}")
    member = Membership(base, answer["name"], int(answer["learner"]), answer["token"])
    _save(member)
    return member


def leave() -> Membership | None:
    """Forget the membership here, and tell the dashboard if it can be reached."""
    member = membership()
    _forget()
    if member is not None:
        # Unreachable: it forgets every token when it stops; ours is gone from here anyway.
        with contextlib.suppress(OSError):
            _post(f"{member.url}/api/leave", None, member.token)
    return member


class Clock:
    """Times each check run, by lesson, for the results that are shared."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def time(self, grade, *args, **kwargs):
        started = time.monotonic()
        result = grade(*args, **kwargs)
        self.seconds[result.lesson.slug] = round(time.monotonic() - started, 2)
        return result


def payload(results: list, clock: Clock | None = None) -> dict:
    """What is sent, and all of it: no messages, no output, no code."""
    seconds = clock.seconds if clock else {}
    return {
        "results": [
            {
                "lesson": result.lesson.slug,
                "status": result.status,
                "seconds": seconds.get(result.lesson.slug),
                "checks": [
                    {"name": test["name"], "task": test["task"], "status": test["status"]}
                    for test in result.tests
                ],
            }
            for result in results
        ]
    }


def share(results: list, clock: Clock | None = None) -> None:
    """Send the results to the dashboard if this learner joined one; at most one calm line."""
    member = membership()
    if member is None or not results:
        return
    try:
        status, _ = _post(f"{member.url}/api/results", payload(results, clock), member.token)
    except OSError as exc:
        _note(f"(Classroom dashboard not reached: {_reason(exc)}. Your check is not affected.)")
        return
    if status in (401, 403):
        _forget()
        _note(
            "(The classroom dashboard no longer knows you: it was restarted, or you were "
            f"removed. Nothing more is sent. To join again: `{command('join', 'URL', 'CODE')}`.)"
        )
    elif status >= 300:
        _note(f"(The classroom dashboard did not take this result: HTTP {status}.)")


def _note(text: str) -> None:
    click.echo(text, err=True)


def _reason(exc: OSError) -> str:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return f"no answer within {TIMEOUT:g} s"
    return str(reason)
