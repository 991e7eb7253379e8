"""A private Postgres under the data dir, started from the ``pgserver`` package.

The server listens on a Unix socket inside its data folder only (no TCP port), so two copies of
KD Studio with different data dirs never collide. ``pgserver`` counts the processes that hold a
handle on the server and stops it when the last one exits; a holder that was killed leaves its
pid behind, which would keep the server running forever, so dead pids are pruned before joining.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

logger = logging.getLogger(__name__)

DATABASE_NAME = "kdstudio"
_HANDLE_FILE = ".handle_pids.json"


def process_is_alive(pid: int) -> bool:
    """True for a running process; false for a missing one or a zombie awaiting its reaper."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _prune_dead_holders(pgdata: Path) -> None:
    handle_file = pgdata / _HANDLE_FILE
    try:
        pids = json.loads(handle_file.read_text())
    except (FileNotFoundError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and process_is_alive(pid)]
    if alive != pids:
        handle_file.write_text(json.dumps(alive))


def start_embedded_postgres(data_dir: Path, *, database: str = DATABASE_NAME) -> str:
    """Start (or join) the embedded server under ``data_dir`` and return a URL for ``database``.

    The database is created when missing. The server stops when the last process that called
    this function exits normally; call it only from processes that own the runtime (``manage.py``
    and the test session), and hand the returned URL to child processes through DATABASE_URL.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI) and falls back to
        # /tmp, which is what pgserver's lock file needs anyway.
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import PostgresServer, get_server  # only embedded mode

    pgdata = data_dir / "postgres"
    data_dir.mkdir(parents=True, exist_ok=True)
    with PostgresServer._lock:
        if pgdata.exists():
            _prune_dead_holders(pgdata)
    server = get_server(pgdata, cleanup_mode="stop")
    admin_url = server.get_uri("postgres")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database]
        ).fetchone()
        if exists is None:
            logger.info("creating database %s in the embedded Postgres", database)
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    url: str = server.get_uri(database)
    return url


def embedded_postgres_pid(data_dir: Path) -> int | None:
    """The postmaster pid of the embedded server under ``data_dir``, if it is running."""
    pid_file = data_dir / "postgres" / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None
    return pid if process_is_alive(pid) else None


def stop_signal_exits_cleanly() -> None:
    """Turn SIGTERM into a normal exit so the server is stopped by the exit handlers."""
    import signal
    import sys

    def _exit(signum: int, frame: object) -> None:
        sys.exit(128 + signum)

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit)


__all__ = [
    "DATABASE_NAME",
    "embedded_postgres_pid",
    "process_is_alive",
    "start_embedded_postgres",
]
