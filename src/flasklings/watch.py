"""Re-check on demand: on every save in the lesson folder (watchfiles) or when Enter is pressed."""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import click

from flasklings import console

# Files the running app writes itself: a change there is not the learner saving code.
NOT_CODE = (".sqlite", ".sqlite3", ".db", "-journal", ".pyc", ".log")
END_OF_INPUT = object()
CLEAR = "\x1b[H\x1b[2J"  # cursor home, erase the screen; the scrollback keeps earlier runs


def clear_screen() -> None:
    """Start each run on a clean screen, as rustlings does: only on a terminal that wants it."""
    if _terminal() and console.colour() is not False:
        sys.stdout.write(CLEAR)
        sys.stdout.flush()


def _terminal() -> bool:
    return sys.stdout.isatty()


def _keyboard(events: queue.Queue) -> None:
    for _ in sys.stdin:
        events.put("Enter pressed")
    events.put(END_OF_INPUT)


def _files(paths: list[Path], events: queue.Queue, stop: threading.Event) -> None:
    import watchfiles  # imported here: only watch mode needs it

    default = watchfiles.DefaultFilter(
        ignore_dirs=(*watchfiles.DefaultFilter.ignore_dirs, "instance")
    )

    def wanted(change, path: str) -> bool:
        return default(change, path) and not path.endswith(NOT_CODE)

    try:
        for changes in watchfiles.watch(
            *paths, watch_filter=wanted, debounce=400, stop_event=stop, raise_interrupt=False
        ):
            names = sorted({Path(path).name for _, path in changes})
            events.put("saved " + ", ".join(names))
    except Exception as exc:  # e.g. inotify limits: fall back to Enter
        events.put(("fallback", f"{type(exc).__name__}: {exc}"))


def triggers(paths: list[Path], manual: bool) -> Iterator[str]:
    """Yield a short reason each time a re-check is due; stop when input ends (Ctrl-D)."""
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    threading.Thread(target=_keyboard, args=(events,), daemon=True).start()
    if not manual:
        threading.Thread(target=_files, args=(paths, events, stop), daemon=True).start()
    try:
        while True:
            event = events.get()
            if event is END_OF_INPUT:
                return
            if isinstance(event, tuple):
                click.echo(
                    f"File events are not arriving ({event[1]}); press Enter to re-check.",
                    err=True,
                )
                continue
            yield event
    finally:
        stop.set()
