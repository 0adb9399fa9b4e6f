"""Lesson 8 alternative (v2): a list for bind, an if/else for workers, a short access line."""

import os

wsgi_app = "invoicer:create_app()"  # called: Gunicorn takes a bare function for the app

bind = [f"0.0.0.0:{os.environ.get('PORT', 8000)}"]  # Gunicorn accepts a list of addresses

if "WEB_CONCURRENCY" in os.environ:
    workers = int(os.environ["WEB_CONCURRENCY"])  # the platform decides
else:
    workers = 2 * (os.cpu_count() or 1) + 1  # a starting point, then measure under load

timeout = 60  # a sync worker silent this long is killed
graceful_timeout = 5  # SIGTERM: in-flight requests get 5 s, well inside docker stop's 10 s

accesslog = "-"
# Header names are case-insensitive here: Gunicorn lowercases them before the lookup.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus rid=%({X-Request-ID}o)s'

control_socket_disable = True
