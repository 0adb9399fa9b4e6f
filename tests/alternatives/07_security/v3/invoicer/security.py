"""Lesson 7 alternative (v3): csrf.protect() called selectively, headers as (name, value) pairs."""

from flask import current_app, request

from .extensions import csrf

# Blueprints whose requests the session cookie does not authenticate: no CSRF token needed.
NO_CSRF_BLUEPRINTS = {"api"}
BASE_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def init_app(app):
    app.before_request(protect_forms)
    app.after_request(add_security_headers)


def protect_forms():
    """Flask-WTF's check for every POST, PUT, PATCH and DELETE outside the JSON API."""
    if not current_app.config["WTF_CSRF_ENABLED"]:
        return
    if request.endpoint is None or request.blueprint in NO_CSRF_BLUEPRINTS:
        return  # routing failed (404, 405): that error is the answer
    csrf.protect()  # raises CSRFError (400) for a missing or wrong token


def add_security_headers(response):
    """Every response, error pages included; HSTS only when the request came over HTTPS."""
    pairs = (*BASE_HEADERS, HSTS) if request.is_secure else BASE_HEADERS
    for name, value in pairs:
        if name not in response.headers:
            response.headers[name] = value
    return response
