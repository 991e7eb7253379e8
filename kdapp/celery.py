"""The Celery app: JSON only, explicit queues, late acknowledgement.

Two queues: ``captions`` for model inference (GPU workers), ``default`` for everything else
(imports, scoring, exports). The broker is a doorbell; the state of every job lives in Postgres,
so task results are ignored unless a task asks for them.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from kombu.entity import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kdapp.settings.development")

DEFAULT_QUEUE = "default"
CAPTIONS_QUEUE = "captions"
QUEUES = (DEFAULT_QUEUE, CAPTIONS_QUEUE)

# Task name patterns -> queue. Anything not listed runs on the default queue.
TASK_ROUTES: dict[str, dict[str, str]] = {
    "annotations.tasks.caption_*": {"queue": CAPTIONS_QUEUE},
    "annotations.tasks.enrich_*": {"queue": CAPTIONS_QUEUE},
}

app = Celery("kdapp")
# Environment-driven values (broker, result store, time limits) come from Django settings.
app.config_from_object("django.conf:settings", namespace="CELERY")

CELERY_POLICY: dict[str, Any] = {
    "task_serializer": "json",
    "result_serializer": "json",
    "accept_content": ["json"],
    "result_accept_content": ["json"],
    "task_default_queue": DEFAULT_QUEUE,
    "task_queues": tuple(Queue(name, routing_key=name) for name in QUEUES),
    "task_routes": TASK_ROUTES,
    "task_create_missing_queues": False,
    # Acknowledge after the task returns, and requeue when the worker process dies: a GPU
    # worker killed by the OOM killer must not silently drop its chunk. Tasks are idempotent
    # (results are keyed by job and item), so a redelivery writes nothing twice.
    "task_acks_late": True,
    "task_reject_on_worker_lost": True,
    "worker_prefetch_multiplier": 1,
    "worker_cancel_long_running_tasks_on_connection_loss": True,
    "task_ignore_result": True,
    "result_expires": 3600,
    "broker_connection_retry_on_startup": True,
    "worker_hijack_root_logger": False,
    "worker_send_task_events": False,
}
app.conf.update(CELERY_POLICY)
app.autodiscover_tasks()
