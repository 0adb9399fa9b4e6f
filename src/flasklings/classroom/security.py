"""Security headers on every response (as lesson 7 teaches), and no caching of the room."""

from __future__ import annotations

# Scripts and styles only from this site's static files: no inline script or style at all.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def init_app(app) -> None:
    app.after_request(set_security_headers)


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")  # the token URL stays on this page
    # Names and progress of learners: not for a shared cache or the browser's back button.
    if response.mimetype != "text/css" and response.mimetype != "text/javascript":
        headers.setdefault("Cache-Control", "no-store")
    return response
