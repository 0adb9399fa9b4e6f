"""Security headers on every response: HTML pages, JSON and error pages alike."""

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
    # TODO (Task 4): set Content-Security-Policy, X-Content-Type-Options, X-Frame-Options and
    # Referrer-Policy on every response, and Strict-Transport-Security over HTTPS only.
    return response
