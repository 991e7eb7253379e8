"""Knowledge-density metrics of a caption. Plain Python: no Django, deterministic.

Definitions (the user docs repeat them):

- **words**: tokens of the caption separated by whitespace that contain at least one letter or
  digit ("—" alone is not a word; "STS-93" is one).
- **facts**: distinct facts after normalisation: subject, predicate and value are case-folded,
  inner whitespace collapsed, and surrounding punctuation stripped; two facts are the same when
  all three parts are.
- **density**: facts per 100 words; 0 for a caption without words.
- **reference facts** of an item: the distinct facts (after normalisation) of its final captions
  (an item's current caption once the item is done, which holds exactly the facts its
  annotators accepted, edited or added) together with the facts its VQA pairs state
  (:func:`annotations.enrichment.vqa.fact_from_vqa`).
- **coverage**: the share of an item's reference facts that the caption states; ``None`` when
  the item has no reference facts. A caption states a fact when one of its own facts is the same
  after normalisation, or when its text holds the fact's content: every content word of the
  value, and the head (last content word) of the subject unless the subject is the whole image
  or a whole question. A "present: no" fact needs a negation and the subject's head; a
  "present: yes" fact needs the subject's head alone. Words are compared as lemmas
  (:mod:`annotations.enrichment.text`).
- **VQA support**: the share of an item's VQA pairs whose answer the caption supports
  (:func:`annotations.enrichment.vqa.supports`); ``None`` when the item has no VQA pairs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from annotations.enrichment import text as words
from annotations.enrichment import vqa

_WHITESPACE = re.compile(r"\s+")
_EDGE_PUNCTUATION = " \t\n.,;:!?\"'()[]{}\u00ab\u00bb\u201c\u201d\u2018\u2019"


def word_count(text: str) -> int:
    return sum(1 for token in text.split() if any(character.isalnum() for character in token))


def normalize_part(part: str) -> str:
    folded = unicodedata.normalize("NFKC", part).casefold()
    return _WHITESPACE.sub(" ", folded).strip(_EDGE_PUNCTUATION)


def normalize_fact(subject: str, predicate: str, value: str) -> tuple[str, str, str]:
    return normalize_part(subject), normalize_part(predicate), normalize_part(value)


def entity_facts_missing(
    label: str, entity_facts: object, held: set[tuple[str, str, str]]
) -> list[tuple[str, str, str]]:
    """The facts of a knowledge-base entity (its ``facts`` list: ``{"subject"?, "predicate",
    "value"}`` each, the subject defaulting to its label) that are not among ``held``
    (normalised facts); malformed entries are skipped."""
    missing = []
    for fact in entity_facts if isinstance(entity_facts, list) else []:
        if not isinstance(fact, dict) or "predicate" not in fact or "value" not in fact:
            continue
        triple = (str(fact.get("subject") or label), str(fact["predicate"]), str(fact["value"]))
        if normalize_fact(*triple) not in held:
            missing.append(triple)
    return missing


def distinct_fact_count(facts: Iterable[tuple[str, str, str]]) -> int:
    return len({normalize_fact(*fact) for fact in facts})


def density(fact_count: int, words: int) -> float:
    return 0.0 if words == 0 else fact_count * 100 / words


@dataclass(frozen=True)
class CaptionMetrics:
    words: int
    facts: int
    density: float

    def as_fields(self) -> dict[str, float | int]:
        """The Caption model's fields that store these metrics."""
        return {"word_count": self.words, "fact_count": self.facts, "density": self.density}


def caption_metrics(text: str, facts: Iterable[tuple[str, str, str]]) -> CaptionMetrics:
    """Words, distinct facts and density of a caption with these (subject, predicate, value)."""
    words, count = word_count(text), distinct_fact_count(facts)
    return CaptionMetrics(words, count, density(count, words))


Triple = tuple[str, str, str]


def _head(part: str) -> str | None:
    content = words.content_words(part)
    return content[-1] if content else None


def states(caption_words: set[str], caption_facts: set[Triple], fact: Triple) -> bool:
    """Whether a caption (its lemma set and normalised facts) states ``fact`` (see above)."""
    subject, predicate, value = normalize_fact(*fact)
    if (subject, predicate, value) in caption_facts:
        return True
    generic_subject = subject == vqa.IMAGE_SUBJECT or predicate == "answer"
    head = None if generic_subject else _head(subject)
    if not generic_subject and head is None:
        return False
    subject_said = head is None or head in caption_words
    if predicate == "present" and value in {"yes", "no"}:
        if value == "no":
            return subject_said and bool(caption_words & vqa.NEGATIONS)
        return subject_said
    needed = words.content_words(value)
    return bool(needed) and subject_said and all(word in caption_words for word in needed)


def coverage(
    caption_text: str, caption_facts: Iterable[Triple], reference: Iterable[Triple]
) -> float | None:
    """Share of the reference facts that the caption states; None without reference facts."""
    distinct = {normalize_fact(*fact) for fact in reference}
    if not distinct:
        return None
    present = vqa.caption_lemmas(caption_text)
    own = {normalize_fact(*fact) for fact in caption_facts}
    stated = sum(1 for fact in distinct if states(present, own, fact))
    return stated / len(distinct)


def vqa_support(caption_text: str, pairs: Sequence[tuple[str, str]]) -> float | None:
    """Share of the (question, answer) pairs the caption supports; None without pairs."""
    if not pairs:
        return None
    present = vqa.caption_lemmas(caption_text)
    return sum(1 for q, a in pairs if vqa.supports(present, q, a)) / len(pairs)


@dataclass(frozen=True)
class ItemMetrics:
    """The current caption's metrics as the item list filters and sorts by them."""

    fact_count: int | None
    density: float | None
    coverage: float | None
    vqa_support: float | None
    supported: tuple[bool, ...]  # per VQA pair, in the order given

    def as_fields(self) -> dict[str, float | int | None]:
        """The Item model's fields that store these metrics."""
        return {
            "fact_count": self.fact_count,
            "density": self.density,
            "coverage": self.coverage,
            "vqa_support": self.vqa_support,
        }


def item_metrics(
    caption: tuple[str, Sequence[Triple]] | None,
    final_facts: Iterable[Triple],
    pairs: Sequence[tuple[str, str]],
) -> ItemMetrics:
    """Metrics of an item's current caption (text and facts; None when it has none), against
    its final captions' facts and its VQA pairs."""
    reference = [*final_facts, *(vqa.fact_from_vqa(q, a).as_triple() for q, a in pairs)]
    if caption is None:
        return ItemMetrics(None, None, 0.0 if reference else None, 0.0 if pairs else None,
                           tuple(False for _ in pairs))  # fmt: skip
    text, facts = caption
    basic = caption_metrics(text, facts)
    present = vqa.caption_lemmas(text)
    supported = tuple(vqa.supports(present, q, a) for q, a in pairs)
    return ItemMetrics(
        fact_count=basic.facts,
        density=basic.density,
        coverage=coverage(text, facts, reference),
        vqa_support=(sum(supported) / len(pairs)) if pairs else None,
        supported=supported,
    )


def caption_fields(
    text: str,
    facts: Sequence[Triple],
    final_facts: Iterable[Triple],
    pairs: Sequence[tuple[str, str]],
) -> dict[str, float | int | None]:
    """Every metric a Caption row stores, measured against the item's reference when the
    caption is created (captions are immutable, so these are never updated)."""
    scored = item_metrics((text, facts), final_facts, pairs)
    basic = caption_metrics(text, facts)
    return {**basic.as_fields(), "coverage": scored.coverage, "vqa_support": scored.vqa_support}


def measure(
    text: str,
    facts: Sequence[Triple],
    final_facts: Sequence[Triple],
    pairs: Sequence[tuple[str, str]],
) -> dict[str, object]:
    """Every metric of a caption being edited, with the support flag of each VQA pair."""
    scored = item_metrics((text, facts), final_facts, pairs)
    reference = {normalize_fact(*fact) for fact in final_facts} | {
        normalize_fact(*vqa.fact_from_vqa(q, a).as_triple()) for q, a in pairs
    }
    return {
        "words": word_count(text),
        "fact_count": scored.fact_count,
        "density": scored.density,
        "coverage": scored.coverage,
        "vqa_support": scored.vqa_support,
        "supported": list(scored.supported),
        "reference_facts": len(reference),
    }
