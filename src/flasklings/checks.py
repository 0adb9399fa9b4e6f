"""Helpers for checker messages: phrase what was requested, what came back, what was expected."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_BODY = 120
# How an earlier lesson's check, run again by a later lesson, begins its description.
CARRIED = "As in lesson "
_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
OTHER_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def show(response) -> str:
    """A test-client response in a few words: `404 application/json {"error": "not found"}`."""
    if slash := trailing_slash_redirect(response):
        code = response.status_code
        return f"{code} redirect to {slash} (the route exists only with a trailing slash)"
    body = response.get_data(as_text=True)
    if response.is_json:
        body = body.strip()  # Flask ends JSON with a newline: not worth showing
    elif response.mimetype == "text/html" and (title := _TITLE.search(body)):
        return f"{response.status_code} an HTML page titled {title[1].strip()!r}"
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - 1] + "…"
    # repr() shows what text hides: a trailing newline or space is visible as '...\n'.
    return f"{response.status_code} {response.mimetype or '(no content type)'} {body!r}"


def fact(request: str, response, expected: str) -> str:
    """`GET /api/invoices/999 → 200 application/json '{...}', expected 404`."""
    return f"{request} → {show(response)}, expected {expected}"


def trailing_slash_redirect(response) -> str | None:
    """The path with a slash added when Flask redirected there (a route declared as `/x/`)."""
    location = response.headers.get("Location")
    request = getattr(response, "request", None)
    if response.status_code not in (301, 308) or not location or request is None:
        return None
    path = urlsplit(location).path
    return path if path == request.path + "/" else None


def not_json_page(response) -> str:
    """ " (JSON, not an HTML page)" when the response is not JSON, else nothing."""
    return "" if response.is_json else " (JSON, not an HTML page)"


def same(got, expected) -> bool:
    """Equal, and of the same types all the way down: 1250.0 is not 1250, True is not 1."""
    if type(got) is not type(expected):
        return False
    if isinstance(expected, dict):
        return got.keys() == expected.keys() and all(same(got[k], expected[k]) for k in expected)
    if isinstance(expected, list | tuple):
        return len(got) == len(expected) and all(map(same, got, expected))
    return got == expected


def refuses_other_methods(client, path: str, allowed: str = "GET") -> str | None:
    """A message for the first of POST, PUT, PATCH, DELETE on `path` not answered 405, or None.

    `allowed` lists the methods the task asks for (HEAD and OPTIONS come with GET).
    """
    asked = " and ".join(allowed.split())
    for method in OTHER_METHODS:
        if method in allowed.split():
            continue
        r = client.open(path, method=method)
        if r.status_code == 405:
            continue
        fix = "" if r.status_code >= 400 else f" (take {method} out of methods=[...])"
        return fact(
            f"{method} {path}",
            r,
            f"405 Method Not Allowed: the task asks for {asked} only, and Flask answers 405 "
            f"by itself to a method that no route of {path} lists{fix}",
        )
    return None


def not_an_app(call: str, returned) -> str | None:
    """None when a factory's result is a Flask app; else what came back and what to do."""
    from flask import Flask  # the grader itself runs without Flask

    if isinstance(returned, Flask):
        return None
    problem = f"{call} returned {returned!r:.100}, expected the Flask app"
    if callable(returned):  # WSGI middleware such as ProxyFix
        problem += (
            ": middleware goes around the app's WSGI callable, "
            "app.wsgi_app = ProxyFix(app.wsgi_app, ...), and create_app() returns app itself"
        )
    return problem
