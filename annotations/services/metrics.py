"""Keeping items' metric columns and VQA support flags in step with their captions.

The definitions live in ``annotations.enrichment.metrics``; this module only reads what they
need in a fixed number of queries per batch and writes the results back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from annotations.enrichment.metrics import (
    Triple,
    entity_facts_missing,
    item_metrics,
    normalize_fact,
)
from annotations.models import Caption, Entity, Fact, Item, VqaPair

BATCH = 2000
FINAL_ORIGINS = Caption.FINAL_ORIGINS
METRIC_FIELDS = ("fact_count", "density", "coverage", "vqa_support")
STORED_FIELDS = (*METRIC_FIELDS, "kind_counts", "entity_gaps")


def refresh_item_metrics(item_ids: Iterable[int]) -> int:
    """Recompute the metrics of these items; returns how many items changed.

    Five queries per batch of items whatever its size: items, their current captions' facts,
    their final captions' facts, their VQA pairs, and the two bulk updates.
    """
    changed = 0
    for batch in _batches(sorted(set(item_ids))):
        changed += _refresh_batch(batch)
    return changed


def refresh_dataset_metrics(dataset_id: int) -> int:
    """Recompute every item of a dataset (after a change to the metric definitions)."""
    ids = Item.objects.filter(dataset_id=dataset_id).order_by("pk").values_list("pk", flat=True)
    return refresh_item_metrics(ids.iterator(chunk_size=BATCH))


def item_references(
    item_ids: Iterable[int],
) -> dict[int, tuple[list[Triple], list[tuple[str, str]]]]:
    """Per item: the facts of its final caption and its VQA pairs, in three queries.

    What a caption created now is measured against (``enrichment.metrics.caption_fields``).
    """
    ids = list(item_ids)
    references: dict[int, tuple[list[Triple], list[tuple[str, str]]]] = {
        item_id: ([], []) for item_id in ids
    }
    final_caption_of = dict(
        Item.objects.filter(
            pk__in=ids,
            status=Item.Status.DONE,
            current_caption__origin__in=FINAL_ORIGINS,
        ).values_list("current_caption_id", "pk")
    )
    for caption_id, subject, predicate, value in (
        Fact.objects.filter(caption_id__in=list(final_caption_of))
        .order_by("caption_id", "position")
        .values_list("caption_id", "subject", "predicate", "value")
    ):
        references[final_caption_of[caption_id]][0].append((subject, predicate, value))
    for item_id, question, answer in (
        VqaPair.objects.filter(item_id__in=ids)
        .order_by("pk")
        .values_list("item_id", "question", "answer")
    ):
        references[item_id][1].append((question, answer))
    return references


def _entity_gaps(
    entities: dict[int, Entity], linked: set[int], facts: list[Triple]
) -> dict[str, int]:
    """Per linked entity (by id), how many of its facts the caption does not hold."""
    held = {normalize_fact(*fact) for fact in facts}
    return {
        str(entity_id): len(
            entity_facts_missing(entities[entity_id].label, entities[entity_id].facts, held)
        )
        for entity_id in sorted(linked)
        if entity_id in entities
    }


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _refresh_batch(item_ids: list[int]) -> int:
    items = list(
        Item.objects.filter(pk__in=item_ids).select_related("current_caption").only(
            "pk", "status", "fact_count", "density", "coverage", "vqa_support", "kind_counts",
            "entity_gaps",
            "current_caption__text", "current_caption__origin",
        )
    )  # fmt: skip
    current_ids = [item.current_caption_id for item in items if item.current_caption_id]
    final_ids = {
        item.current_caption_id
        for item in items
        if item.current_caption is not None
        and item.status == Item.Status.DONE
        and item.current_caption.origin in FINAL_ORIGINS
    }
    facts_by_caption: dict[int, list[Triple]] = defaultdict(list)
    kinds_by_caption: dict[int, dict[str, int]] = defaultdict(dict)
    entities_by_caption: dict[int, set[int]] = defaultdict(set)
    for caption_id, kind, subject, predicate, value, entity_id in (
        Fact.objects.filter(caption_id__in=current_ids)
        .order_by("caption_id", "position")
        .values_list("caption_id", "kind", "subject", "predicate", "value", "entity_id")
    ):
        facts_by_caption[caption_id].append((subject, predicate, value))
        kinds = kinds_by_caption[caption_id]
        kinds[kind] = kinds.get(kind, 0) + 1
        if entity_id is not None:
            entities_by_caption[caption_id].add(entity_id)
    entities = {
        entity.pk: entity
        for entity in Entity.objects.filter(pk__in=set().union(*entities_by_caption.values())).only(
            "pk", "label", "facts"
        )
    }
    pairs_by_item: dict[int, list[VqaPair]] = defaultdict(list)
    for pair in (
        VqaPair.objects.filter(item_id__in=item_ids)
        .order_by("pk")
        .only("pk", "item_id", "question", "answer", "is_supported")
    ):
        pairs_by_item[pair.item_id].append(pair)

    items_to_save: list[Item] = []
    pairs_to_save: list[VqaPair] = []
    for item in items:
        pairs = pairs_by_item[item.pk]
        caption = item.current_caption
        metrics = item_metrics(
            (caption.text, facts_by_caption[caption.pk]) if caption is not None else None,
            facts_by_caption[caption.pk] if caption is not None and caption.pk in final_ids else [],
            [(pair.question, pair.answer) for pair in pairs],
        )
        fields: dict[str, object] = {
            **metrics.as_fields(),
            "kind_counts": dict(sorted(kinds_by_caption[caption.pk].items()))
            if caption is not None
            else {},
            "entity_gaps": _entity_gaps(
                entities, entities_by_caption[caption.pk], facts_by_caption[caption.pk]
            )
            if caption is not None
            else {},
        }
        if any(getattr(item, name) != stored for name, stored in fields.items()):
            for name, stored in fields.items():
                setattr(item, name, stored)
            items_to_save.append(item)
        for pair, supported in zip(pairs, metrics.supported, strict=True):
            flag = supported if caption is not None else None
            if pair.is_supported != flag:
                pair.is_supported = flag
                pairs_to_save.append(pair)
    if items_to_save:
        Item.objects.bulk_update(items_to_save, list(STORED_FIELDS), batch_size=BATCH)
    if pairs_to_save:
        VqaPair.objects.bulk_update(pairs_to_save, ["is_supported"], batch_size=BATCH)
    return len(items_to_save)
