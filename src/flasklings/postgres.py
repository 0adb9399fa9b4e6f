"""A PostgreSQL server for the checks that need one, or SQLite with a notice that says why not.

In order: the server named by $FLASKLINGS_DATABASE_URL (CI starts one as the `postgres` user);
else one started here from the system's PostgreSQL binaries in a temporary folder, with
pytest-postgresql's executor (not as root: initdb refuses to run as root); else SQLite.
Each check then gets a database of its own on that server, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path

VARIABLE = "FLASKLINGS_DATABASE_URL"
BIN_GLOB = "/usr/lib/postgresql/*/bin/pg_ctl"  # Debian and Ubuntu keep pg_ctl off PATH


@dataclass
class Server:
    """Where the checks' databases live: a PostgreSQL server, or None for SQLite."""

    admin_url: str | None  # a libpq URL to a database for CREATE/DROP DATABASE
    notice: str  # which database the checks use, and why, in a few words
    _executor: object = field(default=None, repr=False)

    @property
    def is_postgresql(self) -> bool:
        return self.admin_url is not None

    def stop(self) -> None:
        if self._executor is not None:
            with contextlib.suppress(Exception):
                self._executor.stop()
            self._executor = None


def decide() -> tuple[str, str | None]:
    """Which server to use, cheaply (nothing is started): (kind, detail).

    kind: "url" (detail: the URL), "start" (detail: pg_ctl's path) or "sqlite" (detail: why).
    """
    if url := os.environ.get(VARIABLE):
        return "url", url
    pg_ctl = shutil.which("pg_ctl") or next(iter(sorted(glob.glob(BIN_GLOB))[-1:]), None)
    if pg_ctl is None:
        return "sqlite", f"no PostgreSQL found; using SQLite — set {VARIABLE} to use one"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return "sqlite", f"PostgreSQL cannot be started as root; using SQLite — set {VARIABLE}"
    return "start", pg_ctl


def start(folder: Path) -> Server:
    """The server decide() chose, started if need be (its files under `folder`)."""
    kind, detail = decide()
    if kind == "url":
        return Server(libpq_url(detail), f"PostgreSQL from {VARIABLE}")
    if kind == "sqlite":
        return Server(None, detail)
    try:
        return _start_local(detail, folder)
    except Exception as exc:  # no working server: the checks still run, on SQLite
        return Server(None, f"PostgreSQL did not start ({exc}); using SQLite")


def _start_local(pg_ctl: str, folder: Path) -> Server:
    from pytest_postgresql.executors import PostgreSQLExecutor

    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    executor = PostgreSQLExecutor(
        executable=pg_ctl,
        host="127.0.0.1",
        port=port,
        datadir=str(folder / "data"),
        unixsocketdir=str(folder),
        logfile=str(folder / "server.log"),
        startparams="-w",
        dbname="flasklings",
        # A throwaway cluster: durability costs time and buys nothing here.
        postgres_options="-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
    )
    executor.start()
    server = Server(
        f"postgresql://postgres@127.0.0.1:{port}/postgres",
        f"PostgreSQL {executor.version} started for the checks",
        executor,
    )
    return server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def libpq_url(url: str) -> str:
    """postgresql+psycopg://… (SQLAlchemy's spelling) as psycopg itself takes it."""
    scheme, _, rest = url.partition("://")
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


def sqlalchemy_url(url: str) -> str:
    """A libpq URL as SQLAlchemy takes it, with psycopg 3 as the driver."""
    return "postgresql+psycopg://" + url.partition("://")[2]


@contextlib.contextmanager
def database(server: Server, sqlite_path: Path):
    """A new, empty database for one check: its SQLAlchemy URL. Dropped afterwards."""
    if not server.is_postgresql:
        yield "sqlite:///" + str(sqlite_path)
        return
    import psycopg

    name = "flk_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = server.admin_url.rsplit("/", 1)[0]
    try:
        yield sqlalchemy_url(f"{base}/{name}")
    finally:
        with psycopg.connect(server.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
