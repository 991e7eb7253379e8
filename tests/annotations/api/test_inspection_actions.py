"""Acting on what inspection finds: fact suggestions and annotation priority.

Both are for leads and admins; a refused request writes nothing (no row, no audit event).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from annotations.models import Annotation, AuditEvent, FactSuggestion, Item, KnowledgeBase, VqaPair
from annotations.services.metrics import refresh_item_metrics
from tests.annotations.api.conftest import World, image_item
from tests.annotations.api.inspection_support import annotate_next


def suggest(client: Client, item: Item, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/items/{item.pk}/suggestions/", body, content_type="application/json"
    )


def suggestion_state() -> tuple[int, int]:
    return (
        FactSuggestion.objects.count(),
        AuditEvent.objects.filter(action="suggestion.create").count(),
    )


@pytest.fixture
def gapped(world: World) -> World:
    """alpha-0 gets a VQA pair its caption does not state, and a fact linked to an entity
    ("square", knowledge base "shapes") that knows a fact the caption does not hold."""
    first = world.items[0]
    VqaPair.objects.create(
        item=first, question="How many squares?", answer="three", digest="c" * 64,
        origin="import",
    )  # fmt: skip
    kb = KnowledgeBase.objects.create(name="shapes")
    entity = kb.entities.create(
        key="square", label="Square", description="A shape.", content_hash="x" * 64,
        facts=[{"subject": "square", "predicate": "sides", "value": "4"}],
    )  # fmt: skip
    assert first.current_caption is not None
    first.current_caption.facts.create(
        position=1, kind="object", subject="square", predicate="is", value="a square",
        source="import", entity=entity,
    )  # fmt: skip
    refresh_item_metrics([first.pk])
    return world


def test_a_lead_suggests_the_facts_the_gap_finder_proposes(gapped: World) -> None:
    first = gapped.items[0]
    lead, annotator = gapped.client(gapped.lead), gapped.client(gapped.annotator)
    gaps_url = f"/api/v1/items/{first.pk}/gaps/"
    before = annotator.get(gaps_url).json()
    [unsupported] = before["unsupported_vqa"]
    [entity_fact] = before["missing_entity_facts"]
    assert (unsupported["suggested"], entity_fact["suggested"]) == (False, False)
    # "How many squares?" -> "three" states the count fact "squares count three".
    assert unsupported["suggestion"] == {
        "kind": "count", "subject": "squares", "predicate": "count", "value": "three",
    }  # fmt: skip
    pair = VqaPair.objects.get(digest="c" * 64)

    created = suggest(
        lead, first, {**unsupported["suggestion"], "gap": "unsupported_vqa", "vqa_pair_id": pair.pk}
    )
    assert created.status_code == 201
    suggestion = FactSuggestion.objects.get()
    first_body = created.json()
    assert first_body == {
        "id": suggestion.pk, "kind": "count", "subject": "squares", "predicate": "count",
        "value": "three", "gap": "unsupported_vqa", "vqa_pair_id": pair.pk, "entity": None,
        "created_by": "lead", "created_at": first_body["created_at"],
    }  # fmt: skip
    event = AuditEvent.objects.get(action="suggestion.create")
    assert (event.actor_label, event.dataset_id, event.target_id, event.after) == (
        "lead", gapped.a.pk, str(suggestion.pk),
        {"item": first.pk, "kind": "count", "subject": "squares", "predicate": "count",
         "value": "three", "gap": "unsupported_vqa"},
    )  # fmt: skip

    # The same fact in other case, spacing and punctuation is the first suggestion again.
    again = suggest(
        lead, first,
        {"kind": "count", "subject": "  Squares ", "predicate": "COUNT", "value": "three.",
         "gap": "manual"},
    )  # fmt: skip
    assert (again.status_code, again.json()) == (200, first_body)
    assert suggestion_state() == (1, 1)

    # The entity's missing fact, suggested with its entity.
    from_entity = suggest(
        lead, first,
        {"kind": entity_fact["kind"], "subject": entity_fact["subject"],
         "predicate": entity_fact["predicate"], "value": entity_fact["value"],
         "gap": "entity_fact", "entity_key": "square"},
    )  # fmt: skip
    assert from_entity.status_code == 201
    second_body = from_entity.json()
    assert {key: second_body[key] for key in ("kind", "subject", "predicate", "value", "gap")} == {
        "kind": "world_knowledge", "subject": "square", "predicate": "sides", "value": "4",
        "gap": "entity_fact",
    }  # fmt: skip
    assert (second_body["vqa_pair_id"], second_body["entity"]) == (
        None,
        {"key": "square", "label": "Square", "description": "A shape.", "knowledge_base": "shapes"},
    )
    assert suggestion_state() == (2, 2)

    # The gap finder now marks both as suggested; annotators see them beside the item.
    after = annotator.get(gaps_url).json()
    assert [gap["suggested"] for gap in after["unsupported_vqa"]] == [True]
    assert [gap["suggested"] for gap in after["missing_entity_facts"]] == [True]
    assert annotator.get(f"/api/v1/items/{first.pk}/").json()["suggestions"] == [
        first_body,
        second_body,
    ]
    listed = annotator.get(f"/api/v1/items/{first.pk}/suggestions/")
    assert (listed.status_code, listed.json()) == (200, [first_body, second_body])
    # Another item's suggestions are its own.
    assert annotator.get(f"/api/v1/items/{gapped.items[1].pk}/suggestions/").json() == []
    assert annotator.get(f"/api/v1/items/{gapped.items[1].pk}/").json()["suggestions"] == []


FACT = {"kind": "count", "subject": "squares", "predicate": "count", "value": "three",
        "gap": "manual"}  # fmt: skip


def test_refused_suggestions_write_nothing(gapped: World) -> None:
    first, second = gapped.items[:2]
    other_pair = VqaPair.objects.create(
        item=second, question="What shape?", answer="square", digest="d" * 64, origin="import"
    )
    lead = gapped.client(gapped.lead)

    denied = suggest(gapped.client(gapped.annotator), first, FACT)
    assert (denied.status_code, denied.json()["code"], denied.json()["extra"]) == (
        403, "permission_denied", {"required_role": "lead", "your_role": "annotator"},
    )  # fmt: skip
    hidden = suggest(gapped.client(gapped.outsider), first, FACT)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    assert suggest(gapped.client(None), first, FACT).status_code == 401

    def refused(body: dict[str, Any]) -> dict[str, Any]:
        response = suggest(lead, first, body)
        assert response.status_code == 400
        fields: dict[str, Any] = response.json()["extra"]["fields"]
        return fields

    assert refused({**FACT, "vqa_pair_id": other_pair.pk}) == {
        "vqa_pair_id": [{"code": "invalid", "message": "Not a VQA pair of this item."}]
    }
    assert refused({**FACT, "entity_key": "circle"}) == {
        "entity_key": [{"code": "invalid", "message": "No knowledge-base entity has this key."}]
    }
    assert list(refused({**FACT, "kind": "colour"})) == ["kind"]
    assert list(refused({**FACT, "gap": "hunch"})) == ["gap"]
    assert list(refused({**FACT, "source": "model"})) == ["source"]
    assert suggestion_state() == (0, 0)
    # Nothing was suggested, so the gap is not marked.
    gaps = gapped.client(gapped.annotator).get(f"/api/v1/items/{first.pk}/gaps/").json()
    assert [gap["suggested"] for gap in gaps["unsupported_vqa"]] == [False]
    # An admin may suggest.
    assert suggest(gapped.client(gapped.admin), first, FACT).status_code == 201
    assert suggestion_state() == (1, 1)


def prioritise(client: Client, world: World, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/datasets/{world.a.pk}/items/prioritise/", body, content_type="application/json"
    )


def priorities(world: World) -> dict[str, int]:
    return dict(Item.objects.order_by("pk").values_list("external_id", "priority"))


def priority_events() -> int:
    return AuditEvent.objects.filter(action="item.prioritise").count()


@pytest.fixture
def queue(world: World) -> World:
    """alpha-0..2 ("A red square.", an object fact), alpha-3 likewise, alpha-4 without a
    caption; alpha-0 is made final first, so it is done."""
    image_item(world.a, 3, "A red square.")
    image_item(world.a, 4)
    annotation = annotate_next(
        world.client(world.annotator), world.a,
        verdict=lambda fact: {"verdict": "accepted"}, text="A red square.",
    )  # fmt: skip
    assert annotation["item_id"] == world.items[0].pk
    return world


def test_a_lead_sets_the_priority_the_queue_serves_first(queue: World) -> None:
    lead = queue.client(queue.lead)
    alpha = {item.external_id: item.pk for item in Item.objects.filter(dataset=queue.a)}
    by_ids = prioritise(
        lead, queue, {"item_ids": [alpha["alpha-3"], alpha["alpha-0"], alpha["alpha-1"]],
                      "priority": 7},
    )  # fmt: skip
    # Three selected; alpha-0 is done, so two are open.
    assert (by_ids.status_code, by_ids.json()) == (
        200,
        {"matched": 3, "updated": 2, "not_open": 1, "reopened": 0},
    )
    assert priorities(queue) == {
        "alpha-0": 7, "alpha-1": 7, "alpha-2": 0, "alpha-3": 7, "alpha-4": 0, "beta-9": 0,
    }  # fmt: skip
    event = AuditEvent.objects.get(action="item.prioritise")
    assert (event.actor_label, event.dataset_id, event.target_id, event.after) == (
        "lead", queue.a.pk, str(queue.a.pk),
        {"priority": 7, "items": 3, "reopened": [],
         "selection": {"item_ids": sorted([alpha["alpha-0"], alpha["alpha-1"], alpha["alpha-3"]])}},
    )  # fmt: skip

    # By filters: the item without a caption, then the pending items with an object fact.
    no_caption = prioritise(lead, queue, {"filters": {"origin": "none"}, "priority": 9})
    assert no_caption.json() == {"matched": 1, "updated": 1, "not_open": 0, "reopened": 0}
    pending = prioritise(
        lead, queue, {"filters": {"status": "pending", "has_kind": "object"}, "priority": 3}
    )
    # alpha-1, -2, -3
    assert pending.json() == {"matched": 3, "updated": 3, "not_open": 0, "reopened": 0}
    assert priorities(queue) == {
        "alpha-0": 7, "alpha-1": 3, "alpha-2": 3, "alpha-3": 3, "alpha-4": 9, "beta-9": 0,
    }  # fmt: skip
    assert priority_events() == 3
    assert AuditEvent.objects.filter(action="item.prioritise").order_by("pk").last().after == {  # type: ignore[union-attr]
        "priority": 3, "items": 3, "reopened": [],
        "selection": {"filters": {"status": "pending", "has_kinds": ["object"]}},
    }  # fmt: skip
    # The item list sorts by it.
    rows = queue.client(queue.annotator).get(
        f"/api/v1/datasets/{queue.a.pk}/items/", {"sort": "-priority"}
    )
    assert [(row["external_id"], row["priority"]) for row in rows.json()["results"]] == [
        ("alpha-4", 9), ("alpha-0", 7), ("alpha-1", 3), ("alpha-2", 3), ("alpha-3", 3),
    ]  # fmt: skip

    # The queue serves open items highest priority first, then by id.
    other = queue.client(queue.other_annotator)
    served = []
    for _ in range(2):
        annotation = annotate_next(
            other, queue.a, verdict=lambda fact: {"verdict": "accepted"}, text="A red square."
        )
        served.append(annotation["item_id"])
    assert served == [alpha["alpha-4"], alpha["alpha-1"]]


def test_a_done_item_goes_back_to_annotation_with_reopen(queue: World) -> None:
    lead = queue.client(queue.lead)
    done = Item.objects.get(dataset=queue.a, status=Item.Status.DONE)
    final_caption = done.current_caption_id
    submitted = list(Annotation.objects.filter(item=done, status="submitted"))
    assert len(submitted) == 1
    # Without reopen a done item keeps its status: the queue does not serve it.
    kept = prioritise(lead, queue, {"item_ids": [done.pk], "priority": 50})
    assert kept.json() == {"matched": 1, "updated": 0, "not_open": 1, "reopened": 0}
    assert Item.objects.get(pk=done.pk).status == Item.Status.DONE

    reopened = prioritise(lead, queue, {"item_ids": [done.pk], "priority": 50, "reopen": True})
    assert reopened.json() == {"matched": 1, "updated": 1, "not_open": 0, "reopened": 1}
    item = Item.objects.get(pk=done.pk)
    assert (item.status, item.priority, item.current_caption_id) == (
        Item.Status.PENDING, 50, final_caption,
    )  # fmt: skip
    assert Annotation.objects.get(pk=submitted[0].pk).status == "returned"
    assert AuditEvent.objects.filter(action="item.prioritise").last().after["reopened"] == [  # type: ignore[union-attr]
        done.pk
    ]
    # Its annotator may take it again, first (the highest priority), from the final caption.
    again = queue.client(submitted[0].annotator).post(f"/api/v1/datasets/{queue.a.pk}/queue/next/")
    assert (again.json()["item_id"], again.json()["base_caption_id"]) == (done.pk, final_caption)


def test_refused_priority_changes_change_nothing(queue: World) -> None:
    lead = queue.client(queue.lead)
    first = queue.items[0]
    before = (priorities(queue), priority_events())

    denied = prioritise(queue.client(queue.annotator), queue, {"item_ids": [first.pk],
                                                               "priority": 5})  # fmt: skip
    assert (denied.status_code, denied.json()["code"]) == (403, "permission_denied")
    hidden = prioritise(queue.client(queue.outsider), queue, {"item_ids": [first.pk],
                                                              "priority": 5})  # fmt: skip
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")

    def refused(body: dict[str, Any]) -> dict[str, Any]:
        response = prioritise(lead, queue, body)
        assert (response.status_code, response.json()["code"]) == (400, "invalid")
        fields: dict[str, Any] = response.json()["extra"]["fields"]
        return fields

    one = {
        "selection": [{"code": "invalid", "message": "Give exactly one of item_ids and filters."}]
    }
    assert refused({"item_ids": [first.pk], "filters": {"status": "pending"}, "priority": 5}) == one
    assert refused({"priority": 5}) == one
    beta = queue.items[-1]
    assert refused({"item_ids": [first.pk, beta.pk], "priority": 5})["item_ids"][0]["message"] == (
        f"Not items of dataset alpha: {beta.pk}."
    )
    assert (
        refused({"filters": {"status": "in_review"}, "priority": 5})["selection"][0]["message"]
        == "No item matches this selection."
    )
    assert list(refused({"filters": {"colour": "red"}, "priority": 5})) == ["filters"]
    assert list(refused({"item_ids": [first.pk], "priority": 1001})) == ["priority"]
    assert list(refused({"item_ids": [first.pk]})) == ["priority"]
    assert (priorities(queue), priority_events()) == before
