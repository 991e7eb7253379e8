"""The demo dataset: real, openly licensed photos with hand-written captions, facts and VQA pairs.

Its files are in ``annotations/demo/`` (see docs/demo-data.md for each photo's licence).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from annotations.models import Dataset
from annotations.services.audit import Actor
from annotations.services.datasets import dataset_create
from annotations.services.imports import ImportSummary, dataset_import
from annotations.services.knowledge import knowledge_base_import

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
DEMO_SLUG = "demo"
DEMO_KNOWLEDGE_BASE = "demo"


def _licences() -> dict[str, dict[str, str]]:
    licences = {}
    with (DEMO_DIR / "dataset.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                record = json.loads(line)
                metadata = record.get("metadata", {})
                licences[record["id"]] = {
                    "license": metadata.get("license", ""),
                    "source": metadata.get("source", ""),
                }
    return licences


def demo_load(*, actor: Actor, annotators_per_item: int = 1) -> ImportSummary:
    """Load (or top up) the demo knowledge base and dataset; running it again adds nothing.

    ``annotators_per_item`` is the new dataset's overlap (`make run` uses 2, so that two
    annotators can disagree and a lead can review).
    """
    knowledge_base_import(
        name=DEMO_KNOWLEDGE_BASE,
        path=DEMO_DIR / "knowledge_base.jsonl",
        actor=actor,
        description="Entities that appear in the demo photos.",
    )
    with transaction.atomic():
        dataset = Dataset.objects.filter(slug=DEMO_SLUG).first() or dataset_create(
            slug=DEMO_SLUG,
            name="Demo: openly licensed sample photos",
            actor=actor,
            description=(
                "Fourteen real photos from scikit-image's sample data (CC0 or public domain), "
                "each with a hand-written caption, facts and VQA pairs."
            ),
            guidelines=(
                "Accept a fact only if the photo shows it or the caption's source establishes "
                "it. Edit facts that are nearly right; reject facts that are wrong; add what is "
                "visible and missing."
            ),
            metadata={"licences": _licences(), "files": "annotations/demo/"},
            annotators_per_item=annotators_per_item,
        )
    return dataset_import(dataset=dataset, sources=[DEMO_DIR / "dataset.jsonl"], actor=actor)


def demo_load_if_empty(*, actor: Actor, annotators_per_item: int = 1) -> ImportSummary | None:
    """Load the demo dataset into a database that has no dataset yet; otherwise do nothing."""
    if Dataset.objects.exists():
        return None
    return demo_load(actor=actor, annotators_per_item=annotators_per_item)
