"""Gunicorn settings as in lesson 8: the factory target, PORT and WEB_CONCURRENCY."""

import os

# The factory, called once in every worker. Gunicorn does not look for create_app itself:
# without the parentheses it would take the function for the app and fail every request.
wsgi_app = "invoicer:create_app()"

# Every interface, because in a container 127.0.0.1 is the container's own loopback, which
# nobody outside can reach. Platforms that choose the port say so in PORT.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# A starting point, not a rule: (2 x cores) + 1 sync workers, then measure under load. The
# platform may decide instead (WEB_CONCURRENCY, as Heroku and others set it). A container
# often sees every core of the host, so set WEB_CONCURRENCY there.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * os.cpu_count() + 1))

# timeout: a sync worker silent for this long (stuck in a request) is killed and replaced.
timeout = 30
# graceful_timeout: after SIGTERM, how long requests in flight may take to finish. It must
# end before the platform loses patience: `docker stop` sends SIGKILL after 10 s.
graceful_timeout = 8

# The access log goes to stdout ("-"), where the container runtime collects it; it is off by
# default. The format is Gunicorn's own plus the request ID the app sends back in its
# X-Request-ID response header (%({name}o)s is a response header), so each access line can be
# matched with the app's log lines for the same request.
accesslog = "-"
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" rid=%({x-request-id}o)s'
)

# Gunicorn 25.1+ opens a control socket for `gunicornc` by default. Nobody uses it in a
# container (one service, managed by the platform): don't create it.
control_socket_disable = True
