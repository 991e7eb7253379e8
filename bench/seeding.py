"""What the benchmarks that seed a database and serve it share: Django set-up, id ranges for
rows written with COPY, a gunicorn server of the app, and the machine line of the results.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def setup_django() -> None:
    os.environ.setdefault("KD_DATA_DIR", str(REPO / ".kd-bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kdapp.settings.development")
    from kdapp.embedded.runtime import prepare_environment

    prepare_environment()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("kd_createdb", verbosity=0)
    call_command("migrate", verbosity=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(
    port: int, extra_env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn (``workers`` processes) serving the app on 127.0.0.1:``port``, on the same
    database as this process; stopped on exit."""
    from django.conf import settings

    # prepare_environment() put DATABASE_URL (the embedded server's, when it started one) and
    # the secret into this process's environment: the server inherits them.
    env = {**os.environ, "KD_DATA_DIR": str(settings.DATA_DIR), **(extra_env or {})}
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "kdapp.wsgi:application", "--workers", str(workers),
            "--bind", f"127.0.0.1:{port}", "--timeout", "3600", "--log-level", "warning",
        ],
        cwd=REPO,
        env=env,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def machine(workers: int = 1) -> str:
    """The machine line of a result: architecture, CPUs, Python, server, database."""
    from django.conf import settings

    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, "
        f"gunicorn {workers} worker{'s' if workers > 1 else ''}, "
        f"{'embedded Postgres' if settings.DATABASE_IS_EMBEDDED else 'DATABASE_URL Postgres'}"
    )


class IdRanges:
    """Primary keys for rows written with COPY, handed out in order from blocks reserved on the
    tables' sequences, so rows can name each other (an item its current caption, a fact its
    caption) before they are written.

    ``reserve`` moves each sequence past a block of ``sizes[table]`` ids; ``release`` sets it back
    to the last id handed out, unless another session has drawn from it since (then the unused
    rest of the block stays a gap).
    """

    def __init__(self) -> None:
        self.next: dict[str, int] = {}
        self.end: dict[str, int] = {}

    def reserve(self, cursor: Any, sizes: dict[str, int]) -> None:
        for table, size in sizes.items():
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                " nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, size],
            )
            end = int(cursor.fetchone()[0])
            self.next[table] = end - size + 1
            self.end[table] = end

    def take(self, table: str) -> int:
        value = self.next[table]
        if value > self.end[table]:
            raise RuntimeError(f"the block reserved for {table} is used up")
        self.next[table] = value + 1
        return value

    def release(self, cursor: Any) -> None:
        for table, end in self.end.items():
            used = self.next[table] - 1
            cursor.execute(
                "SELECT CASE WHEN last_value = %s THEN setval(pg_get_serial_sequence(%s, 'id'),"
                " GREATEST(%s, 1), %s) END FROM pg_sequences"
                " WHERE schemaname || '.' || sequencename = pg_get_serial_sequence(%s, 'id')",
                [end, table, used, used >= 1, table],
            )


def copy_text(cursor: Any, table: str, columns: tuple[str, ...], lines: list[str]) -> None:
    """COPY rows already in Postgres's text format (one line per row, ending in a newline)."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for start in range(0, len(lines), 5000):
            copy.write("".join(lines[start : start + 5000]))
