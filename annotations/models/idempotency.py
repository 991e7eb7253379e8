"""Responses remembered by Idempotency-Key, so a retried POST gets the first answer."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """The first successful response to a POST sent with an Idempotency-Key.

    Unique per (user, key): the same key from another user is a different request.
    ``request_hash`` covers method, path and body, so reusing a key for another request is
    detected (422) instead of answered with an unrelated response.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kd_idempotency_records"
    )
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code})"
