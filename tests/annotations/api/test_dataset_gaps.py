"""The gap summary of a dataset, counted by hand, and the item-list filters behind each figure.

Dataset beta holds the world's beta-9 ("Blue.", one object fact, no VQA pair) and four
imported items, linked to a knowledge base "space" whose entities know two facts each:

- shuttle: object shuttle (-> space-shuttle), count, world_knowledge STS-93 crew (-> sts-93);
  VQA "What color is the suit?" -> "orange" (not stated), "Is there a shuttle?" -> "yes";
- launch: object shuttle (-> space-shuttle), count, scene; VQA "What color is the suit?" ->
  "white" and "What time is it?" -> "dusk" (neither stated);
- crew: object, attribute; VQA "What color is the suit?" -> "orange" (stated);
- empty: no caption; VQA "What color is the suit?" -> "blue".
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from annotations.models import Entity, Item
from annotations.selectors.gaps import item_gaps
from tests.annotations.api.conftest import World
from tests.annotations.api.inspection_support import (
    annotate_next,
    assert_totals_match_rows,
    import_knowledge_base,
    import_records,
)

PROMPT = "Describe this image in dense detail, as fluent sentences."
SUIT = "What color is the suit?"
SPACE = [
    {
        "key": "sts-93", "label": "STS-93",
        "facts": [
            {"subject": "STS-93", "predicate": "crew", "value": "Collins"},
            {"subject": "STS-93", "predicate": "launched", "value": "1999"},
        ],
    },
    {
        "key": "space-shuttle", "label": "Space Shuttle",
        "facts": [
            {"subject": "Space Shuttle", "predicate": "is a", "value": "spacecraft"},
            {"subject": "Space Shuttle", "predicate": "operated by", "value": "NASA"},
        ],
    },
]  # fmt: skip
SHUTTLE = {"kind": "object", "subject": "shuttle", "predicate": "present", "value": "yes",
           "entity": "space-shuttle"}  # fmt: skip
ONE_SHUTTLE = {"kind": "count", "subject": "shuttle", "predicate": "count", "value": "1"}
RECORDS = [
    {
        "id": "shuttle",
        "caption": "The crew of STS-93 flew a Space Shuttle.",
        "facts": [
            {"kind": "world_knowledge", "subject": "STS-93", "predicate": "crew",
             "value": "Collins", "entity": "sts-93"},
            SHUTTLE,
            ONE_SHUTTLE,
        ],
        "vqa": [{"question": SUIT, "answer": "orange"},
                {"question": "Is there a shuttle?", "answer": "yes"}],
    },
    {
        "id": "launch",
        "caption": "A Space Shuttle launches at noon.",
        "facts": [
            SHUTTLE,
            ONE_SHUTTLE,
            {"kind": "scene", "subject": "image", "predicate": "shows", "value": "a launch pad"},
        ],
        "vqa": [{"question": SUIT, "answer": "white"},
                {"question": "What time is it?", "answer": "dusk"}],
    },
    {
        "id": "crew",
        "caption": "Astronauts pose in orange suits.",
        "facts": [
            {"kind": "object", "subject": "astronaut", "predicate": "present", "value": "yes"},
            {"kind": "attribute", "subject": "suit", "predicate": "color", "value": "orange"},
        ],
        "vqa": [{"question": SUIT, "answer": "orange"}],
    },
    {"id": "empty", "vqa": [{"question": SUIT, "answer": "blue"}]},
]  # fmt: skip
COUNT_PROMPT = f"{PROMPT} Make sure to say how many of each object there are."


@pytest.fixture
def space(world: World, tmp_path: Path) -> World:
    import_knowledge_base("space", tmp_path / "kb", SPACE)
    import_records(world.b, tmp_path / "import", RECORDS)
    return world


def gaps(client: Client, world: World, **filters: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/datasets/{world.b.pk}/gaps/", filters)
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def listed(client: Client, world: World, **filters: Any) -> list[str]:
    rows = client.get(f"/api/v1/datasets/{world.b.pk}/items/", filters).json()["results"]
    return [row["external_id"] for row in rows]


def test_the_gap_summary_counts_what_its_links_list(space: World) -> None:
    client = space.client(space.outsider)  # an annotator of beta
    body = gaps(client, space)
    assert body == {
        # beta-9, shuttle, launch and crew have a caption; empty has none.
        "items": 4,
        # No item is done: the typical captions are the four current ones.
        "compared_with": "current",
        "captions_compared": 4,
        # Unstated: shuttle's suit question, launch's two. empty's pair has no caption to
        # judge it and is no caption's gap.
        "unsupported_vqa": {
            "pairs": 3,
            "items": 2,
            "top_questions": [
                {"question": SUIT, "pairs": 2},
                {"question": "What time is it?", "pairs": 1},
            ],
            "prompt": f"{PROMPT} Make sure to answer these questions in the description: "
            f'"{SUIT}"; "What time is it?".',
        },
        # Every caption has an object fact (4/4), half a count fact (2/4): typical. No caption
        # lacks an object fact; beta-9 and crew lack a count fact.
        "missing_kinds": [
            {"kind": "count", "share": 0.5, "items_lacking": 2, "prompt": COUNT_PROMPT}
        ],
        # Each caption links one fact to an entity that has two: none holds all.
        "entities": [
            {
                "key": "space-shuttle", "label": "Space Shuttle", "knowledge_base": "space",
                "items": 2, "items_missing_facts": 2,
                "prompt": f"{PROMPT} Make sure to say what is known about Space Shuttle.",
            },
            {
                "key": "sts-93", "label": "STS-93", "knowledge_base": "space",
                "items": 1, "items_missing_facts": 1,
                "prompt": f"{PROMPT} Make sure to say what is known about STS-93.",
            },
        ],
    }  # fmt: skip
    # The filters that list each group's items list exactly the counted items.
    assert listed(client, space, vqa_support_below=1) == ["shuttle", "launch"]
    assert listed(client, space, lacks_kind="count") == ["beta-9", "crew"]
    assert listed(client, space, entity="space-shuttle") == ["shuttle", "launch"]
    assert listed(client, space, entity="sts-93") == ["shuttle"]

    # The summary of a filtered selection counts its items only.
    assert gaps(client, space, entity="space-shuttle") == {
        **body,
        "items": 2,
        "missing_kinds": [],  # both have a count fact
    }
    attribute = gaps(client, space, has_kind="attribute")  # crew
    assert attribute == {
        "items": 1,
        "compared_with": "current",  # the typical captions are the whole dataset's
        "captions_compared": 4,
        "unsupported_vqa": {"pairs": 0, "items": 0, "top_questions": [], "prompt": None},
        "missing_kinds": [
            {"kind": "count", "share": 0.5, "items_lacking": 1, "prompt": COUNT_PROMPT}
        ],
        "entities": [],
    }
    assert listed(client, space, has_kind="attribute", lacks_kind="count") == ["crew"]
    refused = client.get(f"/api/v1/datasets/{space.b.pk}/gaps/", {"lacks_kind": "colour"})
    assert (refused.status_code, list(refused.json()["extra"]["fields"])) == (400, ["lacks_kind"])
    # The whole dataset's running totals agree with its rows.
    assert_totals_match_rows(space.a)
    assert_totals_match_rows(space.b)
    # Each item's stored entity gaps are its own gap list's, entity by entity.
    for item in Item.objects.filter(dataset=space.b).select_related("dataset"):
        missing = Counter(gap["entity"]["key"] for gap in item_gaps(item)["missing_entity_facts"])
        stored = {
            Entity.objects.get(pk=int(entity_id)).key: count
            for entity_id, count in item.entity_gaps.items()
        }
        assert {key: n for key, n in stored.items() if n} == dict(missing), item.external_id


def test_once_an_item_is_done_final_captions_are_the_typical_ones(space: World) -> None:
    client = space.client(space.outsider)
    # The queue hands out beta-9 first; its final caption keeps the object fact and adds a
    # count fact.
    annotate_next(
        client, space.b, verdict=lambda fact: {"verdict": "accepted"}, text="One blue square.",
        added=[{"kind": "count", "subject": "square", "predicate": "count", "value": "1"}],
    )  # fmt: skip
    body = gaps(client, space)
    assert (body["items"], body["compared_with"], body["captions_compared"]) == (4, "final", 1)
    # The one final caption has an object and a count fact: both typical (share 1); only crew
    # lacks a count fact now.
    assert body["missing_kinds"] == [
        {"kind": "count", "share": 1.0, "items_lacking": 1, "prompt": COUNT_PROMPT}
    ]
    assert listed(client, space, lacks_kind="count") == ["crew"]
    assert body["unsupported_vqa"]["pairs"] == 3
    # The whole dataset's running totals agree with its rows.
    assert_totals_match_rows(space.a)
    assert_totals_match_rows(space.b)


def test_the_gaps_of_a_dataset_one_cannot_see_are_404(space: World) -> None:
    response = space.client(space.annotator).get(f"/api/v1/datasets/{space.b.pk}/gaps/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    anonymous = space.client(None).get(f"/api/v1/datasets/{space.b.pk}/gaps/")
    assert anonymous.status_code == 401
