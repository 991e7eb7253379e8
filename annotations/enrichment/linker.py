"""Link a caption's facts to knowledge-base entities and propose the entities' facts.

Plain Python, no Django, deterministic.

**Names.** Every entity is known by its label and its aliases. A name is compared word by word:
NFKC-normalised and case-folded, possessive "'s" dropped, "&" read as "and", every other run of
punctuation (hyphens included) a word break, each word lemmatised
(:func:`annotations.enrichment.text.lemma`, so "Space Shuttles" is "Space Shuttle" and "Falcon
nine" is "Falcon 9"). "STS-93", "sts 93" and "STS 93" are the same name.

**Refused names.** A name whose words are all stop words ("It", "The Who") never matches, nor
does an alias of a single word of at most two characters ("9", "IO"): such names would link
half of all captions. Labels of two characters are kept (the label is the entity's own name),
and a refused word may still be part of a longer name ("Falcon 9").

**Lexical links.** The subject and the value of each fact are scanned left to right; at every
word the longest name that starts there wins and the scan continues after it, so "a model of
the Space Shuttle" links the Space Shuttle and "Space Shuttle mission STS-93" links the mission,
not the shuttle. The names live in one dictionary built when the linker is made (word tuple ->
entities), so scanning costs O(words x longest name) whatever the size of the knowledge base. A
name that is the label of some entities links only those; otherwise it links every entity that
has it as an alias, in knowledge-base order. Confidence: 1.0 for a label, 0.9 for an alias,
whether the name is the whole part or a stretch inside it.

**Caption mentions.** The caption text is scanned the same way; an entity it names that no fact
of the caption links is returned with ``fact_index`` -1 and ``part`` "caption", after the fact
links.

**Embedding links.** With an :class:`~annotations.enrichment.embeddings.Embedder`, a subject or
value that has no lexical link and holds at least one content word with a letter is embedded
and compared with the entity labels' embeddings (computed once, when the linker is made, as a
normalised matrix). The nearest label links when its cosine similarity reaches
``similarity_threshold``; the link's confidence is that similarity (at most 1.0) and its method
is "embedding". Embedding links need numpy (installed with transformers); lexical linking needs
no third-party package.

**Order.** Links follow the facts' order; within a fact, subject before value; within a part,
the order of the names in the text; caption mentions last, in text order. Each (fact, part,
entity) appears once.

**Injection.** :meth:`KnowledgeLinker.inject` walks the linked entities by confidence (highest
first, ties in link order), each entity once, and proposes each entity's facts, in
knowledge-base order, as "world_knowledge" facts carrying the link's confidence. A fact that is
already in ``existing`` or was already proposed (compared with
:func:`annotations.enrichment.metrics.normalize_fact`) is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from annotations.enrichment import metrics
from annotations.enrichment import text as words

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from annotations.enrichment.embeddings import Embedder

WORLD_KNOWLEDGE = "world_knowledge"
LABEL_CONFIDENCE = 1.0
ALIAS_CONFIDENCE = 0.9
CAPTION_FACT_INDEX = -1
CAPTION_PART = "caption"

_POSSESSIVE = re.compile(r"['\u2019]s\b")
_APOSTROPHE = re.compile(r"['\u2019]")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class KnowledgeEntity:
    key: str
    label: str
    aliases: tuple[str, ...]
    description: str
    facts: tuple[tuple[str, str, str], ...]  # (subject, predicate, value)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> KnowledgeEntity:
        """An entity from one record of a knowledge-base JSONL file (``key``, ``label``,
        ``aliases``, ``description``, ``facts`` as ``{subject, predicate, value}`` objects)."""
        facts = tuple(
            (str(fact["subject"]), str(fact["predicate"]), str(fact["value"]))
            for fact in data.get("facts", ())
        )
        return cls(
            key=str(data["key"]),
            label=str(data["label"]),
            aliases=tuple(str(alias) for alias in data.get("aliases", ())),
            description=str(data.get("description", "")),
            facts=facts,
        )


@dataclass(frozen=True)
class FactRef:
    """A fact of a caption, as the linker sees it."""

    index: int  # position of the fact in the caption's fact list
    kind: str
    subject: str
    predicate: str
    value: str


@dataclass(frozen=True)
class EntityLink:
    fact_index: int  # CAPTION_FACT_INDEX (-1) for a mention in the caption text alone
    entity_key: str
    matched: str  # the label or alias that matched (the label for embedding links)
    part: str  # "subject", "value" or "caption"
    method: str  # "label", "alias" or "embedding"
    confidence: float  # 1.0 label, 0.9 alias, the cosine similarity for embedding links


@dataclass(frozen=True)
class InjectedFact:
    kind: str  # always "world_knowledge"
    subject: str
    predicate: str
    value: str
    entity_key: str
    confidence: float


def name_words(name: str) -> tuple[str, ...]:
    """The lemmatised words a name is compared by (see the module docstring)."""
    folded = _APOSTROPHE.sub("", _POSSESSIVE.sub("", words.normalize(name))).replace("&", " and ")
    return tuple(words.lemma(word) for word in _WORD.findall(folded))


def refused(key: tuple[str, ...], *, alias: bool) -> bool:
    """Whether a name with these words never matches (see the module docstring)."""
    if not key or all(word in words.STOP_WORDS for word in key):
        return True
    return alias and len(key) == 1 and len(key[0]) <= 2


@dataclass(frozen=True)
class _Candidate:
    entity: int  # position in the knowledge base
    name: str
    method: str
    confidence: float


class KnowledgeLinker:
    def __init__(
        self,
        entities: Iterable[KnowledgeEntity],
        embedder: Embedder | None = None,
        similarity_threshold: float = 0.75,
    ) -> None:
        self.entities: tuple[KnowledgeEntity, ...] = tuple(entities)
        self.embedder = embedder
        self.similarity_threshold = similarity_threshold
        self._by_key = {entity.key: entity for entity in self.entities}
        self._index: dict[tuple[str, ...], list[_Candidate]] = {}
        labels: dict[tuple[str, ...], list[_Candidate]] = {}
        aliases: dict[tuple[str, ...], list[_Candidate]] = {}
        for position, entity in enumerate(self.entities):
            key = name_words(entity.label)
            if not refused(key, alias=False):
                labels.setdefault(key, []).append(
                    _Candidate(position, entity.label, "label", LABEL_CONFIDENCE)
                )
            for alias in entity.aliases:
                key = name_words(alias)
                if not refused(key, alias=True):
                    aliases.setdefault(key, []).append(
                        _Candidate(position, alias, "alias", ALIAS_CONFIDENCE)
                    )
        for key, chosen in [*labels.items(), *aliases.items()]:
            if key in self._index:
                continue  # a label of some entity: an alias of another does not compete
            seen: set[int] = set()
            unique = []
            for candidate in chosen:
                if candidate.entity not in seen:
                    seen.add(candidate.entity)
                    unique.append(candidate)
            self._index[key] = unique
        self._longest = max((len(key) for key in self._index), default=0)
        self._label_matrix: npt.NDArray[np.float32] | None = None
        if embedder is not None and self.entities:
            self._label_matrix = _unit_rows(
                embedder.embed([entity.label for entity in self.entities])
            )

    def _scan(self, text: str) -> list[_Candidate]:
        """Names in ``text``, longest first at each word, left to right, not overlapping."""
        found: list[_Candidate] = []
        sequence = name_words(text)
        position = 0
        while position < len(sequence):
            for length in range(min(self._longest, len(sequence) - position), 0, -1):
                candidates = self._index.get(sequence[position : position + length])
                if candidates is not None:
                    found.extend(candidates)
                    position += length
                    break
            else:
                position += 1
        return found

    def link(self, facts: Sequence[FactRef], caption_text: str = "") -> list[EntityLink]:
        """Links of the facts' subjects and values, then of caption-only mentions."""
        per_part: list[tuple[FactRef, str, list[EntityLink]]] = []
        for fact in facts:
            for part in ("subject", "value"):
                text = fact.subject if part == "subject" else fact.value
                part_links: list[EntityLink] = []
                seen: set[str] = set()
                for candidate in self._scan(text):
                    entity = self.entities[candidate.entity]
                    if entity.key in seen:
                        continue
                    seen.add(entity.key)
                    part_links.append(
                        EntityLink(
                            fact_index=fact.index,
                            entity_key=entity.key,
                            matched=candidate.name,
                            part=part,
                            method=candidate.method,
                            confidence=candidate.confidence,
                        )
                    )
                per_part.append((fact, part, part_links))
        if self._label_matrix is not None:
            self._link_by_embedding(per_part)
        links = [link for _, _, part_links in per_part for link in part_links]
        linked = {link.entity_key for link in links}
        for candidate in self._scan(caption_text):
            entity = self.entities[candidate.entity]
            if entity.key in linked:
                continue
            linked.add(entity.key)
            links.append(
                EntityLink(
                    fact_index=CAPTION_FACT_INDEX,
                    entity_key=entity.key,
                    matched=candidate.name,
                    part=CAPTION_PART,
                    method=candidate.method,
                    confidence=candidate.confidence,
                )
            )
        return links

    def _link_by_embedding(self, per_part: list[tuple[FactRef, str, list[EntityLink]]]) -> None:
        """Adds the embedding link, if any, to every part without a lexical link."""
        assert self.embedder is not None
        assert self._label_matrix is not None
        pending: dict[str, list[int]] = {}
        for position, (fact, part, part_links) in enumerate(per_part):
            text = (fact.subject if part == "subject" else fact.value).strip()
            if part_links or not _embeddable(text):
                continue
            pending.setdefault(text, []).append(position)
        if not pending:
            return
        texts = list(pending)
        similarities = _unit_rows(self.embedder.embed(texts)) @ self._label_matrix.T
        best = similarities.argmax(axis=1)
        for row, text in enumerate(texts):
            entity_position = int(best[row])
            similarity = float(similarities[row, entity_position])
            if similarity < self.similarity_threshold:
                continue
            entity = self.entities[entity_position]
            for position in pending[text]:
                fact, part, part_links = per_part[position]
                part_links.append(
                    EntityLink(
                        fact_index=fact.index,
                        entity_key=entity.key,
                        matched=entity.label,
                        part=part,
                        method="embedding",
                        confidence=min(1.0, max(0.0, similarity)),
                    )
                )

    def inject(
        self, links: Sequence[EntityLink], existing: Iterable[tuple[str, str, str]] = ()
    ) -> list[InjectedFact]:
        """The linked entities' facts that ``existing`` lacks (see the module docstring).

        Raises ``KeyError`` for a link to an entity this linker does not know.
        """
        seen = {metrics.normalize_fact(*fact) for fact in existing}
        ranked = sorted(enumerate(links), key=lambda item: (-item[1].confidence, item[0]))
        proposed: list[InjectedFact] = []
        done: set[str] = set()
        for _, link in ranked:
            if link.entity_key in done:
                continue
            done.add(link.entity_key)
            entity = self._by_key.get(link.entity_key)
            if entity is None:
                raise KeyError(f"unknown knowledge entity {link.entity_key!r}")
            for subject, predicate, value in entity.facts:
                normalized = metrics.normalize_fact(subject, predicate, value)
                if normalized in seen:
                    continue
                seen.add(normalized)
                proposed.append(
                    InjectedFact(
                        kind=WORLD_KNOWLEDGE,
                        subject=subject,
                        predicate=predicate,
                        value=value,
                        entity_key=entity.key,
                        confidence=link.confidence,
                    )
                )
        return proposed


def _embeddable(text: str) -> bool:
    return any(any(c.isalpha() for c in word) for word in words.content_words(text))


def _unit_rows(matrix: Any) -> npt.NDArray[np.float32]:
    """``matrix`` (a numpy array or a torch tensor) as float32 numpy rows of unit length."""
    import numpy as np

    if hasattr(matrix, "detach"):
        matrix = matrix.detach().cpu().float().numpy()
    rows = np.asarray(matrix, dtype=np.float32)
    if rows.ndim != 2:
        raise ValueError(f"an embedder must return a 2-D array, got {rows.ndim} dimensions")
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: npt.NDArray[np.float32] = (rows / norms).astype(np.float32, copy=False)
    return unit
