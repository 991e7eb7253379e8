"""The gap finder, checked on a small dataset by hand."""

from __future__ import annotations

from annotations.models import Fact, Item, KnowledgeBase, VqaPair
from annotations.services.metrics import refresh_item_metrics
from tests.annotations.api.conftest import World
from tests.annotations.api.inspection_support import annotate_next

PROMPT = "Describe this image in dense detail, as fluent sentences."


def test_an_items_gaps(world: World) -> None:
    first, second, third = world.items[:3]
    # The lead moves items 2 and 3 to the front of the queue; an annotator makes both final,
    # keeping their fact and adding a scene fact. Item 1 stays pending, without one.
    lead = world.client(world.lead)
    prioritised = lead.post(
        f"/api/v1/datasets/{world.a.pk}/items/prioritise/",
        {"item_ids": [second.pk, third.pk], "priority": 10},
        content_type="application/json",
    )
    assert prioritised.json() == {"matched": 2, "updated": 2, "not_open": 0, "reopened": 0}
    for expected in (second, third):
        annotation = annotate_next(
            world.client(world.annotator), world.a,
            verdict=lambda fact: {"verdict": "accepted"},
            text="A red square on a plain background.",
            added=[{"kind": "scene", "subject": "image", "predicate": "shows",
                    "value": "a plain background"}],
        )  # fmt: skip
        assert annotation["item_id"] == expected.pk
    assert set(Item.objects.filter(status=Item.Status.DONE).values_list("pk", flat=True)) == {
        second.pk, third.pk,
    }  # fmt: skip
    # Item 1's fact links to an entity whose knowledge base knows two facts, one of them held.
    kb = KnowledgeBase.objects.create(name="shapes")
    entity = kb.entities.create(
        key="square", label="Square", content_hash="x" * 64,
        facts=[
            {"subject": "square", "predicate": "colour", "value": "red"},
            {"subject": "square", "predicate": "sides", "value": "4"},
        ],
    )  # fmt: skip
    fact = first.current_caption.facts.get()  # type: ignore[union-attr]
    # A second fact of the caption links that entity.
    caption = first.current_caption
    assert caption is not None
    linked = Fact.objects.create(
        caption=caption, position=2, kind="object", subject="square", predicate="is",
        value="a square", source="import", entity=entity,
    )  # fmt: skip
    VqaPair.objects.create(
        item=first, question="How many squares?", answer="three", digest="c" * 64,
        origin="import",
    )  # fmt: skip
    refresh_item_metrics([first.pk])

    body = world.client(world.annotator).get(f"/api/v1/items/{first.pk}/gaps/").json()
    # "What colour?" -> "red" is stated; "How many squares?" -> "three" is not, and states
    # the count fact "squares count three".
    assert body["unsupported_vqa"] == [
        {
            "id": VqaPair.objects.get(digest="c" * 64).pk,
            "question": "How many squares?",
            "answer": "three",
            "suggestion": {
                "kind": "count", "subject": "squares", "predicate": "count", "value": "three",
            },
            "suggested": False,
            "prompt": f'{PROMPT} Make sure to answer these questions in the description: '
            '"How many squares?".',
        }
    ]  # fmt: skip
    assert body["missing_entity_facts"] == [
        {
            "entity": {"key": "square", "label": "Square", "knowledge_base": "shapes"},
            "subject": "square",
            "predicate": "sides",
            "value": "4",
            "kind": "world_knowledge",
            "suggested": False,
            "prompt": f"{PROMPT} Make sure to say what is known about Square (square sides 4).",
        }
    ]
    # Both final captions have a scene fact (share 2/2); item 1 has none.
    assert body["missing_kinds"] == [
        {
            "kind": "scene",
            "share": 1.0,
            "prompt": f"{PROMPT} Make sure to say what the scene is and where it takes place.",
        }
    ]
    assert (body["compared_with"], body["captions_compared"], body["final_captions_compared"]) == (
        "final", 2, 2,
    )  # fmt: skip
    assert body["prompt"] == (
        f'{PROMPT} Make sure to answer these questions in the description: "How many squares?"; '
        "say what is known about Square; say what the scene is and where it takes place."
    )
    assert (fact.kind, linked.kind) == ("object", "object")
    # A final item has no gap: its VQA pair is stated, its caption has every typical kind.
    done = world.client(world.annotator).get(f"/api/v1/items/{second.pk}/gaps/").json()
    assert (done["unsupported_vqa"], done["missing_entity_facts"], done["missing_kinds"]) == (
        [], [], [],
    )  # fmt: skip
    assert done["prompt"] is None
    assert world.client(world.outsider).get(f"/api/v1/items/{first.pk}/gaps/").status_code == 404


def test_with_no_item_done_the_current_captions_are_the_typical_ones(world: World) -> None:
    first, second, third = world.items[:3]
    # Items 2 and 3 get a scene fact in their current (imported) caption; none is done.
    for item in (second, third):
        assert item.current_caption is not None
        Fact.objects.create(
            caption=item.current_caption, position=1, kind="scene", subject="image",
            predicate="shows", value="a plain background", source="import",
        )  # fmt: skip
    refresh_item_metrics([second.pk, third.pk])
    body = world.client(world.annotator).get(f"/api/v1/items/{first.pk}/gaps/").json()
    # Two of the three current captions have a scene fact: share 2/3.
    assert body["missing_kinds"] == [
        {
            "kind": "scene",
            "share": 2 / 3,
            "prompt": f"{PROMPT} Make sure to say what the scene is and where it takes place.",
        }
    ]
    assert (body["compared_with"], body["captions_compared"], body["final_captions_compared"]) == (
        "current", 3, 0,
    )  # fmt: skip
    assert body["unsupported_vqa"] == []
    assert body["prompt"] == (
        f"{PROMPT} Make sure to say what the scene is and where it takes place."
    )
