"""Comparing two caption sources item by item, with deltas and a summary computed by hand.

alpha-0..2 start with the imported caption "A red square." (one fact, density 100/3; alpha-0
has the VQA pair "What colour?" -> "red"). A caption job (model tiny/blip) then suggests, and
the extractor finds: alpha-0 "Two red squares on a white table." 6 facts in 7 words, alpha-1
"A red square." none, alpha-2 "A red square and a green circle." 2 facts in 7 words. An
annotator makes alpha-0 final with 3 facts in 7 words ("A red square and a blue circle.") and
alpha-1 with none in 2 words ("A square."); alpha-2 keeps its imported caption.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from annotations.models import Caption
from tests.annotations.api.conftest import World
from tests.annotations.api.inspection_support import (
    annotate_next,
    assert_totals_match_rows,
    run_caption_job,
)

PROMPT = "List every object."


@pytest.fixture
def compared(world: World, monkeypatch: pytest.MonkeyPatch) -> tuple[World, int]:
    job_id = run_caption_job(
        world.client(world.lead), monkeypatch, world.a, world.items[:3],
        ["Two red squares on a white table.", "A red square.", "A red square and a green circle."],
        prompt=PROMPT,
    )  # fmt: skip
    annotator = world.client(world.annotator)
    annotate_next(
        annotator, world.a, verdict=lambda fact: {"verdict": "accepted"},
        text="A red square and a blue circle.",
        added=[
            {"kind": "object", "subject": "circle", "predicate": "present", "value": "yes"},
            {"kind": "attribute", "subject": "circle", "predicate": "colour", "value": "blue"},
        ],
    )  # fmt: skip
    annotate_next(
        annotator, world.a, verdict=lambda fact: {"verdict": "rejected"}, text="A square."
    )
    return world, job_id


def compare(client: Client, world: World, **query: Any) -> Any:
    return client.get(f"/api/v1/datasets/{world.a.pk}/compare/", query)


def rows(body: dict[str, Any]) -> list[tuple[str, int]]:
    return [(row["external_id"], row["delta"]["fact_count"]) for row in body["results"]]


def test_imported_against_current_captions(compared: tuple[World, int]) -> None:
    world, _ = compared
    alpha0, alpha1, alpha2 = world.items[:3]
    response = compare(world.client(world.annotator), world, a="import", b="current")
    assert response.status_code == 200
    body = response.json()
    assert (body["a"], body["b"]) == (
        {"side": "import", "label": "Imported captions"},
        {"side": "current", "label": "Current captions"},
    )
    # Fact deltas: alpha-1 1 -> 0 (lost), alpha-2 1 -> 1, alpha-0 1 -> 3 (gained); the
    # imported captions have no coverage or VQA support stored, so those deltas are unknown.
    assert body["summary"] == {
        "items": 3, "lost": 1, "gained": 1, "unchanged": 1,
        "mean_delta": {
            "fact_count": pytest.approx((-1 + 0 + 2) / 3, rel=1e-12),
            "density": pytest.approx(((0 - 100 / 3) + 0 + (300 / 7 - 100 / 3)) / 3, rel=1e-12),
            "coverage": None, "vqa_support": None,
        },
    }  # fmt: skip
    assert rows(body) == [("alpha-1", -1), ("alpha-2", 0), ("alpha-0", 2)]
    assert body["next_cursor"] is None
    imported = {c.item_id: c.pk for c in Caption.objects.filter(origin="import")}
    alpha0.refresh_from_db()
    assert body["results"][2] == {
        "item_id": alpha0.pk,
        "external_id": "alpha-0",
        "thumbnail_url": f"/api/v1/items/{alpha0.pk}/image/thumbnail/",
        "a": {
            "caption_id": imported[alpha0.pk], "text": "A red square.", "origin": "import",
            "model_name": "", "fact_count": 1, "density": 100 / 3, "coverage": None,
            "vqa_support": None,
        },
        # Measured when written: alpha-0's VQA answer "red" is in the text.
        "b": {
            "caption_id": alpha0.current_caption_id, "text": "A red square and a blue circle.",
            "origin": "annotator", "model_name": "", "fact_count": 3, "density": 300 / 7,
            "coverage": 1.0, "vqa_support": 1.0,
        },
        "delta": {"fact_count": 2, "density": 300 / 7 - 100 / 3, "coverage": None,
                  "vqa_support": None},
    }  # fmt: skip
    assert body["results"][0]["delta"]["density"] == 0 - 100 / 3
    assert body["results"][1]["b"]["caption_id"] == imported[alpha2.pk]
    assert body["results"][0]["item_id"] == alpha1.pk

    # Swapped sides: every delta changes sign, and the order follows.
    swapped = compare(world.client(world.annotator), world, a="current", b="import").json()
    assert rows(swapped) == [("alpha-0", -2), ("alpha-2", 0), ("alpha-1", 1)]
    assert (swapped["summary"]["lost"], swapped["summary"]["gained"]) == (1, 1)
    # With the item-list filters: the done items only.
    done = compare(world.client(world.annotator), world, a="import", b="current", status="done")
    assert rows(done.json()) == [("alpha-1", -1), ("alpha-0", 2)]
    assert done.json()["summary"]["items"] == 2


def test_a_jobs_captions_against_imported_and_final_ones(compared: tuple[World, int]) -> None:
    world, job_id = compared
    client = world.client(world.annotator)
    side = f"job:{job_id}"
    label = f"Job {job_id} · tiny/blip · prompt “{PROMPT}”"
    body = compare(client, world, a="import", b=side).json()
    assert body["b"] == {"side": side, "label": label}
    # 1 -> 6, 1 -> 0, 1 -> 2.
    assert rows(body) == [("alpha-1", -1), ("alpha-2", 1), ("alpha-0", 5)]
    summary = body["summary"]
    assert (summary["items"], summary["lost"], summary["gained"], summary["unchanged"]) == (
        3, 1, 2, 0,
    )  # fmt: skip
    assert summary["mean_delta"]["fact_count"] == pytest.approx((5 - 1 + 1) / 3, rel=1e-12)

    # Only alpha-0 and alpha-1 are done. alpha-0: final 3 facts, coverage and support 1;
    # the job's 6 facts, also 1 and 1 (the VQA answer "red" is in its text). alpha-1 has no
    # VQA pair, so neither caption has coverage or support.
    final = compare(client, world, a="human_final", b=side).json()
    assert final["a"] == {"side": "human_final", "label": "Final human captions"}
    assert rows(final) == [("alpha-1", 0), ("alpha-0", 3)]
    assert final["summary"] == {
        "items": 2, "lost": 0, "gained": 1, "unchanged": 1,
        "mean_delta": {
            "fact_count": pytest.approx((0 + 3) / 2, rel=1e-12),
            "density": pytest.approx(((0 - 0) + (600 / 7 - 300 / 7)) / 2, rel=1e-12),
            "coverage": 0.0, "vqa_support": 0.0,
        },
    }  # fmt: skip
    assert final["results"][1]["delta"] == {
        "fact_count": 3, "density": pytest.approx(600 / 7 - 300 / 7, rel=1e-12),
        "coverage": 0.0, "vqa_support": 0.0,
    }  # fmt: skip
    assert final["results"][1]["b"]["model_name"] == "tiny/blip"

    # The latest model caption, and the model's, are the job's: nothing changes.
    for model_side in ("model", "model:tiny/blip"):
        same = compare(client, world, a=side, b=model_side).json()
        assert rows(same) == [("alpha-0", 0), ("alpha-1", 0), ("alpha-2", 0)]
        assert same["summary"]["unchanged"] == 3
    assert compare(client, world, a="import", b="model:other").json()["summary"]["items"] == 0
    # The whole dataset's running totals agree with its rows.
    assert_totals_match_rows(compared[0].a)


def test_keyset_pages_walk_every_row_once(compared: tuple[World, int]) -> None:
    world, job_id = compared
    client = world.client(world.annotator)
    for a, b, expected in (
        ("import", "current", [("alpha-1", -1), ("alpha-2", 0), ("alpha-0", 2)]),
        ("import", f"job:{job_id}", [("alpha-1", -1), ("alpha-2", 1), ("alpha-0", 5)]),
    ):
        seen: list[tuple[str, int]] = []
        summaries = []
        cursor = None
        for _ in range(5):
            query: dict[str, Any] = {"a": a, "b": b, "limit": 1}
            if cursor is not None:
                query["cursor"] = cursor
            page = compare(client, world, **query).json()
            assert len(page["results"]) == 1
            seen += rows(page)
            summaries.append(page["summary"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == expected
        assert summaries == [summaries[0]] * 3
    two = compare(client, world, a="import", b="current", limit=2).json()
    rest = compare(client, world, a="import", b="current", limit=2, cursor=two["next_cursor"])
    assert rows(two) + rows(rest.json()) == [("alpha-1", -1), ("alpha-2", 0), ("alpha-0", 2)]
    assert rest.json()["next_cursor"] is None


def test_bad_sides_and_cursors_are_refused(compared: tuple[World, int]) -> None:
    world, job_id = compared
    client = world.client(world.annotator)
    # A job of dataset beta, queued by an admin.
    beta_job = world.client(world.admin).post(
        "/api/v1/jobs/",
        {"dataset_id": world.b.pk, "item_ids": [world.items[-1].pk],
         "captioner": {"model": "tiny/blip"}},
        content_type="application/json",
    ).json()["id"]  # fmt: skip

    def refused(**query: Any) -> dict[str, Any]:
        response = compare(client, world, **query)
        assert (response.status_code, response.json()["code"]) == (400, "invalid")
        fields: dict[str, Any] = response.json()["extra"]["fields"]
        return fields

    sides = "A side is import, model, human_final, current, job:<id> or model:<model name>."
    assert refused(a="draft", b="current") == {"side": [{"code": "invalid", "message": sides}]}
    assert refused(a="import", b="job:x") == {"side": [{"code": "invalid", "message": sides}]}
    assert refused(a="import", b=f"job:{beta_job}") == {
        "side": [{"code": "invalid", "message": f"No caption job {beta_job} in this dataset."}]
    }
    assert refused(a="import", b="job:999999") == {
        "side": [{"code": "invalid", "message": "No caption job 999999 in this dataset."}]
    }
    assert list(refused(a="import")) == ["b"]
    assert refused(a="import", b="current", cursor="not-ours") == {
        "cursor": [{"code": "invalid", "message": "Not a cursor this API returned."}]
    }
    assert list(refused(a="import", b="current", sort="density")) == ["sort"]
    assert list(refused(a="import", b=f"job:{job_id}", has_kind="colour")) == ["has_kind"]


def test_caption_sources_list_the_sides_with_their_captions(compared: tuple[World, int]) -> None:
    world, job_id = compared
    response = world.client(world.annotator).get(f"/api/v1/datasets/{world.a.pk}/caption-sources/")
    assert response.status_code == 200
    assert response.json() == [
        {"side": "import", "label": "Imported captions", "captions": 3},
        {"side": "model", "label": "Model suggestions (latest)", "captions": 3},
        {"side": "human_final", "label": "Final human captions", "captions": 2},
        {"side": "current", "label": "Current captions", "captions": 3},
        {"side": f"job:{job_id}", "label": f"Job {job_id} · tiny/blip · prompt “{PROMPT}”",
         "captions": 3},
        {"side": "model:tiny/blip", "label": "Model tiny/blip", "captions": 3},
    ]  # fmt: skip


def test_every_inspection_endpoint_of_a_hidden_dataset_is_404(world: World) -> None:
    outsider = world.client(world.outsider)
    dataset = f"/api/v1/datasets/{world.a.pk}"
    for path in ("overview/", "gaps/", "compare/?a=import&b=current", "caption-sources/",
                 "items/", "items/count/"):  # fmt: skip
        response = outsider.get(f"{dataset}/{path}")
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
    item = world.items[0]
    for path in ("gaps/", "suggestions/"):
        response = outsider.get(f"/api/v1/items/{item.pk}/{path}")
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
    for url, body in (
        (f"{dataset}/items/prioritise/", {"item_ids": [item.pk], "priority": 1}),
        (f"/api/v1/items/{item.pk}/suggestions/",
         {"kind": "object", "subject": "a", "predicate": "b", "value": "c", "gap": "manual"}),
    ):  # fmt: skip
        response = outsider.post(url, body, content_type="application/json")
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), url
