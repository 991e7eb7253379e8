"""Run KD Studio: migrate, then the web server and one Celery worker, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections

from kdapp.celery import QUEUES
from kdapp.embedded.admin import ensure_admin, ensure_demo_annotators
from kdapp.embedded.database import create_database_if_missing
from kdapp.embedded.supervisor import Supervisor


class StopRequested(Exception):
    pass


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError:
            return False
    return True


def _readiness(url: str) -> tuple[int, dict[str, Any] | None]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own URL
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read())
        except ValueError:
            return error.code, None
    except (OSError, ValueError):
        return 0, None


class Command(BaseCommand):
    help = (
        "Apply migrations, ensure the admin user, then run the web server (gunicorn) and one "
        "Celery worker on the default and captions queues until Ctrl-C or SIGTERM, which stop "
        "every process this command started."
    )
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.KD_HOST, help="address to listen on")
        parser.add_argument("--port", type=int, default=settings.KD_PORT, help="port to listen on")
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument(
            "--ready-timeout", type=float, default=120.0, help="seconds to wait for /readyz"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        if not _port_is_free(host, port):
            raise CommandError(
                f"{host}:{port} is already in use. Stop whatever listens there, or pick another "
                "port with KD_PORT (and another KD_DATA_DIR for a second copy)."
            )

        def request_stop(signum: int, frame: FrameType | None) -> None:
            # Later signals during shutdown are ignored: stopping must run to the end.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            raise StopRequested(signal.Signals(signum).name)

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)

        supervisor = Supervisor()
        failure: str | None = None
        try:
            self._prepare()
            login = ensure_admin(Path(settings.DATA_DIR))
            self._load_demo_if_empty()
            self._start_children(supervisor, host, port, options["web_workers"])
            base_url = f"http://{_url_host(host)}:{port}/"
            self._wait_until_ready(supervisor, base_url + "readyz", options["ready_timeout"])
            self._wait_for_worker(supervisor, options["ready_timeout"])
            self.stdout.write(f"Data: {settings.DATA_DIR}  Login: {login.describe()}")
            self.stdout.write(
                self.style.SUCCESS(f"KD Studio is ready at {base_url} (Ctrl-C to stop)")
            )
            self.stdout.flush()
            exited = self._watch(supervisor)
            failure = f"{exited.name} exited unexpectedly with status {exited.exit_code()}"
        except StopRequested as stop:
            self.stdout.write(f"Received {stop}; stopping.")
        except CommandError as error:
            failure = str(error)
        finally:
            supervisor.stop_all()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if failure is not None:
            raise CommandError(f"{failure}; every process was stopped.")
        self.stdout.write("Stopped.")

    def _prepare(self) -> None:
        where = "embedded Postgres" if settings.DATABASE_IS_EMBEDDED else "DATABASE_URL"
        if create_database_if_missing():
            self.stdout.write(f"Created database {connection.settings_dict['NAME']}.")
        self.stdout.write(f"Applying migrations ({where})...")
        call_command("migrate", interactive=False, verbosity=0)
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        # The launcher itself does no database work from here on.
        connections.close_all()

    def _load_demo_if_empty(self) -> None:
        from annotations.services.audit import Actor
        from annotations.services.demo import DEMO_SLUG, demo_load_if_empty

        summary = demo_load_if_empty(actor=Actor.system("kd_up"), annotators_per_item=2)
        if summary is not None:
            self.stdout.write(
                f"Loaded the demo dataset '{DEMO_SLUG}': {summary.imported} items, "
                f"{summary.facts} facts, {summary.vqa_pairs} VQA pairs; two annotators per item."
            )
        logins = ensure_demo_annotators(settings.DATA_DIR, DEMO_SLUG)
        if logins:
            self.stdout.write("Demo annotators: " + ", ".join(login.describe() for login in logins))

    def _start_children(self, supervisor: Supervisor, host: str, port: int, workers: int) -> None:
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        supervisor.start(
            "web server",
            [
                sys.executable, "-m", "gunicorn", "kdapp.wsgi:application",
                "--bind", f"{_url_host(host)}:{port}",
                "--workers", str(workers),
                "--graceful-timeout", "10",
                "--timeout", "120",
                "--access-logfile", "-",
                "--log-level", "warning",
            ],
            env,
        )  # fmt: skip
        supervisor.start(
            "worker",
            [
                sys.executable, "-m", "celery", "-A", "kdapp", "worker",
                "--queues", ",".join(QUEUES),
                "--concurrency", "1",
                "--hostname", f"kd-{port}@%h",
                "--loglevel", "INFO",
                # One worker per copy: no peers to synchronise or gossip with.
                "--without-mingle", "--without-gossip", "--without-heartbeat",
                # The periodic job reaper (CELERY_BEAT_SCHEDULE) runs in this worker.
                "--beat",
            ],
            env,
        )  # fmt: skip

    def _wait_until_ready(self, supervisor: Supervisor, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        body: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            exited = supervisor.first_exited()
            if exited is not None:
                raise CommandError(f"{exited.name} exited during start-up ({exited.exit_code()})")
            status, body = _readiness(url)
            if status == 200:
                return
            time.sleep(0.25)
        raise CommandError(f"not ready after {timeout:.0f}s: {json.dumps(body)}")

    def _wait_for_worker(self, supervisor: Supervisor, timeout: float) -> None:
        """Round-trip the health task through every queue, so "ready" means work gets done."""
        from kdapp.tasks import health

        deadline = time.monotonic() + timeout
        for queue in QUEUES:
            pending = health.apply_async(queue=queue)
            while not pending.ready():
                exited = supervisor.first_exited()
                if exited is not None:
                    raise CommandError(
                        f"{exited.name} exited during start-up ({exited.exit_code()})"
                    )
                if time.monotonic() > deadline:
                    raise CommandError(f"the worker did not answer on the {queue} queue")
                time.sleep(0.1)
            report = pending.get(timeout=1)
            pending.forget()
            if report.get("status") != "ok":
                raise CommandError(f"the worker's health check failed on {queue}: {report}")

    def _watch(self, supervisor: Supervisor) -> Any:
        while True:
            exited = supervisor.first_exited()
            if exited is not None:
                return exited
            time.sleep(0.5)
