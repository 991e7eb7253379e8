"""Runtime tasks: a health probe that proves a worker consumes a queue and reaches the database."""

from __future__ import annotations

import os
from typing import Any, TypedDict

from celery import shared_task
from django.db import connection


class HealthReport(TypedDict):
    status: str
    queue: str
    worker: str
    pid: int
    database: str


@shared_task(bind=True, name="kdapp.health", ignore_result=False)
def health(self: Any) -> HealthReport:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        row = cursor.fetchone()
    delivery = self.request.delivery_info or {}
    return {
        "status": "ok",
        "queue": str(delivery.get("routing_key") or ""),
        "worker": str(self.request.hostname or ""),
        "pid": os.getpid(),
        "database": str(row[0]) if row else "",
    }
