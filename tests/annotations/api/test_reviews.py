"""Overlap, consensus, the leads' review queue and the agreement figures, over the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from annotations.models import Annotation, AuditEvent, Caption, Item, Membership, Review
from annotations.services.annotations import overlap_sampled, required_annotations
from tests.annotations.api.conftest import World


@pytest.fixture
def overlap(world: World) -> World:
    world.a.annotators_per_item = 2
    world.a.save()
    return world


def annotate(client: Client, world: World, verdict: str, text: str, **extra: Any) -> Any:
    """Lease the next item and submit one verdict on its one fact."""
    annotation = client.post(f"/api/v1/datasets/{world.a.pk}/queue/next/").json()
    fact_id = Caption.objects.get(pk=annotation["base_caption_id"]).facts.get().pk
    verdicts = [{"fact_id": fact_id, "verdict": verdict, **extra}]
    response = client.post(
        f"/api/v1/annotations/{annotation['id']}/submit/",
        {"verdicts": verdicts, "text": text},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_agreeing_annotators_make_the_consensus_caption_final(overlap: World) -> None:
    first = annotate(overlap.client(overlap.annotator), overlap, "accepted", "A red square.")
    item = Item.objects.get(pk=first["item_id"])
    assert item.status == "in_annotation"  # one of two submissions
    second = annotate(overlap.client(overlap.other_annotator), overlap, "accepted", "A red square.")
    assert second["item_id"] == first["item_id"]

    item.refresh_from_db()
    final = item.current_caption
    assert final is not None
    assert (item.status, final.origin, final.text, final.author_id) == (
        "done", "consensus", "A red square.", None,
    )  # fmt: skip
    assert list(final.facts.values_list("subject", "value")) == [("square", "red")]
    assert not Review.objects.exists()
    event = AuditEvent.objects.get(action="item.consensus")
    assert (event.after["caption"], event.after["disagreement"]) == (final.pk, 0.0)


def test_disagreeing_annotators_open_a_review_and_stay_blind(overlap: World) -> None:
    first = annotate(overlap.client(overlap.annotator), overlap, "accepted", "A red square.")
    # Before the item is final, the other annotator cannot see the first one's caption.
    other = overlap.client(overlap.other_annotator)
    history = other.get(f"/api/v1/items/{first['item_id']}/captions/").json()
    assert [c["origin"] for c in history] == ["import"]
    assert other.get(f"/api/v1/annotations/{first['id']}/").status_code == 404
    annotate(other, overlap, "rejected", "A square.", reason="it is blue")

    review = Review.objects.get()
    item = Item.objects.get(pk=first["item_id"])
    # One base fact, accepted by one and rejected by the other: verdicts part 1; the texts
    # "a red square" and "a square" are 1 - 2*2/5 = 0.2 apart; nothing added (part 0). Weights
    # 0.6, 0.2, 0.2.
    assert (review.status, item.status) == ("open", "in_review")
    assert review.disagreement_parts["verdicts"] == 1.0
    assert review.disagreement_parts["text"] == pytest.approx(0.2)
    assert review.disagreement == pytest.approx(0.6 * 1.0 + 0.2 * 0.0 + 0.2 * 0.2)
    assert sorted(review.annotations.values_list("annotator__username", flat=True)) == [
        "ann",
        "ann2",
    ]
    assert AuditEvent.objects.filter(action="review.open").count() == 1
    # Still blind while in review: their own caption (newest first) and the import only.
    seen = other.get(f"/api/v1/items/{item.pk}/captions/").json()
    assert [(c["origin"], c["author"]) for c in seen] == [("annotator", "ann2"), ("import", None)]


def open_review(world: World) -> Review:
    annotate(world.client(world.annotator), world, "accepted", "A red square.")
    annotate(world.client(world.other_annotator), world, "rejected", "A square.")
    return Review.objects.get()


def test_a_lead_claims_and_resolves_a_review(overlap: World) -> None:
    review = open_review(overlap)
    lead = overlap.client(overlap.lead)
    denied = overlap.client(overlap.annotator).post(
        f"/api/v1/datasets/{overlap.a.pk}/reviews/next/"
    )
    assert denied.status_code == 403
    claimed = lead.post(f"/api/v1/datasets/{overlap.a.pk}/reviews/next/")
    assert claimed.status_code == 200
    body = claimed.json()
    assert (body["id"], body["claimed_by"], claimed["ETag"]) == (review.pk, "lead", '"r2"')
    assert [s["annotator"] for s in body["submissions"]] == ["ann", "ann2"]
    assert [s["text"] for s in body["submissions"]] == ["A red square.", "A square."]
    fact_id = body["base_facts"][0]["id"]
    assert body["disagreement_parts"]["facts"][0]["verdicts"] == {
        "ann": "accepted",
        "ann2": "rejected",
    }
    listed = lead.get(f"/api/v1/datasets/{overlap.a.pk}/reviews/").json()["results"]
    assert [(r["id"], r["external_id"], r["annotators"]) for r in listed] == [
        (review.pk, "alpha-0", ["ann", "ann2"])
    ]

    stale = lead.post(
        f"/api/v1/reviews/{review.pk}/resolve/",
        {"verdicts": [{"fact_id": fact_id, "verdict": "accepted"}], "text": "x"},
        content_type="application/json",
        HTTP_IF_MATCH='"r1"',
    )
    assert stale.status_code == 412
    resolved = lead.post(
        f"/api/v1/reviews/{review.pk}/resolve/",
        {
            "verdicts": [{"fact_id": fact_id, "verdict": "edited", "value": "scarlet"}],
            "added_facts": [
                {"kind": "scene", "subject": "image", "predicate": "is", "value": "flat"}
            ],
            "text": "A scarlet square.",
            "notes": "the square is red; scarlet is closer",
        },
        content_type="application/json",
        HTTP_IF_MATCH='"r2"',
    )
    assert resolved.status_code == 200, resolved.content
    assert (resolved.json()["status"], resolved.json()["resolved_by"]) == ("resolved", "lead")
    review.refresh_from_db()
    item = review.item
    item.refresh_from_db()
    final = review.resolving_caption
    assert final is not None
    assert (item.status, item.current_caption_id) == ("done", final.pk)
    assert (final.origin, final.text, final.author_id) == (
        "adjudication", "A scarlet square.", overlap.lead.pk,
    )  # fmt: skip
    assert list(final.facts.order_by("position").values_list("subject", "value", "source")) == [
        ("square", "scarlet", "human"),
        ("image", "flat", "human"),
    ]
    assert AuditEvent.objects.filter(action="review.resolve").count() == 1
    again = lead.post(
        f"/api/v1/reviews/{review.pk}/resolve/",
        {"verdicts": [{"fact_id": fact_id, "verdict": "accepted"}], "text": "x"},
        content_type="application/json",
    )
    assert (again.status_code, again.json()["code"]) == (409, "conflict")
    # Final now: the annotators see every caption.
    history = overlap.client(overlap.annotator).get(f"/api/v1/items/{item.pk}/captions/").json()
    assert [c["origin"] for c in history] == ["adjudication", "annotator", "annotator", "import"]


def test_leads_do_not_review_their_own_annotation_unless_they_are_the_only_lead(
    overlap: World,
) -> None:
    # The lead annotates with an annotator; another lead exists, so the review is theirs.
    second_lead = User.objects.create_user("lead2")
    Membership.objects.create(dataset=overlap.a, user=second_lead, role=Membership.Role.LEAD)
    annotate(overlap.client(overlap.lead), overlap, "accepted", "A red square.")
    annotate(overlap.client(overlap.annotator), overlap, "rejected", "A square.")
    review = Review.objects.get()
    url = f"/api/v1/datasets/{overlap.a.pk}/reviews/next/"
    assert overlap.client(overlap.lead).post(url).status_code == 204
    assert Review.objects.get().claimed_by_id is None
    claimed = Client()
    claimed.force_login(second_lead)
    assert claimed.post(url).json()["id"] == review.pk

    # Without the other lead, the only lead may review their own annotation.
    Membership.objects.filter(user=second_lead).delete()
    Review.objects.filter(pk=review.pk).update(claimed_by=None, lease_expires_at=None)
    assert overlap.client(overlap.lead).post(url).json()["id"] == review.pk


def test_sending_back_returns_the_item_to_its_annotators(overlap: World) -> None:
    review = open_review(overlap)
    lead = overlap.client(overlap.lead)
    lead.post(f"/api/v1/datasets/{overlap.a.pk}/reviews/next/")
    missing_note = lead.post(
        f"/api/v1/reviews/{review.pk}/send-back/", {}, content_type="application/json"
    )
    assert missing_note.status_code == 400
    sent = lead.post(
        f"/api/v1/reviews/{review.pk}/send-back/",
        {"note": "Check the colour against the image."},
        content_type="application/json",
    )
    assert sent.status_code == 200
    assert (sent.json()["status"], sent.json()["notes"]) == (
        "sent_back",
        "Check the colour against the image.",
    )
    item = Item.objects.get(pk=review.item_id)
    assert item.status == "pending"
    assert set(Annotation.objects.filter(item=item).values_list("status", flat=True)) == {
        "returned"
    }
    # The same annotator may take the item again, and reads the lead's note.
    again = overlap.client(overlap.annotator).post(f"/api/v1/datasets/{overlap.a.pk}/queue/next/")
    assert (again.json()["item_id"], again.json()["returned_note"]) == (
        item.pk,
        "Check the colour against the image.",
    )
    assert AuditEvent.objects.filter(action="review.send_back").count() == 1


def test_the_overlap_share_picks_items_by_a_fixed_hash(world: World) -> None:
    world.a.annotators_per_item = 3
    world.a.overlap_share = 0.5
    world.a.save()
    picked = [overlap_sampled(item.pk, 0.5) for item in world.items[:3]]
    for item, sampled in zip(world.items[:3], picked, strict=True):
        assert required_annotations(item.pk, world.a) == (3 if sampled else 1)
    assert [overlap_sampled(12345, share) for share in (1.0, 0.0)] == [True, False]
    # (12345 * 2654435761) mod 2**32 = 2,703,968,361 -> 361 per mille.
    assert [overlap_sampled(12345, share) for share in (0.362, 0.361)] == [True, False]

    # The queue follows the same rule: a second annotator gets an item that has one submission
    # only if it is sampled.
    first = annotate(world.client(world.annotator), world, "accepted", "A red square.")
    item = Item.objects.get(pk=first["item_id"])
    second = world.client(world.other_annotator).post(f"/api/v1/datasets/{world.a.pk}/queue/next/")
    if overlap_sampled(item.pk, 0.5):
        assert (item.status, second.json()["item_id"]) == ("in_annotation", item.pk)
    else:
        assert item.status == "done"
        assert second.json()["item_id"] != item.pk


def test_agreement_figures(overlap: World) -> None:
    open_review(overlap)
    response = overlap.client(overlap.lead).get(f"/api/v1/datasets/{overlap.a.pk}/agreement/")
    assert response.status_code == 200
    body = response.json()
    # One unit, accepted by one annotator and rejected by the other: alpha 1 - 1*2/2 = 0 and no
    # agreeing pair. No item is final yet, so nothing to match; one model-free caption.
    assert {k: body[k] for k in ("items_compared", "units", "alpha", "percent")} == {
        "items_compared": 1,
        "units": 1,
        "alpha": 0.0,
        "percent": 0.0,
    }
    assert body["pairs"] == [
        {"annotators": ["ann", "ann2"], "alpha": 0.0, "percent": 0.0, "units": 1}
    ]
    assert [(a["annotator"], a["submissions"], a["matches_final"]) for a in body["annotators"]] == [
        ("ann", 1, None),
        ("ann2", 1, None),
    ]
    assert body["model_facts"] == []
    denied = overlap.client(overlap.annotator).get(f"/api/v1/datasets/{overlap.a.pk}/agreement/")
    assert denied.status_code == 403


def test_a_lead_cannot_resolve_their_own_annotation_directly(overlap: World) -> None:
    second_lead = User.objects.create_user("lead2")
    Membership.objects.create(dataset=overlap.a, user=second_lead, role=Membership.Role.LEAD)
    annotate(overlap.client(overlap.lead), overlap, "accepted", "A red square.")
    annotate(overlap.client(overlap.annotator), overlap, "rejected", "A square.")
    review = Review.objects.get()
    fact_id = review.annotations.first().base_caption.facts.get().pk  # type: ignore[union-attr]
    response = overlap.client(overlap.lead).post(
        f"/api/v1/reviews/{review.pk}/resolve/",
        {"verdicts": [{"fact_id": fact_id, "verdict": "accepted"}], "text": "A red square."},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    review.refresh_from_db()
    assert (review.status, review.resolving_caption_id) == ("open", None)
    malformed = overlap.client(overlap.lead).post(
        f"/api/v1/reviews/{review.pk}/send-back/",
        {"note": "x"},
        content_type="application/json",
        HTTP_IF_MATCH='"r\u00b2"',
    )
    assert malformed.status_code == 412


def test_lowering_the_overlap_decides_items_that_now_have_enough(overlap: World) -> None:
    first = annotate(overlap.client(overlap.annotator), overlap, "accepted", "A red square.")
    item = Item.objects.get(pk=first["item_id"])
    assert item.status == "in_annotation"
    changed = overlap.client(overlap.admin).patch(
        f"/api/v1/datasets/{overlap.a.pk}/",
        {"annotators_per_item": 1},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    item.refresh_from_db()
    annotation = Annotation.objects.get(pk=first["id"])
    assert (item.status, item.current_caption_id) == ("done", annotation.result_caption_id)


def test_lowering_the_overlap_compares_what_is_there(world: World) -> None:
    world.a.annotators_per_item = 3
    world.a.save()
    first = annotate(world.client(world.annotator), world, "accepted", "A red square.")
    annotate(world.client(world.other_annotator), world, "accepted", "A red square.")
    world.client(world.admin).patch(
        f"/api/v1/datasets/{world.a.pk}/",
        {"annotators_per_item": 2},
        content_type="application/json",
    )
    item = Item.objects.get(pk=first["item_id"])
    assert item.status == "done"
    assert item.current_caption is not None
    assert item.current_caption.origin == "consensus"
