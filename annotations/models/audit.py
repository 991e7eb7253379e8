"""The append-only, hash-chained audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    """Every kind of change the log records. Add to this list; never rename a value."""

    DATASET_CREATE = "dataset.create", "Dataset created"
    DATASET_UPDATE = "dataset.update", "Dataset changed"
    DATASET_DELETE = "dataset.delete", "Dataset deleted"
    DATASET_IMPORT = "dataset.import", "Import finished"
    DATASET_IMPORT_BATCH = "dataset.import_batch", "Import batch committed"
    KNOWLEDGE_BASE_IMPORT = "knowledge_base.import", "Knowledge base imported"
    DEMO_LOAD = "demo.load", "Demo dataset loaded"
    MEMBERSHIP_CHANGE = "membership.change", "Membership changed"
    CAPTION_CREATE = "caption.create", "Caption created"
    ANNOTATION_ASSIGN = "annotation.assign", "Item leased to an annotator"
    ANNOTATION_UPDATE = "annotation.update", "Annotation draft saved"
    ANNOTATION_SKIP = "annotation.skip", "Annotation skipped"
    ANNOTATION_RELEASE = "annotation.release", "Annotation released"
    ANNOTATION_SUBMIT = "annotation.submit", "Annotation submitted"
    REVIEW_OPEN = "review.open", "Review opened"
    REVIEW_CLAIM = "review.claim", "Review claimed"
    REVIEW_RESOLVE = "review.resolve", "Review resolved"
    REVIEW_SEND_BACK = "review.send_back", "Item sent back for re-annotation"
    ITEM_CONSENSUS = "item.consensus", "Annotators agreed; consensus caption final"
    DATASET_EXPORT = "dataset.export", "Data exported"
    EXPORT_DELETE = "export.delete", "Export snapshot deleted"
    JOB_CREATE = "job.create", "Job created"
    JOB_FINISH = "job.finish", "Job finished"
    JOB_CANCEL = "job.cancel", "Job cancel requested"
    TOKEN_CREATE = "token.create", "API token created"
    TOKEN_REVOKE = "token.revoke", "API token revoked"
    ITEM_PRIORITISE = "item.prioritise", "Items' annotation priority set"
    SUGGESTION_CREATE = "suggestion.create", "Fact suggested for an item"


class AuditEvent(models.Model):
    """One change: who, what, on which object, before and after, and the chain hashes.

    Written only by ``annotations.services.audit.audit_record``; triggers refuse UPDATE, DELETE
    and TRUNCATE. ``dataset_id`` and the actor ids are plain columns, not foreign keys: the log
    outlives what it describes (a deleted dataset's history stays).

    Indexes: ``audit_dataset_id`` serves a dataset's history; ``audit_target`` an object's.
    """

    class ActorType(models.TextChoices):
        USER = "user", "User"
        TOKEN = "token", "API token"
        SYSTEM = "system", "System"

    occurred_at = models.DateTimeField()
    actor_type = models.CharField(max_length=8, choices=ActorType.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_token_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200, help_text="Username, token prefix or process.")
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=64)
    dataset_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["prev_hash"], name="audit_chain_no_fork"),
        ]
        indexes = [
            models.Index(fields=["dataset_id", "id"], name="audit_dataset_id"),
            models.Index(fields=["target_type", "target_id", "id"], name="audit_target"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.target_type}:{self.target_id}"
