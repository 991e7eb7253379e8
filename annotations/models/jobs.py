"""Background work as rows: jobs, the chunks workers claim, and per-item results."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Value
from django.db.models.lookups import Exact

from annotations.models.datasets import Dataset, empty_dict
from annotations.models.items import Caption, Item
from annotations.models.knowledge import empty_list


class Job(models.Model):
    """Requested background work: caption regeneration, an import, an export build.

    Index ``job_dataset_created``: a dataset's jobs, newest first.
    """

    class Kind(models.TextChoices):
        CAPTION = "caption", "Caption regeneration"
        IMPORT = "import", "Import"
        EXPORT = "export", "Export build"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    params = models.JSONField(default=empty_dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kd_jobs",
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    is_cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["dataset", "-created_at"], name="job_dataset_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.status})"


class JobChunk(models.Model):
    """A batch of a job's items that one worker claims with a lease.

    A worker claims a chunk with one conditional UPDATE (``WHERE id = ? AND (status = 'pending'
    OR (status = 'running' AND lease_expires_at < now()))``); index ``chunk_claim`` serves the
    reaper's scan for expired leases and for chunks whose task never reached the broker.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="chunks")
    sequence = models.PositiveIntegerField()
    item_ids = models.JSONField(default=empty_list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When its task was last handed to the broker."
    )
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "sequence"], name="chunk_sequence_per_job"),
        ]
        indexes = [
            models.Index(
                fields=["status", "lease_expires_at"],
                condition=models.Q(status__in=["pending", "running"]),
                name="chunk_claim",
            ),
        ]

    def __str__(self) -> str:
        return f"chunk {self.sequence} of job {self.job_id} ({self.status})"


class JobResult(models.Model):
    """What a job did to one item; unique per (job, item), so a replayed chunk is a no-op."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="job_results")
    status = models.CharField(max_length=16, choices=Status.choices)
    caption = models.ForeignKey(
        Caption, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "item"], name="job_result_one_per_item"),
        ]

    def __str__(self) -> str:
        return f"job {self.job_id} on item {self.item_id}: {self.status}"


class Export(models.Model):
    """An immutable snapshot of a dataset in one format, with a manifest of its files."""

    class Format(models.TextChoices):
        JSONL = "jsonl", "JSONL"
        PARQUET = "parquet", "Parquet"
        WEBDATASET = "webdataset", "WebDataset"
        LLAVA = "llava", "LLaVA conversations"
        COCO = "coco", "COCO captions"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=16, choices=Format.choices)
    filters = models.JSONField(default=empty_dict, blank=True)
    files = models.JSONField(default=empty_list, blank=True, help_text="[{name, sha256, bytes}]")
    record_count = models.PositiveIntegerField(default=0)
    audit_head_hash = models.CharField(max_length=64, blank=True)
    job = models.OneToOneField(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="export"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["dataset", "-created_at"], name="export_dataset_created"),
        ]

    def __str__(self) -> str:
        return f"{self.format} export {self.pk} of dataset {self.dataset_id}"


class TokenScope(models.TextChoices):
    """What an API token may do (``ApiToken.Scope``). ``manage`` includes the other two;
    ``annotate`` and ``export:read`` are independent of each other."""

    EXPORT_READ = "export:read", "Read datasets, items and finished data"
    ANNOTATE = "annotate", "Work the annotation queue and write annotations"
    MANAGE = "manage", "Everything the user may do"


def validate_token_scopes(value: object) -> None:
    """A token's scopes: a non-empty list of distinct ``TokenScope`` values.

    Messages never quote the input, so a hostile value cannot break the error response.
    """
    if not isinstance(value, list) or not value:
        raise ValidationError("Give a list of at least one scope.", code="scopes_empty")
    if not all(isinstance(scope, str) and scope in TokenScope.values for scope in value):
        raise ValidationError(
            f"Unknown scope: use {', '.join(TokenScope.values)}.", code="scope_unknown"
        )
    if len(set(value)) != len(value):
        raise ValidationError("Each scope may be given once.", code="scope_repeated")


class ApiToken(models.Model):
    """A bearer token for scripts and training jobs, acting for its user within its scopes.

    The secret (``kd_<prefix>_<random>``) is shown once when the token is made; only its sha256
    (``key_hash``) is stored, and ``prefix`` names the token in lists and the audit log. With
    ``dataset`` set the token reaches that dataset alone, otherwise every dataset its user may
    see. Created and revoked only through ``annotations.services.tokens``.
    """

    Scope = TokenScope

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kd_api_tokens"
    )
    name = models.CharField(max_length=200)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, help_text="sha256 hex of the secret.")
    scopes = models.JSONField(
        validators=[validate_token_scopes],
        help_text="Distinct scope names: export:read, annotate, manage.",
    )
    dataset = models.ForeignKey(
        Dataset, null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # What the validator checks, held by the database too: rows written around the
            # service (admin, shell, a bulk update) cannot carry a scope the code does not know.
            models.CheckConstraint(
                condition=models.Q(
                    Exact(
                        Func(F("scopes"), function="jsonb_typeof", output_field=models.TextField()),
                        Value("array"),
                    ),
                    scopes__contained_by=TokenScope.values,
                )
                & ~models.Q(scopes=[]),
                name="api_token_scopes_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_active_at(self, moment: datetime) -> bool:
        """Not revoked and not expired at ``moment``."""
        return self.revoked_at is None and (self.expires_at is None or moment < self.expires_at)


__all__ = ["ApiToken", "Export", "Job", "JobChunk", "JobResult", "TokenScope"]
