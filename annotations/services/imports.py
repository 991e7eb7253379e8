"""Importing items into a dataset from folders and annotation files, idempotently.

One service behind ``manage.py kd_import`` and the API: parsers (``annotations.importers``) turn
sources into records, the image module validates and stores each image once, and this module
writes items, their import captions, facts and VQA pairs in batches. Each batch is one
transaction with one audit event; the import as a whole is a Job row and a final audit event
with the counts, and every row it created points at that job (items) or at those items.

Idempotence: an item whose external id or image is already in the dataset is "already present"
and left as it is (its caption is not replaced); VQA pairs it does not have yet are added, so a
VQA file imported after the captions of the same images attaches to them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotations.enrichment.metrics import caption_fields
from annotations.images.storage import StoredImage, store_image_file
from annotations.images.validation import ImageRejected
from annotations.importers.formats import read_sources
from annotations.importers.records import ImportRecord, RecordError
from annotations.models import (
    AuditAction,
    Caption,
    Dataset,
    Entity,
    Fact,
    Item,
    Job,
    VqaPair,
)
from annotations.services.audit import Actor, audit_record
from annotations.services.metrics import refresh_item_metrics


@dataclass(frozen=True)
class Rejection:
    source: str
    code: str
    message: str


@dataclass
class ImportSummary:
    job_id: int
    records: int = 0
    imported: int = 0
    already_present: int = 0
    captions: int = 0
    facts: int = 0
    vqa_pairs: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Records handled per second."""
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def counts(self) -> dict[str, int]:
        return {
            "records": self.records,
            "imported": self.imported,
            "already_present": self.already_present,
            "rejected": len(self.rejected),
            "captions": self.captions,
            "facts": self.facts,
            "vqa_pairs": self.vqa_pairs,
        }


def vqa_digest(question: str, answer: str) -> str:
    return hashlib.sha256(f"{question}\x1f{answer}".encode()).hexdigest()


def _batches(results: Iterable[ImportRecord | RecordError], size: int) -> Iterator[list[Any]]:
    iterator = iter(results)
    while batch := list(islice(iterator, size)):
        yield batch


class _ImageCache:
    """Stores each distinct image file once per import, however many records name it."""

    def __init__(self) -> None:
        self._stored: dict[tuple[Path, int, int], StoredImage | ImageRejected] = {}

    def store(self, path: Path) -> StoredImage:
        status = path.stat()
        key = (path, status.st_size, status.st_mtime_ns)
        if key not in self._stored:
            try:
                self._stored[key] = store_image_file(path)
            except ImageRejected as rejection:
                self._stored[key] = rejection
        outcome = self._stored[key]
        if isinstance(outcome, ImageRejected):
            raise outcome
        return outcome


def _entities_by_key(keys: set[str]) -> dict[str, Entity]:
    """Knowledge-base entities for fact links; a key in several bases links to the first by name."""
    found: dict[str, Entity] = {}
    for entity in Entity.objects.filter(key__in=keys).order_by("knowledge_base__name"):
        found.setdefault(entity.key, entity)
    return found


def dataset_import(
    *,
    dataset: Dataset,
    sources: Sequence[Path],
    actor: Actor,
    batch_size: int = 500,
    on_progress: Callable[[ImportSummary], None] | None = None,
) -> ImportSummary:
    """Import every record of ``sources`` into ``dataset``; bad records are reported, not fatal.

    Returns the summary; the same counts are on the Job row and in the final audit event.
    """
    started = time.monotonic()
    with transaction.atomic():
        job = Job.objects.create(
            dataset=dataset,
            kind=Job.Kind.IMPORT,
            status=Job.Status.RUNNING,
            params={"sources": [str(source) for source in sources]},
            requested_by_id=actor.user_id,
            started_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action=AuditAction.JOB_CREATE,
            target=job,
            dataset_id=dataset.pk,
            after={"kind": job.kind, "params": job.params},
        )
    summary = ImportSummary(job_id=job.pk)
    images = _ImageCache()
    try:
        for batch in _batches(read_sources(sources), batch_size):
            _import_batch(dataset, job, batch, images, summary, actor)
            summary.seconds = time.monotonic() - started
            if on_progress is not None:
                on_progress(summary)
    except BaseException as error:
        with transaction.atomic():
            Job.objects.filter(pk=job.pk).update(
                status=Job.Status.FAILED,
                error=f"{type(error).__name__}: {error}"[:2000],
                finished_at=timezone.now(),
                done=summary.imported,
                failed=len(summary.rejected),
            )
        raise

    summary.seconds = time.monotonic() - started
    with transaction.atomic():
        job.status = Job.Status.SUCCEEDED
        job.total, job.done, job.failed = summary.records, summary.imported, len(summary.rejected)
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "total", "done", "failed", "finished_at"])
        audit_record(
            actor=actor,
            action=AuditAction.DATASET_IMPORT,
            target=job,
            dataset_id=dataset.pk,
            after={
                **summary.counts(),
                "sources": [str(source) for source in sources],
                "rejected_sample": [
                    {"source": r.source, "code": r.code} for r in summary.rejected[:20]
                ],
            },
        )
    return summary


def _import_batch(
    dataset: Dataset,
    job: Job,
    batch: list[ImportRecord | RecordError],
    images: _ImageCache,
    summary: ImportSummary,
    actor: Actor,
) -> None:
    summary.records += len(batch)
    records: list[ImportRecord] = []
    for result in batch:
        if isinstance(result, RecordError):
            summary.rejected.append(Rejection(result.source, result.code, result.message))
        else:
            records.append(result)

    # Records whose id is already in the dataset need no image work: on a re-import that is
    # every record, and decoding is by far the slowest step.
    known_ids = set(
        Item.objects.filter(
            dataset=dataset, external_id__in={record.external_id for record in records}
        ).values_list("external_id", flat=True)
    )
    # Images are validated and stored before the transaction, for the same reason; a stored file
    # nobody references is harmless (content-addressed, written once).
    stored: list[tuple[ImportRecord, StoredImage | None]] = []
    for record in records:
        if record.external_id in known_ids:
            stored.append((record, None))
            continue
        try:
            stored.append((record, images.store(record.image_path)))
        except ImageRejected as rejection:
            summary.rejected.append(Rejection(record.source, rejection.code, rejection.message))
        except OSError as error:
            summary.rejected.append(
                Rejection(record.source, "image_unreadable", f"cannot read the image: {error}")
            )

    with transaction.atomic():
        # One import at a time per dataset: concurrent imports of the same files would otherwise
        # race on the unique (dataset, external id) and (dataset, image) constraints.
        Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
        existing_by_id = dict(
            Item.objects.filter(
                dataset=dataset, external_id__in={record.external_id for record, _ in stored}
            ).values_list("external_id", "pk")
        )
        existing_by_sha = dict(
            Item.objects.filter(
                dataset=dataset,
                image_sha256__in={image.sha256 for _, image in stored if image is not None},
            ).values_list("image_sha256", "pk")
        )
        new: list[tuple[ImportRecord, Item]] = []
        vqa_for_existing: list[VqaPair] = []
        # A record whose item is already there (by id or by image, in the database or earlier in
        # this batch) adds only the VQA pairs that item lacks; the same rule on every run keeps
        # a re-import from adding anything.
        duplicates_of_new: list[tuple[ImportRecord, Item]] = []
        new_by_id: dict[str, Item] = {}
        new_by_sha: dict[str, Item] = {}
        for record, image in stored:
            present = existing_by_id.get(record.external_id)
            if present is None and image is not None:
                present = existing_by_sha.get(image.sha256)
            if present is not None or image is None:
                summary.already_present += 1
                if present is not None:
                    vqa_for_existing.extend(_vqa_rows(present, record))
                continue
            earlier = new_by_id.get(record.external_id) or new_by_sha.get(image.sha256)
            if earlier is not None:
                summary.already_present += 1
                duplicates_of_new.append((record, earlier))
                continue
            item = Item(
                dataset=dataset,
                external_id=record.external_id,
                image_sha256=image.sha256,
                image_path=image.path,
                width=image.width,
                height=image.height,
                mime=image.mime,
                byte_size=image.byte_size,
                source=record.source[:1000],
                metadata=record.metadata,
                import_job=job,
            )
            new.append((record, item))
            new_by_id[record.external_id] = item
            new_by_sha[image.sha256] = item

        Item.objects.bulk_create([item for _, item in new], batch_size=1000)
        captions: list[tuple[ImportRecord, Item, Caption]] = []
        for record, item in new:
            if record.caption is None:
                continue
            # A new item has no final caption yet: its reference is its VQA pairs.
            caption = Caption(
                item=item,
                text=record.caption,
                origin=Caption.Origin.IMPORT,
                **caption_fields(
                    record.caption,
                    [(f.subject, f.predicate, f.value) for f in record.facts],
                    [],
                    list(dict.fromkeys((pair.question, pair.answer) for pair in record.vqa)),
                ),
            )
            captions.append((record, item, caption))
        Caption.objects.bulk_create([caption for _, _, caption in captions], batch_size=1000)

        entities = _entities_by_key(
            {f.entity_key for record, _, _ in captions for f in record.facts if f.entity_key}
        )
        facts_to_create = [
            Fact(
                caption=caption,
                position=position,
                kind=fact.kind,
                subject=fact.subject,
                predicate=fact.predicate,
                value=fact.value,
                span_start=fact.span[0] if fact.span else None,
                span_end=fact.span[1] if fact.span else None,
                source=Fact.Source.IMPORT,
                confidence=fact.confidence,
                entity=entities.get(fact.entity_key) if fact.entity_key else None,
            )
            for record, _, caption in captions
            for position, fact in enumerate(record.facts)
        ]
        Fact.objects.bulk_create(facts_to_create, batch_size=2000)

        for _, item, caption in captions:
            item.current_caption = caption
        Item.objects.bulk_update([item for _, item, _ in captions], ["current_caption"])

        unique_rows = {
            (row.item_id, row.digest): row
            for record, item in [*new, *duplicates_of_new]
            for row in _vqa_rows(item.pk, record)
        }
        vqa_rows = list(unique_rows.values())
        if vqa_for_existing:
            # Under the dataset lock, so nothing can add these pairs between check and insert.
            known = set(
                VqaPair.objects.filter(
                    item_id__in={pair.item_id for pair in vqa_for_existing},
                    digest__in={pair.digest for pair in vqa_for_existing},
                ).values_list("item_id", "digest")
            )
            unique_new = {(pair.item_id, pair.digest): pair for pair in vqa_for_existing}
            vqa_rows += [
                pair
                for key, pair in unique_new.items()
                if key not in known and key not in unique_rows
            ]
        VqaPair.objects.bulk_create(vqa_rows, batch_size=2000)
        refresh_item_metrics([item.pk for _, item in new] + [pair.item_id for pair in vqa_rows])

        counts = {
            "imported": len(new),
            "captions": len(captions),
            "facts": len(facts_to_create),
            "vqa_pairs": len(vqa_rows),
        }
        summary.imported += counts["imported"]
        summary.captions += counts["captions"]
        summary.facts += counts["facts"]
        summary.vqa_pairs += counts["vqa_pairs"]
        if any(counts.values()):
            audit_record(
                actor=actor,
                action=AuditAction.DATASET_IMPORT_BATCH,
                target=job,
                dataset_id=dataset.pk,
                after={
                    **counts,
                    "first_item_id": new[0][1].pk if new else None,
                    "last_item_id": new[-1][1].pk if new else None,
                },
            )


def _vqa_rows(item_id: int, record: ImportRecord) -> list[VqaPair]:
    rows: dict[str, VqaPair] = {}
    for pair in record.vqa:
        digest = vqa_digest(pair.question, pair.answer)
        rows.setdefault(
            digest,
            VqaPair(
                item_id=item_id,
                question=pair.question,
                answer=pair.answer,
                digest=digest,
                origin=VqaPair.Origin.IMPORT,
            ),
        )
    return list(rows.values())
