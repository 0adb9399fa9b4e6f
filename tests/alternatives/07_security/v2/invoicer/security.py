"""Lesson 7 alternative (v2): a hook defined inside init_app, HSTS decided by request.scheme."""

from flask import request

CSP = "; ".join(
    [
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def headers_for(scheme):
    """The security headers for a response sent over `scheme`."""
    headers = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),  # Flask-WTF wants a Referer over HTTPS
    ]
    if scheme == "https":  # HSTS over plain HTTP is ignored, and would pin localhost
        headers.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    return headers


def init_app(app):
    @app.after_request
    def add_security_headers(response):
        # after_request: every response, error pages and JSON included.
        for name, value in headers_for(request.scheme):
            if name not in response.headers:
                response.headers[name] = value
        return response
