"""Benchmark: the dataset overview of a large dataset, its API and its page, through a real
web server.

Seeds datasets of the requested sizes directly in the database with COPY, shaped like a dataset
in the middle of its annotation:

- every item has an imported caption of 1 to 12 facts of every kind (object, attribute,
  relation, count, text in image, scene, world knowledge; world-knowledge facts link to the
  entities of a small knowledge base) and of varied length, so that facts, density, coverage and
  VQA support spread over the overview's bins, and 1 to 5 VQA pairs, supported by the current
  caption or not;
- about 20% of the items also have a model caption (two caption jobs, ``bench/blip`` and
  ``bench/florence``, one job result per caption), which is their current caption;
- about 5% of the items are done: one submitted annotation by a bench annotator (a verdict on
  every fact of its base caption, the model's when there is one, else the import: accepted,
  edited or rejected, plus added facts), whose caption is the item's current one; submissions
  spread over the last 30 days;
- the items' metric columns and ``kind_counts`` are those of their current caption, and
  ``entity_gaps`` counts, per knowledge-base entity its facts link to, the entity's facts it does
  not hold (``annotations.enrichment.metrics.entity_facts_missing``, as
  ``annotations.services.metrics`` computes it).

Every item's content is drawn from a pseudo-random generator seeded with its index, so a dataset
is the same whenever it is seeded. Rows are written once, in chunks of items (one transaction
each, every constraint and trigger in force), with ids reserved on the tables' sequences so that
rows name each other before they are written. Items are written before their captions, so the
running totals the triggers keep (``annotations_datasetstat``) are then recomputed from the rows
(``annotations.selectors.stats.rebuild``); then the tables are vacuumed and analysed. A dataset
seeded by an earlier format of this script (``SEED_FORMAT`` in its metadata) is deleted and
seeded again.

Then starts gunicorn with two workers, as ``make run`` does, on the same database with the
built frontend (building it when ``frontend/dist`` is missing or older than the sources),
signs a lead of the dataset in through the API, and measures:

- ``GET /api/v1/datasets/{id}/overview/`` and ``GET /api/v1/datasets/{id}/gaps/``: wall time of
  the whole response, median of 5 after one warm-up;
- the page ``/datasets/{id}/overview`` in the system Chromium (Playwright): from ``page.goto``
  until an element carries ``data-overview-ready="true"``, polled every 20 ms, median of 5 after
  one warm-up, each in a fresh page of one signed-in browser context; with, from the browser's
  own clock, when the page asked for the overview and the gaps and when their answers were in.

    python bench/overview.py --items 1000000

``--seed-only`` seeds the datasets and measures nothing.

Uses DATABASE_URL when set, else the embedded Postgres under KD_DATA_DIR (default .kd-bench/).
Seeded datasets (slug kd_bench_overview_<n>) are kept for the next run. Appends the command,
the machine and the figures to bench/results/overview.txt.
"""

from __future__ import annotations

import argparse
import hashlib
import http.cookiejar
import json
import os
import queue
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from bisect import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotations.enrichment.metrics import entity_facts_missing, normalize_fact
from bench.seeding import REPO, IdRanges, copy_text, free_port, machine, serve, setup_django

RESULTS = REPO / "bench" / "results" / "overview.txt"
FRONTEND = REPO / "frontend"
NPM = shutil.which("npm") or "npm"
CHROMIUM = os.environ.get("KD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LEAD = "kd-bench-lead"
LEAD_PASSWORD = "kd bench lead passphrase"  # noqa: S105 (a local benchmark user)
ANNOTATORS = [f"kd-bench-annotator-{number:02d}" for number in range(1, 13)]
KNOWLEDGE_BASE = "kd-bench"
# Stored in a seeded dataset's metadata; raised whenever the seeded rows change, so that datasets
# of an earlier format are seeded again.
SEED_FORMAT = 2
CHUNK = 20_000
WRITERS = 2
RUNS = 5
WEB_WORKERS = 2  # as kd_up (make run) starts the web server
# Seconds after which a page without any data-overview-ready element is taken as missing.
ABSENT_AFTER = 30

# --- What captions say -------------------------------------------------------------------------

KINDS = ("object", "attribute", "relation", "count", "text_in_image", "scene", "world_knowledge")
NOUNS = (
    "dog", "cat", "bicycle", "car", "bus", "tree", "bench", "umbrella", "boat", "horse", "chair",
    "table", "lamp", "kite", "train", "bird", "truck", "fence", "bottle", "cup", "laptop", "clock",
    "vase", "book", "backpack", "suitcase", "skateboard", "surfboard", "bridge", "tower",
)  # fmt: skip
COLORS = (
    "red", "blue", "green", "yellow", "white", "black", "orange", "purple", "brown", "grey",
    "pink", "silver",
)  # fmt: skip
RELATIONS = ("on", "under", "next to", "behind", "in front of", "near", "beside", "above")
NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
WRITINGS = (
    "STOP", "OPEN", "EXIT", "SALE", "CAFE", "BAKERY", "HOTEL", "PARKING", "TAXI", "POLICE",
    "NO ENTRY", "ONE WAY", "MAIN STREET", "WELCOME",
)  # fmt: skip
WRITING_SUBJECTS = ("sign", "banner", "shirt", "poster", "truck")
PLACES = (
    "street", "park", "kitchen", "beach", "office", "forest", "harbour", "market", "station",
    "living room", "stadium", "garden", "mountain road", "airport",
)  # fmt: skip
# Knowledge-base entities: key, label, phrase, facts (predicate, value) of which captions state
# the first.
ENTITIES = (
    ("eiffel-tower", "Eiffel Tower", "the Eiffel Tower", "located in|Paris;completed in|1889"),
    (
        "golden-gate-bridge", "Golden Gate Bridge", "the Golden Gate Bridge",
        "located in|San Francisco;opened in|1937",
    ),
    ("big-ben", "Big Ben", "Big Ben", "located in|London;completed in|1859"),
    ("colosseum", "Colosseum", "the Colosseum", "located in|Rome;built in|80 AD"),
    ("tower-bridge", "Tower Bridge", "Tower Bridge", "located in|London;opened in|1894"),
    (
        "statue-of-liberty", "Statue of Liberty", "the Statue of Liberty",
        "located in|New York;dedicated in|1886",
    ),
    (
        "sydney-opera-house", "Sydney Opera House", "the Sydney Opera House",
        "located in|Sydney;opened in|1973",
    ),
    ("taj-mahal", "Taj Mahal", "the Taj Mahal", "located in|Agra;built for|Mumtaz Mahal"),
    (
        "brandenburg-gate", "Brandenburg Gate", "the Brandenburg Gate",
        "located in|Berlin;completed in|1791",
    ),
    (
        "sts-93", "STS-93", "the STS-93 launch",
        "launched|Chandra X-ray Observatory;commander|Eileen Collins",
    ),
    ("boeing-747", "Boeing 747", "a Boeing 747", "manufacturer|Boeing;first flight|1969"),
    ("vespa", "Vespa", "a Vespa scooter", "manufacturer|Piaggio;introduced in|1946"),
)  # fmt: skip


def entity_facts(facts: str) -> list[tuple[str, str]]:
    """``"predicate|value;predicate|value"`` as pairs."""
    return [(part.split("|")[0], part.split("|")[1]) for part in facts.split(";")]


FILLER = (
    "in", "the", "soft", "afternoon", "light", "while", "people", "walk", "past", "and", "a",
    "few", "clouds", "drift", "over", "the", "quiet", "scene", "with", "shadows", "stretching",
    "across", "the", "ground", "as", "the", "photo", "was", "taken", "from", "a", "low", "angle",
    "near", "the", "edge", "of", "the", "frame", "where", "some", "details", "remain", "blurred",
    "behind", "the", "main", "subject", "on", "an", "ordinary", "day", "somewhere", "in", "town",
    "without", "anything", "unusual", "happening", "around", "it", "at", "that", "moment", "so",
    "the", "picture", "feels", "calm", "overall", "indeed",
)  # fmt: skip
FILLER_PREFIX = [" ".join(FILLER[:count]) for count in range(len(FILLER) + 1)]
QUESTIONS = (
    *((f"What color is the {noun}?", COLORS) for noun in NOUNS[:12]),
    *((f"How many {noun}s are there?", tuple(NUMBERS.values())) for noun in NOUNS[:8]),
    *((f"Is there a {noun} in the image?", ("yes", "no")) for noun in NOUNS[8:20]),
    ("What does the sign say?", WRITINGS),
    ("Where was the photo taken?", PLACES),
    ("Which landmark is shown?", tuple(entity[1] for entity in ENTITIES)),
    ("What time of day is it?", ("morning", "noon", "afternoon", "evening", "night")),
    ("What is the weather like?", ("sunny", "cloudy", "rainy", "snowy", "foggy")),
)


@dataclass(frozen=True)
class Template:
    """A fact a caption can state, and the phrase of the caption that states it (``{v}`` marks
    where the value goes)."""

    kind: str
    subject: str
    predicate: str
    value: str
    pattern: str
    entity: str | None = None
    alternatives: tuple[str, ...] = ()

    def phrase(self, value: str) -> str:
        if self.kind == "count":
            value = NUMBERS.get(int(value), value)
        return self.pattern.replace("{v}", value)


def fact_templates() -> dict[str, list[Template]]:
    found: dict[str, list[Template]] = {kind: [] for kind in KINDS}
    for noun in NOUNS:
        found["object"].append(Template("object", noun, "present", "yes", f"a {noun}"))
        for color in COLORS:
            found["attribute"].append(
                Template("attribute", noun, "color", color, f"a {{v}} {noun}", None, COLORS)
            )
        for number in NUMBERS:
            found["count"].append(
                Template(
                    "count", noun, "count", str(number), f"{{v}} {noun}s", None,
                    tuple(str(n) for n in NUMBERS),
                )
            )  # fmt: skip
    for index, noun in enumerate(NOUNS):
        for step, relation in enumerate(RELATIONS):
            other = NOUNS[(index + 3 + 5 * step) % len(NOUNS)]
            found["relation"].append(
                Template(
                    "relation", noun, relation, other, f"a {noun} {relation} the {{v}}", None,
                    NOUNS,
                )
            )  # fmt: skip
    for subject in WRITING_SUBJECTS:
        for writing in WRITINGS:
            found["text_in_image"].append(
                Template(
                    "text_in_image", subject, "reads", writing, f'a {subject} reading "{{v}}"',
                    None, WRITINGS,
                )
            )  # fmt: skip
    for place in PLACES:
        found["scene"].append(
            Template("scene", "image", "setting", place, "in a {v}", None, PLACES)
        )
    for moment in ("morning", "evening", "night"):
        found["scene"].append(Template("scene", "image", "time of day", moment, "in the {v}"))
    for key, label, phrase, facts in ENTITIES:
        predicate, value = entity_facts(facts)[0]
        found["world_knowledge"].append(
            Template("world_knowledge", label, predicate, value, f"{phrase} {predicate} {{v}}", key)
        )
    for templates in found.values():
        for template in templates:
            for part in (template.subject, template.predicate, template.value, template.pattern):
                assert not set(part) & set("\t\n\\"), part  # written to COPY unescaped
    return found


TEMPLATES = fact_templates()


@dataclass(frozen=True)
class Profile:
    """How the captions of one origin look: their facts' kinds, how many, and how well they
    cover the item and support its VQA pairs."""

    opening: str
    kind_weights: tuple[float, ...]  # in KINDS order
    fewest: int
    most: int
    coverage: tuple[float, float, float]  # triangular: low, high, mode
    support: float  # chance that the caption supports one VQA pair
    spans: float  # share of captions whose facts carry spans
    source: str

    def cumulative(self) -> list[float]:
        total = sum(self.kind_weights)
        running, out = 0.0, []
        for weight in self.kind_weights:
            running += weight / total
            out.append(running)
        out[-1] = 1.0
        return out


PROFILES = {
    "import": Profile(
        "Photo of", (30, 24, 14, 8, 3, 14, 7), 1, 12, (0.0, 0.9, 0.35), 0.45, 0.6, "import"
    ),
    "bench/blip": Profile(
        "The image shows", (34, 28, 16, 6, 2, 12, 2), 2, 12, (0.1, 1.0, 0.55), 0.6, 1.0, "model"
    ),
    "bench/florence": Profile(
        "In this picture there is", (24, 26, 20, 12, 8, 6, 4), 3, 12, (0.2, 1.0, 0.65), 0.7, 1.0,
        "model",
    ),
    "human": Profile(
        "We see", (22, 22, 16, 16, 10, 10, 4), 0, 3, (0.5, 1.0, 0.9), 0.88, 1.0, "human"
    ),
}  # fmt: skip
CUMULATIVE = {name: profile.cumulative() for name, profile in PROFILES.items()}
MODELS = ("bench/blip", "bench/florence")
# Verdict chances on a base fact (accepted, edited; the rest rejected), per base caption.
VERDICTS = {"import": (0.74, 0.14), "bench/blip": (0.58, 0.24), "bench/florence": (0.66, 0.16)}
DAY = 86_400.0


# --- Generation ---------------------------------------------------------------------------------


@dataclass
class SeedFact:
    template: Template
    value: str
    source: str
    confidence: float | None
    fact_id: int = 0


@dataclass
class Context:
    """What every item of one dataset shares."""

    slug: str
    dataset_id: int
    ids: IdRanges
    jobs: dict[str, int]  # model name -> job id
    annotators: list[int]
    entities: dict[str, int]  # entity key -> id
    entity_facts: dict[int, tuple[str, Any]]  # entity id -> its label and facts, as stored
    now: datetime

    def __post_init__(self) -> None:
        self.t_import = (self.now - timedelta(days=45)).isoformat()
        self.t_model = {
            name: (self.now - timedelta(days=40 - 2 * number)).isoformat()
            for number, name in enumerate(MODELS)
        }


def null(value: object) -> str:
    return "\\N" if value is None else str(value)


def pick_facts(
    rng: random.Random, profile_name: str, count: int, seen: set[tuple[str, ...]]
) -> list[SeedFact]:
    profile = PROFILES[profile_name]
    cumulative = CUMULATIVE[profile_name]
    facts = []
    for _ in range(count):
        templates = TEMPLATES[KINDS[min(bisect(cumulative, rng.random()), len(KINDS) - 1)]]
        template = templates[int(rng.random() * len(templates))]
        key = (template.subject, template.predicate, template.value)
        if key in seen:
            continue
        seen.add(key)
        source = profile.source
        confidence = None
        if source == "model":
            confidence = round(0.5 + rng.random() * 0.5, 3)
            if template.kind == "world_knowledge":
                source = "knowledge_base"
        facts.append(SeedFact(template, template.value, source, confidence))
    return facts


def write_caption(
    rng: random.Random,
    context: Context,
    out: dict[str, list[str]],
    *,
    item_id: int,
    profile_name: str,
    facts: list[SeedFact],
    origin: str,
    created: str,
    coverage: float,
    vqa_support: float,
    model_name: str = "",
    job_id: int | None = None,
    parent_id: int | None = None,
    author_id: int | None = None,
) -> tuple[int, str, int, float]:
    """Writes a caption stating ``facts`` with filler words of varied number; returns its id,
    text, fact count and density (and sets each fact's id)."""
    profile = PROFILES[profile_name]
    caption_id = context.ids.take("annotations_caption")
    parts = [profile.opening, " "]
    position = len(profile.opening) + 1
    spans = []
    for number, fact in enumerate(facts):
        if number:
            parts.append(", ")
            position += 2
        phrase = fact.template.phrase(fact.value)
        spans.append((position, position + len(phrase)))
        parts.append(phrase)
        position += len(phrase)
    filler = int(rng.random() ** 2 * len(FILLER))
    if filler:
        parts.append(", " + FILLER_PREFIX[filler])
    parts.append(".")
    text = "".join(parts)
    words = len(text.split())
    distinct = len({(f.template.subject, f.template.predicate, f.value.casefold()) for f in facts})
    density = distinct * 100 / words
    out["annotations_caption"].append(
        f"{caption_id}\t{item_id}\t{text}\t{origin}\t{null(parent_id)}\t{null(author_id)}\t"
        f"{model_name}\t{null(job_id)}\t{words}\t{distinct}\t{density!r}\t{coverage!r}\t"
        f"{vqa_support!r}\t{created}\n"
    )
    with_spans = profile.spans >= 1 or rng.random() < profile.spans
    for number, (fact, span) in enumerate(zip(facts, spans, strict=True)):
        fact.fact_id = context.ids.take("annotations_fact")
        template = fact.template
        entity = context.entities.get(template.entity) if template.entity else None
        start, end = span if with_spans else (None, None)
        out["annotations_fact"].append(
            f"{fact.fact_id}\t{caption_id}\t{number}\t{template.kind}\t{template.subject}\t"
            f"{template.predicate}\t{fact.value}\t{null(start)}\t{null(end)}\t{fact.source}\t"
            f"{null(fact.confidence)}\t{null(entity)}\t{created}\n"
        )
    return caption_id, text, distinct, density


# The app's normalisation of a fact, remembered: captions repeat a few thousand facts.
normalized = cache(normalize_fact)


def entity_gaps(context: Context, facts: list[SeedFact]) -> dict[str, int]:
    """Per entity the facts link to (by id, as a string), how many of the entity's facts the
    caption does not hold: the item's ``entity_gaps``."""
    linked = {
        context.entities[fact.template.entity]
        for fact in facts
        if fact.template.entity in context.entities
    }
    if not linked:
        return {}
    held = {normalized(f.template.subject, f.template.predicate, f.value) for f in facts}
    return {
        str(entity_id): len(entity_facts_missing(*context.entity_facts[entity_id], held))
        for entity_id in sorted(linked)
    }


def draw_coverage(rng: random.Random, profile_name: str) -> float:
    low, high, mode = PROFILES[profile_name].coverage
    return round(rng.triangular(low, high, mode), 4)


def write_item(index: int, rng: random.Random, context: Context, out: dict[str, list[str]]) -> None:
    rng.seed(index)
    item_id = context.ids.take("annotations_item")
    model = MODELS[int(rng.random() * 2)] if rng.random() < 0.2 else None
    done = rng.random() < 0.05
    pairs = 1 + int(rng.random() * 5)

    # Captions, oldest first: import, model, the annotator's.
    seen: set[tuple[str, ...]] = set()
    profile = PROFILES["import"]
    count = profile.fewest + int(rng.random() ** 1.4 * (profile.most - profile.fewest + 1))
    import_facts = pick_facts(rng, "import", count, seen) or pick_facts(rng, "import", 3, seen)
    current = "human" if done else model or "import"

    def support_of(profile_name: str) -> float:
        chance = PROFILES[profile_name].support
        return sum(rng.random() < chance for _ in range(pairs)) / pairs

    supported = [rng.random() < PROFILES[current].support for _ in range(pairs)]
    current_support = sum(supported) / pairs
    metrics: dict[str, tuple[int, float, float, float, list[SeedFact]]] = {}

    coverage = draw_coverage(rng, "import")
    support = current_support if current == "import" else support_of("import")
    import_id, _, facts, density = write_caption(
        rng, context, out, item_id=item_id, profile_name="import", facts=import_facts,
        origin="import", created=context.t_import, coverage=coverage, vqa_support=support,
    )  # fmt: skip
    metrics["import"] = (import_id, facts, density, coverage, import_facts)
    base_id, base_facts, base_profile = import_id, import_facts, "import"

    if model is not None:
        profile = PROFILES[model]
        count = profile.fewest + int(rng.random() * (profile.most - profile.fewest + 1))
        model_facts = pick_facts(rng, model, count, set()) or pick_facts(rng, model, 3, set())
        coverage = draw_coverage(rng, model)
        support = current_support if current == model else support_of(model)
        model_id, _, facts, density = write_caption(
            rng, context, out, item_id=item_id, profile_name=model, facts=model_facts,
            origin="model", created=context.t_model[model], coverage=coverage,
            vqa_support=support, model_name=model, job_id=context.jobs[model],
        )  # fmt: skip
        metrics[model] = (model_id, facts, density, coverage, model_facts)
        out["annotations_jobresult"].append(
            f"{context.ids.take('annotations_jobresult')}\t{context.jobs[model]}\t{item_id}\t"
            f"succeeded\t{model_id}\t\t{context.t_model[model]}\n"
        )
        base_id, base_facts, base_profile = model_id, model_facts, model

    updated = context.t_model[model] if model is not None else context.t_import
    if done:
        submitted = context.now - timedelta(seconds=rng.random() * 30 * DAY)
        updated = submitted.isoformat()
        accepted, edited = VERDICTS[base_profile]
        verdicts: dict[str, dict[str, Any]] = {}
        kept: list[SeedFact] = []
        held = {(f.template.subject, f.template.predicate, f.value) for f in base_facts}
        for fact in base_facts:
            draw = rng.random()
            if draw < accepted:
                verdicts[str(fact.fact_id)] = {"verdict": "accepted", "value": None, "reason": ""}
                kept.append(SeedFact(fact.template, fact.value, fact.source, fact.confidence))
            elif draw < accepted + edited and fact.template.alternatives:
                options = fact.template.alternatives
                value = options[int(rng.random() * len(options))]
                if value == fact.value:
                    value = options[(options.index(value) + 1) % len(options)]
                verdicts[str(fact.fact_id)] = {"verdict": "edited", "value": value, "reason": ""}
                kept.append(SeedFact(fact.template, value, "human", fact.confidence))
            else:
                verdicts[str(fact.fact_id)] = {"verdict": "rejected", "value": None, "reason": ""}
        added_number = int(rng.random() * 4)
        added = pick_facts(rng, "human", added_number, held)
        if not kept and not added:
            added = pick_facts(rng, "human", 2, held) or [
                SeedFact(TEMPLATES["scene"][0], TEMPLATES["scene"][0].value, "human", None)
            ]
        human_facts = kept + added
        coverage = draw_coverage(rng, "human")
        annotator = context.annotators[int(rng.random() * len(context.annotators))]
        human_id, text, facts, density = write_caption(
            rng, context, out, item_id=item_id, profile_name="human", facts=human_facts,
            origin="annotator", created=updated, coverage=coverage,
            vqa_support=current_support, parent_id=base_id, author_id=annotator,
        )  # fmt: skip
        metrics["human"] = (human_id, facts, density, coverage, human_facts)
        spent = 20_000 + int(rng.random() * 280_000)
        added_json = json.dumps(
            [
                {
                    "kind": f.template.kind, "subject": f.template.subject,
                    "predicate": f.template.predicate, "value": f.value, "span": None,
                }
                for f in added
            ],
            separators=(",", ":"),
        )  # fmt: skip
        started = (submitted - timedelta(milliseconds=spent)).isoformat()
        out["annotations_annotation"].append(
            f"{context.ids.take('annotations_annotation')}\t{item_id}\t{annotator}\t{base_id}\t"
            f"submitted\t{json.dumps(verdicts, separators=(',', ':'))}\t{added_json}\t{text}\t"
            f"{human_id}\t\\N\t{spent}\t{2 + int(rng.random() * 6)}\t{started}\t{updated}\t"
            f"{updated}\n"
        )

    current_id, facts, density, coverage, current_facts = metrics[current]
    kind_counts: dict[str, int] = {}
    for fact in current_facts:
        kind_counts[fact.template.kind] = kind_counts.get(fact.template.kind, 0) + 1
    gaps = entity_gaps(context, current_facts)
    for number, is_supported in enumerate(supported):
        question, answers = QUESTIONS[(index * 7 + number * 11) % len(QUESTIONS)]
        answer = answers[int(rng.random() * len(answers))]
        digest = hashlib.sha256(f"{question}\x1f{answer}".encode()).hexdigest()
        origin = "derived" if rng.random() < 0.2 else "import"
        out["annotations_vqapair"].append(
            f"{context.ids.take('annotations_vqapair')}\t{item_id}\t{question}\t{answer}\t"
            f"{digest}\t{origin}\t{'t' if is_supported else 'f'}\t{context.t_import}\n"
        )
    sha = hashlib.sha256(f"{context.slug}:{index}".encode()).hexdigest()
    status = "done" if done else "pending"
    priority = 100 if not done and rng.random() < 0.02 else 0
    out["annotations_item"].append(
        f"{item_id}\t{context.dataset_id}\titem-{index:07d}\t{sha}\t"
        f"images/{sha[:2]}/{sha[2:4]}/{sha}.jpg\t640\t480\timage/jpeg\t50000\tbench\t{{}}\t"
        f"{status}\t{current_id}\t{facts}\t{density!r}\t{coverage!r}\t{current_support!r}\t"
        f"{json.dumps(kind_counts, separators=(',', ':'))}\t"
        f"{json.dumps(gaps, separators=(',', ':'))}\t{priority}\t{context.t_import}\t{updated}\n"
    )


COLUMNS = {
    "annotations_item": (
        "id", "dataset_id", "external_id", "image_sha256", "image_path", "width", "height",
        "mime", "byte_size", "source", "metadata", "status", "current_caption_id", "fact_count",
        "density", "coverage", "vqa_support", "kind_counts", "entity_gaps", "priority",
        "created_at", "updated_at",
    ),
    "annotations_caption": (
        "id", "item_id", "text", "origin", "parent_id", "author_id", "model_name", "job_id",
        "word_count", "fact_count", "density", "coverage", "vqa_support", "created_at",
    ),
    "annotations_fact": (
        "id", "caption_id", "position", "kind", "subject", "predicate", "value", "span_start",
        "span_end", "source", "confidence", "entity_id", "created_at",
    ),
    "annotations_vqapair": (
        "id", "item_id", "question", "answer", "digest", "origin", "is_supported", "created_at",
    ),
    "annotations_annotation": (
        "id", "item_id", "annotator_id", "base_caption_id", "status", "decisions",
        "added_facts", "draft_text", "result_caption_id", "lease_expires_at", "time_spent_ms",
        "version", "created_at", "updated_at", "submitted_at",
    ),
    "annotations_jobresult": ("id", "job_id", "item_id", "status", "caption_id", "error", "created_at"),  # noqa: E501
}  # fmt: skip
# Most ids one item can take per table (reserved up front; the unused rest is handed back).
IDS_PER_ITEM = {
    "annotations_item": 1,
    "annotations_caption": 3,
    "annotations_fact": 12 + 12 + 12 + 3 + 3,
    "annotations_vqapair": 5,
    "annotations_annotation": 1,
    "annotations_jobresult": 1,
}


# --- Seeding ------------------------------------------------------------------------------------


def bench_users(dataset: Any) -> tuple[Any, list[int]]:
    from django.contrib.auth.models import User

    from annotations.models import Membership

    lead, _ = User.objects.get_or_create(username=LEAD)
    if not lead.check_password(LEAD_PASSWORD):
        lead.set_password(LEAD_PASSWORD)
        lead.save(update_fields=["password"])
    Membership.objects.get_or_create(dataset=dataset, user=lead, defaults={"role": "lead"})
    annotators = []
    for name in ANNOTATORS:
        user, created = User.objects.get_or_create(username=name)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(dataset=dataset, user=user, defaults={"role": "annotator"})
        annotators.append(user.pk)
    return lead, annotators


def knowledge_base() -> tuple[dict[str, int], dict[int, tuple[str, Any]]]:
    """The bench entities' ids by key, and their labels and facts as stored, by id."""
    from annotations.models import Entity, KnowledgeBase

    base, _ = KnowledgeBase.objects.get_or_create(
        name=KNOWLEDGE_BASE, defaults={"description": "Entities of the overview benchmark."}
    )
    found: dict[str, int] = {}
    stored: dict[int, tuple[str, Any]] = {}
    for key, label, _, facts in ENTITIES:
        content = [{"subject": label, "predicate": p, "value": v} for p, v in entity_facts(facts)]
        entity, _ = Entity.objects.get_or_create(
            knowledge_base=base,
            key=key,
            defaults={
                "label": label,
                "facts": content,
                "content_hash": hashlib.sha256(json.dumps(content).encode()).hexdigest(),
            },
        )
        found[key] = entity.pk
        stored[entity.pk] = (entity.label, entity.facts)
    return found, stored


def caption_jobs(dataset: Any, lead: Any, now: datetime) -> dict[str, int]:
    from annotations.enrichment.captioner import CaptionerConfig
    from annotations.models import Job

    jobs = {}
    for number, name in enumerate(MODELS):
        created = now - timedelta(days=40 - 2 * number, hours=1)
        job = Job.objects.create(
            dataset=dataset,
            kind=Job.Kind.CAPTION,
            status=Job.Status.SUCCEEDED,
            params={
                "captioner": CaptionerConfig(model=name).as_dict(),
                "selection": {"filters": {"origin": "import"}},
                "make_current": True,
            },
            requested_by=lead,
            started_at=created,
            finished_at=created + timedelta(hours=3),
        )
        Job.objects.filter(pk=job.pk).update(created_at=created)
        jobs[name] = job.pk
    return jobs


def seed(size: int) -> int:
    """The dataset of ``size`` items, created with COPY when missing; returns its id."""
    from django.db import connection, transaction

    from annotations.models import Caption, Dataset, Job
    from annotations.selectors.stats import rebuild
    from annotations.services.audit import Actor
    from annotations.services.datasets import dataset_delete

    slug = f"kd_bench_overview_{size}"
    existing = Dataset.objects.filter(slug=slug).first()
    if (
        existing is not None
        and existing.metadata.get("bench_seeded_items") == size
        and existing.metadata.get("bench_seed_format") == SEED_FORMAT
    ):
        bench_users(existing)
        return existing.pk
    if existing is not None:
        dataset_delete(dataset=existing, actor=Actor.system("bench"))
    dataset = Dataset.objects.create(slug=slug, name=f"Overview benchmark, {size:,} items")
    started = time.monotonic()
    now = datetime.now(UTC)
    lead, annotators = bench_users(dataset)
    entities, entity_facts = knowledge_base()
    jobs = caption_jobs(dataset, lead, now)
    ids = IdRanges()
    with connection.cursor() as wrapper:
        ids.reserve(wrapper.cursor, {t: n * size for t, n in IDS_PER_ITEM.items()})
    context = Context(slug, dataset.pk, ids, jobs, annotators, entities, entity_facts, now)

    # One thread draws the items, WRITERS threads write chunks of them, each in its own
    # transaction on its own connection.
    chunks: queue.Queue[dict[str, list[str]] | None] = queue.Queue(maxsize=WRITERS + 1)
    failures: list[BaseException] = []
    lock = threading.Lock()
    written = 0

    def produce() -> None:
        try:
            rng = random.Random()  # noqa: S311 (reproducible benchmark data, not secrets)
            for start in range(0, size, CHUNK):
                if failures:
                    break
                out: dict[str, list[str]] = {table: [] for table in COLUMNS}
                for index in range(start, min(start + CHUNK, size)):
                    write_item(index, rng, context, out)
                chunks.put(out)
        except BaseException as error:
            failures.append(error)
        finally:
            for _ in range(WRITERS):
                chunks.put(None)

    def write() -> None:
        nonlocal written
        try:
            while (chunk := chunks.get()) is not None:
                if failures:
                    continue  # drain, so that the producer is never left blocked
                with transaction.atomic(), connection.cursor() as wrapper:
                    for table, columns in COLUMNS.items():
                        copy_text(wrapper.cursor, table, columns, chunk[table])
                with lock:
                    written += len(chunk["annotations_item"])
                    rate = written / (time.monotonic() - started)
                    sys.stdout.write(
                        f"\r  seeding {written:,} / {size:,} items ({rate:,.0f} items/s)"
                    )
                    sys.stdout.flush()
        except BaseException as error:
            failures.append(error)
            while chunks.get() is not None:
                pass
        finally:
            connection.close()

    threads = [threading.Thread(target=produce)]
    threads += [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with connection.cursor() as wrapper:
        ids.release(wrapper.cursor)
    if failures:
        raise failures[0]
    sys.stdout.write("\n")
    for job_id in jobs.values():
        made = Caption.objects.filter(job_id=job_id).count()
        Job.objects.filter(pk=job_id).update(total=made, done=made)
    # The triggers saw items before their captions: recompute the running totals from the rows.
    rebuild(dataset.pk)
    with connection.cursor() as cursor:
        for table in (*COLUMNS, "annotations_job", "annotations_datasetstat"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    dataset.metadata = {"bench_seeded_items": size, "bench_seed_format": SEED_FORMAT}
    dataset.save(update_fields=["metadata"])
    sys.stdout.write(f"seeded {size:,} items in {time.monotonic() - started:.0f} s\n")
    return dataset.pk


# --- Measuring ----------------------------------------------------------------------------------


def frontend_stale() -> bool:
    index = FRONTEND / "dist" / "index.html"
    if not index.exists():
        return True
    built = index.stat().st_mtime
    sources = [FRONTEND / "index.html", FRONTEND / "package.json", FRONTEND / "vite.config.ts"]
    sources += [path for path in (FRONTEND / "src").rglob("*") if path.is_file()]
    sources.append(REPO / "schema" / "openapi.yaml")
    return any(path.exists() and path.stat().st_mtime > built for path in sources)


def build_frontend(attempts: int = 4, pause: float = 180) -> None:
    """``npm run build`` when the build is missing or older than its sources; a failed build
    (sources in the middle of a change) is retried after a pause."""
    for attempt in range(1, attempts + 1):
        if not frontend_stale():
            return
        done = subprocess.run(
            [NPM, "run", "build"], cwd=FRONTEND, capture_output=True, text=True, check=False
        )
        if done.returncode == 0:
            return
        sys.stdout.write(f"frontend build failed (attempt {attempt}):\n{done.stdout[-3000:]}\n")
        if attempt < attempts:
            time.sleep(pause)
    raise SystemExit("the frontend does not build")


class ApiClient:
    """A session signed in through the API, as the browser app signs in."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value or "" for c in self.jar if c.name == name)

    def log_in(self, username: str, password: str) -> None:
        self.opener.open(f"{self.base}/api/v1/auth/csrf/", timeout=30).read()
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
            f"{self.base}/api/v1/auth/login/",
            data=json.dumps({"username": username, "password": password}).encode(),
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": self.cookie("csrftoken"),
                "Referer": f"{self.base}/login",
            },
            method="POST",
        )
        self.opener.open(request, timeout=30).read()

    def get(self, path: str) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        try:
            with self.opener.open(f"{self.base}{path}", timeout=600) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        return status, body, time.perf_counter() - started


def time_endpoint(client: ApiClient, path: str) -> dict[str, Any]:
    status, body, first = client.get(path)
    if status != 200:
        return {"status": status, "error": body[:300].decode(errors="replace")}
    seconds = [client.get(path)[2] for _ in range(RUNS)]
    return {
        "status": status,
        "bytes": len(body),
        "first": first,
        "median": statistics.median(seconds),
        "runs": seconds,
        "body": json.loads(body),
    }


READINESS = (
    "document.querySelector('[data-overview-ready]')?.getAttribute('data-overview-ready') ?? null"
)


RESOURCE_TIMES = (
    "performance.getEntriesByType('resource')"
    ".map(entry => [entry.name, entry.requestStart, entry.responseEnd])"
)


def time_page(base: str, dataset_id: int, timeout: float = 300) -> dict[str, Any]:
    """Page load until ready, ``RUNS`` times after a warm-up, each in a fresh page of one
    signed-in context; also when the page's overview and gaps responses had arrived."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    url = f"{base}/datasets/{dataset_id}/overview"
    runs: list[dict[str, Any]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.request.get(f"{base}/api/v1/auth/csrf/")
        token = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
        answer = context.request.post(
            f"{base}/api/v1/auth/login/",
            data={"username": LEAD, "password": LEAD_PASSWORD},
            headers={"X-CSRFToken": token, "Referer": f"{base}/login"},
        )
        if not answer.ok:
            raise SystemExit(f"browser sign-in failed: {answer.status} {answer.text()[:300]}")
        for _ in range(RUNS + 1):
            page = context.new_page()
            started = time.perf_counter()
            page.goto(url, wait_until="commit")
            state = None
            while time.perf_counter() - started < timeout:
                try:
                    state = page.evaluate(READINESS)
                except PlaywrightError:
                    state = None  # the document is being replaced; poll again
                if state in ("true", "error"):
                    break
                if state is None and time.perf_counter() - started > ABSENT_AFTER:
                    state = "absent (no element carries it: the route is missing?)"
                    break
                time.sleep(0.02)
            elapsed = time.perf_counter() - started
            run: dict[str, Any] = {"state": state, "ready": elapsed}
            if state == "true":
                # The browser's own clock (from navigation start): when the page asked for the
                # overview and the gaps, and when their answers were in.
                for name, start, end in page.evaluate(RESOURCE_TIMES):
                    for endpoint in ("overview", "gaps"):
                        if f"/api/v1/datasets/{dataset_id}/{endpoint}/" in name:
                            run[f"{endpoint}_asked"] = start / 1000
                            run[f"{endpoint}_api"] = end / 1000
            runs.append(run)
            page.close()
            if state != "true":
                break
        browser.close()
    if runs[-1]["state"] != "true":
        return {"error": f"data-overview-ready={runs[-1]['state']} after {runs[-1]['ready']:.1f} s"}
    measured = runs[1:]
    return {
        "median": statistics.median(run["ready"] for run in measured),
        "runs": [run["ready"] for run in measured],
        "api": {
            name: (
                statistics.median(run[f"{name}_asked"] for run in measured),
                statistics.median(run[f"{name}_api"] for run in measured),
            )
            for name in ("overview", "gaps")
            if all(f"{name}_api" in run for run in measured)
        },
        "warm_up": runs[0]["ready"],
    }


def page_exists() -> bool:
    """Whether the browser app routes to the overview page."""
    app = FRONTEND / "src" / "App.tsx"
    return app.exists() and "OverviewPage" in app.read_text(errors="replace")


def describe(name: str, result: dict[str, Any]) -> str:
    if "median" not in result:
        return f"  {name}: HTTP {result['status']} {result.get('error', '')[:120]}"
    runs = ", ".join(f"{s * 1000:.0f}" for s in result["runs"])
    return (
        f"  {name}: median {result['median'] * 1000:.0f} ms (runs {runs} ms; first call"
        f" {result['first'] * 1000:.0f} ms, {result['bytes']:,} bytes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, action="append", required=True)
    parser.add_argument(
        "--seed-only", action="store_true", help="Seed the datasets and measure nothing."
    )
    args = parser.parse_args()
    setup_django()
    from django.db import connections

    ids = {size: seed(size) for size in args.items}
    if args.seed_only:
        return
    build_frontend()
    connections.close_all()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"command: python bench/overview.py {shlex.join(sys.argv[1:])}",
        f"machine: {machine(WEB_WORKERS)}, Chromium {CHROMIUM}",
        "load average before measuring: " + ", ".join(f"{n:.2f}" for n in os.getloadavg()),
    ]
    with serve(port, workers=WEB_WORKERS):
        client = ApiClient(base)
        client.log_in(LEAD, LEAD_PASSWORD)
        for size in args.items:
            lines.append(f"{size:>9,} items (dataset {ids[size]}):")
            for name in ("overview", "gaps"):
                result = time_endpoint(client, f"/api/v1/datasets/{ids[size]}/{name}/")
                lines.append(describe(f"GET /api/v1/datasets/{{id}}/{name}/", result))
            if not page_exists():
                lines.append("  page /datasets/{id}/overview: not in the frontend yet")
                continue
            page = time_page(base, ids[size])
            if "error" in page:
                lines.append(f"  page /datasets/{{id}}/overview: {page['error']}")
                continue
            runs = ", ".join(f"{s * 1000:.0f}" for s in page["runs"])
            api = "; ".join(
                f"{name} asked at {asked * 1000:.0f} ms, answer in at {end * 1000:.0f} ms"
                for name, (asked, end) in page["api"].items()
            )
            lines.append(
                f"  page /datasets/{{id}}/overview ready: median {page['median'] * 1000:.0f} ms"
                f" (runs {runs} ms; warm-up {page['warm_up'] * 1000:.0f} ms"
                + (f"; medians, browser clock: {api}" if api else "")
                + ")"
            )
        lines.append("")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
