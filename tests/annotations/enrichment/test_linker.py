from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from annotations.enrichment.linker import (
    EntityLink,
    FactRef,
    InjectedFact,
    KnowledgeEntity,
    KnowledgeLinker,
    name_words,
)

DEMO = Path(__file__).resolve().parents[3] / "annotations" / "demo"


def entity(
    key: str,
    label: str,
    aliases: Sequence[str] = (),
    facts: Sequence[tuple[str, str, str]] = (),
) -> KnowledgeEntity:
    return KnowledgeEntity(key, label, tuple(aliases), f"About {label}.", tuple(facts))


KB = [
    entity(
        "space-shuttle",
        "Space Shuttle",
        ["Space Transportation System", "STS"],
        [("Space Shuttle", "first flight", "1981"), ("Space Shuttle", "last flight", "2011")],
    ),
    entity(
        "sts-93",
        "STS-93",
        ["Space Shuttle mission STS-93"],
        [
            ("STS-93", "commander", "Eileen Collins"),
            ("Space Shuttle", "last flight", "2011"),  # also a fact of the shuttle
            ("STS-93", "launch year", "1999"),
        ],
    ),
    entity(
        "nasa",
        "NASA",
        ["National Aeronautics and Space Administration", "It", "NA"],
        [("NASA", "founded", "1958")],
    ),
    entity("io", "Io", ["Jupiter I"], [("Io", "orbits", "Jupiter")]),
    entity("domestic-cat", "Domestic cat", ["cat", "house cat"]),
    entity("mercury-planet", "Mercury"),
    entity("mercury-element", "Mercury", ["Hg"]),
    entity("mercury-car", "Mercury cars", ["Mercury"]),
]


@pytest.fixture(scope="module")
def linker() -> KnowledgeLinker:
    return KnowledgeLinker(KB)


def fact(index: int, subject: str, value: str, kind: str = "object") -> FactRef:
    return FactRef(index, kind, subject, "is", value)


def test_names_are_compared_as_lemmatised_words() -> None:
    assert name_words("Space Shuttles") == ("space", "shuttle")
    assert name_words("STS-93") == name_words("sts 93") == ("sts", "93")
    assert name_words("SpaceX\u2019s Falcon nine") == ("spacex", "falcon", "9")


def test_a_label_links_with_full_confidence(linker: KnowledgeLinker) -> None:
    assert linker.link([fact(0, "NASA", "1958")]) == [
        EntityLink(0, "nasa", "NASA", "subject", "label", 1.0)
    ]


def test_an_alias_links_with_lower_confidence(linker: KnowledgeLinker) -> None:
    links = linker.link([fact(3, "agency", "national aeronautics & space administration")])
    assert links == [
        EntityLink(
            3, "nasa", "National Aeronautics and Space Administration", "value", "alias", 0.9
        )
    ]


def test_a_plural_matches_the_singular_label(linker: KnowledgeLinker) -> None:
    assert linker.link([fact(0, "Space Shuttles", "reusable")]) == [
        EntityLink(0, "space-shuttle", "Space Shuttle", "subject", "label", 1.0)
    ]


def test_a_name_inside_a_value_links(linker: KnowledgeLinker) -> None:
    links = linker.link([FactRef(1, "object", "model", "depicts", "a model of the Space Shuttle")])
    assert links == [EntityLink(1, "space-shuttle", "Space Shuttle", "value", "label", 1.0)]


def test_the_longest_name_wins_and_the_scan_goes_on_after_it(linker: KnowledgeLinker) -> None:
    links = linker.link([fact(0, "crew", "the Space Shuttle mission STS 93 and the house cats")])
    assert links == [
        EntityLink(0, "sts-93", "Space Shuttle mission STS-93", "value", "alias", 0.9),
        EntityLink(0, "domestic-cat", "house cat", "value", "alias", 0.9),
    ]


def test_subject_and_value_link_separately_and_each_entity_once_per_part(
    linker: KnowledgeLinker,
) -> None:
    links = linker.link([fact(0, "NASA", "NASA, the agency; nasa again")])
    assert links == [
        EntityLink(0, "nasa", "NASA", "subject", "label", 1.0),
        EntityLink(0, "nasa", "NASA", "value", "label", 1.0),
    ]


def test_caption_mentions_that_no_fact_links_come_last(linker: KnowledgeLinker) -> None:
    caption = "A NASA model of the Space Shuttle, beside a cat, and NASA again."
    links = linker.link([fact(0, "model", "Space Shuttle")], caption)
    assert links == [
        EntityLink(0, "space-shuttle", "Space Shuttle", "value", "label", 1.0),
        EntityLink(-1, "nasa", "NASA", "caption", "label", 1.0),
        EntityLink(-1, "domestic-cat", "cat", "caption", "alias", 0.9),
    ]


def test_short_and_stop_word_aliases_never_match_alone(linker: KnowledgeLinker) -> None:
    facts = [fact(0, "it", "NA"), fact(1, "Hg", "na")]
    assert linker.link(facts, "It is NA. Hg.") == []
    # A two-character label is the entity's own name and is kept; so are longer aliases.
    assert linker.link([fact(0, "Io", "Jupiter I")]) == [
        EntityLink(0, "io", "Io", "subject", "label", 1.0),
        EntityLink(0, "io", "Jupiter I", "value", "alias", 0.9),
    ]


def test_a_shared_label_links_every_entity_and_beats_an_alias(linker: KnowledgeLinker) -> None:
    assert linker.link([fact(0, "planet", "Mercury")]) == [
        EntityLink(0, "mercury-planet", "Mercury", "value", "label", 1.0),
        EntityLink(0, "mercury-element", "Mercury", "value", "label", 1.0),
    ]


def test_linking_is_deterministic() -> None:
    facts = [fact(0, "Space Shuttles", "NASA"), fact(1, "cat", "STS-93")]
    first = KnowledgeLinker(KB).link(facts, "Io and the house cat")
    assert first == KnowledgeLinker(KB).link(facts, "Io and the house cat")
    assert [(link.fact_index, link.entity_key) for link in first] == [
        (0, "space-shuttle"), (0, "nasa"), (1, "domestic-cat"), (1, "sts-93"), (-1, "io"),
    ]  # fmt: skip


def test_inject_proposes_linked_facts_by_confidence_skipping_known_ones(
    linker: KnowledgeLinker,
) -> None:
    links = [
        EntityLink(0, "sts-93", "Space Shuttle mission STS-93", "value", "alias", 0.9),
        EntityLink(1, "space-shuttle", "Space Shuttle", "subject", "label", 1.0),
        EntityLink(2, "space-shuttle", "Space Shuttle", "value", "label", 1.0),
        EntityLink(-1, "io", "Io", "caption", "label", 1.0),
    ]
    existing = [("space shuttle", "FIRST FLIGHT", "1981."), ("STS-93", "launch year", "1999")]
    assert linker.inject(links, existing) == [
        InjectedFact(
            "world_knowledge", "Space Shuttle", "last flight", "2011", "space-shuttle", 1.0
        ),
        InjectedFact("world_knowledge", "Io", "orbits", "Jupiter", "io", 1.0),
        InjectedFact("world_knowledge", "STS-93", "commander", "Eileen Collins", "sts-93", 0.9),
    ]
    assert linker.inject([]) == []


def test_inject_refuses_an_unknown_entity(linker: KnowledgeLinker) -> None:
    with pytest.raises(KeyError, match="no-such-entity"):
        linker.inject([EntityLink(0, "no-such-entity", "x", "subject", "label", 1.0)])


class StubEmbedder:
    """Hand-made vectors by text (not unit length: the linker normalises them)."""

    vectors = {
        "Space Shuttle": [2.0, 0.0, 0.0],
        "STS-93": [0.0, 0.0, 3.0],
        "NASA": [0.0, 1.0, 0.0],
        "orbiter vehicle": [0.8, 0.6, 0.0],  # cosine 0.8 with the Space Shuttle
        "space agency": [0.0, 0.7, 0.7],  # cosine 0.707 with NASA and STS-93
        "rocket": [0.6, 0.8, 0.0],  # cosine 0.8 with NASA
    }

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self.vectors.get(text, [0.0, 0.0, 0.0]) for text in texts]


def test_embeddings_link_parts_without_a_lexical_match() -> None:
    pytest.importorskip("numpy")
    embedder = StubEmbedder()
    linker = KnowledgeLinker(KB[:3], embedder=embedder, similarity_threshold=0.75)
    facts = [
        fact(0, "orbiter vehicle", "NASA"),
        fact(1, "rocket", "space agency"),
        fact(2, "her", "rocket"),
    ]
    links = linker.link(facts)
    assert [(link.fact_index, link.entity_key, link.part, link.method) for link in links] == [
        (0, "space-shuttle", "subject", "embedding"),
        (0, "nasa", "value", "label"),
        (1, "nasa", "subject", "embedding"),
        (2, "nasa", "value", "embedding"),
    ]
    assert links[0].matched == "Space Shuttle"
    assert links[0].confidence == pytest.approx(0.8)
    assert links[2].confidence == pytest.approx(0.8)
    # Labels once, when the linker is made; then each distinct unmatched part with content once.
    assert embedder.calls == [
        ["Space Shuttle", "STS-93", "NASA"],
        ["orbiter vehicle", "rocket", "space agency"],
    ]


def test_no_embedding_link_below_the_threshold() -> None:
    pytest.importorskip("numpy")
    linker = KnowledgeLinker(KB[:3], embedder=StubEmbedder(), similarity_threshold=0.81)
    assert linker.link([fact(0, "orbiter vehicle", "space agency")]) == []


def load_demo() -> tuple[list[KnowledgeEntity], list[dict[str, object]]]:
    with (DEMO / "knowledge_base.jsonl").open(encoding="utf-8") as lines:
        entities = [
            KnowledgeEntity.from_mapping(json.loads(line)) for line in lines if line.strip()
        ]
    with (DEMO / "dataset.jsonl").open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    return entities, records


def refs(record: dict[str, object]) -> list[FactRef]:
    facts = record["facts"]
    assert isinstance(facts, list)
    return [
        FactRef(i, f["kind"], f["subject"], f["predicate"], f["value"]) for i, f in enumerate(facts)
    ]


def test_the_demo_astronaut_links_its_entities() -> None:
    entities, records = load_demo()
    linker = KnowledgeLinker(entities)
    astronaut = next(record for record in records if record["id"] == "astronaut")
    caption = astronaut["caption"]
    assert isinstance(caption, str)
    links = linker.link(refs(astronaut), caption)
    assert {link.entity_key for link in links if link.fact_index >= 0} == {
        "eileen-collins",
        "space-shuttle",
        "sts-93",
    }
    assert {link.entity_key for link in links} == {
        "eileen-collins",
        "space-shuttle",
        "sts-93",
        "nasa",  # "an American NASA astronaut": in the caption only
    }
    injected = linker.inject(links, [(f.subject, f.predicate, f.value) for f in refs(astronaut)])
    assert [fact.entity_key for fact in injected][:1] == ["eileen-collins"]
    assert ("NASA", "founded", "1958") in {(f.subject, f.predicate, f.value) for f in injected}


def test_every_demo_record_links_the_entities_its_facts_name() -> None:
    entities, records = load_demo()
    linker = KnowledgeLinker(entities)
    for record in records:
        facts = record["facts"]
        assert isinstance(facts, list)
        named = {f["entity"] for f in facts if f.get("entity")}
        caption = record["caption"]
        assert isinstance(caption, str)
        linked = {link.entity_key for link in linker.link(refs(record), caption)}
        assert named <= linked, record["id"]
