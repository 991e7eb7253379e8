"""Datasets and who works on them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


def empty_dict() -> dict[str, Any]:
    return {}


class Dataset(models.Model):
    """A collection of items with its guidelines and how it is annotated and reviewed."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    guidelines = models.TextField(blank=True, help_text="What annotators are asked to do.")
    annotators_per_item = models.PositiveSmallIntegerField(
        default=1, help_text="How many annotators see each item before it is compared."
    )
    overlap_share = models.FloatField(
        default=1.0,
        help_text=(
            "Share of items (0-1) that get annotators_per_item annotators; the rest get one. "
            "A fixed hash of the item id picks them, so the choice never changes."
        ),
    )
    disagreement_threshold = models.FloatField(
        default=0.3, help_text="Above this disagreement score an item goes to review (0-1)."
    )
    captioner_settings = models.JSONField(default=empty_dict, blank=True)
    metadata = models.JSONField(default=empty_dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(annotators_per_item__gte=1), name="dataset_overlap_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(overlap_share__gte=0) & models.Q(overlap_share__lte=1),
                name="dataset_overlap_share_unit_interval",
            ),
            models.CheckConstraint(
                condition=models.Q(disagreement_threshold__gte=0)
                & models.Q(disagreement_threshold__lte=1),
                name="dataset_threshold_unit_interval",
            ),
        ]

    def __str__(self) -> str:
        return self.slug


class Membership(models.Model):
    """A user's role in one dataset. Staff users are admins everywhere and need none."""

    class Role(models.TextChoices):
        ANNOTATOR = "annotator", "Annotator"
        LEAD = "lead", "Lead"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kd_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "user"], name="membership_one_per_user"),
        ]
        indexes = [
            # "Which datasets may this user see?" runs on every scoped lookup.
            models.Index(fields=["user", "dataset"], name="membership_user_dataset"),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} in {self.dataset}"


class DatasetStat(models.Model):
    """One change to a dataset's inspection figures, written by database triggers.

    The overview of a whole dataset reads these instead of scanning its captions: triggers on
    items, captions and annotations (migration ``0010_dataset_stats``) append, per statement,
    the change each row made to a figure (``n``: a count; ``total``: a sum of metric values),
    under a ``stage`` (``import``, ``model``, ``human_final``, ``current``, ``items``,
    ``progress``, ``model_review``) and a ``key`` (``coverage:3`` for the fourth coverage bin,
    ``coverage:none`` for captions without it, ``coverage:sum`` for the sum of its values,
    ``captions``, ``kind:object``, ``has:object``, ...). A figure is the sum of its rows.
    Rows are only ever appended, so concurrent writers never wait on each other;
    ``annotations.services.stats.compact`` folds a dataset's rows into one per key.

    Index ``stat_dataset``: a dataset's rows.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+", db_index=False)
    stage = models.CharField(max_length=20)
    key = models.CharField(max_length=1000)
    n = models.BigIntegerField()
    total = models.FloatField(default=0.0)

    class Meta:
        indexes = [models.Index(fields=["dataset", "stage", "key"], name="stat_dataset")]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.stage} {self.key} {self.n}"
