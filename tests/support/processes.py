"""Run KD Studio's entry points in real child processes, with a controlled environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Variables that select services or secrets; a child gets only what a test passes explicitly.
_PROJECT_VARIABLES = ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")


def clean_env(**overrides: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("KD_", "DJANGO_")) and name not in _PROJECT_VARIABLES
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def run_python(
    args: list[str], env: Mapping[str, str], *, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def database_url(settings_dict: Mapping[str, object]) -> str:
    """A DATABASE_URL for a Django connection's settings (the test database, typically)."""
    from urllib.parse import quote

    user = quote(str(settings_dict.get("USER") or ""))
    password = quote(str(settings_dict.get("PASSWORD") or ""))
    host = str(settings_dict.get("HOST") or "")
    port = str(settings_dict.get("PORT") or "")
    name = quote(str(settings_dict["NAME"]))
    credentials = f"{user}:{password}@" if user else ""
    if host.startswith("/"):
        return f"postgresql://{credentials}/{name}?host={quote(host)}"
    return f"postgresql://{credentials}{host}{':' + port if port else ''}/{name}"
