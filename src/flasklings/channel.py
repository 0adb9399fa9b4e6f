"""The results channel from the checks to the grader.

The grader makes a pipe the checks' process inherits and a random key for this run. It writes
`{"fd": N, "key": "..."}` on the process's standard input, which the plugin reads and replaces
with /dev/null at start-up, before any learner code is imported. Neither the pipe nor the key
appears in `sys.argv`, the environment or a file. Every message the plugin sends is signed
with the key and numbered, so the grader recognises a message it did not come from the
plugin, a message dropped or replayed, and a run that ended before its last message.

This protects the grade from code that looks for the grader's report (the way a results
file named on the command line could be found and overwritten). It cannot protect it from
code that reaches into the plugin's own memory: that code runs in the same process. Only
the isolated mode puts the verdict out of its reach (docs/reference/grading-security.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets

OPTION = "--flasklings-channel"  # a flag: "read the channel from standard input"
# A check's status when it was graded in the browser but runs only on the learner's computer
# (a `local_only` check); the others are "pass", "fail" or "error".
LOCAL = "local"


class Forged(ValueError):
    """A message on the channel that the checks did not send."""


def new_key() -> bytes:
    return secrets.token_bytes(32)


def header(fd: int, key: bytes) -> bytes:
    return json.dumps({"fd": fd, "key": key.hex()}).encode() + b"\n"


def inherited(write_end: int) -> tuple[int, dict]:
    """How the checks' process gets the pipe's write end: the number to put in the header,
    and Popen's arguments. POSIX passes the file descriptor itself; a Windows process inherits
    handles, not descriptors, so there the header names the handle."""
    if os.name != "nt":
        return write_end, {"pass_fds": (write_end,)}
    import msvcrt
    import subprocess

    handle = msvcrt.get_osfhandle(write_end)
    os.set_handle_inheritable(handle, True)
    startupinfo = subprocess.STARTUPINFO(lpAttributeList={"handle_list": [handle]})
    return handle, {"startupinfo": startupinfo}


def _writable(number: int) -> int:
    if os.name != "nt":
        return number
    import msvcrt

    return msvcrt.open_osfhandle(number, os.O_WRONLY)  # the handle `inherited` passed on


def _mac(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


class Sender:
    """The plugin's end: signed, numbered messages, one a line."""

    def __init__(self, fd: int, key: bytes):
        self._fd, self._key, self._seq = fd, key, 0

    @classmethod
    def from_stdin(cls) -> Sender:
        """Read the header from standard input, then make standard input /dev/null."""
        data = b""
        while not data.endswith(b"\n"):
            chunk = os.read(0, 4096)
            if not chunk:
                break
            data += chunk
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        fields = json.loads(data)
        return cls(_writable(int(fields["fd"])), bytes.fromhex(fields["key"]))

    def send(self, kind: str, body) -> None:
        payload = json.dumps({"seq": self._seq, "kind": kind, "body": body}).encode()
        line = _mac(self._key, payload).encode() + b" " + payload + b"\n"
        self._seq += 1
        self._write(line)

    def _write(self, line: bytes) -> None:
        while line:  # a pipe may take a long line in parts
            line = line[os.write(self._fd, line) :]


class Receiver:
    """The grader's end: collects what arrives, then checks every message's signature."""

    def __init__(self, key: bytes | None = None):
        self.key = key or new_key()
        self._data = bytearray()

    def feed(self, data: bytes) -> None:
        self._data += data

    def clear(self) -> None:
        self._data.clear()

    def messages(self) -> list[dict]:
        """The messages in order, each `{"kind": ..., "body": ...}`; Forged if any line was
        not signed with this run's key or one is missing or out of order. A last line cut
        short (the process ended while writing it) is left out: the run then lacks its end."""
        found = []
        complete, _, _cut = bytes(self._data).rpartition(b"\n")
        for line in complete.split(b"\n") if complete else []:
            mac, _, payload = line.partition(b" ")
            if not hmac.compare_digest(mac, _mac(self.key, payload).encode()):
                raise Forged("a message not signed with this run's key")
            message = json.loads(payload)
            if message["seq"] != len(found):
                raise Forged(f"message {message['seq']} where {len(found)} was due")
            found.append(message)
        return found
