"""The gap finder, checked on a small dataset by hand."""

from __future__ import annotations

from annotations.models import Fact, Item, KnowledgeBase, VqaPair
from annotations.services.metrics import refresh_item_metrics
from tests.annotations.api.conftest import World


def test_an_items_gaps(world: World) -> None:
    first, second, third = world.items[:3]
    # Items 2 and 3 are final and both have a scene fact; item 1 has none.
    for item in (second, third):
        assert item.current_caption is not None
        Fact.objects.create(
            caption=item.current_caption, position=1, kind="scene", subject="image",
            predicate="shows", value="a plain background", source="import",
        )  # fmt: skip
    Item.objects.filter(pk__in=[second.pk, third.pk]).update(status=Item.Status.DONE)
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
    assert body["unsupported_vqa"] == [
        {"id": VqaPair.objects.get(digest="c" * 64).pk, "question": "How many squares?",
         "answer": "three"}
    ]  # fmt: skip
    assert body["missing_entity_facts"] == [
        {
            "entity": {"key": "square", "label": "Square", "knowledge_base": "shapes"},
            "subject": "square",
            "predicate": "sides",
            "value": "4",
        }
    ]
    assert body["missing_kinds"] == [{"kind": "scene", "share": 1.0}]
    assert body["final_captions_compared"] == 2
    assert (fact.kind, linked.kind) == ("object", "object")
    assert world.client(world.outsider).get(f"/api/v1/items/{first.pk}/gaps/").status_code == 404
