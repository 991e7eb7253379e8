"""A task sent from this process is executed by a separate worker process, and answers.

Runs on the embedded (daemon-free) broker always, and on Redis when CELERY_BROKER_URL names it,
as it does in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psutil
import pytest
from django.db import connection

from kdapp.celery import QUEUES
from tests.support.processes import database_url
from tests.support.workers import RunningWorker, running_worker

CONFIGURED_BROKER = os.environ.get("CELERY_BROKER_URL", "")


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(None, id="embedded"),
        pytest.param(
            CONFIGURED_BROKER or None,
            id="redis",
            marks=pytest.mark.skipif(
                not CONFIGURED_BROKER.startswith("redis"),
                reason="CELERY_BROKER_URL does not name a Redis server",
            ),
        ),
    ],
)
def worker(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    django_db_setup: None,
) -> Iterator[RunningWorker]:
    with running_worker(
        broker_url=request.param,
        data_dir=tmp_path_factory.mktemp("worker"),
        database_url=database_url(connection.settings_dict),
    ) as running:
        yield running


@pytest.mark.slow
# The worker reads the test database from its own connection, so nothing may stay uncommitted.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("queue", QUEUES)
def test_health_task_round_trips_through_a_worker_process(
    worker: RunningWorker, queue: str
) -> None:
    result = worker.app.send_task("kdapp.health", queue=queue)
    try:
        report = result.get(timeout=60)
    except Exception:
        pytest.fail(f"no answer from the worker; its log:\n{worker.log()}")

    worker_processes = {worker.process.pid} | {
        child.pid for child in psutil.Process(worker.process.pid).children(recursive=True)
    }
    assert report == {
        "status": "ok",
        "queue": queue,
        "worker": worker.hostname,
        "pid": report["pid"],
        "database": connection.settings_dict["NAME"],
    }
    assert report["pid"] in worker_processes
    assert report["pid"] != os.getpid()


def test_routes_and_serialization_policy() -> None:
    from kdapp.celery import app

    assert app.conf.task_create_missing_queues is False
    assert app.conf.accept_content == ["json"]
    assert app.amqp.router.route({}, "annotations.tasks.caption_items")["queue"].name == "captions"
    assert app.amqp.router.route({}, "annotations.tasks.build_export")["queue"].name == "default"
