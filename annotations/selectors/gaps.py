"""Where an item's knowledge is thin: the gap finder.

Three kinds of gap, each something an annotator or a regeneration job can act on:

- **unsupported VQA**: the item's VQA pairs whose answer its current caption does not support
  (the stored support flags, ``enrichment.vqa.supports``);
- **entity facts not injected**: facts of the knowledge-base entities the caption's facts link
  to, that the caption does not hold yet (compared after normalisation);
- **missing kinds**: fact kinds that at least half of the dataset's final captions have and
  this caption lacks, with the share of final captions that have them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from annotations.enrichment.metrics import normalize_fact
from annotations.models import Entity, Fact, Item, VqaPair

TYPICAL_SHARE = 0.5


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
    unsupported = [
        {"id": pair.pk, "question": pair.question, "answer": pair.answer}
        for pair in VqaPair.objects.filter(item=item, is_supported=False).order_by("pk")
    ]
    missing_entity_facts = []
    entity_ids = sorted({f["entity_id"] for f in facts if f["entity_id"] is not None})
    for entity in Entity.objects.filter(pk__in=entity_ids).select_related("knowledge_base"):
        for fact in entity.facts or []:
            if not isinstance(fact, dict) or "predicate" not in fact or "value" not in fact:
                continue
            subject = str(fact.get("subject") or entity.label)
            triple = (subject, str(fact["predicate"]), str(fact["value"]))
            if normalize_fact(*triple) in held:
                continue
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
                }
            )
    finals = Item.objects.filter(
        dataset_id=item.dataset_id, status=Item.Status.DONE, current_caption__isnull=False
    ).values("current_caption_id")
    total = finals.count()
    present = {f["kind"] for f in facts}
    missing_kinds = []
    if total:
        for kind, captions in (
            Fact.objects.filter(caption_id__in=finals)
            .values("kind")
            .annotate(captions=Count("caption_id", distinct=True))
            .order_by("kind")
            .values_list("kind", "captions")
        ):
            share = captions / total
            if share >= TYPICAL_SHARE and kind not in present:
                missing_kinds.append({"kind": kind, "share": share})
    return {
        "unsupported_vqa": unsupported,
        "missing_entity_facts": missing_entity_facts,
        "missing_kinds": missing_kinds,
        "final_captions_compared": total,
    }
