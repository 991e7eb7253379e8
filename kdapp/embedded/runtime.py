"""Fill in what the environment leaves unset, before Django reads its settings.

Called explicitly by the entry points (``manage.py`` and the test session), never on import:
the settings module itself only reads the environment.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from kdapp.env import data_dir

DEFAULT_SETTINGS_MODULE = "kdapp.settings.development"


def write_private_file(path: Path, content: str) -> None:
    """Create ``path`` readable by its owner only; fail if it already exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(content)


def read_or_create_secret(path: Path, *, length: int = 64) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        secret = secrets.token_urlsafe(length)
        try:
            write_private_file(path, secret + "\n")
        except FileExistsError:  # another process created it between our read and write
            return path.read_text().strip()
        return secret


def is_production_settings(module: str) -> bool:
    return module.rsplit(".", 1)[-1] == "production"


def prepare_environment() -> None:
    """Provide a development secret and the embedded Postgres when none are configured.

    Production settings get nothing filled in: there a missing DATABASE_URL or KD_SECRET_KEY
    must stop the process.
    """
    module = os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS_MODULE)
    if is_production_settings(module):
        return
    root = data_dir()
    # The embedded broker and result store are plain folders that must exist before Celery
    # opens them; creating them is harmless when a real broker is configured.
    for folder in ("broker", "results"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    if not os.environ.get("KD_SECRET_KEY", "").strip():
        os.environ["KD_SECRET_KEY"] = read_or_create_secret(root / "secret_key")
    if not os.environ.get("DATABASE_URL", "").strip():
        from kdapp.embedded.postgres import (
            start_embedded_postgres,
            stop_signal_exits_cleanly,
        )

        stop_signal_exits_cleanly()
        os.environ["DATABASE_URL"] = start_embedded_postgres(root)
        os.environ["KD_DATABASE_IS_EMBEDDED"] = "1"
