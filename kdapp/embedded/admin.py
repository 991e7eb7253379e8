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


DEMO_ACCOUNTS_FILE_NAME = "demo_accounts"
DEMO_ANNOTATORS = ("annotator1", "annotator2")


def ensure_demo_annotators(data_dir: Path, dataset_slug: str) -> list[AdminLogin]:
    """Two annotator accounts in the demo dataset, so that two people can disagree on an item
    and the admin can review it. Passwords are random, made once and kept under the data dir
    (``demo_accounts``); nothing happens when the demo dataset does not exist."""
    from annotations.models import Dataset, Membership

    dataset = Dataset.objects.filter(slug=dataset_slug).first()
    if dataset is None:
        return []
    accounts_file = data_dir / DEMO_ACCOUNTS_FILE_NAME
    stored: dict[str, str] = {}
    if accounts_file.exists():
        for line in accounts_file.read_text().splitlines():
            name, _, password = line.partition(" ")
            if name and password:
                stored[name] = password
    user_model = get_user_model()
    logins = []
    created = False
    with transaction.atomic():
        for name in DEMO_ANNOTATORS:
            user = user_model.objects.filter(**{user_model.USERNAME_FIELD: name}).first()
            if user is None:
                stored.setdefault(name, secrets.token_urlsafe(9))
                user = user_model.objects.create_user(name, "", stored[name])
                created = True
            Membership.objects.get_or_create(
                dataset=dataset, user=user, defaults={"role": Membership.Role.ANNOTATOR}
            )
            known = stored.get(name)
            if known is not None and user.check_password(known):
                logins.append(AdminLogin(name, known))
            else:
                logins.append(AdminLogin(name, None, "password set elsewhere"))
    if created:
        accounts_file.unlink(missing_ok=True)
        write_private_file(accounts_file, "".join(f"{n} {p}\n" for n, p in stored.items()))
    return logins
