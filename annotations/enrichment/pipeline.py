"""From a captioner's raw output to a scored, knowledge-linked caption. Plain Python.

``enrich`` runs the stages after ``generate`` for one image: structure the output into a
caption and facts (the model's JSON when it gave one, the rule extractor otherwise), link the
facts to knowledge-base entities, propose the entities' facts as injected knowledge, and score
the result against the item's reference (``metrics.caption_fields``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from annotations.enrichment.linker import FactRef, InjectedFact, KnowledgeLinker
from annotations.enrichment.metrics import Triple, caption_fields
from annotations.enrichment.structurer import ExtractedFact, Structurer, parse_model_output


@dataclass(frozen=True)
class EnrichedCaption:
    text: str
    facts: tuple[ExtractedFact, ...]
    entity_of_fact: dict[int, str]  # fact index -> entity key of its best link
    injected: tuple[InjectedFact, ...]
    structured: bool
    scores: dict[str, float | int | None]  # the Caption row's metric fields

    def triples(self) -> list[Triple]:
        """(subject, predicate, value) of the model's facts and the injected ones."""
        return [(f.subject, f.predicate, f.value) for f in self.facts] + [
            (f.subject, f.predicate, f.value) for f in self.injected
        ]


def enrich(
    raw: str,
    *,
    linker: KnowledgeLinker | None,
    final_facts: Sequence[Triple] = (),
    pairs: Sequence[tuple[str, str]] = (),
    structurer: Structurer | None = None,
    max_length: int | None = None,
) -> EnrichedCaption:
    """Structure, link, inject and score one raw model output."""
    structured = parse_model_output(raw, structurer)
    text = structured.text if max_length is None else structured.text[:max_length]
    facts = tuple(
        fact
        if fact.span is None or fact.span[1] <= len(text)
        else ExtractedFact(
            fact.kind, fact.subject, fact.predicate, fact.value, None, fact.confidence
        )
        for fact in structured.facts
    )
    entity_of_fact: dict[int, str] = {}
    injected: tuple[InjectedFact, ...] = ()
    if linker is not None and facts:
        refs = [
            FactRef(index, fact.kind, fact.subject, fact.predicate, fact.value)
            for index, fact in enumerate(facts)
        ]
        links = linker.link(refs, text)
        for link in sorted(links, key=lambda link: -link.confidence):
            if link.fact_index >= 0:
                entity_of_fact.setdefault(link.fact_index, link.entity_key)
        injected = tuple(
            linker.inject(links, existing=[(f.subject, f.predicate, f.value) for f in facts])
        )
    result = EnrichedCaption(text, facts, entity_of_fact, injected, structured.structured, {})
    scores = caption_fields(text, result.triples(), final_facts, pairs)
    return EnrichedCaption(text, facts, entity_of_fact, injected, structured.structured, scores)
