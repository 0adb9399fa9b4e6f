"""What the learner's console can show: the one place that decides marks and colour.

Marks: the course prints ✓, ✗ and → wherever it reports. A console that cannot encode them (a
Windows code page such as cp1252, a piped stream with an ASCII locale) gets the ASCII spelling
below instead, and any other character it cannot encode (a learner's text echoed back) becomes
"?": output never crashes on an encoding. Colour: click colours only on a terminal; NO_COLOR
(no-color.org) and TERM=dumb switch it off there too.
"""

from __future__ import annotations

import codecs
import os
import sys

import click

ERRORS = "flasklings-ascii"  # the codec error handler registered below
# The ASCII spelling of each character the course's own messages use.
ASCII = {
    "✓": "OK",
    "✗": "FAIL",
    "→": "->",
    "←": "<-",
    "·": "-",
    "—": "--",
    "–": "-",
    "…": "...",
    "─": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
}


def _spell_in_ascii(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(ASCII.get(character, "?") for character in text), error.end


codecs.register_error(ERRORS, _spell_in_ascii)


def colour() -> bool | None:
    """False where colour is unwanted; None lets click decide (colour on a terminal only)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return None


def prepare_streams() -> None:
    """Make stdout and stderr spell what they cannot encode, instead of raising."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # a TextIOWrapper's
        if reconfigure is not None:
            reconfigure(errors=ERRORS)


class Group(click.Group):
    """The `flasklings` group: streams and colour are settled before any command prints."""

    def main(self, *args, **kwargs):
        prepare_streams()
        kwargs.setdefault("color", colour())
        return super().main(*args, **kwargs)
