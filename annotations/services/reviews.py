"""Overlap outcomes and the leads' review queue.

When an item has all the submissions its overlap asks for, ``compare_submissions`` scores their
disagreement (``enrichment.agreement.disagreement``). At or under the dataset's threshold the
consensus caption (``enrichment.agreement.consensus``) becomes final at once; above it a Review
opens. Leads claim reviews one at a time, most disagreement first (``SELECT ... FOR UPDATE SKIP
LOCKED``, leased like annotations), and either adjudicate (a new caption from their verdicts,
final) or send the item back for re-annotation with a note.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from annotations.enrichment.agreement import (
    BaseFact,
    Submission,
    consensus,
    disagreement,
)
from annotations.errors import ConflictError, PermissionDeniedError, PreconditionFailedError
from annotations.models import (
    Annotation,
    AuditAction,
    Caption,
    Dataset,
    Fact,
    Item,
    Membership,
    Review,
)
from annotations.services.annotations import (
    NewFact,
    Verdict,
    base_facts_of,
    make_final,
    write_verdict_caption,
)
from annotations.services.audit import Actor, audit_record

REVIEW_LEASE = timedelta(minutes=30)


def _submissions(
    annotations: list[Annotation],
) -> tuple[int | None, dict[int, Fact], list[BaseFact], list[Submission]]:
    base_caption_id = annotations[0].base_caption_id if annotations else None
    facts = base_facts_of(base_caption_id)
    base = [BaseFact(f.pk, f.kind, f.subject, f.predicate, f.value) for f in facts.values()]
    submissions = [
        Submission(
            annotator=annotation.annotator.get_username(),
            verdicts={
                int(fact_id): (str(decision.get("verdict")), decision.get("value"))
                for fact_id, decision in (annotation.decisions or {}).items()
            },
            added=[
                (str(f["kind"]), str(f["subject"]), str(f["predicate"]), str(f["value"]))
                for f in annotation.added_facts or []
            ],
            text=annotation.result_caption.text if annotation.result_caption else "",
        )
        for annotation in annotations
    ]
    return base_caption_id, facts, base, submissions


def compare_submissions(*, item: Item, actor: Actor) -> Review | None:
    """Decide an item whose overlap is complete: consensus caption or a review.

    Runs inside the submitting transaction, with the item row locked.
    """
    dataset = Dataset.objects.get(pk=item.dataset_id)
    annotations = list(
        Annotation.objects.filter(item=item, status=Annotation.Status.SUBMITTED)
        .select_related("annotator", "result_caption")
        .order_by("submitted_at", "pk")
    )
    base_caption_id, facts, base, submissions = _submissions(annotations)
    scored = disagreement(base, submissions)
    if scored.score <= dataset.disagreement_threshold:
        agreed = consensus(base, submissions)
        kept = dict(agreed.kept)
        verdicts = [
            Verdict(
                fact_id,
                "accepted" if fact_id in kept and kept[fact_id] == fact.value else
                ("edited" if fact_id in kept else "rejected"),
                kept.get(fact_id) if fact_id in kept and kept[fact_id] != fact.value else None,
            )
            for fact_id, fact in facts.items()
        ]  # fmt: skip
        added = [
            NewFact(kind, subject, predicate, value, _locate(value, agreed.text))
            for kind, subject, predicate, value in agreed.added
        ]
        caption = write_verdict_caption(
            item=item,
            base_caption_id=base_caption_id,
            base_facts=facts,
            verdicts=verdicts,
            added=added,
            text=agreed.text,
            origin=Caption.Origin.CONSENSUS,
            author_id=None,
        )
        make_final(item, caption.pk)
        audit_record(
            actor=actor,
            action=AuditAction.ITEM_CONSENSUS,
            target=item,
            dataset_id=dataset.pk,
            after={
                "caption": caption.pk,
                "disagreement": scored.score,
                "threshold": dataset.disagreement_threshold,
                "text_from": agreed.text_from,
                "annotations": [a.pk for a in annotations],
            },
        )
        return None
    review = Review.objects.create(
        dataset=dataset,
        item=item,
        disagreement=scored.score,
        disagreement_parts=scored.as_parts(),
    )
    review.annotations.set(annotations)
    audit_record(
        actor=actor,
        action=AuditAction.REVIEW_OPEN,
        target=review,
        dataset_id=dataset.pk,
        after={
            "item": item.pk,
            "disagreement": scored.score,
            "threshold": dataset.disagreement_threshold,
            "annotations": [a.pk for a in annotations],
        },
    )
    return review


def _locate(value: str, text: str) -> tuple[int, int] | None:
    match = (
        re.search(re.escape(value.strip()), text, flags=re.IGNORECASE) if value.strip() else None
    )
    return (match.start(), match.end()) if match else None


def _only_lead(dataset: Dataset, user: AbstractBaseUser) -> bool:
    """Whether no other lead could review this dataset (then leads may review their own)."""
    return (
        not Membership.objects.filter(dataset=dataset, role=Membership.Role.LEAD)
        .exclude(user_id=user.pk)
        .exists()
    )


def review_next(*, dataset: Dataset, user: AbstractBaseUser, actor: Actor) -> Review | None:
    """Claim the open review with the most disagreement that this lead may take.

    A lead who holds a live claim gets it back. Reviews of items the lead annotated are left to
    other leads, unless no other lead is a member of the dataset.
    """
    now = timezone.now()
    with transaction.atomic():
        held = (
            Review.objects.filter(
                dataset=dataset,
                status=Review.Status.OPEN,
                claimed_by_id=user.pk,
                lease_expires_at__gt=now,
            )
            .order_by("pk")
            .first()
        )
        if held is not None:
            return held
        candidates = Review.objects.filter(dataset=dataset, status=Review.Status.OPEN).filter(
            Q(claimed_by__isnull=True) | Q(lease_expires_at__lt=now)
        )
        if not _only_lead(dataset, user):
            candidates = candidates.exclude(annotations__annotator_id=user.pk)
        review = (
            candidates.order_by("-disagreement", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .first()
        )
        if review is None:
            return None
        review.claimed_by_id = user.pk
        review.lease_expires_at = now + REVIEW_LEASE
        review.version = F("version") + 1
        review.save(update_fields=["claimed_by", "lease_expires_at", "version"])
        review.refresh_from_db()
        audit_record(
            actor=actor,
            action=AuditAction.REVIEW_CLAIM,
            target=review,
            dataset_id=dataset.pk,
            after={"lease_expires_at": review.lease_expires_at.isoformat()},
        )
    return review


def _locked_claim(review: Review, user: AbstractBaseUser, version: int | None) -> Review:
    locked = Review.objects.select_for_update().get(pk=review.pk)
    if locked.status != Review.Status.OPEN:
        raise ConflictError(
            f"The review is {locked.status}; it can no longer change.",
            extra={"status": locked.status},
        )
    if version is not None and locked.version != version:
        raise PreconditionFailedError(
            f"The review changed since version {version}; it is now at version {locked.version}.",
            extra={"current_version": locked.version},
        )
    live_claim = locked.lease_expires_at is not None and locked.lease_expires_at > timezone.now()
    if locked.claimed_by_id not in (None, user.pk) and live_claim:
        raise ConflictError(
            "Another lead has claimed this review.", extra={"claimed_by": locked.claimed_by_id}
        )
    if locked.annotations.filter(annotator_id=user.pk).exists() and not _only_lead(
        locked.dataset, user
    ):
        raise PermissionDeniedError(
            "You annotated this item; another lead of the dataset reviews it."
        )
    return locked


def review_resolve(
    *,
    review: Review,
    user: AbstractBaseUser,
    version: int | None,
    verdicts: list[Verdict],
    added: list[NewFact],
    text: str,
    notes: str,
    actor: Actor,
) -> Review:
    """Adjudicate: the lead's verdicts, added facts and text make the final caption."""
    with transaction.atomic():
        locked = _locked_claim(review, user, version)
        item = Item.objects.select_for_update().get(pk=locked.item_id)
        annotations = list(locked.annotations.order_by("submitted_at", "pk"))
        base_caption_id = annotations[0].base_caption_id if annotations else None
        facts = base_facts_of(base_caption_id)
        caption = write_verdict_caption(
            item=item,
            base_caption_id=base_caption_id,
            base_facts=facts,
            verdicts=verdicts,
            added=added,
            text=text,
            origin=Caption.Origin.ADJUDICATION,
            author_id=user.pk,
        )
        locked.status = Review.Status.RESOLVED
        locked.resolving_caption = caption
        locked.resolved_by_id = user.pk
        locked.resolved_at = timezone.now()
        locked.notes = notes
        locked.version = F("version") + 1
        locked.save(
            update_fields=[
                "status", "resolving_caption", "resolved_by", "resolved_at", "notes", "version",
            ]
        )  # fmt: skip
        locked.refresh_from_db()
        make_final(item, caption.pk)
        audit_record(
            actor=actor,
            action=AuditAction.REVIEW_RESOLVE,
            target=locked,
            dataset_id=locked.dataset_id,
            after={
                "item": item.pk,
                "caption": caption.pk,
                "verdicts": {
                    str(v.fact_id): {"verdict": v.verdict, "value": v.value} for v in verdicts
                },
                "added_facts": len(added),
                "notes": notes,
            },
        )
    return locked


def review_send_back(
    *, review: Review, user: AbstractBaseUser, version: int | None, note: str, actor: Actor
) -> Review:
    """Return the item for re-annotation: the compared submissions stop counting, their
    annotators may take the item again, and the note says why."""
    with transaction.atomic():
        locked = _locked_claim(review, user, version)
        item = Item.objects.select_for_update().get(pk=locked.item_id)
        returned = list(locked.annotations.values_list("pk", flat=True))
        Annotation.objects.filter(pk__in=returned, status=Annotation.Status.SUBMITTED).update(
            status=Annotation.Status.RETURNED, updated_at=timezone.now()
        )
        locked.status = Review.Status.SENT_BACK
        locked.notes = note
        locked.resolved_by_id = user.pk
        locked.resolved_at = timezone.now()
        locked.version = F("version") + 1
        locked.save(update_fields=["status", "notes", "resolved_by", "resolved_at", "version"])
        locked.refresh_from_db()
        item.status = Item.Status.PENDING
        item.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.REVIEW_SEND_BACK,
            target=locked,
            dataset_id=locked.dataset_id,
            after={"item": item.pk, "note": note, "returned_annotations": returned},
        )
    return locked


def reconsider_overlap(*, dataset: Dataset, actor: Actor) -> int:
    """Decide the items a lowered overlap has completed; returns how many moved on.

    An item in annotation whose submissions already reach its (new) required count, with no
    annotation still open, would otherwise wait for a submission the queue no longer asks for.
    With one required annotator the latest submission becomes final; with more, the
    submissions are compared as on the last submit.
    """
    from annotations.services.annotations import required_annotations

    moved = 0
    candidates = (
        Item.objects.filter(dataset=dataset, status=Item.Status.IN_ANNOTATION)
        .exclude(annotations__status__in=Annotation.OPEN_STATUSES)
        .filter(annotations__status=Annotation.Status.SUBMITTED)
        .distinct()
        .values_list("pk", flat=True)
    )
    for item_id in list(candidates):
        item = Item.objects.select_for_update(of=("self",)).get(pk=item_id)
        submitted = Annotation.objects.filter(item=item, status=Annotation.Status.SUBMITTED)
        required = required_annotations(item.pk, dataset)
        if item.status != Item.Status.IN_ANNOTATION or submitted.count() < required:
            continue
        if required == 1:
            latest = submitted.order_by("-submitted_at", "-pk").first()
            assert latest is not None
            make_final(item, latest.result_caption_id)
        else:
            item.status = Item.Status.IN_REVIEW
            item.save(update_fields=["status", "updated_at"])
            compare_submissions(item=item, actor=actor)
        moved += 1
    return moved
