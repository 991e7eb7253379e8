"""`manage.py kd_up` from nothing: embedded Postgres and broker, web server, worker, admin login.

This is what `make run` does; the test drives it the way a person would, then checks that
stopping it leaves no process behind and that a second run reuses the data and the login.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest

from kdapp.embedded.postgres import embedded_postgres_pid, process_is_alive
from tests.support.processes import REPO_ROOT, clean_env, free_port

pytestmark = pytest.mark.slow

READY = re.compile(r"KD Studio is ready at (http://\S+)")
LOGIN = re.compile(r"Login: (\S+) / (\S+)")


class Launch:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.log_path = data_dir.parent / f"kd_up-{time.monotonic_ns()}.log"
        env = clean_env(KD_DATA_DIR=str(data_dir), KD_PORT=str(port))
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "kd_up", "--web-workers", "1"],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_ready(self, timeout: float = 120) -> tuple[str, str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            output = self.output()
            ready = READY.search(output)
            if ready:
                login = LOGIN.search(output)
                assert login, output
                return ready.group(1), login.group(1), login.group(2)
            if self.process.poll() is not None:
                pytest.fail(f"kd_up exited with {self.process.returncode}:\n{output}")
            time.sleep(0.2)
        pytest.fail(f"kd_up was not ready after {timeout}s:\n{self.output()}")

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def stop(self, signum: signal.Signals) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def get(url: str, opener: urllib.request.OpenerDirector | None = None) -> tuple[int, bytes]:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def log_in(
    base_url: str, username: str, password: str, opener: urllib.request.OpenerDirector | None = None
) -> tuple[int, str]:
    jar = http.cookiejar.CookieJar()
    opener = opener or urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, page = get(base_url + "admin/login/?next=/admin/", opener)
    assert status == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    form = urllib.parse.urlencode(
        {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": token.group(1).decode(),
            "next": "/admin/",
        }
    ).encode()
    with opener.open(base_url + "admin/login/?next=/admin/", data=form, timeout=10) as response:
        return response.status, response.geturl() + "\n" + response.read().decode()


def stop_embedded_postgres(data_dir: Path) -> None:
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir / "postgres", user=user)


def test_kd_up_runs_everything_and_stops_everything(tmp_path: Path) -> None:
    data_dir = tmp_path / "kd"
    port = free_port()
    first = Launch(data_dir, port)
    try:
        base_url, username, password = first.wait_until_ready()
        assert base_url == f"http://127.0.0.1:{port}/"
        assert (
            "Loaded the demo dataset 'demo': 14 items, 99 facts, 60 VQA pairs; two annotators "
            "per item." in first.output()
        )
        accounts = dict(
            line.split(" ", 1) for line in (data_dir / "demo_accounts").read_text().splitlines()
        )
        assert sorted(accounts) == ["annotator1", "annotator2"]
        assert (
            f"Demo annotators: annotator1 / {accounts['annotator1']}, "
            f"annotator2 / {accounts['annotator2']}" in first.output()
        )
        assert username == "admin"
        assert (data_dir / "admin_password").read_text().strip() == password
        assert (data_dir / "admin_password").stat().st_mode & 0o777 == 0o600

        status, body = get(base_url + "healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, body = get(base_url + "readyz")
        assert (status, json.loads(body)) == (
            200,
            {
                "status": "ready",
                "checks": {
                    "database": {"ok": True},
                    "migrations": {"ok": True},
                    "broker": {"ok": True},
                },
            },
        )

        browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        status, landing = log_in(base_url, username, password, browser)
        assert status == 200
        assert landing.startswith(base_url + "admin/\n")
        assert "Site administration" in landing
        # The demo dataset is there to look at.
        status, items = get(base_url + "admin/annotations/item/", browser)
        assert status == 200
        for name in (b"astronaut", b"chelsea", b"coffee", b"rocket"):
            assert name in items
        status, captions = get(base_url + "admin/annotations/caption/", browser)
        assert status == 200
        assert captions.count(b'class="field-origin"') == 14
        status, _ = log_in(base_url, username, "wrong-password")
        assert status == 200  # the login form again, not the admin
        assert "Site administration" not in _

        started = first.descendants()
        names = " ".join(" ".join(process.cmdline()) for process in started)
        assert "gunicorn" in names
        assert "celery" in names

        # The database goes away: readiness says so, and says why.
        stop_embedded_postgres(data_dir)
        status, body = get(base_url + "readyz")
        report: dict[str, Any] = json.loads(body)
        assert status == 503
        assert report["status"] == "unavailable"
        assert report["checks"]["database"]["ok"] is False
        assert report["checks"]["database"]["reason"].startswith("database unreachable: ")
        assert report["checks"]["migrations"] == {
            "ok": False,
            "reason": "skipped: the database is unreachable",
        }
        assert report["checks"]["broker"] == {"ok": True}
        status, body = get(base_url + "healthz")
        assert status == 200

        assert first.stop(signal.SIGTERM) == 0
        assert "Stopped." in first.output()
        assert [process.pid for process in started if process_is_alive(process.pid)] == []
    finally:
        first.kill()

    # A second run reuses the data and prints the same login; Ctrl-C stops it all.
    second = Launch(data_dir, port)
    try:
        _, username_again, password_again = second.wait_until_ready()
        assert (username_again, password_again) == (username, password)
        assert "Loaded the demo dataset" not in second.output()
        started = second.descendants()
        postgres = embedded_postgres_pid(data_dir)
        assert postgres is not None
        assert second.stop(signal.SIGINT) == 0
        assert [process.pid for process in started if process_is_alive(process.pid)] == []
        assert not process_is_alive(postgres)
        assert embedded_postgres_pid(data_dir) is None
    finally:
        second.kill()


def test_kd_up_refuses_a_port_in_use(tmp_path: Path) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        launch = Launch(tmp_path / "kd", port)
        try:
            assert launch.process.wait(timeout=60) == 1
        finally:
            launch.kill()
    assert (
        f"CommandError: 127.0.0.1:{port} is already in use. Stop whatever listens there, or pick "
        "another port with KD_PORT (and another KD_DATA_DIR for a second copy)."
    ) in launch.output()
    assert embedded_postgres_pid(tmp_path / "kd") is None
