"""Agreement figures of a dataset's annotators (the team page and GET .../agreement/).

Units are base facts judged by two or more annotators of the same item (overlap); the values
are the verdicts (accepted / edited / rejected). The final verdict of a base fact is read from
the item's final caption: a fact of the same kind, subject and predicate with the same value
(after normalisation) is "accepted", with another value "edited", none "rejected".
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any

from annotations.enrichment.agreement import (
    agreement_by_pair,
    krippendorff_alpha_nominal,
    percent_agreement,
)
from annotations.enrichment.metrics import normalize_part
from annotations.models import Annotation, Caption, Dataset, Fact, Item

FINAL_ORIGINS = Caption.FINAL_ORIGINS


def agreement_report(dataset: Dataset) -> dict[str, Any]:
    submitted = list(
        Annotation.objects.filter(item__dataset=dataset, status=Annotation.Status.SUBMITTED)
        .values_list(
            "item_id", "annotator__username", "decisions", "time_spent_ms", "base_caption_id"
        )
        .order_by("item_id", "pk")
    )
    per_item: dict[int, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    times: dict[str, list[int]] = defaultdict(list)
    base_captions: set[int] = set()
    for item_id, annotator, decisions, spent, base_caption_id in submitted:
        per_item[item_id].append((annotator, decisions or {}))
        times[annotator].append(spent)
        if base_caption_id:
            base_captions.add(base_caption_id)

    # Units: base facts of items with two or more submissions.
    table: dict[int, dict[str, str]] = {}
    for rows in per_item.values():
        if len(rows) < 2:
            continue
        for annotator, decisions in rows:
            for fact_id, decision in decisions.items():
                verdict = decision.get("verdict") if isinstance(decision, dict) else None
                if isinstance(verdict, str):
                    table.setdefault(int(fact_id), {})[annotator] = verdict
    units = [list(row.values()) for row in table.values() if len(row) >= 2]
    pairs = agreement_by_pair(table)

    final = _final_verdicts(dataset, base_captions)
    matches: Counter[str] = Counter()
    judged: Counter[str] = Counter()
    for rows in per_item.values():
        if len(rows) < 2:
            continue  # a single annotator's caption is itself the final one
        for annotator, decisions in rows:
            for fact_id, decision in decisions.items():
                expected = final.get(int(fact_id))
                if expected is None or not isinstance(decision, dict):
                    continue
                judged[annotator] += 1
                matches[annotator] += decision.get("verdict") == expected

    return {
        "items_compared": sum(1 for rows in per_item.values() if len(rows) >= 2),
        "units": len(units),
        "alpha": krippendorff_alpha_nominal(units),
        "percent": percent_agreement(units),
        "pairs": [
            {"annotators": list(pair), "alpha": a.alpha, "percent": a.percent, "units": a.units}
            for pair, a in sorted(pairs.items())
        ],
        "annotators": [
            {
                "annotator": annotator,
                "submissions": len(spent),
                "verdicts": judged[annotator],
                "matches_final": matches[annotator] / judged[annotator]
                if judged[annotator]
                else None,
                "median_ms_per_item": float(statistics.median(spent)) if spent else None,
            }
            for annotator, spent in sorted(times.items())
        ],
        "model_facts": _model_fact_rates(submitted),
    }


def _final_verdicts(dataset: Dataset, base_captions: set[int]) -> dict[int, str]:
    """Base fact id -> the verdict the item's final caption implies."""
    finals = dict(
        Item.objects.filter(
            dataset=dataset,
            status=Item.Status.DONE,
            current_caption__origin__in=FINAL_ORIGINS,
            current_caption__parent_id__in=base_captions,
        ).values_list("current_caption__parent_id", "current_caption_id")
    )
    final_facts: dict[int, dict[tuple[str, str, str], set[str]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for caption_id, kind, subject, predicate, value in Fact.objects.filter(
        caption_id__in=list(finals.values())
    ).values_list("caption_id", "kind", "subject", "predicate", "value"):
        key = (kind, normalize_part(subject), normalize_part(predicate))
        final_facts[caption_id][key].add(normalize_part(value))
    verdicts: dict[int, str] = {}
    for fact_id, caption_id, kind, subject, predicate, value in Fact.objects.filter(
        caption_id__in=list(finals)
    ).values_list("pk", "caption_id", "kind", "subject", "predicate", "value"):
        kept = final_facts[finals[caption_id]].get(
            (kind, normalize_part(subject), normalize_part(predicate))
        )
        verdicts[fact_id] = (
            "rejected" if not kept else "accepted" if normalize_part(value) in kept else "edited"
        )
    return verdicts


def _model_fact_rates(submitted: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Per model configuration: how annotators judged the facts its captions proposed."""
    model_facts = {
        fact_id: model_name
        for fact_id, model_name in Fact.objects.filter(
            caption_id__in={row[4] for row in submitted if row[4]},
            source=Fact.Source.MODEL,
        ).values_list("pk", "caption__model_name")
    }
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for _, _, decisions, _, _ in submitted:
        for fact_id, decision in (decisions or {}).items():
            model = model_facts.get(int(fact_id))
            if model is not None and isinstance(decision, dict):
                counts[model][str(decision.get("verdict"))] += 1
    rates = []
    for model, counted in sorted(counts.items()):
        total = sum(counted.values())
        rates.append(
            {
                "model": model or "unnamed model",
                "facts": total,
                "accepted": counted["accepted"] / total,
                "edited": counted["edited"] / total,
                "rejected": counted["rejected"] / total,
            }
        )
    return rates
