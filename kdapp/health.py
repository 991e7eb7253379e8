"""Liveness (/healthz) and readiness (/readyz) probes.

``/healthz`` says the process serves requests and touches nothing else. ``/readyz`` says this
instance can do useful work: the database answers, every migration is applied, and the broker
accepts connections. It answers 503 with the failing check and a reason a person can act on.
"""

from __future__ import annotations

import logging
import os
from typing import TypedDict

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


class Check(TypedDict, total=False):
    ok: bool
    reason: str


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else error.__class__.__name__


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        # Drop the broken connection so the next probe reconnects instead of reusing it.
        connection.close_if_unusable_or_obsolete()
        return {"ok": False, "reason": f"database unreachable: {_first_line(error)}"}
    return {"ok": True}


# Migrations only move forward within one deployment, so a positive answer is kept for the life
# of the process; a negative one is recomputed on every probe.
_migrations_applied = False


def check_migrations() -> Check:
    global _migrations_applied
    if _migrations_applied:
        return {"ok": True}
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        return {"ok": False, "reason": f"cannot read migration state: {_first_line(error)}"}
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan[:5])
        return {
            "ok": False,
            "reason": f"{len(plan)} migration(s) not applied ({names}); run `manage.py migrate`",
        }
    _migrations_applied = True
    return {"ok": True}


def check_broker() -> Check:
    from kdapp.celery import app

    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
    except Exception as error:  # kombu raises driver-specific errors; all mean "not ready"
        return {"ok": False, "reason": f"broker unreachable: {_first_line(error)}"}
    if settings.BROKER_IS_EMBEDDED:
        queue_folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
        if not os.access(queue_folder, os.W_OK):
            return {"ok": False, "reason": f"broker folder {queue_folder} is not writable"}
    return {"ok": True}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    database = check_database()
    checks: dict[str, Check] = {
        "database": database,
        "migrations": (
            check_migrations()
            if database["ok"]
            else {"ok": False, "reason": "skipped: the database is unreachable"}
        ),
        "broker": check_broker(),
    }
    ready = all(check["ok"] for check in checks.values())
    if not ready:
        logger.warning("not ready: %s", {name: c for name, c in checks.items() if not c["ok"]})
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
