"""Acting on what inspection finds: raise items' annotation priority, suggest facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotations.models import (
    Annotation,
    AuditAction,
    Dataset,
    Entity,
    FactSuggestion,
    Item,
    VqaPair,
)
from annotations.selectors.gaps import fact_digest
from annotations.selectors.items import ItemFilters, filtered_items
from annotations.services.audit import Actor, audit_record
from annotations.services.jobs import selected_item_ids
from annotations.services.metrics import refresh_item_metrics

OPEN_STATUSES = (Item.Status.PENDING, Item.Status.IN_ANNOTATION)


@dataclass(frozen=True)
class PrioritiseResult:
    matched: int
    updated: int
    not_open: int
    reopened: int = 0


def items_prioritise(
    *,
    dataset: Dataset,
    actor: Actor,
    priority: int,
    item_ids: Sequence[int] | None = None,
    filters: ItemFilters | None = None,
    reopen: bool = False,
) -> PrioritiseResult:
    """Set the annotation priority of the selected items, in one transaction and one audit
    event.

    Every selected item takes the priority; the queue serves only open items (pending or in
    annotation), highest priority first, so the result says how many of them were open. With
    ``reopen``, the selected done items go back to annotation first: their submissions stop
    counting (returned, as when a lead sends an item back; their annotators may take it
    again), the item is pending again with its final caption as the next annotators' base,
    and its metrics are measured against what is then its reference.
    """
    with transaction.atomic():
        if item_ids is not None:
            items = Item.objects.filter(pk__in=selected_item_ids(dataset, item_ids, None))
        else:
            items = filtered_items(dataset=dataset, filters=filters or ItemFilters())
        items = Item.objects.filter(pk__in=items.values("pk"))
        reopened: list[int] = []
        if reopen:
            reopened = list(
                items.filter(status=Item.Status.DONE)
                .select_for_update()
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            now = timezone.now()
            Annotation.objects.filter(
                item_id__in=reopened, status=Annotation.Status.SUBMITTED
            ).update(status=Annotation.Status.RETURNED, updated_at=now)
            Item.objects.filter(pk__in=reopened).update(status=Item.Status.PENDING, updated_at=now)
            refresh_item_metrics(reopened)
        # Two UPDATEs rather than counts and one UPDATE: the figures are the rows written.
        opened = items.filter(status__in=OPEN_STATUSES).update(priority=priority)
        not_open = items.exclude(status__in=OPEN_STATUSES).update(priority=priority)
        matched = opened + not_open
        if matched == 0:
            raise ValidationError(
                {"selection": [ValidationError("No item matches this selection.", code="empty")]}
            )
        audit_record(
            actor=actor,
            action=AuditAction.ITEM_PRIORITISE,
            target=dataset,
            dataset_id=dataset.pk,
            after={
                "priority": priority,
                "items": matched,
                "reopened": reopened[:1000],
                "selection": (
                    {"item_ids": sorted(set(item_ids))[:1000]}
                    if item_ids is not None
                    else {"filters": (filters or ItemFilters()).as_dict()}
                ),
            },
        )
    return PrioritiseResult(
        matched=matched, updated=opened, not_open=not_open, reopened=len(reopened)
    )


def suggestion_create(
    *,
    item: Item,
    actor: Actor,
    kind: str,
    subject: str,
    predicate: str,
    value: str,
    gap: str,
    vqa_pair_id: int | None = None,
    entity_key: str | None = None,
    knowledge_base: str | None = None,
) -> tuple[FactSuggestion, bool]:
    """Suggest a fact for an item's annotators; ``(suggestion, created)``. The actor is a
    user (a session or a user's API token).

    The same fact (after normalisation) suggested again returns the first suggestion.
    """
    digest = fact_digest(subject, predicate, value)
    existing = FactSuggestion.objects.filter(item=item, digest=digest).first()
    if existing is not None:
        return existing, False
    vqa_pair = None
    if vqa_pair_id is not None:
        vqa_pair = VqaPair.objects.filter(pk=vqa_pair_id, item=item).first()
        if vqa_pair is None:
            raise ValidationError(
                {"vqa_pair_id": [ValidationError("Not a VQA pair of this item.", code="invalid")]}
            )
    entity = None
    if entity_key is not None:
        entities = Entity.objects.filter(key=entity_key)
        if knowledge_base is not None:
            entities = entities.filter(knowledge_base__name=knowledge_base)
        entity = entities.order_by("pk").first()
        if entity is None:
            raise ValidationError(
                {
                    "entity_key": [
                        ValidationError("No knowledge-base entity has this key.", code="invalid")
                    ]
                }
            )
    try:
        with transaction.atomic():
            suggestion = FactSuggestion.objects.create(
                item=item,
                kind=kind,
                subject=subject,
                predicate=predicate,
                value=value,
                digest=digest,
                gap=gap,
                vqa_pair=vqa_pair,
                entity=entity,
                created_by_id=int(actor.user_id or 0),
            )
            audit_record(
                actor=actor,
                action=AuditAction.SUGGESTION_CREATE,
                target=suggestion,
                dataset_id=item.dataset_id,
                after={
                    "item": item.pk,
                    "kind": kind,
                    "subject": subject,
                    "predicate": predicate,
                    "value": value,
                    "gap": gap,
                },
            )
    except IntegrityError as error:
        if "suggestion_once_per_item" not in str(error):
            raise
        # A concurrent request suggested the same fact first.
        return FactSuggestion.objects.get(item=item, digest=digest), False
    return suggestion, True
