"""Human work on items: annotation passes and the leads' reviews."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from annotations.models.datasets import Dataset, empty_dict
from annotations.models.items import Caption, Item
from annotations.models.knowledge import empty_list


class Annotation(models.Model):
    """One annotator's pass over one item.

    ``decisions`` maps a base fact id to ``{"verdict": "accepted"|"edited"|"rejected", ...}``;
    ``added_facts`` lists new facts. ``version`` is the optimistic-concurrency counter behind
    ETag / If-Match.

    Indexes: ``annotation_annotator_status`` serves "my open work" and the queue's "not done by
    this user"; ``annotation_lease`` serves the reaper that expires abandoned leases.
    """

    class Status(models.TextChoices):
        ASSIGNED = "assigned", "Assigned"
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        SKIPPED = "skipped", "Skipped"
        EXPIRED = "expired", "Expired"
        # A submission a lead sent back for re-annotation: it no longer counts towards the
        # item's overlap, and its annotator may take the item again.
        RETURNED = "returned", "Returned"

    OPEN_STATUSES = (Status.ASSIGNED, Status.DRAFT)

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="annotations")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kd_annotations"
    )
    base_caption = models.ForeignKey(
        Caption, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ASSIGNED)
    decisions = models.JSONField(default=empty_dict, blank=True)
    added_facts = models.JSONField(default=empty_list, blank=True)
    draft_text = models.TextField(blank=True)
    result_caption = models.ForeignKey(
        Caption, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    time_spent_ms = models.PositiveBigIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "annotator"],
                condition=models.Q(status__in=["assigned", "draft"]),
                name="annotation_one_open_per_annotator",
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="annotation_version"),
        ]
        indexes = [
            models.Index(fields=["annotator", "status"], name="annotation_annotator_status"),
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status__in=["assigned", "draft"]),
                name="annotation_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"annotation {self.pk} of item {self.item_id} by {self.annotator_id}"


class Review(models.Model):
    """A lead's adjudication of an item whose annotations disagree.

    Index ``review_queue``: the leads' queue, open reviews of a dataset by disagreement.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        SENT_BACK = "sent_back", "Sent back for re-annotation"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="reviews")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="reviews")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    disagreement = models.FloatField()
    disagreement_parts = models.JSONField(default=empty_dict, blank=True)
    resolving_caption = models.ForeignKey(
        Caption, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kd_reviews",
    )
    notes = models.TextField(blank=True)
    annotations = models.ManyToManyField(
        Annotation, blank=True, related_name="reviews", help_text="The submissions compared."
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kd_claimed_reviews",
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=models.Q(status="open"), name="review_one_open_per_item"
            ),
            models.CheckConstraint(
                condition=models.Q(disagreement__gte=0) & models.Q(disagreement__lte=1),
                name="review_disagreement_unit_interval",
            ),
        ]
        indexes = [
            models.Index(
                fields=["dataset", "-disagreement", "id"],
                condition=models.Q(status="open"),
                name="review_queue",
            ),
        ]
        # Leads claim the next open review with FOR UPDATE SKIP LOCKED over review_queue; a
        # claim is a lease (claimed_by, lease_expires_at) that lapses like an annotation's.

    def __str__(self) -> str:
        return f"review {self.pk} of item {self.item_id}"
