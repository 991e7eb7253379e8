from __future__ import annotations

import uuid

import pytest
from django.db import connection

from tests.support.processes import clean_env, database_url, run_python


@pytest.mark.django_db
def test_kd_createdb_creates_a_missing_database_once() -> None:
    name = f"kdtest_created_{uuid.uuid4().hex[:8]}"
    env = clean_env(DATABASE_URL=database_url({**connection.settings_dict, "NAME": name}))
    try:
        first = run_python(["manage.py", "kd_createdb"], env)
        second = run_python(["manage.py", "kd_createdb"], env)
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    assert (first.returncode, first.stdout) == (0, f"Created database {name}.\n")
    assert (second.returncode, second.stdout) == (0, f"Database {name} already exists.\n")


def test_kd_createdb_names_the_failure_when_the_server_is_unreachable() -> None:
    env = clean_env(DATABASE_URL="postgres://kd@127.0.0.1:1/kdstudio")
    result = run_python(["manage.py", "kd_createdb"], env)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "CommandError: cannot connect to the database: connection failed: "
        'connection to server at "127.0.0.1", port 1 failed: Connection refused'
    )
