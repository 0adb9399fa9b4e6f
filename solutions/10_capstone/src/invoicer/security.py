"""Security headers on every response: HTML pages, JSON and error pages alike."""

from flask import request

# Only this site's own scripts, styles and images; no plugins; no framing by other sites.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"  # one year


def init_app(app):
    # after_request also runs for error responses (404, 400, a handled 500): every answer
    # gets the headers, not only the pages a view returns.
    app.after_request(set_security_headers)


def set_security_headers(response):
    headers = response.headers
    # setdefault: a view that needs another policy can set its own.
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")  # for browsers older than frame-ancestors
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    # HSTS over plain HTTP is ignored by browsers, and on a laptop it would pin localhost to
    # HTTPS for a year. Behind a proxy, is_secure needs ProxyFix (lesson 8).
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
