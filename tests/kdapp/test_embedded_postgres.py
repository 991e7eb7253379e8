"""The embedded Postgres starts under the data dir, keeps its data, and stops with its owner."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from kdapp.embedded.postgres import embedded_postgres_pid, process_is_alive
from tests.support.processes import clean_env, run_python

pytestmark = pytest.mark.slow

SCRIPT = """
import os, signal, sys
from pathlib import Path
import psycopg
from kdapp.embedded.postgres import start_embedded_postgres, embedded_postgres_pid

data_dir = Path(sys.argv[1])
url = start_embedded_postgres(data_dir)
with psycopg.connect(url, autocommit=True) as connection:
    if sys.argv[2] == "write":
        connection.execute("CREATE TABLE note (body text)")
        connection.execute("INSERT INTO note VALUES ('kept across restarts')")
    print(connection.execute("SELECT current_database()").fetchone()[0])
    print(connection.execute("SELECT body FROM note").fetchone()[0])
print(embedded_postgres_pid(data_dir))
if sys.argv[3] == "crash":
    os.kill(os.getpid(), signal.SIGKILL)
"""


def run_owner(data_dir: Path, mode: str, end: str) -> list[str]:
    result = run_python(["-c", SCRIPT, str(data_dir), mode, end], clean_env())
    if end == "crash":
        assert result.returncode == -signal.SIGKILL, result.stderr
    else:
        assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_data_is_kept_and_the_server_stops_with_its_last_owner(tmp_path: Path) -> None:
    database, body, pid = run_owner(tmp_path, "write", "exit")
    assert (database, body) == ("kdstudio", "kept across restarts")
    assert not process_is_alive(int(pid))
    assert embedded_postgres_pid(tmp_path) is None

    database, body, second_pid = run_owner(tmp_path, "read", "exit")
    assert (database, body) == ("kdstudio", "kept across restarts")
    assert second_pid != pid
    assert embedded_postgres_pid(tmp_path) is None


def test_an_owner_killed_outright_does_not_keep_the_server_alive_forever(tmp_path: Path) -> None:
    run_owner(tmp_path, "write", "crash")
    left_running = embedded_postgres_pid(tmp_path)
    assert left_running is not None  # nobody was left to stop it...

    _, _, reused = run_owner(tmp_path, "read", "exit")
    assert int(reused) == left_running  # ...the next owner joins it...
    assert embedded_postgres_pid(tmp_path) is None  # ...and, once done, stops it.
