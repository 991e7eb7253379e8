"""The first administrator, so a fresh `make run` can be logged into at once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from kdapp.embedded.runtime import write_private_file
from kdapp.env import env_str

LOGIN_FILE_NAME = "admin_password"


@dataclass(frozen=True)
class AdminLogin:
    username: str
    password: str | None
    note: str = ""

    def describe(self) -> str:
        """The login as printed: a generated password is shown, any other is not."""
        if self.password is None:
            return f"{self.username} ({self.note})"
        return f"{self.username} / {self.password}"


def ensure_admin(data_dir: Path) -> AdminLogin:
    """Create the administrator on first run and report the login to print.

    KD_ADMIN_USERNAME / KD_ADMIN_PASSWORD, when set, are authoritative: the account is created
    or its password reset to match, as containers and automation need. Otherwise a random
    password is generated once and kept under the data dir; a password changed later through
    the admin is never overwritten.
    """
    username = env_str("KD_ADMIN_USERNAME", "admin") or "admin"
    configured_password = env_str("KD_ADMIN_PASSWORD")
    password_file = data_dir / LOGIN_FILE_NAME
    user_model = get_user_model()

    with transaction.atomic():
        user = (
            user_model.objects.select_for_update()
            .filter(**{user_model.USERNAME_FIELD: username})
            .first()
        )
        if configured_password is not None:
            if user is None:
                user_model.objects.create_superuser(username, "", configured_password)
            elif not user.check_password(configured_password):
                user.set_password(configured_password)
                user.save(update_fields=["password"])
            # The operator chose this password; it is not repeated into logs.
            return AdminLogin(username, None, "password from KD_ADMIN_PASSWORD")

        stored = password_file.read_text().strip() if password_file.exists() else None
        if user is None:
            password = stored or secrets.token_urlsafe(12)
            user_model.objects.create_superuser(username, "", password)
            if stored is None:
                write_private_file(password_file, password + "\n")
            return AdminLogin(username, password)

    if stored is not None and user.check_password(stored):
        return AdminLogin(username, stored)
    return AdminLogin(
        username,
        None,
        "password set elsewhere; set KD_ADMIN_PASSWORD to reset it",
    )
