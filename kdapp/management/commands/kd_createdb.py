"""Create the database named in DATABASE_URL when the server does not have it yet."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection

from kdapp.embedded.database import create_database_if_missing


class Command(BaseCommand):
    help = "Create the database named in DATABASE_URL if the server does not have it yet."
    requires_system_checks = []

    def handle(self, *args: Any, **options: Any) -> None:
        name = connection.settings_dict["NAME"]
        if create_database_if_missing():
            self.stdout.write(f"Created database {name}.")
        else:
            self.stdout.write(f"Database {name} already exists.")
