"""Caption jobs: creating, publishing, cancelling, finishing and reaping them.

The database holds every job's state; the broker only carries doorbells. A job is split into
chunks of the captioner's batch size; each chunk's task is published after the job commits
(``enqueue_job_chunks``, on the default queue). Whatever is lost on the way (a broker that was
down at commit time, a worker killed mid-chunk) the reaper (``reap_jobs``) finds in the
database and hands out again; claiming is a conditional UPDATE and results are unique per
(job, item), so a chunk delivered twice writes nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from annotations.enrichment.captioner import CaptionerConfig, ConfigurationInvalid
from annotations.errors import ConflictError
from annotations.models import AuditAction, Dataset, Item, Job, JobChunk, JobResult
from annotations.selectors.items import ItemFilters, filtered_items
from annotations.services.audit import Actor, audit_record

logger = logging.getLogger(__name__)

MAX_SELECTED_IDS = 10_000
FINISHED = (Job.Status.SUCCEEDED, Job.Status.FAILED, Job.Status.CANCELLED)
OPEN_CHUNKS = (JobChunk.Status.PENDING, JobChunk.Status.RUNNING)
PUBLISH_BATCH = 500


def default_captioner(dataset: Dataset) -> CaptionerConfig:
    """The configuration a job of this dataset runs when it names none."""
    return resolve_captioner(dataset, None)


def resolve_captioner(dataset: Dataset, given: Mapping[str, Any] | None) -> CaptionerConfig:
    """The job's configuration: the fields given, the rest from the dataset's captioner
    settings, and the model from ``KD_CAPTIONER_MODEL`` when neither names one."""
    base: dict[str, Any] = {"model": settings.KD_CAPTIONER_MODEL}
    if settings.KD_CAPTIONER_REVISION:
        base["revision"] = settings.KD_CAPTIONER_REVISION
    merged = {**base, **(dataset.captioner_settings or {}), **(given or {})}
    try:
        return CaptionerConfig.from_mapping(merged)
    except ConfigurationInvalid as invalid:
        raise ValidationError(
            {
                f"captioner.{name}": [ValidationError(message, code="invalid")]
                for name, message in invalid.errors.items()
            }
        ) from None


def selected_item_ids(
    dataset: Dataset, item_ids: Sequence[int] | None, filters: ItemFilters | None
) -> list[int]:
    """The ids of a selection, in order: the given ids (each must be an item of the dataset,
    else a 400 naming the others), or every item passing the filters."""
    if item_ids is None:
        return list(
            filtered_items(dataset=dataset, filters=filters or ItemFilters())
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    wanted = list(dict.fromkeys(item_ids))
    found = set(Item.objects.filter(dataset=dataset, pk__in=wanted).values_list("pk", flat=True))
    unknown = [item_id for item_id in wanted if item_id not in found]
    if unknown:
        raise ValidationError(
            {
                "item_ids": [
                    ValidationError(
                        f"Not items of dataset {dataset.slug}: "
                        f"{', '.join(map(str, unknown[:20]))}"
                        f"{' ...' if len(unknown) > 20 else ''}.",
                        code="unknown_items",
                    )
                ]
            }
        )
    return sorted(wanted)


def caption_job_create(
    *,
    dataset: Dataset,
    actor: Actor,
    requested_by_id: int | None,
    item_ids: Sequence[int] | None = None,
    filters: ItemFilters | None = None,
    captioner: Mapping[str, Any] | None = None,
    make_current: bool = False,
) -> Job:
    """Create a caption job over the selected items (ids, or every item passing the filters).

    A model caption is a suggestion beside the item's current caption. It becomes the current
    caption of a pending item that has none, and with ``make_current`` also of a pending item
    whose current caption came from an import or a model; never of an item that annotators
    have started, nor in place of an annotator's or a lead's caption.
    """
    config = resolve_captioner(dataset, captioner)
    selected = selected_item_ids(dataset, item_ids, filters)
    selection: dict[str, Any] = (
        {"item_ids": len(selected)}
        if item_ids is not None
        else {"filters": (filters or ItemFilters()).as_dict()}
    )
    if not selected:
        raise ValidationError(
            {"selection": [ValidationError("No item matches this selection.", code="empty")]}
        )

    with transaction.atomic():
        job = Job.objects.create(
            dataset=dataset,
            kind=Job.Kind.CAPTION,
            params={
                "captioner": config.as_dict(),
                "selection": selection,
                "make_current": make_current,
            },
            requested_by_id=requested_by_id,
            total=len(selected),
        )
        size = config.batch_size
        JobChunk.objects.bulk_create(
            (
                JobChunk(job=job, sequence=number, item_ids=selected[start : start + size])
                for number, start in enumerate(range(0, len(selected), size))
            ),
            batch_size=2000,
        )
        audit_record(
            actor=actor,
            action=AuditAction.JOB_CREATE,
            target=job,
            dataset_id=dataset.pk,
            after={
                "kind": job.kind,
                "items": job.total,
                "chunks": -(-job.total // size),
                "model": config.name,
                "selection": selection,
            },
        )
        transaction.on_commit(lambda: publish_enqueue(job.pk))
    return job


def publish_enqueue(job_id: int) -> None:
    """Ring the default queue to publish the job's chunks; the reaper retries on failure."""
    from annotations.tasks import enqueue_job_chunks

    try:
        enqueue_job_chunks.delay(job_id)
    except Exception:  # the broker is down: the reaper publishes the chunks later
        logger.warning("could not publish job %s; the reaper will", job_id, exc_info=True)


def enqueue_job_chunks(job_id: int, *, only_unpublished: bool = True) -> int:
    """Publish a task for each pending chunk of the job; returns how many were published."""
    from annotations.tasks import caption_chunk

    chunks = JobChunk.objects.filter(job_id=job_id, status=JobChunk.Status.PENDING)
    if only_unpublished:
        chunks = chunks.filter(enqueued_at__isnull=True)
    published = 0
    ids = list(chunks.order_by("sequence").values_list("pk", flat=True))
    for start in range(0, len(ids), PUBLISH_BATCH):
        batch = ids[start : start + PUBLISH_BATCH]
        sent = []
        for chunk_id in batch:
            try:
                caption_chunk.delay(chunk_id)
            except Exception:
                logger.warning("could not publish chunk %s", chunk_id, exc_info=True)
                break
            sent.append(chunk_id)
        JobChunk.objects.filter(pk__in=sent).update(enqueued_at=timezone.now())
        published += len(sent)
        if len(sent) < len(batch):
            break
    return published


def job_cancel(*, job: Job, actor: Actor) -> Job:
    """Stop a job between batches: pending chunks are cancelled now, a running chunk writes
    its whole batch and the job ends ``cancelled`` when it has."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.status in FINISHED:
            raise ConflictError(
                f"The job has already finished ({locked.status}).",
                extra={"status": locked.status},
            )
        locked.is_cancel_requested = True
        locked.save(update_fields=["is_cancel_requested"])
        cancelled = JobChunk.objects.filter(job=locked, status=JobChunk.Status.PENDING).update(
            status=JobChunk.Status.CANCELLED, updated_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action=AuditAction.JOB_CANCEL,
            target=locked,
            dataset_id=locked.dataset_id,
            after={"chunks_cancelled": cancelled},
        )
        finish_if_complete(locked)
    locked.refresh_from_db()
    return locked


def finish_if_complete(job: Job) -> bool:
    """Close the job when none of its chunks is open. The caller holds the job's row lock."""
    if job.status in FINISHED:
        return True
    if JobChunk.objects.filter(job=job, status__in=OPEN_CHUNKS).exists():
        return False
    counts = JobResult.objects.filter(job=job).aggregate(
        done=Count("pk", filter=Q(status=JobResult.Status.SUCCEEDED)),
        failed=Count("pk", filter=Q(status=JobResult.Status.FAILED)),
    )
    job.done, job.failed = counts["done"], counts["failed"]
    if job.is_cancel_requested:
        job.status = Job.Status.CANCELLED
    elif job.done == 0 and job.failed > 0:
        job.status = Job.Status.FAILED
        job.error = job.error or "Every item failed; see the per-item errors."
    else:
        job.status = Job.Status.SUCCEEDED
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "done", "failed", "error", "finished_at"])
    audit_record(
        actor=Actor.system("worker"),
        action=AuditAction.JOB_FINISH,
        target=job,
        dataset_id=job.dataset_id,
        after={"status": job.status, "done": job.done, "failed": job.failed},
    )
    return True


def job_fail(*, job_id: int, message: str) -> None:
    """End a job for a reason no retry will fix (the model cannot be loaded)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.status in FINISHED:
            return
        JobChunk.objects.filter(job=job, status__in=OPEN_CHUNKS).update(
            status=JobChunk.Status.FAILED, error=message[:2000], updated_at=timezone.now()
        )
        counts = JobResult.objects.filter(job=job).aggregate(
            done=Count("pk", filter=Q(status=JobResult.Status.SUCCEEDED)),
            failed=Count("pk", filter=Q(status=JobResult.Status.FAILED)),
        )
        job.done, job.failed = counts["done"], counts["failed"]
        job.status = Job.Status.FAILED
        job.error = message[:5000]
        job.finished_at = timezone.now()
        job.started_at = job.started_at or job.finished_at
        job.save(update_fields=["status", "error", "done", "failed", "finished_at", "started_at"])
        audit_record(
            actor=Actor.system("worker"),
            action=AuditAction.JOB_FINISH,
            target=job,
            dataset_id=job.dataset_id,
            after={"status": job.status, "error": job.error[:500]},
        )


def reap_jobs() -> dict[str, int]:
    """Hand out again what was lost; run periodically (Celery beat) and safe to run anywhere.

    - a running chunk whose lease expired (its worker died) goes back to pending and is
      published again, or fails its items after ``KD_CHUNK_MAX_ATTEMPTS`` attempts;
    - a pending chunk that was never published (the broker was down at commit time), or was
      published longer than ``KD_CHUNK_REQUEUE_SECONDS`` ago, is published (again);
    - an unfinished job without open chunks is closed;
    - an export snapshot still queued after ``KD_CHUNK_REQUEUE_SECONDS`` is published again.
    """
    now = timezone.now()
    report = {"requeued": 0, "exhausted": 0, "published": 0, "closed": 0, "exports": 0}
    expired = list(
        JobChunk.objects.filter(status=JobChunk.Status.RUNNING, lease_expires_at__lt=now)
        .order_by("pk")
        .values_list("pk", "job_id", "attempts")[:1000]
    )
    requeued_jobs: set[int] = set()
    for chunk_id, job_id, attempts in expired:
        if attempts >= settings.KD_CHUNK_MAX_ATTEMPTS:
            message = (
                f"The chunk was attempted {attempts} times and its worker stopped each time "
                "(killed, out of memory, or past the time limit)."
            )
            report["exhausted"] += exhaust_chunk(chunk_id, message, expired_before=now)
            continue
        reset = JobChunk.objects.filter(
            pk=chunk_id, status=JobChunk.Status.RUNNING, lease_expires_at__lt=now
        ).update(
            status=JobChunk.Status.PENDING,
            lease_owner="",
            lease_expires_at=None,
            enqueued_at=None,
            updated_at=now,
        )
        report["requeued"] += reset
        if reset:
            requeued_jobs.add(job_id)
    stale = now - timedelta(seconds=settings.KD_CHUNK_REQUEUE_SECONDS)
    unpublished_jobs = set(
        JobChunk.objects.filter(status=JobChunk.Status.PENDING)
        .filter(
            Q(enqueued_at__isnull=True, job__created_at__lt=now - timedelta(seconds=5))
            | Q(enqueued_at__lt=stale)
        )
        .values_list("job_id", flat=True)[:1000]
    )
    for job_id in sorted(unpublished_jobs | requeued_jobs):
        JobChunk.objects.filter(
            job_id=job_id, status=JobChunk.Status.PENDING, enqueued_at__lt=stale
        ).update(enqueued_at=None)
        report["published"] += enqueue_job_chunks(job_id)
    from annotations.services.exports import publish_stale_exports

    report["exports"] = publish_stale_exports(timedelta(seconds=settings.KD_CHUNK_REQUEUE_SECONDS))
    for job_id in Job.objects.filter(
        kind=Job.Kind.CAPTION, status__in=(Job.Status.QUEUED, Job.Status.RUNNING)
    ).values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            job = Job.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
            if (
                job is not None
                and not JobChunk.objects.filter(job=job, status__in=OPEN_CHUNKS).exists()
            ):
                report["closed"] += int(finish_if_complete(job))
    return report


def exhaust_chunk(chunk_id: int, message: str, *, expired_before: Any = None) -> bool:
    """Fail a running chunk's remaining items after too many attempts; with ``expired_before``
    only when its lease expired before then (the reaper's case)."""
    with transaction.atomic():
        job_id = JobChunk.objects.filter(pk=chunk_id).values_list("job_id", flat=True).first()
        if job_id is None:
            return False
        job = Job.objects.select_for_update().get(pk=job_id)
        chunks = JobChunk.objects.select_for_update().filter(
            pk=chunk_id, status=JobChunk.Status.RUNNING
        )
        if expired_before is not None:
            chunks = chunks.filter(lease_expires_at__lt=expired_before)
        chunk = chunks.first()
        if chunk is None:
            return False
        done = set(JobResult.objects.filter(job=job).values_list("item_id", flat=True))
        JobResult.objects.bulk_create(
            [
                JobResult(job=job, item_id=item_id, status=JobResult.Status.FAILED, error=message)
                for item_id in chunk.item_ids
                if item_id not in done
            ],
            ignore_conflicts=True,
        )
        chunk.status = JobChunk.Status.FAILED
        chunk.error = message[:2000]
        chunk.save(update_fields=["status", "error", "updated_at"])
        finish_if_complete(job)
    return True
