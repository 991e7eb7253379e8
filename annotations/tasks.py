"""Celery tasks of the domain: thin wrappers that hand over to services.

``caption_*`` tasks run on the ``captions`` queue (GPU workers, routes in ``kdapp.celery``);
the rest on ``default``. Every task is idempotent: its state is in Postgres, so a redelivered
or duplicated message does nothing twice.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import DatabaseError, InterfaceError

from annotations.services import captioning, jobs

logger = logging.getLogger(__name__)

# Transient failures back off 5, 10, 20, ... seconds, at most 5 minutes.
BACKOFF_BASE = 5
BACKOFF_MAX = 300


@shared_task(bind=True, name="annotations.tasks.caption_chunk", max_retries=None)
def caption_chunk(self: Any, chunk_id: int) -> dict[str, Any]:
    """Caption, structure, link and score one chunk of a caption job."""
    owner = f"{self.request.hostname or 'worker'}:{captioning.worker_name()}"
    try:
        outcome = captioning.run_chunk(chunk_id, owner)
    except (captioning.TransientChunkError, DatabaseError, InterfaceError) as error:
        captioning.release_chunk_safely(chunk_id, owner, str(error))
        countdown = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** min(self.request.retries, 10))
        logger.warning("chunk %s: %s; retrying in %s s", chunk_id, error, countdown)
        raise self.retry(countdown=countdown, exc=error) from error
    return {
        "claimed": outcome.claimed,
        "succeeded": outcome.succeeded,
        "failed": outcome.failed,
        "skipped": outcome.skipped,
        "generate_seconds": outcome.generate_seconds,
        "total_seconds": outcome.total_seconds,
    }


@shared_task(name="annotations.tasks.enqueue_job_chunks")
def enqueue_job_chunks(job_id: int) -> int:
    """Publish the chunks of a new job (after it committed)."""
    return jobs.enqueue_job_chunks(job_id)


@shared_task(name="annotations.tasks.reap_jobs")
def reap_jobs() -> dict[str, int]:
    """Hand out again chunks of dead workers and unpublished chunks; close finished jobs; fold
    datasets' appended running totals (selectors.stats)."""
    from annotations.selectors.stats import compact_all

    report = {**jobs.reap_jobs(), "stats_compacted": compact_all()}
    if any(report.values()):
        logger.info("reaper: %s", report)
    return report


@shared_task(bind=True, name="annotations.tasks.build_export", max_retries=3)
def build_export(self: Any, export_id: int) -> int:
    """Write an export snapshot's files and manifest (see annotations.services.exports)."""
    from annotations.services.exports import export_build

    try:
        return export_build(export_id).record_count
    except (DatabaseError, InterfaceError) as error:
        raise self.retry(countdown=BACKOFF_BASE * 2**self.request.retries, exc=error) from error
