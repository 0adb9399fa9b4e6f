"""Lesson 8 alternative (v3): a helper that reads integers from the environment, explicit sync."""

import multiprocessing
import os


def _env_int(name, default):
    """The variable `name` as an int, or `default` when it is unset or empty."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Gunicorn copies only the globals that name settings: _env_int above is ignored.
wsgi_app = "invoicer:create_app()"
bind = "0.0.0.0:" + str(_env_int("PORT", 8000))
workers = _env_int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"  # Gunicorn's default, stated: one request at a time per worker

timeout = 20  # stuck for 20 s: the master kills and replaces the worker
graceful_timeout = 9  # after SIGTERM; docker stop sends SIGKILL at 10 s

accesslog = "-"
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)ss [%({x-request-id}o)s]'
)
control_socket_disable = True
