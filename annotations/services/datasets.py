"""Creating and deleting datasets."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

from annotations.models import AuditAction, Caption, Dataset, Item
from annotations.services.audit import Actor, audit_record


def dataset_create(*, slug: str, name: str, actor: Actor, **fields: Any) -> Dataset:
    """Create a dataset and record it. ``fields`` are other Dataset fields (guidelines, ...)."""
    with transaction.atomic():
        dataset = Dataset(slug=slug, name=name, created_by_id=actor.user_id, **fields)
        dataset.full_clean()
        dataset.save(force_insert=True)
        audit_record(
            actor=actor,
            action=AuditAction.DATASET_CREATE,
            target=dataset,
            dataset_id=dataset.pk,
            after={"slug": slug, "name": name},
        )
    return dataset


def dataset_update(*, dataset: Dataset, actor: Actor, **changes: Any) -> Dataset:
    """Change a dataset's settings and record before and after."""
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
        before = {field: getattr(dataset, field) for field in changes}
        for field, value in changes.items():
            setattr(dataset, field, value)
        dataset.full_clean()
        dataset.save(update_fields=list(changes))
        if changes:
            audit_record(
                actor=actor,
                action=AuditAction.DATASET_UPDATE,
                target=dataset,
                dataset_id=dataset.pk,
                before=before,
                after=changes,
            )
        if {"annotators_per_item", "overlap_share"} & set(changes):
            from annotations.services.reviews import reconsider_overlap

            reconsider_overlap(dataset=dataset, actor=actor)
    return dataset


def dataset_delete(*, dataset: Dataset, actor: Actor) -> None:
    """Delete a dataset with everything in it, its immutable captions and facts included.

    The only path by which captions and facts may be deleted: it opens the immutability trigger
    for this transaction alone (``SET LOCAL``), and records what was removed.
    """
    with transaction.atomic():
        counts = {
            "items": Item.objects.filter(dataset=dataset).count(),
            "captions": Caption.objects.filter(item__dataset=dataset).count(),
        }
        dataset_id, slug = dataset.pk, dataset.slug
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('kd.dataset_delete', 'on', true)")
            try:
                dataset.delete()
            finally:
                # Closed again at once: an enclosing transaction must not inherit the permission.
                cursor.execute("SELECT set_config('kd.dataset_delete', 'off', true)")
        audit_record(
            actor=actor,
            action=AuditAction.DATASET_DELETE,
            target=("annotations.dataset", dataset_id),
            dataset_id=dataset_id,
            before={"slug": slug, **counts},
        )
