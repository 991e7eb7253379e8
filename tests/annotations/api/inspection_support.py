"""Helpers for the inspection API tests: data through the app's own paths.

Items come in through the JSONL importer and knowledge bases through their importer, model
captions through a caption job whose chunks run in this process with a captioner that returns
fixed texts (the enrichment, the writing of captions and facts, and the metrics are the app's),
and human captions through the annotation queue and the submit endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from PIL import Image

from annotations.enrichment.captioner import BatchTiming, CaptionerConfig
from annotations.models import Dataset, Item, JobChunk
from annotations.services import captioning
from annotations.services.audit import Actor
from annotations.services.imports import dataset_import
from annotations.services.knowledge import knowledge_base_import

ACTOR = Actor.system("tests")

# Three items for the item browser (tests/annotations/api/test_item_browser.py describes them).
BROWSER_RECORDS: list[dict[str, Any]] = [
    {
        "id": "tbl",
        "caption": "Two red squares on a white table.",
        "facts": [
            {"kind": "object", "subject": "square", "predicate": "present", "value": "yes"},
            {"kind": "count", "subject": "square", "predicate": "count", "value": "2"},
            {"kind": "attribute", "subject": "square", "predicate": "colour", "value": "red"},
            {"kind": "relation", "subject": "square", "predicate": "on", "value": "table"},
        ],
        "vqa": [
            {"question": "What colour is the table?", "answer": "white"},
            {"question": "What is on the table?", "answer": "a cup"},
        ],
    },
    {
        "id": "park",
        "caption": "A tree in a park.",
        "facts": [
            {
                "kind": "object",
                "subject": "tree",
                "predicate": "present",
                "value": "yes",
                "entity": "oak",
            },
            {"kind": "scene", "subject": "image", "predicate": "shows", "value": "a park"},
        ],
        "vqa": [{"question": "Is there a tree?", "answer": "yes"}],
    },
    {"id": "blank"},
]


TREES = [
    {
        "key": "oak",
        "label": "Oak",
        "facts": [{"subject": "oak", "predicate": "is a", "value": "tree"}],
    }
]


def import_records(dataset: Dataset, folder: Path, records: Sequence[dict[str, Any]]) -> list[Item]:
    """Import JSONL ``records`` (each with an ``id``; its image is written here) into
    ``dataset``; the imported items, in record order."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for number, record in enumerate(records):
        image = folder / "images" / f"{record['id']}.png"
        image.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (64 + number, 48), (number * 37 % 256, 90, 200)).save(image, "PNG")
        lines.append(json.dumps({"image": f"images/{record['id']}.png", **record}))
    source = folder / "data.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = dataset_import(dataset=dataset, sources=[source], actor=ACTOR)
    assert (summary.imported, summary.rejected) == (len(records), [])
    by_id = {item.external_id: item for item in Item.objects.filter(dataset=dataset)}
    return [by_id[str(record["id"])] for record in records]


def import_knowledge_base(name: str, folder: Path, entities: Sequence[dict[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jsonl"
    path.write_text("\n".join(json.dumps(entity) for entity in entities) + "\n", encoding="utf-8")
    knowledge_base_import(name=name, path=path, actor=ACTOR)


class FixedCaptioner:
    """A captioner that answers the given texts, one per image, in the order asked."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = list(texts)
        self.config = CaptionerConfig(model="fixed")
        self.timing = BatchTiming()
        self.input_size = None

    def caption(self, images: Sequence[object]) -> list[str]:
        answered, self.texts = self.texts[: len(images)], self.texts[len(images) :]
        return answered


def run_caption_job(
    lead: Client,
    monkeypatch: pytest.MonkeyPatch,
    dataset: Dataset,
    items: Sequence[Item],
    texts: Sequence[str],
    *,
    model: str = "tiny/blip",
    prompt: str | None = None,
    make_current: bool = False,
) -> int:
    """Queue a caption job over ``items`` through the API and run its chunks here; the model
    "answers" ``texts`` (one per item, in id order). Returns the job's id."""
    captioner: dict[str, Any] = {"model": model, "batch_size": 8}
    if prompt is not None:
        captioner["prompt"] = prompt
    response = lead.post(
        "/api/v1/jobs/",
        {
            "dataset_id": dataset.pk,
            "item_ids": [item.pk for item in items],
            "captioner": captioner,
            "make_current": make_current,
        },
        content_type="application/json",
    )
    assert response.status_code == 202, response.json()
    job_id: int = response.json()["id"]
    fixed = FixedCaptioner(texts)
    monkeypatch.setattr(captioning, "get_captioner", lambda config: fixed)
    for chunk in JobChunk.objects.filter(job_id=job_id).order_by("sequence"):
        outcome = captioning.run_chunk(chunk.pk, owner="tests")
        assert outcome.failed == 0
    assert fixed.texts == []
    return job_id


Verdicts = Callable[[dict[str, Any]], dict[str, Any]]


def annotate_next(
    annotator: Client,
    dataset: Dataset,
    *,
    verdict: Verdicts,
    text: str,
    added: Sequence[dict[str, Any]] = (),
    at: datetime | None = None,
) -> dict[str, Any]:
    """Lease the queue's next item and submit it: ``verdict(fact)`` gives each base fact's
    verdict (``{"verdict": ...}``, with ``value`` when edited); ``at``: the clock reads this
    moment during the submission. Returns the submitted annotation."""
    leased = annotator.post(f"/api/v1/datasets/{dataset.pk}/queue/next/")
    assert leased.status_code == 200, leased.content
    annotation = leased.json()
    facts = annotator.get(f"/api/v1/items/{annotation['item_id']}/").json()["facts"]
    with ExitStack() as stack:
        if at is not None:
            stack.enter_context(mock.patch("django.utils.timezone.now", return_value=at))
        submitted = annotator.post(
            f"/api/v1/annotations/{annotation['id']}/submit/",
            {
                "verdicts": [{"fact_id": fact["id"], **verdict(fact)} for fact in facts],
                "added_facts": list(added),
                "text": text,
            },
            content_type="application/json",
        )
    assert submitted.status_code == 200, submitted.content
    result: dict[str, Any] = submitted.json()
    return result


def assert_totals_match_rows(dataset: Dataset) -> None:
    """The running totals (selectors.stats) give exactly what aggregating the rows gives: the
    overview, the typical kinds, the gap summary; and again once the totals are compacted."""
    from annotations.selectors.gaps import dataset_gaps
    from annotations.selectors.items import ItemFilters
    from annotations.selectors.overview import live_overview, overview_from_figures
    from annotations.selectors.stats import compact, dataset_figures

    rows = live_overview(dataset, ItemFilters())
    # The same items for the gap summary, through the live path: every counted item has a
    # caption, and a bound keeps exactly those.
    gaps = dataset_gaps(dataset, ItemFilters(fact_count_min=0))
    for _ in range(2):
        totals = overview_from_figures(dataset_figures(dataset))
        assert _approx_equal(totals, rows)
        assert dataset_gaps(dataset, ItemFilters()) == gaps
        compact(dataset.pk)


def _approx_equal(left: Any, right: Any, path: str = "") -> bool:
    if isinstance(left, dict) and isinstance(right, dict):
        assert sorted(left) == sorted(right), path
        return all(_approx_equal(left[key], right[key], f"{path}.{key}") for key in left)
    if isinstance(left, list) and isinstance(right, list):
        assert len(left) == len(right), path
        pairs = enumerate(zip(left, right, strict=True))
        return all(_approx_equal(a, b, f"{path}[{i}]") for i, (a, b) in pairs)
    if isinstance(left, float) or isinstance(right, float):
        assert left == pytest.approx(right, rel=1e-9, abs=1e-9), (path, left, right)
        return True
    assert left == right, (path, left, right)
    return True
