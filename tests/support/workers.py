"""A real Celery worker in a child process, for tests that need work actually delivered."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery import Celery

from kdapp.celery import CELERY_POLICY, QUEUES
from kdapp.embedded.broker import broker_config
from tests.support.processes import REPO_ROOT, clean_env

_CELERY_VARIABLES = (
    "CELERY_BROKER_URL",
    "CELERY_BROKER_READ_URL",
    "CELERY_BROKER_WRITE_URL",
    "CELERY_RESULT_BACKEND",
)


@dataclass
class RunningWorker:
    hostname: str
    process: subprocess.Popen[bytes]
    app: Celery
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its pool at once, as the OOM killer would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def producer_app(broker_url: str | None, data_dir: Path) -> Celery:
    """A Celery app configured as the web process would be for ``broker_url``."""
    app = Celery(f"kdtest-{uuid.uuid4().hex[:8]}", set_as_current=False)
    app.conf.update(CELERY_POLICY)
    app.conf.update(broker_config(broker_url, data_dir))
    return app


@contextlib.contextmanager
def running_worker(
    *,
    broker_url: str | None,
    data_dir: Path,
    database_url: str,
    extra_env: Mapping[str, str] | None = None,
    beat: bool = False,
) -> Iterator[RunningWorker]:
    """Start ``celery worker`` on both queues (with the beat scheduler when ``beat``); stop it
    (and its pool) on exit."""
    for folder in ("broker", "results"):
        (data_dir / folder).mkdir(parents=True, exist_ok=True)
    name = f"kdtest-{uuid.uuid4().hex[:10]}"
    env = clean_env(
        DJANGO_SETTINGS_MODULE="kdapp.settings.test",
        KD_SECRET_KEY="test-only-secret",
        KD_DATA_DIR=str(data_dir),
        DATABASE_URL=database_url,
    )
    if broker_url is not None:
        env["CELERY_BROKER_URL"] = broker_url
    env.update(extra_env or {})
    log_path = data_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "kdapp", "worker",
                "--queues", ",".join(QUEUES), "--concurrency", "1",
                "--hostname", f"{name}@%h", "--loglevel", "INFO",
                "--without-mingle", "--without-gossip", "--without-heartbeat",
                *(["--beat"] if beat else []),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    # Celery lets these variables override an app's configuration; the producer must use the
    # broker under test, whatever this process's environment says.
    with pytest.MonkeyPatch.context() as patch:
        for variable in _CELERY_VARIABLES:
            patch.delenv(variable, raising=False)
        app = producer_app(broker_url, data_dir)
        try:
            yield RunningWorker(f"{name}@{socket.gethostname()}", process, app, log_path)
        finally:
            app.close()
        # A warm shutdown lets the running task finish; a worker still busy after that is
        # killed (the tests that care about a kill do it themselves, mid-task).
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
