from __future__ import annotations

import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from PIL import Image

from annotations.models import Caption, Item, VqaPair
from annotations.services.metrics import refresh_item_metrics
from tests.annotations.api.conftest import World, image_item


def test_items_list_is_scoped_paginated_by_cursor_and_filtered(world: World) -> None:
    client = world.client(world.annotator)
    url = f"/api/v1/datasets/{world.a.pk}/items/"
    first = client.get(url, {"limit": 2})
    assert first.status_code == 200
    body = first.json()
    assert [row["external_id"] for row in body["results"]] == ["alpha-0", "alpha-1"]
    assert body["results"][0]["caption"] == "A red square."
    assert body["results"][0]["thumbnail_url"] == (
        f"/api/v1/items/{world.items[0].pk}/image/thumbnail/"
    )
    second = client.get(url, {"limit": 2, "cursor": body["next_cursor"]})
    assert [row["external_id"] for row in second.json()["results"]] == ["alpha-2"]
    assert second.json()["next_cursor"] is None

    Item.objects.filter(pk=world.items[1].pk).update(status=Item.Status.DONE)
    done = client.get(url, {"status": "done"}).json()["results"]
    assert [row["external_id"] for row in done] == ["alpha-1"]
    searched = client.get(url, {"q": "square"}).json()["results"]
    assert len(searched) == 3
    assert client.get(url, {"q": "circle"}).json()["results"] == []
    # One fact in three words: density 33.3 on every item.
    dense = client.get(url, {"density_min": 33.3, "density_max": 33.4}).json()["results"]
    assert [row["external_id"] for row in dense] == ["alpha-0", "alpha-1", "alpha-2"]
    assert client.get(url, {"density_min": 34}).json()["results"] == []


def test_items_list_filters_by_coverage_and_vqa_support(world: World) -> None:
    # alpha-0 has a VQA pair its caption supports (coverage 1); alpha-1 gets one it does not
    # (coverage 0); alpha-2 has no reference facts, so no coverage, and matches no range.
    VqaPair.objects.create(
        item=world.items[1], question="How many circles are there?", answer="two",
        digest="b" * 64, origin=VqaPair.Origin.IMPORT,
    )  # fmt: skip
    refresh_item_metrics([world.items[1].pk])
    client = world.client(world.annotator)
    url = f"/api/v1/datasets/{world.a.pk}/items/"

    def ids(**query: object) -> list[tuple[str, float | None, float | None]]:
        rows = client.get(url, query).json()["results"]
        return [(row["external_id"], row["coverage"], row["vqa_support"]) for row in rows]

    assert ids(coverage_min=0.5) == [("alpha-0", 1.0, 1.0)]
    assert ids(coverage_max=0.5) == [("alpha-1", 0.0, 0.0)]
    assert ids(coverage_min=0, coverage_max=1) == [("alpha-0", 1.0, 1.0), ("alpha-1", 0.0, 0.0)]
    assert ids(vqa_support_max=0) == [("alpha-1", 0.0, 0.0)]
    assert ids(coverage_min=0.5, status="done") == []
    everything = ids()
    assert everything[2] == ("alpha-2", None, None)

    inverted = client.get(url, {"coverage_min": 0.8, "coverage_max": 0.2})
    assert (inverted.status_code, inverted.json()["extra"]["fields"]) == (
        400,
        {"coverage_min": [{"code": "invalid", "message": "Must not exceed coverage_max."}]},
    )
    above_one = client.get(url, {"coverage_max": 1.5})
    assert (above_one.status_code, above_one.json()["extra"]["fields"]) == (
        400,
        {
            "coverage_max": [
                {"code": "max_value", "message": "Ensure this value is less than or equal to 1."}
            ]
        },
    )


def test_items_list_query_count_does_not_grow_with_the_page(world: World) -> None:
    for number in range(3, 13):
        image_item(world.a, number, "A red square.")
    client = world.client(world.annotator)
    url = f"/api/v1/datasets/{world.a.pk}/items/"
    with CaptureQueriesContext(connection) as small:
        client.get(url, {"limit": 2})
    with CaptureQueriesContext(connection) as large:
        client.get(url, {"limit": 13})
    assert len(small) == len(large)


def test_items_list_rejects_undeclared_and_malformed_parameters(world: World) -> None:
    client = world.client(world.annotator)
    url = f"/api/v1/datasets/{world.a.pk}/items/"
    unknown = client.get(url, {"ordering": "annotator__password"})
    assert unknown.status_code == 400
    assert list(unknown.json()["extra"]["fields"]) == ["ordering"]
    bad_cursor = client.get(url, {"cursor": "not-ours"})
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["extra"]["fields"] == {
        "cursor": [{"code": "invalid", "message": "Not a cursor this API returned for this sort."}]
    }
    assert client.get(url, {"status": "finished"}).status_code == 400
    assert client.get(url, {"limit": 1000}).status_code == 400


def test_items_list_rejects_a_repeated_parameter_and_a_null_boolean(world: World) -> None:
    # schemathesis found both answered 200: all but the last value, and "null", were ignored.
    client = world.client(world.annotator)
    url = f"/api/v1/datasets/{world.a.pk}/items/"
    repeated = client.get(url, {"has_open_review": ["true", "false"], "limit": 2})
    assert repeated.status_code == 400
    assert repeated.json()["extra"]["fields"] == {
        "has_open_review": [{"code": "invalid", "message": "Give this query parameter once."}]
    }
    null = client.get(url, {"has_open_review": "null"})
    assert null.status_code == 400
    assert null.json()["extra"]["fields"] == {
        "has_open_review": [{"code": "invalid", "message": "Must be a valid boolean."}]
    }
    assert len(client.get(url, {"has_open_review": "false"}).json()["results"]) == 3


def test_items_of_another_dataset_are_404(world: World) -> None:
    outsider = world.client(world.outsider)
    assert outsider.get(f"/api/v1/datasets/{world.a.pk}/items/").status_code == 404
    for path in ("", "captions/", "image/original/", "image/thumbnail/"):
        response = outsider.get(f"/api/v1/items/{world.items[0].pk}/{path}")
        assert response.status_code == 404, path
    anonymous = world.client(None).get(f"/api/v1/items/{world.items[0].pk}/")
    assert anonymous.status_code == 401


def test_item_detail_has_facts_vqa_and_image_urls(world: World) -> None:
    item = world.items[0]
    body = world.client(world.annotator).get(f"/api/v1/items/{item.pk}/").json()
    assert body["caption"]["text"] == "A red square."
    assert [(f["subject"], f["value"], f["span"], f["source"]) for f in body["facts"]] == [
        ("square", "red", [2, 5], "import")
    ]
    assert [(v["question"], v["answer"], v["is_supported"]) for v in body["vqa_pairs"]] == [
        ("What colour?", "red", True)
    ]
    assert [body[name] for name in ("fact_count", "density", "coverage", "vqa_support")] == [
        1, 100 / 3, 1.0, 1.0,
    ]  # fmt: skip
    assert body["model_suggestion"] is None
    assert body["images"] == {
        kind: f"/api/v1/items/{item.pk}/image/{kind}/"
        for kind in ("original", "preview", "thumbnail")
    }


def test_annotators_do_not_see_each_others_captions_before_the_item_is_done(
    world: World,
) -> None:
    item = world.items[0]
    Caption.objects.create(
        item=item, text="Mine.", origin=Caption.Origin.ANNOTATOR, author=world.annotator
    )
    Caption.objects.create(
        item=item, text="Theirs.", origin=Caption.Origin.ANNOTATOR, author=world.other_annotator
    )
    url = f"/api/v1/items/{item.pk}/captions/"
    mine = [c["text"] for c in world.client(world.annotator).get(url).json()]
    assert mine == ["Mine.", "A red square."]
    lead = [c["text"] for c in world.client(world.lead).get(url).json()]
    assert lead == ["Theirs.", "Mine.", "A red square."]
    Item.objects.filter(pk=item.pk).update(status=Item.Status.DONE)
    assert len(world.client(world.annotator).get(url).json()) == 3


def test_images_are_served_with_etag_and_answer_304(world: World) -> None:
    item = world.items[0]
    client = world.client(world.annotator)
    thumbnail = client.get(f"/api/v1/items/{item.pk}/image/thumbnail/")
    assert thumbnail.status_code == 200
    assert thumbnail["Content-Type"] == "image/jpeg"
    assert thumbnail["ETag"] == f'"{item.image_sha256}-thumbnail"'
    assert thumbnail["Cache-Control"] == "private, max-age=86400, immutable"
    with Image.open(io.BytesIO(b"".join(thumbnail.streaming_content))) as picture:  # type: ignore[attr-defined]
        assert picture.size == (256, 171)
    again = client.get(
        f"/api/v1/items/{item.pk}/image/thumbnail/", HTTP_IF_NONE_MATCH=thumbnail["ETag"]
    )
    assert (again.status_code, again.content) == (304, b"")
    original = client.get(f"/api/v1/items/{item.pk}/image/original/")
    assert (original.status_code, original["Content-Type"]) == (200, "image/png")
    assert client.get(f"/api/v1/items/{item.pk}/image/huge/").status_code == 404


def test_the_schema_documents_every_stored_image_type_for_an_image(world: World) -> None:
    # The original keeps its stored type (here PNG); schemathesis found only JPEG documented.
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/items/{item_id}/image/{kind}/"]["get"]
    assert sorted(operation["responses"]["200"]["content"]) == [
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/webp",
    ]


def test_the_metrics_endpoint_measures_a_text_being_edited(world: World) -> None:
    item = world.items[0]  # reference: the VQA pair "What colour?" -> "red"
    client = world.client(world.annotator)
    url = f"/api/v1/items/{item.pk}/metrics/"
    body = {
        "text": "A crimson square on a plain background.",
        "facts": [{"subject": "square", "predicate": "colour", "value": "crimson"}],
    }
    before = Item.objects.values_list("pk", "coverage", "vqa_support").order_by("pk")
    snapshot = list(before)
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 200
    # One fact in seven words; the answer "red" is not in the text.
    assert response.json() == {
        "words": 7,
        "fact_count": 1,
        "density": 100 / 7,
        "coverage": 0.0,
        "vqa_support": 0.0,
        "supported": [False],
        "reference_facts": 1,
    }
    red = client.post(url, {"text": "A red square.", "facts": []}, content_type="application/json")
    assert red.json()["supported"] == [True]
    assert list(before) == snapshot  # measuring changes nothing

    outside = world.client(world.outsider).post(url, body, content_type="application/json")
    assert outside.status_code == 404
    bad = client.post(
        url, {"text": "x", "facts": [{"subject": "a"}]}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert set(bad.json()["extra"]["fields"]["facts"]["0"]) == {"predicate", "value"}


def test_the_caption_history_carries_each_versions_facts(world: World) -> None:
    item = world.items[0]
    body = world.client(world.annotator).get(f"/api/v1/items/{item.pk}/captions/").json()
    assert [(c["text"], c["origin"]) for c in body] == [("A red square.", "import")]
    assert [(f["subject"], f["predicate"], f["value"], f["span"]) for f in body[0]["facts"]] == [
        ("square", "colour", "red", [2, 5])
    ]
