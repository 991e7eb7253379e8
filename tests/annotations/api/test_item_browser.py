"""The item browser's list: the shared filters, every sort with keyset pages, and the count.

Dataset alpha holds the world's three items (alpha-0..2: "A red square.", one object fact;
alpha-0 also a VQA pair its caption supports) and three imported ones:

- tbl: "Two red squares on a white table." (7 words), facts object, count, attribute,
  relation: fact_count 4, density 400/7; VQA "What colour is the table?" -> "white" (stated)
  and "What is on the table?" -> "a cup" (not stated): coverage 1/2, VQA support 1/2;
- park: "A tree in a park." (5 words), facts object (linked to entity oak) and scene:
  fact_count 2, density 40; VQA "Is there a tree?" -> "yes" (stated): coverage 1, support 1;
- blank: no caption (no metric at all, no fact kinds).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from annotations.models import AuditEvent, Item
from tests.annotations.api.conftest import World
from tests.annotations.api.inspection_support import (
    BROWSER_RECORDS,
    TREES,
    annotate_next,
    import_knowledge_base,
    import_records,
)

ALPHA = ["alpha-0", "alpha-1", "alpha-2"]


@pytest.fixture
def browser(world: World, tmp_path: Path) -> World:
    import_knowledge_base("trees", tmp_path / "kb", TREES)
    import_records(world.a, tmp_path / "import", BROWSER_RECORDS)
    return world


def url(world: World, tail: str = "") -> str:
    return f"/api/v1/datasets/{world.a.pk}/items/{tail}"


def listed(client: Client, world: World, **query: Any) -> list[str]:
    """External ids the list answers (one page of 200), checked against the count endpoint."""
    response = client.get(url(world), {"limit": 200, **query})
    assert response.status_code == 200, response.json()
    rows = [row["external_id"] for row in response.json()["results"]]
    filters = {name: value for name, value in query.items() if name != "sort"}
    assert client.get(url(world, "count/"), filters).json() == {"count": len(rows)}
    return rows


def test_each_filter_selects_exactly_its_items(browser: World) -> None:
    client = browser.client(browser.annotator)
    every = [*ALPHA, "tbl", "park", "blank"]
    assert listed(client, browser) == every
    # origin: of the current caption; none = no caption.
    assert listed(client, browser, origin="import") == [*ALPHA, "tbl", "park"]
    assert listed(client, browser, origin="none") == ["blank"]
    assert listed(client, browser, origin="model") == []
    # Facts: alpha 1 each, park 2, tbl 4, blank none (matches no bound).
    assert listed(client, browser, fact_count_min=2) == ["tbl", "park"]
    assert listed(client, browser, fact_count_max=1) == ALPHA
    assert listed(client, browser, fact_count_below=2) == ALPHA
    # _below is exclusive: tbl's 4 facts are not below 4.
    assert listed(client, browser, fact_count_below=4) == [*ALPHA, "park"]
    assert listed(client, browser, fact_count_min=2, fact_count_below=4) == ["park"]
    assert listed(client, browser, fact_count_min=4, fact_count_max=4) == ["tbl"]
    # Density: alpha 100/3 = 33.3, park 40 exactly, tbl 400/7 = 57.14.
    assert listed(client, browser, density_below=40) == ALPHA
    assert listed(client, browser, density_min=40, density_below=400 / 7) == ["park"]
    assert listed(client, browser, density_min=400 / 7) == ["tbl"]
    # Coverage: alpha-0 and park 1, tbl 1/2; alpha-1, alpha-2 and blank have none.
    assert listed(client, browser, coverage_below=1) == ["tbl"]
    assert listed(client, browser, coverage_below=0.5) == []
    assert listed(client, browser, coverage_min=0.5, coverage_below=0.6) == ["tbl"]
    assert listed(client, browser, vqa_support_below=1) == ["tbl"]
    assert listed(client, browser, vqa_support_below=0.5) == []
    assert listed(client, browser, vqa_support_min=1) == ["alpha-0", "park"]
    # Kinds: every caption has an object fact; tbl also count, attribute and relation; park
    # also scene. blank has no caption, so no kind is present or missing.
    assert listed(client, browser, has_kind="object") == [*ALPHA, "tbl", "park"]
    assert listed(client, browser, has_kind=" count , relation") == ["tbl"]
    assert listed(client, browser, has_kind="object,scene") == ["park"]
    assert listed(client, browser, lacks_kind="count") == [*ALPHA, "park"]
    assert listed(client, browser, lacks_kind="count,scene") == ALPHA
    assert listed(client, browser, lacks_kind="object") == []
    assert listed(client, browser, has_kind="object", lacks_kind="relation") == [*ALPHA, "park"]
    # Entity: park's tree fact links oak.
    assert listed(client, browser, entity="oak") == ["park"]
    assert listed(client, browser, entity="elm") == []
    assert (
        listed(client, browser, origin="import", fact_count_max=1, lacks_kind="scene", q="square")
        == ALPHA
    )


@pytest.mark.parametrize("tail", ["", "count/"])
def test_bad_filters_are_refused_naming_the_field(browser: World, tail: str) -> None:
    client = browser.client(browser.annotator)

    def refused(**query: Any) -> dict[str, Any]:
        response = client.get(url(browser, tail), query)
        assert (response.status_code, response.json()["code"]) == (400, "invalid")
        fields: dict[str, Any] = response.json()["extra"]["fields"]
        return fields

    kinds = "object, attribute, relation, count, text_in_image, scene, world_knowledge"
    assert refused(has_kind="object,colour") == {
        "has_kind": [
            {"code": "invalid", "message": f"Comma-separated fact kinds of {kinds}; not colour."}
        ]
    }
    assert refused(lacks_kind="shape,count,size") == {
        "lacks_kind": [
            {
                "code": "invalid",
                "message": f"Comma-separated fact kinds of {kinds}; not shape, size.",
            }
        ]
    }
    assert refused(has_kind="count,object", lacks_kind="scene,count") == {
        "lacks_kind": [
            {"code": "invalid", "message": "A kind cannot be both present and missing: count."}
        ]
    }
    assert refused(fact_count_min=3, fact_count_below=2) == {
        "fact_count_min": [{"code": "invalid", "message": "Must not exceed fact_count_below."}]
    }
    assert refused(origin="robot") == {
        "origin": [{"code": "invalid_choice", "message": '"robot" is not a valid choice.'}]
    }


def test_the_count_endpoint_takes_no_page_parameters(browser: World) -> None:
    client = browser.client(browser.annotator)
    response = client.get(url(browser, "count/"), {"has_kind": "object", "sort": "density"})
    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["sort"]
    assert client.get(url(browser, "count/"), {"status": "done"}).json() == {"count": 0}
    assert client.get(url(browser, "count/")).json() == {"count": 6}


def walk(client: Client, world: World, sort: str, limit: int, **query: Any) -> list[str]:
    """Every page of one sort, following next_cursor; the pages' ids, concatenated."""
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        page_query = {"sort": sort, "limit": limit, **query}
        if cursor is not None:
            page_query["cursor"] = cursor
        body = client.get(url(world), page_query).json()
        assert 1 <= len(body["results"]) <= limit
        seen += [row["external_id"] for row in body["results"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError(f"no last page: {seen}")


# Ties go by id (alpha-0 < alpha-1 < alpha-2 < tbl < park < blank), items without the metric
# come last (by id), in both directions.
SORTED = {
    "id": [*ALPHA, "tbl", "park", "blank"],
    "-id": ["blank", "park", "tbl", "alpha-2", "alpha-1", "alpha-0"],
    # 1, 1, 1, 2, 4; blank has none.
    "fact_count": [*ALPHA, "park", "tbl", "blank"],
    "-fact_count": ["tbl", "park", *ALPHA, "blank"],
    # 33.3, 33.3, 33.3, 40, 57.1; blank has none.
    "density": [*ALPHA, "park", "tbl", "blank"],
    "-density": ["tbl", "park", *ALPHA, "blank"],
    # tbl 0.5, alpha-0 and park 1; alpha-1, alpha-2 and blank have none.
    "coverage": ["tbl", "alpha-0", "park", "alpha-1", "alpha-2", "blank"],
    "-coverage": ["alpha-0", "park", "tbl", "alpha-1", "alpha-2", "blank"],
    "vqa_support": ["tbl", "alpha-0", "park", "alpha-1", "alpha-2", "blank"],
    "-vqa_support": ["alpha-0", "park", "tbl", "alpha-1", "alpha-2", "blank"],
    # Priorities set below: alpha-2 and park 5, alpha-1 1, the rest 0.
    "priority": ["alpha-0", "tbl", "blank", "alpha-1", "alpha-2", "park"],
    "-priority": ["alpha-2", "park", "alpha-1", "alpha-0", "tbl", "blank"],
}


def set_priority(world: World, external_ids: list[str], priority: int) -> None:
    ids = list(
        Item.objects.filter(dataset=world.a, external_id__in=external_ids).values_list(
            "pk", flat=True
        )
    )
    response = world.client(world.lead).post(
        url(world, "prioritise/"),
        {"item_ids": ids, "priority": priority},
        content_type="application/json",
    )
    assert response.status_code == 200


@pytest.mark.parametrize("sort", list(SORTED))
def test_every_sort_walks_the_whole_list_in_keyset_pages(browser: World, sort: str) -> None:
    set_priority(browser, ["alpha-2", "park"], 5)
    set_priority(browser, ["alpha-1"], 1)
    client = browser.client(browser.annotator)
    assert listed(client, browser, sort=sort) == SORTED[sort]
    for limit in (1, 2):
        assert walk(client, browser, sort, limit) == SORTED[sort], limit


def test_a_sort_applies_to_the_filtered_items_only(browser: World) -> None:
    client = browser.client(browser.annotator)
    assert walk(client, browser, "-density", 1, has_kind="object") == ["tbl", "park", *ALPHA]
    assert walk(client, browser, "coverage", 2, lacks_kind="scene") == [
        "tbl", "alpha-0", "alpha-1", "alpha-2",
    ]  # fmt: skip


def test_a_cursor_is_only_good_for_the_sort_it_came_from(browser: World) -> None:
    client = browser.client(browser.annotator)
    by_density = client.get(url(browser), {"sort": "density", "limit": 2}).json()["next_cursor"]
    by_id = client.get(url(browser), {"limit": 2}).json()["next_cursor"]
    assert None not in (by_density, by_id)
    refused = {"cursor": [{"code": "invalid", "message": "Not a cursor this API returned for "
                                                         "this sort."}]}  # fmt: skip
    for sort, cursor in (("-density", by_density), ("fact_count", by_density), ("id", by_density),
                         ("density", by_id), ("-id", "not-ours")):  # fmt: skip
        response = client.get(url(browser), {"sort": sort, "limit": 2, "cursor": cursor})
        assert (response.status_code, response.json()["extra"]["fields"]) == (400, refused), sort
    # The same cursor with its own sort goes on after the second item.
    rows = client.get(url(browser), {"sort": "density", "limit": 2, "cursor": by_density}).json()
    assert [row["external_id"] for row in rows["results"]] == ["alpha-2", "park"]
    bad_sort = client.get(url(browser), {"sort": "colour"})
    assert list(bad_sort.json()["extra"]["fields"]) == ["sort"]


def kinds_of_current_caption(client: Client, item_id: int) -> dict[str, int]:
    facts = client.get(f"/api/v1/items/{item_id}/").json()["facts"]
    return dict(Counter(fact["kind"] for fact in facts))


def test_kind_counts_follow_the_current_caption(browser: World) -> None:
    client = browser.client(browser.annotator)
    rows = client.get(url(browser)).json()["results"]
    expected = {
        "alpha-0": {"object": 1},
        "alpha-1": {"object": 1},
        "alpha-2": {"object": 1},
        "tbl": {"attribute": 1, "count": 1, "object": 1, "relation": 1},
        "park": {"object": 1, "scene": 1},
        "blank": {},
    }
    assert {row["external_id"]: row["kind_counts"] for row in rows} == expected
    for row in rows:
        assert row["kind_counts"] == kinds_of_current_caption(client, row["id"])
    tbl = next(row for row in rows if row["external_id"] == "tbl")
    assert tbl == {
        "id": tbl["id"], "external_id": "tbl", "status": "pending", "width": 64, "height": 48,
        "caption": "Two red squares on a white table.", "origin": "import", "fact_count": 4,
        "density": 400 / 7, "coverage": 0.5, "vqa_support": 0.5,
        "kind_counts": {"attribute": 1, "count": 1, "object": 1, "relation": 1},
        "priority": 0, "thumbnail_url": f"/api/v1/items/{tbl['id']}/image/thumbnail/",
    }  # fmt: skip
    blank = next(row for row in rows if row["external_id"] == "blank")
    assert [blank[name] for name in ("caption", "origin", "fact_count", "density")] == [None] * 4

    # The queue hands alpha-0 out first; the annotator drops its object fact and adds a count
    # and two scene facts.
    annotate_next(
        client, browser.a,
        verdict=lambda fact: {"verdict": "rejected"},
        text="One square on a plain background by a white wall.",
        added=[
            {"kind": "count", "subject": "square", "predicate": "count", "value": "1"},
            {"kind": "scene", "subject": "image", "predicate": "shows", "value": "a background"},
            {"kind": "scene", "subject": "image", "predicate": "shows", "value": "a white wall"},
        ],
    )  # fmt: skip
    first = Item.objects.get(dataset=browser.a, external_id="alpha-0")
    assert first.kind_counts == {"count": 1, "scene": 2}
    assert kinds_of_current_caption(client, first.pk) == {"count": 1, "scene": 2}
    assert listed(client, browser, origin="annotator") == ["alpha-0"]
    assert listed(client, browser, has_kind="scene") == ["alpha-0", "park"]
    assert listed(client, browser, lacks_kind="object") == ["alpha-0"]
    assert listed(client, browser, has_kind="count", status="done") == ["alpha-0"]
    assert AuditEvent.objects.filter(action="annotation.submit").count() == 1


def test_the_list_and_count_of_a_dataset_one_cannot_see_are_404(browser: World) -> None:
    outsider = browser.client(browser.outsider)
    for tail in ("", "count/"):
        response = outsider.get(url(browser, tail), {"has_kind": "object"})
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize("tail", ["", "count/"])
def test_numbers_a_bound_cannot_compare_with_are_refused(browser: World, tail: str) -> None:
    client = browser.client(browser.annotator)
    for name, value in (
        ("fact_count_min", "inf"),
        ("density_max", "nan"),
        ("coverage_min", "nan"),
        ("vqa_support_below", "-inf"),
        ("fact_count_min", "3000000000"),
    ):
        response = client.get(url(browser, tail), {name: value})
        assert (response.status_code, list(response.json()["extra"]["fields"])) == (
            400,
            [name],
        ), (name, value)
    # The same in a JSON body: 1e400 parses as infinity.
    lead = browser.client(browser.lead)
    before = list(Item.objects.order_by("pk").values_list("pk", "priority"))
    response = lead.post(
        url(browser, "prioritise/"),
        '{"filters": {"density_max": 1e400}, "priority": 5}',
        content_type="application/json",
    )
    assert (response.status_code, list(response.json()["extra"]["fields"])) == (400, ["filters"])
    assert list(Item.objects.order_by("pk").values_list("pk", "priority")) == before
    assert not AuditEvent.objects.filter(action="item.prioritise").exists()


def test_a_forged_cursor_with_an_endless_value_is_refused(browser: World) -> None:
    import base64

    client = browser.client(browser.annotator)
    for sort, raw in (("priority", "sort:priority:inf:1"), ("density", "sort:density:nan:1")):
        cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        response = client.get(url(browser), {"sort": sort, "cursor": cursor})
        assert (response.status_code, list(response.json()["extra"]["fields"])) == (
            400,
            ["cursor"],
        )


def test_the_overview_of_a_filter_that_matches_nothing_is_empty(browser: World) -> None:
    client = browser.client(browser.annotator)
    # A bound no item reaches, and a kind no caption has.
    for query in ({"fact_count_min": 1000}, {"has_kind": "text_in_image"}):
        body = client.get(f"/api/v1/datasets/{browser.a.pk}/overview/", query).json()
        assert body["items"] == {"total": 0, "done": 0, "with_caption": 0}
        gaps = client.get(f"/api/v1/datasets/{browser.a.pk}/gaps/", query).json()
        assert (gaps["items"], gaps["unsupported_vqa"]["pairs"]) == (0, 0)
