"""The annotation queue and an annotator's pass over an item: lease, draft, submit, skip, release.

Concurrency: the queue picks items with ``SELECT ... FOR UPDATE SKIP LOCKED``, so parallel
annotators never block on, or receive, the same candidate; drafts are compare-and-set on their
``version`` (ETag / If-Match), so two tabs can never silently overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from annotations.enrichment.metrics import caption_fields
from annotations.errors import ConflictError, DomainError, PreconditionFailedError
from annotations.models import Annotation, AuditAction, Caption, Dataset, Fact, Item
from annotations.models.items import MAX_CAPTION_LENGTH
from annotations.services.audit import Actor, audit_record
from annotations.services.metrics import item_references, refresh_item_metrics

LEASE = timedelta(minutes=30)
OPEN = [Annotation.Status.ASSIGNED, Annotation.Status.DRAFT]


class InvalidSubmission(DomainError):
    status_code = 400
    code = "invalid_submission"


def _expire_leases(dataset: Dataset) -> None:
    Annotation.objects.filter(
        item__dataset=dataset, status__in=OPEN, lease_expires_at__lt=timezone.now()
    ).update(status=Annotation.Status.EXPIRED, updated_at=timezone.now())


# Overlap sampling: with overlap_share < 1, an item gets annotators_per_item annotators when a
# fixed multiplicative hash of its id falls under the share (per mille), else one. The same
# arithmetic runs in SQL (the queue) and in Python (required_annotations).
_HASH_MULTIPLIER = 2654435761
_HASH_MODULUS = 4294967296


def overlap_sampled(item_id: int, share: float) -> bool:
    return share >= 1 or (item_id * _HASH_MULTIPLIER) % _HASH_MODULUS % 1000 < round(share * 1000)


def required_annotations(item_id: int, dataset: Dataset) -> int:
    """How many annotators this item needs before it is compared (k, or 1 outside the sample)."""
    k = dataset.annotators_per_item
    return k if k > 1 and overlap_sampled(item_id, dataset.overlap_share) else 1


# Items that still need annotators, that this user has never had (a submission sent back by a
# lead does not count), in id order; the first one nobody else is locking right now. Active
# annotations are submitted ones and open ones with a live lease; expired, skipped and released
# passes give the slot back.
_NEXT_ITEM_SQL = """
SELECT item.id FROM annotations_item AS item
WHERE item.dataset_id = %(dataset)s
  AND item.status IN ('pending', 'in_annotation')
  AND NOT EXISTS (
      SELECT 1 FROM annotations_annotation AS mine
      WHERE mine.item_id = item.id AND mine.annotator_id = %(user)s
        AND mine.status <> 'returned'
  )
  AND (
      SELECT count(*) FROM annotations_annotation AS active
      WHERE active.item_id = item.id
        AND (active.status = 'submitted'
             OR (active.status IN ('assigned', 'draft') AND active.lease_expires_at > now()))
  ) < CASE
        WHEN %(overlap)s > 1 AND (%(permille)s >= 1000
             OR (item.id * 2654435761) %% 4294967296 %% 1000 < %(permille)s)
        THEN %(overlap)s ELSE 1
      END
  AND NOT (item.id = ANY(%(passed)s))
ORDER BY item.priority DESC, item.id
LIMIT 1
FOR UPDATE OF item SKIP LOCKED
"""


def _lock_next_item(dataset: Dataset, user: AbstractBaseUser) -> Item | None:
    """Lock the next item for ``user``, re-checked once its row lock is held.

    The selecting statement sees the annotations committed when it started; a transaction that
    leased the same item and committed in between released the row lock to this one. So the
    item's slots are counted again with a fresh statement, and a full item is passed over.
    """
    passed: list[int] = []
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                _NEXT_ITEM_SQL,
                {
                    "dataset": dataset.pk,
                    "user": user.pk,
                    "overlap": dataset.annotators_per_item,
                    "permille": round(dataset.overlap_share * 1000),
                    "passed": passed,
                },
            )
            row = cursor.fetchone()
        if row is None:
            return None
        item = Item.objects.get(pk=row[0])
        active = Annotation.objects.filter(item=item).filter(
            Q(status=Annotation.Status.SUBMITTED)
            | Q(status__in=OPEN, lease_expires_at__gt=timezone.now())
        )
        mine = Annotation.objects.filter(item=item, annotator_id=user.pk).exclude(
            status=Annotation.Status.RETURNED
        )
        if active.count() < required_annotations(item.pk, dataset) and not mine.exists():
            return item
        passed.append(item.pk)


def queue_next(*, dataset: Dataset, user: AbstractBaseUser, actor: Actor) -> Annotation | None:
    """Lease the next item this user should annotate, or return None when there is none.

    A user who already holds a live lease in the dataset gets that annotation back (a second
    click or a second tab), so one person holds at most one lease per dataset.
    """
    with transaction.atomic():
        current = (
            Annotation.objects.filter(
                item__dataset=dataset,
                annotator_id=user.pk,
                status__in=OPEN,
                lease_expires_at__gt=timezone.now(),
            )
            .order_by("pk")
            .first()
        )
        if current is not None:
            return current
        _expire_leases(dataset)
        item = _lock_next_item(dataset, user)
        if item is None:
            return None
        lease_expires_at = timezone.now() + LEASE
        annotation = Annotation.objects.create(
            item=item,
            annotator_id=user.pk,
            base_caption_id=item.current_caption_id,
            status=Annotation.Status.ASSIGNED,
            draft_text=item.current_caption.text if item.current_caption else "",
            lease_expires_at=lease_expires_at,
        )
        if item.status == Item.Status.PENDING:
            item.status = Item.Status.IN_ANNOTATION
            item.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.ANNOTATION_ASSIGN,
            target=annotation,
            dataset_id=dataset.pk,
            after={"item": item.pk, "lease_expires_at": lease_expires_at.isoformat()},
        )
    return annotation


def _locked_open(annotation: Annotation, user: AbstractBaseUser, version: int | None) -> Annotation:
    """The annotation row locked for change, if it is the caller's, open, and at ``version``."""
    locked = Annotation.objects.select_for_update().get(pk=annotation.pk)
    if locked.annotator_id != user.pk:
        raise ConflictError("Only the annotator who holds this annotation can change it.")
    if version is not None and locked.version != version:
        raise PreconditionFailedError(
            f"The annotation changed since version {version}; it is now at version "
            f"{locked.version}.",
            extra={"current_version": locked.version},
        )
    if locked.status not in OPEN:
        raise ConflictError(
            f"The annotation is {locked.status}; it can no longer change.",
            extra={"status": locked.status},
        )
    return locked


DRAFT_FIELDS = ("decisions", "added_facts", "draft_text", "time_spent_ms")


def annotation_save_draft(
    *,
    annotation: Annotation,
    user: AbstractBaseUser,
    version: int,
    changes: dict[str, Any],
    actor: Actor,
) -> Annotation:
    """Store draft changes if ``version`` is current (else 412); extends the lease."""
    with transaction.atomic():
        locked = _locked_open(annotation, user, version)
        before = {field: getattr(locked, field) for field in changes}
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.status = Annotation.Status.DRAFT
        locked.version = F("version") + 1
        locked.lease_expires_at = timezone.now() + LEASE
        locked.save(update_fields=[*changes, "status", "version", "lease_expires_at", "updated_at"])
        locked.refresh_from_db()
        audit_record(
            actor=actor,
            action=AuditAction.ANNOTATION_UPDATE,
            target=locked,
            dataset_id=locked.item.dataset_id,
            before=before,
            after={**changes, "version": locked.version},
        )
    return locked


@dataclass(frozen=True)
class Verdict:
    fact_id: int
    verdict: str  # accepted | edited | rejected
    value: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class NewFact:
    kind: str
    subject: str
    predicate: str
    value: str
    span: tuple[int, int] | None = None


def _check_span(span: tuple[int, int] | None, text: str, where: str) -> None:
    if span is not None and not 0 <= span[0] < span[1] <= len(text):
        raise InvalidSubmission(
            f"{where}: span {list(span)} is not inside the caption ({len(text)} characters).",
            extra={"where": where},
        )


def base_facts_of(caption_id: int | None) -> dict[int, Fact]:
    """The facts of the caption annotators started from, by id, in caption order."""
    if caption_id is None:
        return {}
    return {f.pk: f for f in Fact.objects.filter(caption_id=caption_id).order_by("position")}


def make_final(item: Item, caption_id: int | None) -> None:
    """Mark the item done with this caption as its final one, and refresh its metrics.

    The caller holds the item's row lock."""
    item.status = Item.Status.DONE
    item.current_caption_id = caption_id
    item.save(update_fields=["status", "current_caption", "updated_at"])
    refresh_item_metrics([item.pk])


def write_verdict_caption(
    *,
    item: Item,
    base_caption_id: int | None,
    base_facts: dict[int, Fact],
    verdicts: list[Verdict],
    added: list[NewFact],
    text: str,
    origin: str,
    author_id: int | None,
) -> Caption:
    """A new caption from verdicts on every base fact, added facts and the final text.

    Every fact of the base caption needs exactly one verdict; accepted facts are carried over,
    edited ones carried over with the new value (source human), rejected ones dropped; added
    facts join them. Used by annotators' submissions and leads' adjudications alike.
    """
    given = [verdict.fact_id for verdict in verdicts]
    duplicates = sorted({fact for fact in given if given.count(fact) > 1})
    missing = sorted(set(base_facts) - set(given))
    unknown = sorted(set(given) - set(base_facts))
    if duplicates or missing or unknown:
        raise InvalidSubmission(
            "Every fact of the base caption needs exactly one verdict.",
            extra={"missing": missing, "unknown": unknown, "duplicated": duplicates},
        )

    kept: list[tuple[Fact, str, str]] = []  # (base fact, value, source)
    for verdict in verdicts:
        base = base_facts[verdict.fact_id]
        if verdict.verdict == "accepted":
            kept.append((base, base.value, base.source))
        elif verdict.verdict == "edited":
            if not verdict.value:
                raise InvalidSubmission(f"Fact {base.pk} is edited but has no new value.")
            kept.append((base, verdict.value, Fact.Source.HUMAN))
    for number, fact in enumerate(added, start=1):
        _check_span(fact.span, text, f"added fact {number}")

    triples = [(f.subject, f.predicate, value) for f, value, _ in kept] + [
        (f.subject, f.predicate, f.value) for f in added
    ]
    caption = Caption.objects.create(
        item=item,
        text=text,
        origin=origin,
        parent_id=base_caption_id,
        author_id=author_id,
        **caption_fields(text, triples, *item_references([item.pk])[item.pk]),
    )
    rows = []
    for position, (base, value, source) in enumerate(kept):
        # A carried-over span is kept only if it still fits the edited text.
        fits = base.span_end is not None and base.span_end <= len(text)
        rows.append(
            Fact(
                caption=caption,
                position=position,
                kind=base.kind,
                subject=base.subject,
                predicate=base.predicate,
                value=value,
                span_start=base.span_start if fits else None,
                span_end=base.span_end if fits else None,
                region=base.region,
                source=source,
                confidence=base.confidence,
                entity_id=base.entity_id,
            )
        )
    for offset, fact in enumerate(added, start=len(rows)):
        rows.append(
            Fact(
                caption=caption,
                position=offset,
                kind=fact.kind,
                subject=fact.subject,
                predicate=fact.predicate,
                value=fact.value,
                span_start=fact.span[0] if fact.span else None,
                span_end=fact.span[1] if fact.span else None,
                source=Fact.Source.HUMAN,
            )
        )
    Fact.objects.bulk_create(rows)
    return caption


def annotation_submit(
    *,
    annotation: Annotation,
    user: AbstractBaseUser,
    version: int | None,
    verdicts: list[Verdict],
    added: list[NewFact],
    text: str,
    actor: Actor,
) -> Annotation:
    """Turn the pass into the annotator's caption and facts, in one transaction.

    Every fact of the base caption needs exactly one verdict; accepted facts are carried over,
    edited ones carried over with the new value, rejected ones dropped; added facts join them.
    Moves the item on when it has all the annotations its dataset asks for.
    """
    if not text.strip():
        raise InvalidSubmission("The caption text is empty.")
    if len(text) > MAX_CAPTION_LENGTH:
        raise InvalidSubmission(f"The caption is longer than {MAX_CAPTION_LENGTH} characters.")
    with transaction.atomic():
        locked = _locked_open(annotation, user, version)
        item = (
            Item.objects.select_for_update(of=("self",))
            .select_related("dataset")
            .get(pk=locked.item_id)
        )
        base_facts = base_facts_of(locked.base_caption_id)
        caption = write_verdict_caption(
            item=item,
            base_caption_id=locked.base_caption_id,
            base_facts=base_facts,
            verdicts=verdicts,
            added=added,
            text=text,
            origin=Caption.Origin.ANNOTATOR,
            author_id=user.pk,
        )

        locked.decisions = {
            str(v.fact_id): {"verdict": v.verdict, "value": v.value, "reason": v.reason}
            for v in verdicts
        }
        locked.added_facts = [fact.__dict__ | {"span": fact.span} for fact in added]
        locked.draft_text = text
        locked.result_caption = caption
        locked.status = Annotation.Status.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.version = F("version") + 1
        locked.save(
            update_fields=[
                "decisions", "added_facts", "draft_text", "result_caption", "status",
                "submitted_at", "version", "updated_at",
            ]
        )  # fmt: skip
        locked.refresh_from_db()

        submitted = Annotation.objects.filter(item=item, status=Annotation.Status.SUBMITTED).count()
        required = required_annotations(item.pk, item.dataset)
        if submitted >= required:
            if required == 1:
                # One annotator: their caption is final. With overlap, the comparison of the
                # annotations decides (consensus or review).
                item.status = Item.Status.DONE
                item.current_caption = caption
            else:
                item.status = Item.Status.IN_REVIEW
            item.save(update_fields=["status", "current_caption", "updated_at"])
            refresh_item_metrics([item.pk])
        if submitted >= required > 1:
            from annotations.services.reviews import compare_submissions

            compare_submissions(item=item, actor=actor)
        audit_record(
            actor=actor,
            action=AuditAction.ANNOTATION_SUBMIT,
            target=locked,
            dataset_id=item.dataset_id,
            after={
                "caption": caption.pk,
                "verdicts": locked.decisions,
                "added_facts": len(added),
                "item_status": item.status,
            },
        )
    locked.refresh_from_db()
    return locked


def _close(
    *,
    annotation: Annotation,
    user: AbstractBaseUser,
    version: int | None,
    status: str,
    reason: str,
    action: AuditAction,
    actor: Actor,
) -> Annotation:
    with transaction.atomic():
        locked = _locked_open(annotation, user, version)
        locked.status = status
        locked.version = F("version") + 1
        locked.save(update_fields=["status", "version", "updated_at"])
        locked.refresh_from_db()
        item = Item.objects.select_for_update().get(pk=locked.item_id)
        still_open = Annotation.objects.filter(item=item, status__in=OPEN).exists()
        submitted = Annotation.objects.filter(item=item, status=Annotation.Status.SUBMITTED)
        if item.status == Item.Status.IN_ANNOTATION and not still_open and not submitted.exists():
            item.status = Item.Status.PENDING
            item.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action=action,
            target=locked,
            dataset_id=item.dataset_id,
            after={"status": status, "reason": reason},
        )
    return locked


def annotation_skip(
    *,
    annotation: Annotation,
    user: AbstractBaseUser,
    version: int | None,
    reason: str,
    actor: Actor,
) -> Annotation:
    """Give the item up for good, saying why; it goes back to the pool for others."""
    return _close(
        annotation=annotation, user=user, version=version, status=Annotation.Status.SKIPPED,
        reason=reason, action=AuditAction.ANNOTATION_SKIP, actor=actor,
    )  # fmt: skip


def annotation_release(
    *, annotation: Annotation, user: AbstractBaseUser, version: int | None, actor: Actor
) -> Annotation:
    """Hand the lease back before it expires; the item returns to the pool for others."""
    return _close(
        annotation=annotation, user=user, version=version, status=Annotation.Status.EXPIRED,
        reason="released", action=AuditAction.ANNOTATION_RELEASE, actor=actor,
    )  # fmt: skip
