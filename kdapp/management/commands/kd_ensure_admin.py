"""Create the first administrator, or reset its password to KD_ADMIN_PASSWORD when that is set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from kdapp.embedded.admin import ensure_admin


class Command(BaseCommand):
    help = (
        "Ensure the administrator KD_ADMIN_USERNAME (default admin) exists. With "
        "KD_ADMIN_PASSWORD set, that password is made current; otherwise a random one is "
        "generated once and kept under the data dir. Prints the login."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        login = ensure_admin(Path(settings.DATA_DIR))
        self.stdout.write(f"Login: {login.describe()}")
