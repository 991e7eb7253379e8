"""Create the configured database on a server that does not have it yet."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db import OperationalError, connection


def create_database_if_missing() -> bool:
    """Connect to the database in DATABASE_URL, creating it first if the server lacks it.

    Returns whether it was created. Any other connection failure is a ``CommandError`` with the
    server's message, since nothing else can proceed without the database.
    """
    name = connection.settings_dict["NAME"]
    try:
        connection.ensure_connection()
    except OperationalError as error:
        if f'database "{name}" does not exist' not in str(error):
            raise CommandError(f"cannot connect to the database: {error}") from None
        # Connects to the server's maintenance database with the same credentials.
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
        return True
    return False
