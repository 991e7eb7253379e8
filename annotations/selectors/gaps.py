"""Where knowledge is thin: the gap finder, for one item and in aggregate.

Three kinds of gap, each something an annotator or a regeneration job can act on:

- **unsupported VQA**: the item's VQA pairs whose answer its current caption does not support
  (the stored support flags, ``enrichment.vqa.supports``); the fact the pair states
  (``enrichment.vqa.fact_from_vqa``) is the suggestion to add;
- **entity facts not injected**: facts of the knowledge-base entities the caption's facts link
  to, that the caption does not hold yet (compared after normalisation);
- **missing kinds**: fact kinds that at least half of the dataset's typical captions have and
  this caption lacks. Typical captions are the final captions of done items, or every current
  caption while no item is done.

Every gap comes with a regeneration prompt that asks a captioner for what is missing.
The aggregate (``dataset_gaps``) counts the same gaps over the items that pass the item-list
filters, in SQL, or for a whole dataset from its running totals (``selectors.stats``); for
entities it counts the items whose caption links an entity and those that miss some of its
facts (``Item.entity_gaps``, the same comparison as the item's own gap list).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import connection

from annotations.enrichment.metrics import entity_facts_missing, normalize_fact
from annotations.enrichment.vqa import fact_from_vqa
from annotations.models import Dataset, Entity, Fact, FactSuggestion, Item, VqaPair
from annotations.selectors.items import ItemFilters
from annotations.selectors.overview import KINDS, item_ids_sql, typical_kinds
from annotations.selectors.stats import dataset_figures, top_questions

TYPICAL_SHARE = 0.5
TOP = 10

PROMPT_BASE = "Describe this image in dense detail, as fluent sentences."
KIND_ASKS = {
    "object": "name every visible object",
    "attribute": "give the colour, material, size and shape of the objects",
    "relation": "say where the objects are relative to each other and what they are doing",
    "count": "say how many of each object there are",
    "text_in_image": "quote any text visible in the image",
    "scene": "say what the scene is and where it takes place",
    "world_knowledge": "add what is known about the people, places and things it shows",
}
# The fact kind of each predicate fact_from_vqa yields.
PREDICATE_KINDS = {
    "color": "attribute",
    "material": "attribute",
    "type": "attribute",
    "count": "count",
    "present": "object",
    "is": "object",
    "text": "text_in_image",
    "location": "relation",
    "action": "relation",
    "shows": "scene",
}


def fact_digest(subject: str, predicate: str, value: str) -> str:
    """One suggestion per item and fact: the normalised fact's hash."""
    return hashlib.sha256(
        "\x1f".join(normalize_fact(subject, predicate, value)).encode()
    ).hexdigest()


def _prompt(asks: list[str]) -> str:
    return f"{PROMPT_BASE} Make sure to {'; '.join(asks)}."


def question_prompt(questions: list[str]) -> str:
    quoted = "; ".join(f'"{q.strip()}"' for q in questions)
    return _prompt([f"answer these questions in the description: {quoted}"])


def entity_prompt(label: str, facts: list[tuple[str, str, str]]) -> str:
    known = "; ".join(f"{s} {p} {v}" for s, p, v in facts)
    asks = f"say what is known about {label}" + (f" ({known})" if known else "")
    return _prompt([asks])


def kind_prompt(kinds: list[str]) -> str:
    return _prompt([KIND_ASKS[kind] for kind in kinds])


def vqa_suggestion(question: str, answer: str) -> dict[str, str]:
    fact = fact_from_vqa(question, answer)
    return {
        "kind": PREDICATE_KINDS.get(fact.predicate, "world_knowledge"),
        "subject": fact.subject,
        "predicate": fact.predicate,
        "value": fact.value,
    }


def item_gaps(item: Item) -> dict[str, Any]:
    facts = (
        list(
            Fact.objects.filter(caption_id=item.current_caption_id).values(
                "kind", "subject", "predicate", "value", "entity_id"
            )
        )
        if item.current_caption_id is not None
        else []
    )
    held = {normalize_fact(f["subject"], f["predicate"], f["value"]) for f in facts}
    suggested = set(FactSuggestion.objects.filter(item=item).values_list("digest", flat=True))
    unsupported: list[dict[str, Any]] = []
    for pair in VqaPair.objects.filter(item=item, is_supported=False).order_by("pk"):
        suggestion = vqa_suggestion(pair.question, pair.answer)
        unsupported.append(
            {
                "id": pair.pk,
                "question": pair.question,
                "answer": pair.answer,
                "suggestion": suggestion,
                "suggested": fact_digest(
                    suggestion["subject"], suggestion["predicate"], suggestion["value"]
                )
                in suggested,
                "prompt": question_prompt([pair.question]),
            }
        )
    missing_entity_facts: list[dict[str, Any]] = []
    entity_ids = sorted({f["entity_id"] for f in facts if f["entity_id"] is not None})
    for entity in Entity.objects.filter(pk__in=entity_ids).select_related("knowledge_base"):
        missing = entity_facts_missing(entity.label, entity.facts, held)
        for triple in missing:
            missing_entity_facts.append(
                {
                    "entity": {
                        "key": entity.key,
                        "label": entity.label,
                        "knowledge_base": entity.knowledge_base.name,
                    },
                    "subject": triple[0],
                    "predicate": triple[1],
                    "value": triple[2],
                    "kind": Fact.Kind.WORLD_KNOWLEDGE.value,
                    "suggested": fact_digest(*triple) in suggested,
                    "prompt": entity_prompt(entity.label, missing),
                }
            )
    basis, compared, with_kind = typical_kinds(item.dataset)
    present = {f["kind"] for f in facts}
    missing_kinds: list[dict[str, Any]] = []
    if compared:
        for kind, captions in with_kind.items():
            share = captions / compared
            if share >= TYPICAL_SHARE and kind not in present:
                missing_kinds.append({"kind": kind, "share": share, "prompt": kind_prompt([kind])})
    asks = []
    if unsupported:
        asks.append(
            "answer these questions in the description: "
            + "; ".join(f'"{gap["question"].strip()}"' for gap in unsupported)
        )
    for label in dict.fromkeys(gap["entity"]["label"] for gap in missing_entity_facts):
        asks.append(f"say what is known about {label}")
    asks += [KIND_ASKS[gap["kind"]] for gap in missing_kinds]
    return {
        "unsupported_vqa": unsupported,
        "missing_entity_facts": missing_entity_facts,
        "missing_kinds": missing_kinds,
        "compared_with": basis,
        "captions_compared": compared,
        "final_captions_compared": compared if basis == "final" else 0,
        "prompt": _prompt(asks) if asks else None,
    }


# The questions most often unsupported, with the number of unsupported pairs over all of
# them: one scan of the unsupported pairs (partial index vqa_unsupported).
TOP_QUESTIONS_SQL = """
SELECT g.question, g.pairs, sum(g.pairs) OVER () AS all_pairs
FROM (
    SELECT p.question, count(*) AS pairs
    FROM annotations_vqapair p
    WHERE p.is_supported = false AND p.item_id IN ({ids})
    GROUP BY p.question
) AS g
ORDER BY g.pairs DESC, g.question
LIMIT {top}
"""
UNSUPPORTED_ITEMS_SQL = """
SELECT count(DISTINCT p.item_id)
FROM annotations_vqapair p
WHERE p.is_supported = false AND p.item_id IN ({ids})
"""
# Per linked entity: the items whose current caption links it, and of those the items that
# miss some of its facts (Item.entity_gaps, kept by services.metrics).
ENTITIES_SQL = """
SELECT g.key::bigint AS entity_id, count(*) AS items,
       count(*) FILTER (WHERE g.value <> '0') AS items_missing_facts
FROM annotations_item i
CROSS JOIN LATERAL jsonb_each_text(i.entity_gaps) AS g
WHERE i.current_caption_id IS NOT NULL AND i.id IN ({ids})
GROUP BY g.key
ORDER BY items_missing_facts DESC, items DESC, g.key
LIMIT {top}
"""


def dataset_gaps(dataset: Dataset, filters: ItemFilters) -> dict[str, Any]:
    """The gaps of the items passing ``filters``, counted in SQL (a fixed number of queries)."""
    ids_sql, params = item_ids_sql(dataset, filters)
    if filters == ItemFilters():
        # A whole dataset's counts come from its running totals (selectors.stats).
        figures = dataset_figures(dataset)
        captioned = figures.n("current", "captions")
        lacking = [captioned - figures.n("current", f"has:{kind}") for kind in KINDS]
        # An item's VQA support is below 1 exactly when one of its pairs is unsupported.
        pair_items = figures.n("current", "vqa_support:sum") - figures.n(
            "current", "vqa_support:full"
        )
        pairs, questions = top_questions(dataset.pk, TOP)
        linked = sorted(
            (
                -figures.n("current", f"entity_missing:{key}"),
                -figures.n("current", f"entity:{key}"),
                int(key),
            )
            for key in (k.split(":", 1)[1] for k in figures.keys("current", "entity:"))
        )[:TOP]
        entity_rows = [(entity_id, -items, -missing) for missing, items, entity_id in linked]
    else:
        presence = ", ".join(
            f"count(*) FILTER (WHERE NOT (i.kind_counts ? '{kind}'))" for kind in KINDS
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*), {presence} FROM annotations_item i"  # noqa: S608
                f" WHERE i.current_caption_id IS NOT NULL AND i.id IN ({ids_sql})",
                params,
            )
            captioned, *lacking = cursor.fetchone()
            cursor.execute(UNSUPPORTED_ITEMS_SQL.format(ids=ids_sql), params)
            (pair_items,) = cursor.fetchone()
            cursor.execute(TOP_QUESTIONS_SQL.format(ids=ids_sql, top=TOP), params)
            top = cursor.fetchall()
            cursor.execute(ENTITIES_SQL.format(ids=ids_sql, top=TOP), params)
            entity_rows = cursor.fetchall()
        pairs = int(top[0][2]) if top else 0
        questions = [(question, n) for question, n, _ in top]
    basis, compared, with_kind = typical_kinds(dataset)
    lacking_by_kind = dict(zip(KINDS, lacking, strict=True))
    missing_kinds = [
        {
            "kind": kind,
            "share": captions / compared,
            "items_lacking": lacking_by_kind[kind],
            "prompt": kind_prompt([kind]),
        }
        for kind, captions in with_kind.items()
        if compared and captions / compared >= TYPICAL_SHARE and lacking_by_kind[kind]
    ]
    known = Entity.objects.select_related("knowledge_base").in_bulk([row[0] for row in entity_rows])
    entities = [
        {
            "key": known[entity_id].key,
            "label": known[entity_id].label,
            "knowledge_base": known[entity_id].knowledge_base.name,
            "items": items,
            "items_missing_facts": missing,
            "prompt": entity_prompt(known[entity_id].label, []),
        }
        for entity_id, items, missing in entity_rows
        if entity_id in known
    ]
    return {
        "items": captioned,
        "compared_with": basis,
        "captions_compared": compared,
        "unsupported_vqa": {
            "pairs": pairs,
            "items": pair_items,
            "top_questions": [{"question": q, "pairs": n} for q, n in questions],
            "prompt": question_prompt([q for q, _ in questions[:5]]) if questions else None,
        },
        "missing_kinds": missing_kinds,
        "entities": entities,
    }
