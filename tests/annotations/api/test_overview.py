"""The dataset overview's SQL aggregations, checked against values computed by hand."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Caption
from tests.annotations.api.conftest import World, image_item


def test_the_overview_counts_each_stage_into_fixed_bins(world: World) -> None:
    client = world.client(world.annotator)
    url = f"/api/v1/datasets/{world.a.pk}/overview/"
    body = client.get(url).json()
    # Three imported captions "A red square.": one fact in three words, no coverage stored.
    imported = body["stages"]["import"]
    assert imported["captions"] == 3
    assert imported["means"] == {
        "facts": 1.0, "density": 100 / 3, "coverage": None, "vqa_support": None,
    }  # fmt: skip
    facts = imported["histograms"]["facts"]
    assert (facts["edges"][:3], facts["counts"][1], sum(facts["counts"])) == ([0, 1, 2], 3, 3)
    density = imported["histograms"]["density"]
    # 33.3 facts per 100 words falls in [30, 35): the seventh of ten bins of width 5.
    assert density["counts"] == [0, 0, 0, 0, 0, 0, 3, 0, 0, 0]
    assert imported["histograms"]["coverage"] == {
        "edges": [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
        "counts": [0] * 10,
        "missing": 3,
    }
    assert body["stages"]["model"]["captions"] == 0
    assert body["lift"]["import_to_model"]["facts"] is None
    assert body["facts_by_kind"] == {"object": 3}
    assert body["items"] == {"total": 3, "done": 0, "with_caption": 3}

    # An annotator makes the first item final, keeping its fact and text.
    annotation = client.post(f"/api/v1/datasets/{world.a.pk}/queue/next/").json()
    fact_id = Caption.objects.get(pk=annotation["base_caption_id"]).facts.get().pk
    client.post(
        f"/api/v1/annotations/{annotation['id']}/submit/",
        {"verdicts": [{"fact_id": fact_id, "verdict": "accepted"}], "text": "A red square."},
        content_type="application/json",
    )
    with CaptureQueriesContext(connection) as queries:
        after = client.get(url).json()
    final = after["stages"]["human_final"]
    # Its VQA pair ("What colour?" -> "red") is stated: coverage and VQA support 1.
    assert final["captions"] == 1
    assert final["means"] == {"facts": 1.0, "density": 100 / 3, "coverage": 1.0, "vqa_support": 1.0}
    assert final["histograms"]["coverage"]["counts"] == [0] * 9 + [1]
    assert after["lift"]["import_to_human_final"] == {
        "facts": 0.0, "density": 0.0, "coverage": None, "vqa_support": None,
    }  # fmt: skip
    assert after["items"] == {"total": 3, "done": 1, "with_caption": 3}
    # A fixed number of queries, whatever the dataset's size.
    for number in range(3, 8):
        image_item(world.a, number, "A red square.")
    with CaptureQueriesContext(connection) as larger:
        assert client.get(url).json()["stages"]["import"]["captions"] == 8
    assert len(larger) == len(queries)
    assert world.client(world.outsider).get(url).status_code == 404
