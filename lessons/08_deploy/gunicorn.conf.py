"""Gunicorn's settings for Invoicer (lesson 8). Gunicorn runs this file as Python.

Start the service from this folder with `gunicorn` (this file is read by default from the
working directory) or `gunicorn -c gunicorn.conf.py`. The command line and GUNICORN_CMD_ARGS
override what is set here.
"""

import os  # noqa: F401 - the settings below read the environment

# TODO (Task 1): wsgi_app, the app for Gunicorn to serve: the factory in invoicer, called.

# TODO (Task 1): bind on every interface (0.0.0.0), on the port named by the PORT environment
# variable, 8000 when it is not set.

# TODO (Task 1): workers from WEB_CONCURRENCY; when it is not set, a starting point such as
# (2 x os.cpu_count()) + 1.

# TODO (Task 3): timeout (a worker's time for one request) and graceful_timeout (the time
# requests in flight get after SIGTERM, less than the 10 s docker stop waits).

# TODO (Task 1): the access log on stdout (accesslog = "-") in Gunicorn's format plus the
# X-Request-ID response header: %({x-request-id}o)s.

# TODO (Task 1): no control socket (control_socket_disable), which a container never uses.
