"""The dataset overview's SQL aggregations, checked against values computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, Caption
from tests.annotations.api.conftest import World, image_item
from tests.annotations.api.inspection_support import (
    BROWSER_RECORDS,
    TREES,
    annotate_next,
    assert_totals_match_rows,
    import_knowledge_base,
    import_records,
    run_caption_job,
)

PARAMS = {"facts": "fact_count", "density": "density", "coverage": "coverage",
          "vqa_support": "vqa_support"}  # fmt: skip
UNIT_EDGES = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]


def test_the_overview_counts_each_stage_into_fixed_bins(world: World) -> None:
    client = world.client(world.annotator)
    url = f"/api/v1/datasets/{world.a.pk}/overview/"
    body = client.get(url).json()
    assert set(body) == {
        "items", "stages", "lift", "facts_by_kind", "model_fact_review", "progress",
    }  # fmt: skip
    assert set(body["stages"]) == {"import", "model", "human_final", "current"}
    # Three imported captions "A red square.": one fact in three words, no coverage stored.
    imported = body["stages"]["import"]
    assert imported["captions"] == 3
    assert imported["means"] == {
        "facts": 1.0, "density": 100 / 3, "coverage": None, "vqa_support": None,
    }  # fmt: skip
    facts = imported["histograms"]["facts"]
    assert (facts["edges"][:3], facts["counts"][1], sum(facts["counts"])) == ([0, 1, 2], 3, 3)
    assert {name: h["param"] for name, h in imported["histograms"].items()} == PARAMS
    density = imported["histograms"]["density"]
    # 33.3 facts per 100 words falls in [30, 35): the seventh of ten bins of width 5.
    assert density["counts"] == [0, 0, 0, 0, 0, 0, 3, 0, 0, 0]
    assert imported["histograms"]["coverage"] == {
        "param": "coverage",
        "edges": UNIT_EDGES,
        "counts": [0] * 10,
        "missing": 3,
    }
    # The items' current captions are the same three; alpha-0's VQA pair ("What colour?" ->
    # "red") is stated, so its item has coverage and VQA support 1, the other two none.
    current = body["stages"]["current"]
    assert current["captions"] == 3
    assert current["means"] == {
        "facts": 1.0, "density": 100 / 3, "coverage": 1.0, "vqa_support": 1.0,
    }  # fmt: skip
    assert current["histograms"]["coverage"] == {
        "param": "coverage", "edges": UNIT_EDGES, "counts": [0] * 9 + [1], "missing": 2,
    }  # fmt: skip
    assert body["stages"]["model"]["captions"] == 0
    assert body["lift"]["import_to_model"]["facts"] is None
    assert body["facts_by_kind"] == {"object": 3}
    assert body["items"] == {"total": 3, "done": 0, "with_caption": 3}
    assert (body["model_fact_review"], body["progress"]) == ([], [])

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
    # The base caption was imported: no model facts were reviewed.
    assert after["model_fact_review"] == []
    submitted_at = Annotation.objects.get().submitted_at
    assert submitted_at is not None
    assert after["progress"] == [
        {
            "day": submitted_at.astimezone(UTC).date().isoformat(),
            "annotations_submitted": 1,
            "items_finalised": 1,
        }
    ]
    # A fixed number of queries, whatever the dataset's size.
    for number in range(3, 8):
        image_item(world.a, number, "A red square.")
    with CaptureQueriesContext(connection) as larger:
        assert client.get(url).json()["stages"]["import"]["captions"] == 8
    assert len(larger) == len(queries)
    assert world.client(world.outsider).get(url).status_code == 404


def assert_bins_list_their_items(
    client: Client, world: World, stage: dict[str, Any], filters: dict[str, str]
) -> None:
    """Every bin of ``stage``, as the item browser's link selects it (``<param>_min`` and
    ``<param>_below``; the last bin ``<param>_min`` only, plus the overview's filters), lists
    exactly as many items as the bin counts."""
    items = f"/api/v1/datasets/{world.a.pk}/items/"
    for metric, histogram in stage["histograms"].items():
        param, edges, counts = histogram["param"], histogram["edges"], histogram["counts"]
        assert sum(counts) + histogram["missing"] == stage["captions"], metric
        for index, count in enumerate(counts):
            query = {**filters, f"{param}_min": edges[index]}
            if index + 1 < len(counts):
                query[f"{param}_below"] = edges[index + 1]
            rows = client.get(items, {**query, "limit": 200}).json()["results"]
            assert len(rows) == count, (metric, index, [row["external_id"] for row in rows])
            assert client.get(f"{items}count/", query).json() == {"count": count}


# Twenty distinct object facts in two words: 20 facts, density 1000.
MANY = {
    "id": "many",
    "caption": "Twenty things.",
    "facts": [
        {"kind": "object", "subject": f"thing {n}", "predicate": "present", "value": "yes"}
        for n in range(20)
    ],
}
# No caption, one VQA pair nothing states.
UNSEEN = {"id": "unseen", "vqa": [{"question": "What colour?", "answer": "green"}]}


@pytest.fixture
def binned(world: World, tmp_path: Path) -> World:
    import_knowledge_base("trees", tmp_path / "kb", TREES)
    import_records(world.a, tmp_path / "import", [*BROWSER_RECORDS, MANY, UNSEEN])
    return world


def test_the_current_stage_bins_agree_with_the_item_list_filters(binned: World) -> None:
    client = binned.client(binned.annotator)
    url = f"/api/v1/datasets/{binned.a.pk}/overview/"
    body = client.get(url).json()
    # Items: alpha-0..2 (1 fact, density 100/3; alpha-0 coverage and support 1), tbl (4 facts,
    # density 400/7, coverage and support 1/2), park (2 facts, density 40, coverage and support
    # 1), many (20 facts, density 1000, no VQA), blank and unseen (no caption).
    assert body["items"] == {"total": 8, "done": 0, "with_caption": 6}
    current = body["stages"]["current"]
    assert current["captions"] == 6
    assert current["means"] == pytest.approx(
        {
            "facts": (1 + 1 + 1 + 4 + 2 + 20) / 6,
            "density": (3 * 100 / 3 + 400 / 7 + 40 + 1000) / 6,
            "coverage": (1 + 0.5 + 1) / 3,
            "vqa_support": (1 + 0.5 + 1) / 3,
        },
        rel=1e-12,
    )
    histograms = current["histograms"]
    # Facts: 1 -> [1, 2) three times, 2 -> [2, 3), 4 -> [4, 5), 20 -> the last bin [19, ...).
    assert histograms["facts"]["counts"] == [0, 3, 1, 0, 1] + [0] * 14 + [1]
    assert histograms["facts"]["edges"] == list(range(21))
    # Density: 33.3 -> [30, 35); 40 (an edge) -> [40, 45); 57.1 and 1000 -> the last bin.
    assert histograms["density"] == {
        "param": "density",
        "edges": [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50],
        "counts": [0, 0, 0, 0, 0, 0, 3, 0, 1, 2],
        "missing": 0,
    }
    # Coverage and support: 0.5 (an edge) -> [0.5, 0.6); 1 -> the last bin; three without.
    for metric in ("coverage", "vqa_support"):
        assert histograms[metric] == {
            "param": metric,
            "edges": UNIT_EDGES,
            "counts": [0, 0, 0, 0, 0, 1, 0, 0, 0, 2],
            "missing": 3,
        }
    assert body["facts_by_kind"] == {
        "object": 3 + 1 + 1 + 20, "attribute": 1, "relation": 1, "count": 1, "scene": 1,
    }  # fmt: skip
    assert_bins_list_their_items(client, binned, current, {})

    # With the overview's own filters, its figures and the links describe the same items.
    for filters, total, captions in (
        ({"lacks_kind": "count"}, 5, 5),  # alpha-0..2, park, many
        ({"has_kind": "scene"}, 1, 1),  # park
        ({"origin": "import", "lacks_kind": "scene"}, 5, 5),  # alpha-0..2, tbl, many
    ):
        filtered = client.get(url, filters).json()
        assert filtered["items"] == {"total": total, "done": 0, "with_caption": captions}
        assert filtered["stages"]["current"]["captions"] == captions
        assert_bins_list_their_items(client, binned, filtered["stages"]["current"], filters)
    scene = client.get(url, {"has_kind": "scene"}).json()
    assert scene["facts_by_kind"] == {"object": 1, "scene": 1}
    assert scene["stages"]["current"]["histograms"]["density"]["counts"] == [0] * 8 + [1, 0]
    assert scene["stages"]["import"]["captions"] == 1

    refused = client.get(url, {"has_kind": "count", "lacks_kind": "count"})
    assert (refused.status_code, list(refused.json()["extra"]["fields"])) == (400, ["lacks_kind"])


def by_subject(verdicts: dict[tuple[str, str], dict[str, str]]) -> Any:
    return lambda fact: verdicts[(fact["subject"], fact["predicate"])]


ACCEPT = {"verdict": "accepted"}
REJECT = {"verdict": "rejected"}


def test_model_facts_reviewed_per_model_configuration_and_work_per_day(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    a0, a1, a2 = world.items[:3]
    image_item(world.a, 3, "A red square.")  # alpha-3
    lead, annotator = world.client(world.lead), world.client(world.annotator)
    # Two model configurations caption the pending items and replace their imported captions.
    # The extractor finds, in "Two red squares on a white table.": square present, square
    # count 2, square color red, table present, table color white, square on table (6 facts);
    # in "A red square and a green circle.": circle present, circle color green (2); in
    # "Three blue circles and a red square near a tree.": circle present, circle count 3,
    # circle color blue, tree present (4).
    run_caption_job(
        lead, monkeypatch, world.a, [a0, a1],
        ["Two red squares on a white table.", "A red square and a green circle."],
        prompt="List every object.", make_current=True,
    )  # fmt: skip
    run_caption_job(
        lead, monkeypatch, world.a, [a2],
        ["Three blue circles and a red square near a tree."], make_current=True,
    )  # fmt: skip
    # The annotator takes the items in id order and judges the model's facts; the passes are
    # submitted at these moments, two of them on either side of a midnight (UTC).
    annotate_next(
        annotator, world.a, text="Two red squares on a white table.",
        at=datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC),
        verdict=by_subject({
            ("square", "present"): ACCEPT, ("square", "count"): ACCEPT,
            ("square", "color"): {"verdict": "edited", "value": "crimson"},
            ("table", "present"): ACCEPT,
            ("table", "color"): {"verdict": "edited", "value": "grey"},
            ("square", "on"): REJECT,
        }),
    )  # fmt: skip
    annotate_next(
        annotator, world.a, text="A red square and a green circle.",
        at=datetime(2026, 12, 1, 0, 0, 0, tzinfo=UTC),
        verdict=by_subject({("circle", "present"): ACCEPT, ("circle", "color"): REJECT}),
    )  # fmt: skip
    annotate_next(
        annotator, world.a, text="Four blue circles.",
        at=datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC),
        verdict=by_subject({
            ("circle", "present"): ACCEPT,
            ("circle", "count"): {"verdict": "edited", "value": "4"},
            ("circle", "color"): REJECT, ("tree", "present"): REJECT,
        }),
    )  # fmt: skip
    # alpha-3 starts from its imported caption: not a model's facts.
    annotate_next(
        annotator, world.a, text="A red square.", verdict=lambda fact: ACCEPT,
        at=datetime(2026, 12, 3, 8, 0, 0, tzinfo=UTC),
    )  # fmt: skip

    url = f"/api/v1/datasets/{world.a.pk}/overview/"
    body = lead.get(url).json()
    # How annotators judged the model's facts is for leads.
    assert annotator.get(url).json()["model_fact_review"] == []
    assert annotator.get(url, {"has_kind": "count"}).json()["model_fact_review"] == []
    # Per model and prompt, the prompt-less configuration first: job 2 judged 1 accepted,
    # 1 edited, 2 rejected of 4; job 1 judged 3 + 1 accepted, 2 + 0 edited, 1 + 1 rejected
    # of 6 + 2.
    assert body["model_fact_review"] == [
        {
            "model_name": "tiny/blip", "prompt": None, "annotations": 1, "facts": 4,
            "accepted": 1, "edited": 1, "rejected": 2,
            "accepted_share": 1 / 4, "edited_share": 1 / 4, "rejected_share": 2 / 4,
        },
        {
            "model_name": "tiny/blip", "prompt": "List every object.", "annotations": 2,
            "facts": 8, "accepted": 4, "edited": 2, "rejected": 2,
            "accepted_share": 4 / 8, "edited_share": 2 / 8, "rejected_share": 2 / 8,
        },
    ]  # fmt: skip
    model = body["stages"]["model"]
    # Three model captions with 6, 2 and 4 facts.
    assert model["captions"] == 3
    assert model["means"]["facts"] == (6 + 2 + 4) / 3
    assert model["histograms"]["facts"]["counts"][:8] == [0, 0, 1, 0, 1, 0, 1, 0]
    # Final captions: alpha-0 keeps 5 facts, alpha-1 1, alpha-2 2, alpha-3 1.
    final = body["stages"]["human_final"]
    assert final["captions"] == 4
    assert final["histograms"]["facts"]["counts"][:7] == [0, 2, 1, 0, 0, 1, 0]
    assert body["items"] == {"total": 4, "done": 4, "with_caption": 4}
    assert_bins_list_their_items(annotator, world, final, {"status": "done"})
    assert body["lift"]["import_to_model"]["facts"] == (6 + 2 + 4) / 3 - 1
    assert body["lift"]["model_to_human_final"]["facts"] == (5 + 1 + 2 + 1) / 4 - (6 + 2 + 4) / 3

    # Filtered to final captions with a count fact (alpha-0 kept "square count 2", alpha-2
    # "circle count 4"), only their annotations are counted.
    counted = lead.get(url, {"has_kind": "count"}).json()
    assert counted["model_fact_review"] == [
        {
            "model_name": "tiny/blip", "prompt": None, "annotations": 1, "facts": 4,
            "accepted": 1, "edited": 1, "rejected": 2,
            "accepted_share": 1 / 4, "edited_share": 1 / 4, "rejected_share": 2 / 4,
        },
        {
            "model_name": "tiny/blip", "prompt": "List every object.", "annotations": 1,
            "facts": 6, "accepted": 3, "edited": 2, "rejected": 1,
            "accepted_share": 3 / 6, "edited_share": 2 / 6, "rejected_share": 1 / 6,
        },
    ]  # fmt: skip

    # Work per UTC day.
    assert annotator.get(url).json()["progress"] == [
        {"day": "2026-11-30", "annotations_submitted": 1, "items_finalised": 1},
        {"day": "2026-12-01", "annotations_submitted": 2, "items_finalised": 2},
        {"day": "2026-12-03", "annotations_submitted": 1, "items_finalised": 1},
    ]
    assert annotator.get(url, {"has_kind": "count"}).json()["progress"] == [
        {"day": "2026-11-30", "annotations_submitted": 1, "items_finalised": 1},
        {"day": "2026-12-01", "annotations_submitted": 1, "items_finalised": 1},
    ]
    # The whole dataset's running totals agree with its rows.
    assert_totals_match_rows(world.a)
