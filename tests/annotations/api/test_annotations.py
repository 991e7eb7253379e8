"""The annotation queue and the life of an annotation, through the API."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from annotations.models import Annotation, AuditEvent, Caption, Fact, Item, Membership
from tests.annotations.api.conftest import World, image_item
from tests.annotations.factories import UserFactory


def next_item(client: Client, world: World) -> Any:
    return client.post(f"/api/v1/datasets/{world.a.pk}/queue/next/")


def test_the_queue_leases_items_in_order_and_resumes_a_held_lease(world: World) -> None:
    client = world.client(world.annotator)
    first = next_item(client, world)
    assert first.status_code == 200
    body = first.json()
    assert (body["item_id"], body["status"], body["version"]) == (world.items[0].pk, "assigned", 1)
    assert body["draft_text"] == "A red square."
    assert first["ETag"] == '"v1"'
    assert Item.objects.get(pk=world.items[0].pk).status == "in_annotation"
    # A second click (or tab) gets the same lease back, not a second item.
    assert next_item(client, world).json()["id"] == body["id"]
    assert Annotation.objects.filter(annotator=world.annotator).count() == 1
    assert AuditEvent.objects.filter(action="annotation.assign").count() == 1


def test_the_queue_respects_overlap_and_never_repeats_an_item(world: World) -> None:
    first = world.client(world.annotator)
    second = world.client(world.other_annotator)
    taken = next_item(first, world).json()
    given = next_item(second, world).json()
    # Overlap 1: the first item is taken, so the second annotator gets the next one.
    assert given["item_id"] == world.items[1].pk
    release = first.post(f"/api/v1/annotations/{taken['id']}/release/")
    assert release.json()["status"] == "expired"
    # Released: back in the pool, but never to the same annotator again.
    again = next_item(first, world).json()
    assert again["item_id"] == world.items[2].pk


def test_the_queue_is_for_members_with_a_role(world: World) -> None:
    assert (
        world.client(world.outsider).post(f"/api/v1/datasets/{world.a.pk}/queue/next/").status_code
        == 404
    )
    anonymous = world.client(None).post(f"/api/v1/datasets/{world.a.pk}/queue/next/")
    assert (anonymous.status_code, anonymous["WWW-Authenticate"]) == (401, "Bearer")
    assert Annotation.objects.count() == 0


def test_an_empty_queue_answers_204(world: World) -> None:
    client = world.client(world.annotator)
    Item.objects.filter(dataset=world.a).update(status=Item.Status.DONE)
    response = next_item(client, world)
    assert (response.status_code, response.content) == (204, b"")


def test_drafts_need_if_match_and_refuse_stale_versions(world: World) -> None:
    client = world.client(world.annotator)
    annotation = next_item(client, world).json()
    url = f"/api/v1/annotations/{annotation['id']}/"

    missing = client.patch(url, {"draft_text": "x"}, content_type="application/json")
    assert (missing.status_code, missing.json()["code"]) == (428, "precondition_required")
    saved = client.patch(
        url, {"draft_text": "A red square, centred."}, content_type="application/json",
        HTTP_IF_MATCH='"v1"',
    )  # fmt: skip
    assert (saved.status_code, saved["ETag"], saved.json()["status"]) == (200, '"v2"', "draft")
    stale = client.patch(
        url, {"draft_text": "From an old tab."}, content_type="application/json",
        HTTP_IF_MATCH='"v1"',
    )  # fmt: skip
    assert stale.status_code == 412
    assert stale.json() == {
        "code": "precondition_failed",
        "message": "The annotation changed since version 1; it is now at version 2.",
        "extra": {"current_version": 2},
    }
    assert Annotation.objects.get(pk=annotation["id"]).draft_text == "A red square, centred."
    unknown = client.patch(
        url, {"status": "submitted"}, content_type="application/json", HTTP_IF_MATCH='"v2"'
    )
    assert unknown.status_code == 400
    assert Annotation.objects.get(pk=annotation["id"]).status == "draft"


@pytest.mark.parametrize(
    ("body", "field", "code", "message"),
    [
        (
            '{"decisions": {"7": {"reason": "\\u0000"}}}',
            "decisions",
            "null_characters_not_allowed",
            "Null characters are not allowed.",
        ),
        (
            '{"added_facts": [{"\\ud800": "x"}]}',
            "added_facts",
            "surrogate_characters_not_allowed",
            "Surrogate characters are not allowed: U+D800.",
        ),
        (
            '{"added_facts": [{"confidence": 1e400}]}',
            "added_facts",
            "invalid",
            "Numbers must be finite.",
        ),
        (
            '{"time_spent_ms": 9223372036854775808}',
            "time_spent_ms",
            "max_value",
            "Ensure this value is less than or equal to 9223372036854775807.",
        ),
    ],
    ids=["nul", "lone-surrogate", "infinity", "beyond-bigint"],
)
def test_a_draft_postgres_cannot_store_is_refused(
    world: World, body: str, field: str, code: str, message: str
) -> None:
    # Each was a 500, a DataError from the jsonb or bigint column (schemathesis found the jsonb
    # ones; a bigint overflow is the same failure in the field beside them).
    client = world.client(world.annotator)
    annotation = next_item(client, world).json()
    response = client.patch(
        f"/api/v1/annotations/{annotation['id']}/", body, content_type="application/json",
        HTTP_IF_MATCH='"v1"',
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {field: [{"code": code, "message": message}]}
    stored = Annotation.objects.get(pk=annotation["id"])
    assert (stored.version, stored.decisions, stored.added_facts) == (1, {}, [])
    assert not AuditEvent.objects.filter(action="annotation.update").exists()


def test_other_annotators_cannot_see_or_touch_an_annotation(world: World) -> None:
    annotation = next_item(world.client(world.annotator), world).json()
    url = f"/api/v1/annotations/{annotation['id']}/"
    other = world.client(world.other_annotator)
    assert other.get(url).status_code == 404
    assert (
        other.patch(url, {}, content_type="application/json", HTTP_IF_MATCH='"v1"').status_code
        == 404
    )
    assert world.client(world.outsider).get(url).status_code == 404
    assert world.client(world.lead).get(url).status_code == 200
    assert Annotation.objects.get(pk=annotation["id"]).version == 1


def submission(fact_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "verdicts": [{"fact_id": fact_id, "verdict": "edited", "value": "crimson"}],
        "added_facts": [
            {
                "kind": "scene",
                "subject": "background",
                "predicate": "is",
                "value": "plain",
                "span": [0, 1],
            },
        ],
        "text": "A crimson square on a plain background.",
    }
    body.update(overrides)
    return body


def test_submit_creates_the_annotators_caption_and_facts(world: World) -> None:
    client = world.client(world.annotator)
    annotation = next_item(client, world).json()
    fact = Fact.objects.get(caption_id=annotation["base_caption_id"])
    response = client.post(
        f"/api/v1/annotations/{annotation['id']}/submit/",
        submission(fact.pk),
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["version"]) == ("submitted", 2)
    caption = Caption.objects.get(pk=body["result_caption_id"])
    assert (caption.text, caption.origin, caption.author, caption.parent_id) == (
        "A crimson square on a plain background.",
        "annotator",
        world.annotator,
        annotation["base_caption_id"],
    )
    assert list(caption.facts.values_list("subject", "value", "source")) == [
        ("square", "crimson", "human"),
        ("background", "plain", "human"),
    ]
    item = Item.objects.get(pk=annotation["item_id"])
    # Overlap 1: the annotator's caption is final.
    assert (item.status, item.current_caption_id) == ("done", caption.pk)
    assert AuditEvent.objects.filter(action="annotation.submit").count() == 1
    # The item's metrics follow its new current caption: two facts in seven words; the
    # reference is the final caption's two facts and the VQA pair's "red", which it no longer
    # states.
    assert (item.fact_count, item.density, item.coverage, item.vqa_support) == (
        2, 200 / 7, 2 / 3, 0.0,
    )  # fmt: skip
    assert list(item.vqa_pairs.values_list("answer", "is_supported")) == [("red", False)]


@pytest.mark.parametrize(
    ("change", "extra"),
    [
        ({"verdicts": []}, {"missing": ["FACT"], "unknown": [], "duplicated": []}),
        (
            {"verdicts": [{"fact_id": "FACT", "verdict": "accepted"}] * 2},
            {"missing": [], "unknown": [], "duplicated": ["FACT"]},
        ),
        (
            {"verdicts": [{"fact_id": 999999, "verdict": "accepted"}]},
            {"missing": ["FACT"], "unknown": [999999], "duplicated": []},
        ),
    ],
)
def test_submit_needs_exactly_one_verdict_per_base_fact(
    world: World, change: dict[str, Any], extra: dict[str, Any]
) -> None:
    client = world.client(world.annotator)
    annotation = next_item(client, world).json()
    fact = Fact.objects.get(caption_id=annotation["base_caption_id"])

    def resolve(value: Any) -> Any:
        if value == "FACT":
            return fact.pk
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    response = client.post(
        f"/api/v1/annotations/{annotation['id']}/submit/",
        resolve(submission(fact.pk, **change)),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_submission"
    assert response.json()["extra"] == resolve(extra)
    assert Caption.objects.filter(origin="annotator").count() == 0
    assert Annotation.objects.get(pk=annotation["id"]).status == "assigned"


def test_submit_rejects_a_span_outside_the_text(world: World) -> None:
    client = world.client(world.annotator)
    annotation = next_item(client, world).json()
    fact = Fact.objects.get(caption_id=annotation["base_caption_id"])
    body = submission(fact.pk, text="Short.")
    body["added_facts"][0]["span"] = [0, 50]
    response = client.post(
        f"/api/v1/annotations/{annotation['id']}/submit/", body, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_submission")
    assert Caption.objects.filter(origin="annotator").count() == 0


def test_a_repeated_submit_with_the_same_key_creates_one_result(world: World) -> None:
    client = world.client(world.annotator)
    annotation = next_item(client, world).json()
    fact = Fact.objects.get(caption_id=annotation["base_caption_id"])
    url = f"/api/v1/annotations/{annotation['id']}/submit/"
    first = client.post(
        url, submission(fact.pk), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    retry = client.post(
        url, submission(fact.pk), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Caption.objects.filter(origin="annotator").count() == 1
    reused = client.post(
        url,
        submission(fact.pk, text="Something else."),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    without_key = client.post(url, submission(fact.pk), content_type="application/json")
    assert (without_key.status_code, without_key.json()["code"]) == (409, "conflict")
    assert Caption.objects.filter(origin="annotator").count() == 1


def test_skip_gives_the_item_back_with_a_reason(world: World) -> None:
    client = world.client(world.annotator)
    annotation = next_item(client, world).json()
    skipped = client.post(
        f"/api/v1/annotations/{annotation['id']}/skip/",
        {"reason": "The image is blank."},
        content_type="application/json",
    )
    assert skipped.json()["status"] == "skipped"
    assert Item.objects.get(pk=annotation["item_id"]).status == "pending"
    event = AuditEvent.objects.get(action="annotation.skip")
    assert event.after == {"status": "skipped", "reason": "The image is blank."}


@pytest.mark.django_db(transaction=True)
def test_twenty_annotators_in_parallel_get_twenty_distinct_items(world: World) -> None:
    for number in range(3, 25):
        image_item(world.a, number, "A red square.")
    annotators = [UserFactory(username=f"parallel-{n}") for n in range(20)]
    for user in annotators:
        Membership.objects.create(dataset=world.a, user=user, role=Membership.Role.ANNOTATOR)
    barrier = threading.Barrier(len(annotators))
    leased: list[int] = []
    failures: list[BaseException] = []

    def ask(user: Any) -> None:
        try:
            client = world.client(user)
            barrier.wait()
            response = client.post(f"/api/v1/datasets/{world.a.pk}/queue/next/")
            leased.append(response.json()["item_id"])
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=(user,)) for user in annotators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len(leased) == 20
    assert len(set(leased)) == 20
    assert Annotation.objects.filter(status="assigned").count() == 20


def test_an_expired_lease_returns_the_item_to_the_pool(world: World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    held = next_item(world.client(world.annotator), world).json()
    Annotation.objects.filter(pk=held["id"]).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    taken_over = next_item(world.client(world.other_annotator), world).json()
    assert taken_over["item_id"] == held["item_id"]
    assert Annotation.objects.get(pk=held["id"]).status == "expired"
    late = world.client(world.annotator).patch(
        f"/api/v1/annotations/{held['id']}/",
        {"draft_text": "Too late."},
        content_type="application/json",
        HTTP_IF_MATCH='"v1"',
    )
    assert (late.status_code, late.json()["code"]) == (409, "conflict")
