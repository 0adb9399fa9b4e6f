"""Helpers for checker messages: phrase what was requested, what came back, what was expected."""

from __future__ import annotations

import re

MAX_BODY = 120
_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def show(response) -> str:
    """A test-client response in a few words: `404 application/json {"error": "not found"}`."""
    body = response.get_data(as_text=True).strip().replace("\n", " ")
    if response.mimetype == "text/html" and (title := _TITLE.search(body)):
        return f"{response.status_code} an HTML page titled {title[1]!r}"
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - 1] + "…"
    return f"{response.status_code} {response.mimetype or '(no content type)'} {body!r}"


def fact(request: str, response, expected: str) -> str:
    """`GET /api/invoices/999 → 200 application/json '{...}', expected 404`."""
    return f"{request} → {show(response)}, expected {expected}"
