"""Lesson 8 alternative (v1): gthread workers, os.getenv, and a logfmt access log."""

import multiprocessing
import os

# Gunicorn never finds a factory by itself: the parentheses make it call create_app().
wsgi_app = "invoicer:create_app()"

# All interfaces: inside a container, 127.0.0.1 is unreachable from outside.
bind = "0.0.0.0:{}".format(os.getenv("PORT", "8000"))

# The platform's WEB_CONCURRENCY wins; otherwise (2 x cores) + 1, a starting point to measure.
workers = int(os.getenv("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# Threads inside each worker, for views that mostly wait on the database or the network.
worker_class = "gthread"
threads = 4

# The heartbeat (a stuck worker is replaced) and the grace after SIGTERM (below docker stop's 10 s).
timeout = 30
graceful_timeout = 8

# Access log on stdout, one logfmt line per request with the app's X-Request-ID response header.
accesslog = "-"
access_log_format = (
    'client=%(h)s request="%(r)s" status=%(s)s bytes=%(B)s ms=%(M)s request_id=%({x-request-id}o)s'
)

# No gunicornc control socket: nobody uses it in a container.
control_socket_disable = True
