"""The one way to write the audit log, and the check that it has not been tampered with.

Each event's hash covers a canonical JSON encoding of its fields and the previous event's hash,
so the log is a single chain. Appends are serialised with a transaction-scoped advisory lock
(released at commit or rollback, safe behind connection poolers), and a unique constraint on
``prev_hash`` makes a fork impossible even if the lock were bypassed. Services call
``audit_record`` as their last write, so the lock is held only for the end of a transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, models
from django.utils import timezone

from annotations.models import ApiToken, AuditAction, AuditEvent
from kdapp.request_id import current_request_id

GENESIS_HASH = "0" * 64
# An arbitrary, fixed key for pg_advisory_xact_lock: "KD audit" in ASCII.
_AUDIT_LOCK_KEY = 0x4B44_4155_4449_54


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user, an API token (acting for its user), or a named process."""

    type: str
    label: str
    user_id: int | None = None
    token_id: int | None = None

    @classmethod
    def for_user(cls, user: AbstractBaseUser) -> Actor:
        return cls(AuditEvent.ActorType.USER, user.get_username(), user_id=int(user.pk))

    @classmethod
    def for_token(cls, token: ApiToken) -> Actor:
        return cls(
            AuditEvent.ActorType.TOKEN,
            f"token:{token.prefix}",
            user_id=token.user_id,
            token_id=token.pk,
        )

    @classmethod
    def system(cls, process: str) -> Actor:
        return cls(AuditEvent.ActorType.SYSTEM, f"system:{process}")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    payload = canonical_json({**fields, "prev_hash": prev_hash})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "occurred_at": _timestamp(event.occurred_at),
        "actor_type": event.actor_type,
        "actor_user_id": event.actor_user_id,
        "actor_token_id": event.actor_token_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "dataset_id": event.dataset_id,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
    }


def audit_record(
    *,
    actor: Actor,
    action: AuditAction,
    target: models.Model | tuple[str, str | int],
    dataset_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event for a change made in the current transaction.

    ``target`` is the changed object, or ``(type, id)`` for something that is not a row.
    ``before`` / ``after`` must be JSON-serialisable; they are stored as they would read back.
    Raises ``RuntimeError`` outside a transaction: an event must commit or roll back with the
    change it records.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of its change")
    if isinstance(target, models.Model):
        target_type, target_id = target._meta.label_lower, str(target.pk)
    else:
        target_type, target_id = target[0], str(target[1])
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor_type=actor.type,
        actor_user_id=actor.user_id,
        actor_token_id=actor.token_id,
        actor_label=actor.label[:200],
        action=action,
        target_type=target_type,
        target_id=target_id,
        dataset_id=dataset_id,
        # Round-trip through JSON so the hash covers exactly what the database will return.
        before=None if before is None else json.loads(canonical_json(before)),
        after=None if after is None else json.loads(canonical_json(after)),
        request_id=current_request_id.get() or "",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_LOCK_KEY])
    previous = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event.prev_hash = previous or GENESIS_HASH
    event.hash = event_hash(_hashed_fields(event), event.prev_hash)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    verified: int
    head_hash: str
    problem: ChainProblem | None


def audit_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the chain in id order, a batch at a time, and stop at the first event that fails.

    Batches are read by keyset (``id > last``), so memory stays flat and no long transaction or
    server-side cursor is held; events appended meanwhile are checked when the walk reaches them.
    """
    expected_prev = GENESIS_HASH
    verified, last_id = 0, 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return ChainReport(verified, expected_prev, None)
        for event in batch:
            if event.prev_hash != expected_prev:
                reason = (
                    "previous-hash link broken: an event before it was removed, reordered or "
                    "altered"
                )
                return ChainReport(verified, expected_prev, ChainProblem(event.pk, reason))
            if event_hash(_hashed_fields(event), event.prev_hash) != event.hash:
                reason = "contents do not match its hash: the event was altered"
                return ChainReport(verified, expected_prev, ChainProblem(event.pk, reason))
            expected_prev = event.hash
            verified += 1
        last_id = batch[-1].pk


def audit_head_hash() -> str:
    """The hash of the newest event: what an export manifest anchors."""
    head = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    return head or GENESIS_HASH
