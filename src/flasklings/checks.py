"""Helpers for checker messages: phrase what was requested, what came back, what was expected."""

from __future__ import annotations

MAX_BODY = 120


def show(response) -> str:
    """A test-client response in a few words: `404 application/json {"error": "not found"}`."""
    body = response.get_data(as_text=True).strip().replace("\n", " ")
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - 1] + "…"
    return f"{response.status_code} {response.mimetype or '(no content type)'} {body!r}"


def fact(request: str, response, expected: str) -> str:
    """`GET /api/invoices/999 → 200 application/json '{...}', expected 404`."""
    return f"{request} → {show(response)}, expected {expected}"
