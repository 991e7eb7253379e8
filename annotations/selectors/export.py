"""Export records of a dataset, streamed in item-id order in constant memory.

Items are read in keyset batches (``WHERE dataset_id = ? AND id > ? ORDER BY id LIMIT n``,
served by the ``item_dataset_id`` index), and each batch's captions, facts, VQA pairs and audit
event ids in a fixed number of queries, so memory does not grow with the dataset and a client
can resume after the last item id it received. The record's shape is documented in
``annotations/exporters/record.py`` and docs/export.md.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.functions import Cast

from annotations.models import (
    Annotation,
    AuditEvent,
    Caption,
    Dataset,
    Fact,
    Item,
    Review,
    VqaPair,
)

BATCH = 1000
# Captions whose facts people decided on (annotators, a lead, or the annotators' consensus).
PERSON_ORIGINS = (Caption.Origin.ANNOTATOR, Caption.Origin.CONSENSUS, Caption.Origin.ADJUDICATION)
EXT_BY_MIME = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/tiff": "tif",
    "image/bmp": "bmp",
}


@dataclass(frozen=True)
class ExportFilters:
    """Which items, and which caption of each, an export holds."""

    status: str | None = Item.Status.DONE
    min_density: float | None = None
    min_coverage: float | None = None
    reviewed_only: bool = False
    changed_since: datetime | None = None
    caption: str = "final"  # "final": the current caption; "model": the latest model suggestion

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        if self.changed_since is not None:
            values["changed_since"] = self.changed_since.isoformat()
        return values


def pseudonym(user_id: int) -> str:
    """A stable annotator id that does not reveal the account (keyed by the server secret)."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:annotator:{user_id}".encode()).hexdigest()
    return f"annotator-{digest[:8]}"


def _items(dataset: Dataset, filters: ExportFilters) -> Any:
    items = Item.objects.filter(dataset=dataset)
    if filters.status:
        items = items.filter(status=filters.status)
    if filters.min_density is not None:
        items = items.filter(density__gte=filters.min_density)
    if filters.min_coverage is not None:
        items = items.filter(coverage__gte=filters.min_coverage)
    if filters.reviewed_only:
        items = items.filter(
            Exists(Review.objects.filter(item=OuterRef("pk"), status=Review.Status.RESOLVED))
        )
    if filters.changed_since is not None:
        items = items.filter(updated_at__gte=filters.changed_since)
    if filters.caption == "final":
        items = items.filter(current_caption__isnull=False)
    return items


def export_records(
    dataset: Dataset,
    filters: ExportFilters,
    *,
    after_id: int | None = None,
    identities: bool = False,
    batch: int = BATCH,
) -> Iterator[dict[str, Any]]:
    """Every record of the dataset that passes the filters, in item-id order."""
    last = after_id or 0
    base = _items(dataset, filters)
    while True:
        # A batch's reads share one snapshot, so a caption changed between them cannot make
        # an item's record disappear or point at rows the other reads did not see.
        with transaction.atomic():
            if _outermost():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            rows = list(
                base.filter(pk__gt=last)
                .order_by("pk")
                .values(
                    "pk", "external_id", "status", "image_sha256", "image_path", "width",
                    "height", "mime", "current_caption_id", "fact_count", "density", "coverage",
                    "vqa_support",
                )[:batch]
            )  # fmt: skip
            if not rows:
                return
            # The same items as ``rows``, as a subquery: the batch's other reads join on it
            # instead of sending a thousand ids as parameters.
            in_batch = base.filter(pk__gt=last, pk__lte=rows[-1]["pk"])
            records = list(_records(dataset, rows, in_batch, filters, identities))
        yield from records
        last = rows[-1]["pk"]


def _outermost() -> bool:
    """Whether the innermost atomic block is the transaction itself (not a savepoint)."""
    return len(connection.savepoint_ids) == 0 and connection.in_atomic_block


def _records(
    dataset: Dataset,
    rows: list[dict[str, Any]],
    in_batch: Any,
    filters: ExportFilters,
    identities: bool,
) -> Iterator[dict[str, Any]]:
    batch_ids = in_batch.values("pk")
    if filters.caption == "model":
        caption_of = dict(
            Caption.objects.filter(item_id__in=batch_ids, origin=Caption.Origin.MODEL)
            .order_by("item_id", "-created_at", "-pk")
            .distinct("item_id")
            .values_list("item_id", "pk")
        )
        caption_ids: Any = list(caption_of.values())
    else:
        caption_of = {row["pk"]: row["current_caption_id"] for row in rows}
        caption_ids = in_batch.values("current_caption_id")
    captions = {
        c["pk"]: c
        for c in Caption.objects.filter(pk__in=caption_ids).values(
            "pk", "text", "origin", "author_id", "author__username", "model_name",
            "created_at", "parent_id", "word_count", "fact_count", "density", "coverage",
            "vqa_support",
        )
    }  # fmt: skip
    facts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for fact in (
        Fact.objects.filter(caption_id__in=caption_ids)
        .order_by("caption_id", "position")
        .values(
            "caption_id", "kind", "subject", "predicate", "value", "span_start", "span_end",
            "region", "source", "confidence", "entity__key", "entity__label",
            "entity__knowledge_base__name",
        )
    ):  # fmt: skip
        facts[fact["caption_id"]].append(dict(fact))
    vqa: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for pair in (
        VqaPair.objects.filter(item_id__in=batch_ids)
        .order_by("item_id", "pk")
        .values("item_id", "question", "answer", "origin", "is_supported")
    ):
        vqa[pair["item_id"]].append(dict(pair))
    reviews = dict(
        Review.objects.filter(item_id__in=batch_ids, status=Review.Status.RESOLVED)
        .order_by("item_id", "-resolved_at")
        .distinct("item_id")
        .values_list("item_id", "pk")
    )
    annotations = Annotation.objects.filter(
        item_id__in=batch_ids, status=Annotation.Status.SUBMITTED
    )
    annotation_item = dict(annotations.values_list("pk", "item_id"))
    review_item = {review_id: item_id for item_id, review_id in reviews.items()}
    events: dict[int, list[int]] = defaultdict(list)
    for event_id, target_type, target_id in (
        AuditEvent.objects.filter(dataset_id=dataset.pk)
        .filter(
            Q(
                target_type="annotations.item",
                target_id__in=in_batch.annotate(t=Cast("pk", CharField())).values("t"),
            )
            | Q(
                target_type="annotations.annotation",
                target_id__in=annotations.annotate(t=Cast("pk", CharField())).values("t"),
            )
            | Q(target_type="annotations.review", target_id__in=[str(r) for r in review_item])
        )
        .order_by("pk")
        .values_list("pk", "target_type", "target_id")
    ):
        owner = (
            int(target_id)
            if target_type == "annotations.item"
            else annotation_item.get(int(target_id))
            if target_type == "annotations.annotation"
            else review_item.get(int(target_id))
        )
        if owner is not None:
            events[owner].append(event_id)

    def who(user_id: int | None, username: str | None) -> str | None:
        if user_id is None:
            return None
        return username if identities else pseudonym(user_id)

    for row in rows:
        caption = captions.get(caption_of.get(row["pk"]) or -1)
        if caption is None:
            continue
        author = who(caption["author_id"], caption["author__username"])
        ext = EXT_BY_MIME.get(row["mime"], "bin")
        yield {
            "id": row["external_id"],
            "item_id": row["pk"],
            "dataset": dataset.slug,
            "status": row["status"],
            "image": {
                "path": f"images/{row['image_sha256']}.{ext}",
                "url": f"/api/v1/items/{row['pk']}/image/original/",
                "width": row["width"],
                "height": row["height"],
                "mime": row["mime"],
                "sha256": row["image_sha256"],
            },
            "caption": {
                "id": caption["pk"],
                "text": caption["text"],
                "origin": caption["origin"],
                "author": author,
                "model_name": caption["model_name"],
                "created_at": caption["created_at"].isoformat(),
                "parent_id": caption["parent_id"],
            },
            "facts": [
                {
                    "kind": f["kind"],
                    "subject": f["subject"],
                    "predicate": f["predicate"],
                    "value": f["value"],
                    "span": [f["span_start"], f["span_end"]]
                    if f["span_start"] is not None
                    else None,
                    "region": f["region"],
                    "source": f["source"],
                    "confidence": f["confidence"],
                    "entity": {
                        "key": f["entity__key"],
                        "label": f["entity__label"],
                        "knowledge_base": f["entity__knowledge_base__name"],
                    }
                    if f["entity__key"] is not None
                    else None,
                    "decided_by": author if caption["origin"] in PERSON_ORIGINS else None,
                }
                for f in facts[caption["pk"]]
            ],
            "metrics": {
                "facts": caption["fact_count"],
                "words": caption["word_count"],
                "density": caption["density"],
                "coverage": row["coverage"] if filters.caption == "final" else caption["coverage"],
                "vqa_support": row["vqa_support"]
                if filters.caption == "final"
                else caption["vqa_support"],
            },
            "vqa": [
                {
                    "question": pair["question"],
                    "answer": pair["answer"],
                    "origin": pair["origin"],
                    "supported": pair["is_supported"],
                }
                for pair in vqa[row["pk"]]
            ],
            "provenance": {
                "caption_id": caption["pk"],
                "audit_event_ids": events[row["pk"]],
                "review_id": reviews.get(row["pk"]),
            },
        }
