from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotations.enrichment.structurer import (
    CONFIDENCE,
    KINDS,
    ExtractedFact,
    Labelled,
    RuleStructurer,
    Score,
    StructuredCaption,
    locate,
    match_key,
    parse_model_output,
    score,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "structurer_captions.jsonl"

Row = tuple[str, str, str, str, tuple[int, int] | None]


def extract(text: str) -> list[Row]:
    return [
        (f.kind, f.subject, f.predicate, f.value, f.span) for f in RuleStructurer().structure(text)
    ]


def at(text: str, part: str) -> tuple[int, int]:
    """The span of the first occurrence of ``part`` in ``text``."""
    start = text.index(part)
    return start, start + len(part)


def between(text: str, first: str, last: str) -> tuple[int, int]:
    """The span from the first occurrence of ``first`` to the end of the last of ``last``."""
    return text.index(first), text.rindex(last) + len(last)


# --- the rules, one by one -------------------------------------------------------------------


def test_objects_counts_and_colours() -> None:
    text = "Two brown dogs and 3 cups."
    assert extract(text) == [
        ("object", "dog", "present", "yes", at(text, "dogs")),
        ("count", "dog", "count", "2", at(text, "Two brown dogs")),
        ("attribute", "dog", "color", "brown", at(text, "brown dogs")),
        ("object", "cup", "present", "yes", at(text, "cups")),
        ("count", "cup", "count", "3", at(text, "3 cups")),
    ]


def test_pair_and_dozen_are_counts() -> None:
    text = "A pair of red shoes and a dozen eggs."
    assert extract(text) == [
        ("object", "shoe", "present", "yes", at(text, "shoes")),
        ("count", "shoe", "count", "2", at(text, "pair of red shoes")),
        ("attribute", "shoe", "color", "red", at(text, "red shoes")),
        ("object", "egg", "present", "yes", at(text, "eggs")),
        ("count", "egg", "count", "12", at(text, "dozen eggs")),
    ]


def test_negation_gives_present_no() -> None:
    text = "An empty street with no cars."
    assert extract(text) == [
        ("scene", "image", "scene", "street", at(text, "street")),
        ("attribute", "street", "state", "empty", at(text, "empty street")),
        ("object", "car", "present", "no", at(text, "no cars")),
    ]
    text = "A man without a shirt."
    assert extract(text) == [
        ("object", "man", "present", "yes", at(text, "man")),
        ("object", "shirt", "present", "no", at(text, "without a shirt")),
    ]


def test_spatial_relations_after_a_verb_attach_to_its_subject() -> None:
    text = "A cat sits on a red couch next to a lamp."
    assert extract(text) == [
        ("object", "cat", "present", "yes", at(text, "cat")),
        ("object", "couch", "present", "yes", at(text, "couch")),
        ("attribute", "couch", "color", "red", at(text, "red couch")),
        ("relation", "cat", "on", "couch", at(text, "cat sits on a red couch")),
        ("object", "lamp", "present", "yes", at(text, "lamp")),
        ("relation", "cat", "next to", "lamp", at(text, "cat sits on a red couch next to a lamp")),
    ]


def test_multiword_prepositions() -> None:
    text = "A horse stands to the left of a barn and in front of a fence."
    assert extract(text) == [
        ("object", "horse", "present", "yes", at(text, "horse")),
        ("object", "barn", "present", "yes", at(text, "barn")),
        ("relation", "horse", "left of", "barn", at(text, "horse stands to the left of a barn")),
        ("object", "fence", "present", "yes", at(text, "fence")),
        ("relation", "horse", "in front of", "fence", between(text, "horse", "fence")),
    ]


def test_clothing_and_verbs() -> None:
    text = "A woman wearing a striped dress rides a bicycle."
    assert extract(text) == [
        ("object", "woman", "present", "yes", at(text, "woman")),
        ("object", "dress", "present", "yes", at(text, "dress")),
        ("attribute", "dress", "pattern", "striped", at(text, "striped dress")),
        ("relation", "woman", "wears", "dress", at(text, "woman wearing a striped dress")),
        ("object", "bicycle", "present", "yes", at(text, "bicycle")),
        ("relation", "woman", "rides", "bicycle", between(text, "woman", "bicycle")),
    ]
    text = "A man in a blue hat holds an umbrella."
    assert extract(text) == [
        ("object", "man", "present", "yes", at(text, "man")),
        ("object", "hat", "present", "yes", at(text, "hat")),
        ("attribute", "hat", "color", "blue", at(text, "blue hat")),
        ("relation", "man", "wears", "hat", at(text, "man in a blue hat")),
        ("object", "umbrella", "present", "yes", at(text, "umbrella")),
        ("relation", "man", "holds", "umbrella", at(text, "man in a blue hat holds an umbrella")),
    ]


def test_verbs_outside_the_list_after_a_plural_noun() -> None:
    text = "Three surfers paddle toward large waves."
    assert extract(text) == [
        ("object", "surfer", "present", "yes", at(text, "surfers")),
        ("count", "surfer", "count", "3", at(text, "Three surfers")),
        ("object", "wave", "present", "yes", at(text, "waves")),
        ("attribute", "wave", "size", "large", at(text, "large waves")),
        ("relation", "surfer", "toward", "wave", at(text, "surfers paddle toward large waves")),
    ]


def test_with_gives_has() -> None:
    text = "A man with a beard."
    assert extract(text) == [
        ("object", "man", "present", "yes", at(text, "man")),
        ("object", "beard", "present", "yes", at(text, "beard")),
        ("relation", "man", "has", "beard", at(text, "man with a beard")),
    ]


def test_known_limit_with_attaches_to_the_nearest_noun() -> None:
    # A person reads (man, has, beard); the rule attaches "with" to the nearest noun.
    text = "A man in a blue hat with a beard."
    assert ("relation", "hat", "has", "beard", at(text, "hat with a beard")) in extract(text)


def test_container_of_gives_contains_and_lists_continue() -> None:
    text = "A cup of coffee sits on a wooden table."
    assert extract(text) == [
        ("object", "cup", "present", "yes", at(text, "cup")),
        ("object", "coffee", "present", "yes", at(text, "coffee")),
        ("relation", "cup", "contains", "coffee", at(text, "cup of coffee")),
        ("object", "table", "present", "yes", at(text, "table")),
        ("attribute", "table", "material", "wooden", at(text, "wooden table")),
        ("relation", "cup", "on", "table", at(text, "cup of coffee sits on a wooden table")),
    ]
    text = "A bowl of bananas, oranges and apples."
    assert extract(text) == [
        ("object", "bowl", "present", "yes", at(text, "bowl")),
        ("object", "banana", "present", "yes", at(text, "bananas")),
        ("relation", "bowl", "contains", "banana", at(text, "bowl of bananas")),
        ("object", "orange", "present", "yes", at(text, "oranges")),
        ("relation", "bowl", "contains", "orange", at(text, "bowl of bananas, oranges")),
        ("object", "apple", "present", "yes", at(text, "apples")),
        ("relation", "bowl", "contains", "apple", at(text, "bowl of bananas, oranges and apples")),
    ]


def test_quoted_text() -> None:
    text = 'A sign reading "OPEN" hangs on the door.'
    assert extract(text) == [
        ("object", "sign", "present", "yes", at(text, "sign")),
        ("text_in_image", "sign", "text", "OPEN", at(text, "OPEN")),
        ("object", "door", "present", "yes", at(text, "door")),
        ("relation", "sign", "on", "door", at(text, 'sign reading "OPEN" hangs on the door')),
    ]
    text = "A mug with the words \u201cBest Dad\u201d and a door with the number 12."
    assert extract(text) == [
        ("object", "mug", "present", "yes", at(text, "mug")),
        ("text_in_image", "mug", "text", "Best Dad", at(text, "Best Dad")),
        ("object", "door", "present", "yes", at(text, "door")),
        ("text_in_image", "door", "text", "12", at(text, "12")),
    ]


def test_capitalised_text_after_a_trigger_word() -> None:
    text = "A bus labelled CITY CENTRE waits at the stop."
    assert extract(text) == [
        ("object", "bus", "present", "yes", at(text, "bus")),
        ("text_in_image", "bus", "text", "CITY CENTRE", at(text, "CITY CENTRE")),
        ("object", "stop", "present", "yes", at(text, "stop")),
        ("relation", "bus", "at", "stop", at(text, "bus labelled CITY CENTRE waits at the stop")),
    ]
    # "reading" followed by lower-case words is the verb, not a text
    assert extract("A man reading a newspaper.")[-1][:4] == (
        "relation", "man", "reads", "newspaper",
    )  # fmt: skip


def test_scenes() -> None:
    text = "A dog sleeps in a kitchen at night."
    assert extract(text) == [
        ("object", "dog", "present", "yes", at(text, "dog")),
        ("scene", "image", "scene", "kitchen", at(text, "kitchen")),
        ("scene", "image", "scene", "night", at(text, "night")),
    ]
    text = "Two people walk outdoors on a sunny beach."
    assert extract(text) == [
        ("object", "person", "present", "yes", at(text, "people")),
        ("count", "person", "count", "2", at(text, "Two people")),
        ("scene", "image", "scene", "outdoors", at(text, "outdoors")),
        ("scene", "image", "scene", "beach", at(text, "beach")),
        ("attribute", "beach", "weather", "sunny", at(text, "sunny beach")),
    ]
    text = "An indoor pool under an evening sky."
    assert extract(text) == [
        ("object", "pool", "present", "yes", at(text, "pool")),
        ("scene", "image", "scene", "indoors", at(text, "indoor")),
        ("scene", "image", "scene", "evening", at(text, "evening")),
        ("scene", "image", "scene", "sky", at(text, "sky")),
    ]


def test_compound_nouns() -> None:
    text = "A fire hydrant stands beside a traffic light."
    assert extract(text) == [
        ("object", "fire hydrant", "present", "yes", at(text, "fire hydrant")),
        ("object", "traffic light", "present", "yes", at(text, "traffic light")),
        ("relation", "fire hydrant", "beside", "traffic light", between(text, "fire", "light")),
    ]


def test_predicative_attributes() -> None:
    text = "The sky is blue and the car is parked."
    assert extract(text) == [
        ("scene", "image", "scene", "sky", at(text, "sky")),
        ("attribute", "sky", "color", "blue", at(text, "sky is blue")),
        ("object", "car", "present", "yes", at(text, "car")),
        ("attribute", "car", "state", "parked", at(text, "car is parked")),
    ]
    text = "A traffic light shows red."
    assert extract(text) == [
        ("object", "traffic light", "present", "yes", at(text, "traffic light")),
        ("attribute", "traffic light", "color", "red", at(text, "traffic light shows red")),
    ]


def test_hyphenated_words_and_participles_before_a_noun() -> None:
    text = "A half-empty glass of steamed milk."
    assert extract(text) == [
        ("object", "glass", "present", "yes", at(text, "glass")),
        ("attribute", "glass", "state", "half-empty", at(text, "half-empty glass")),
        ("object", "milk", "present", "yes", at(text, "milk")),
        ("attribute", "milk", "state", "steamed", at(text, "steamed milk")),
        ("relation", "glass", "contains", "milk", at(text, "glass of steamed milk")),
    ]


def test_photo_attributes_describe_the_image_and_names_are_skipped() -> None:
    text = "A black-and-white photo of a lighthouse."
    assert extract(text) == [
        ("attribute", "image", "color", "black-and-white", at(text, "black-and-white photo")),
        ("object", "lighthouse", "present", "yes", at(text, "lighthouse")),
    ]
    text = "A tower rises above the trees of Paris."
    assert extract(text) == [
        ("object", "tower", "present", "yes", at(text, "tower")),
        ("object", "tree", "present", "yes", at(text, "trees")),
        ("relation", "tower", "above", "tree", at(text, "tower rises above the trees")),
    ]


def test_confidence_is_one_constant_per_rule() -> None:
    facts = RuleStructurer().structure('Two dogs in "SALE" hats sit on no chairs in a park.')
    by_kind = {(f.kind, f.value): f.confidence for f in facts}
    assert by_kind[("count", "2")] == CONFIDENCE["count"]
    assert by_kind[("text_in_image", "SALE")] == CONFIDENCE["text_quoted"]
    assert by_kind[("object", "no")] == CONFIDENCE["object_negated"]
    assert by_kind[("scene", "park")] == CONFIDENCE["scene"]
    assert all(f.confidence is not None and 0 <= f.confidence <= 1 for f in facts)
    relations = {
        (f.predicate, f.value): f.confidence
        for f in RuleStructurer().structure("A man in a hat with a dog wearing a cup of tea.")
        if f.kind == "relation"
    }
    assert relations == {
        ("wears", "hat"): CONFIDENCE["relation_spatial"],
        ("has", "dog"): CONFIDENCE["relation_with"],
        ("wears", "cup"): CONFIDENCE["relation_verb"],
        ("contains", "tea"): CONFIDENCE["relation_with"],
    }


def test_extraction_is_deterministic() -> None:
    text = "A woman in a red coat walks two small dogs past a bakery on a snowy evening."
    assert RuleStructurer().structure(text) == RuleStructurer().structure(text)


@pytest.mark.parametrize(
    "text",
    [
        "", " ", "\x00", "\ud800", "\ud800 dog \udfff", "a\x00dog on\x00a mat",
        "\U00010a40 dogs", "a \U00010a40 dog", '"', '"""', "'", "''' '", "\u201c", "...,,;;",
        "two", "no", "with", "of of of", "the the the", "reading", "A sign reading",
        '{"caption": 1}', "```json", "a red dog on a mat. " * 5000, "x" * 100_000,
        "dog " * 25_000,
        "red " * 25_000,
        "a dog, " * 10_000,
        "a group of " * 9_000 + "dogs",
        "\u0301\u0301", "\ufeff\u200b", "\uff21\uff22 \uff44\uff4f\uff47\uff53",
    ],
)  # fmt: skip
def test_odd_input_never_raises(text: str) -> None:
    facts = RuleStructurer().structure(text)
    for fact in facts:
        assert fact.kind in KINDS
        assert fact.subject
        assert fact.predicate
        assert fact.value
        assert fact.span is None or 0 <= fact.span[0] < fact.span[1] <= len(text)
    result = parse_model_output(text)
    assert isinstance(result, StructuredCaption)
    assert result.structured is False


# --- parse_model_output -----------------------------------------------------------------------


def test_parse_model_output_reads_json() -> None:
    raw = json.dumps(
        {
            "caption": "A red bus on a bridge.",
            "facts": [
                {"kind": "object", "subject": "bus", "predicate": "present", "value": "yes"},
                {"kind": "attribute", "subject": "bus", "predicate": "color", "value": "Red",
                 "confidence": 0.9},
            ],
        }
    )  # fmt: skip
    assert parse_model_output(raw) == StructuredCaption(
        text="A red bus on a bridge.",
        facts=(
            # the value "yes" is not in the text, so the span is the subject's
            ExtractedFact("object", "bus", "present", "yes", (6, 9)),
            ExtractedFact("attribute", "bus", "color", "Red", (2, 5), 0.9),
        ),
        structured=True,
    )


def test_parse_model_output_reads_fenced_json_and_json_after_prose() -> None:
    raw = (
        "Here is the result:\n```json\n"
        '{"caption": "  Two cats sleep.  ", "facts": [{"kind": "count", "subject": "cat", '
        '"predicate": "count", "value": 2}]}\n```\nDone.'
    )
    assert parse_model_output(raw) == StructuredCaption(
        "Two cats sleep.", (ExtractedFact("count", "cat", "count", "2", (4, 7)),), True
    )
    raw = (
        'Sure! {"caption": "A sign reads STOP.", "facts": [{"kind": "Text in image", '
        '"subject": "sign", "predicate": "text", "value": "STOP"}]} hope this helps'
    )
    assert parse_model_output(raw) == StructuredCaption(
        "A sign reads STOP.",
        (ExtractedFact("text_in_image", "sign", "text", "STOP", (13, 17)),),
        True,
    )


def test_parse_model_output_drops_bad_entries_and_maps_unknown_kinds() -> None:
    entries: list[object] = [
        1, "x", None, [], {"kind": "object"},
        {"kind": "object", "subject": "", "predicate": "p", "value": "v"},
        {"kind": "object", "subject": "dog", "predicate": "present", "value": True},
        {"kind": "object", "subject": "dog", "predicate": "present", "value": float("nan")},
        {"kind": "weird", "subject": "dog", "predicate": "is", "value": "happy"},
        {"kind": "object", "subject": "dog", "predicate": "present", "value": "yes",
         "confidence": 7},
        {"kind": "OBJECTS", "subject": " DOG ", "predicate": "present", "value": "yes"},
        {"kind": "scene", "subject": "image", "predicate": "scene", "value": "beach",
         "confidence": True},
    ]  # fmt: skip
    raw = json.dumps({"caption": "A dog.", "facts": entries})
    assert parse_model_output(raw) == StructuredCaption(
        "A dog.",
        (
            ExtractedFact("attribute", "dog", "is", "happy", (2, 5)),
            ExtractedFact("object", "dog", "present", "yes", (2, 5)),
            ExtractedFact("scene", "image", "scene", "beach", None),
        ),
        True,
    )


def test_parse_model_output_without_facts_uses_the_fallback_on_the_caption() -> None:
    result = parse_model_output('{"caption": "A brown dog."}')
    assert result == StructuredCaption(
        "A brown dog.", tuple(RuleStructurer().structure("A brown dog.")), False
    )

    class Nothing:
        def structure(self, caption: str) -> list[ExtractedFact]:
            return []

    assert parse_model_output("A brown dog.", fallback=Nothing()) == StructuredCaption(
        "A brown dog.", (), False
    )


def test_parse_model_output_treats_prose_and_bad_json_as_plain_text() -> None:
    text = "  A brown dog on a couch.  "
    assert parse_model_output(text) == StructuredCaption(
        text.strip(), tuple(RuleStructurer().structure(text.strip())), False
    )
    assert parse_model_output("") == StructuredCaption("", (), False)
    for raw in ['{"caption": ""}', '{"caption": 3, "facts": []}', "[1, 2]", '{"caption": "x"']:
        assert parse_model_output(raw).structured is False
        assert parse_model_output(raw).text == raw


def test_parse_model_output_keeps_odd_characters() -> None:
    raw = json.dumps({"caption": "\ud800 dog\x00", "facts": [
        {"kind": "object", "subject": "\ud800", "predicate": "is", "value": "\x00"},
    ]})  # fmt: skip
    assert parse_model_output(raw) == StructuredCaption(
        "\ud800 dog\x00", (ExtractedFact("object", "\ud800", "is", "\x00", (5, 6)),), True
    )


def test_locate_prefers_whole_words() -> None:
    assert locate("concatenated cat", "cat") == (13, 16)
    assert locate("two cats", "cat") == (4, 7)
    assert locate("a dog", "", "DOG") == (2, 5)
    assert locate("a dog", "cat") is None


# --- evaluation against the hand-labelled captions --------------------------------------------


def load() -> list[tuple[str, str, list[Labelled]]]:
    records = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        facts = [(f["kind"], f["subject"], f["predicate"], f["value"]) for f in record["facts"]]
        records.append((record["split"], record["caption"], facts))
    return records


def test_labelled_captions_are_well_formed() -> None:
    records = load()
    assert len(records) >= 45
    assert {split for split, _, _ in records} == {"dev", "heldout", "heldout2"}
    for _, caption, facts in records:
        assert 10 <= len(caption.split()) <= 60
        assert facts
        for kind, subject, predicate, value in facts:
            assert kind in KINDS
            assert subject.strip()
            assert predicate.strip()
            assert value.strip()


def test_match_key_compares_lemmas() -> None:
    assert match_key("object", "Dogs", "present", "yes") == match_key(
        "object", "dog", "present", "yes"
    )
    assert match_key("count", "people", "count", "two") == match_key(
        "count", "person", "count", "2"
    )
    assert match_key("object", "dog", "present", "yes") != match_key(
        "attribute", "dog", "present", "yes"
    )


def test_score_counts_each_fact_once_per_caption() -> None:
    gold: list[Labelled] = [("object", "dog", "present", "yes"), ("count", "dog", "count", "2")]
    predicted: list[Labelled] = [
        ("object", "dogs", "present", "yes"), ("object", "Dog", "present", "yes"),
        ("attribute", "dog", "color", "brown"),
    ]  # fmt: skip
    scores = score([(gold, predicted)])
    assert scores["object"] == Score(1, 1, 1)
    assert scores["count"] == Score(1, 0, 0)
    assert scores["attribute"] == Score(0, 1, 0)
    assert scores["total"] == Score(2, 2, 1)
    assert scores["total"].precision == scores["total"].recall == scores["total"].f1 == 0.5


# (true positives, false positives, false negatives) of the current rules. A change to the rules
# or to the labelled file shows up here; update the numbers and the table in docs/structurer.md.
EXPECTED = {
    "dev": (657, 27, 29),
    "heldout": (264, 40, 49),
    "heldout2": (237, 46, 38),
}
EXPECTED_BY_KIND = {
    "object": (439, 27, 18),
    "attribute": (326, 15, 16),
    "relation": (236, 66, 67),
    "count": (33, 3, 2),
    "text_in_image": (12, 0, 1),
    "scene": (112, 2, 8),
    "world_knowledge": (0, 0, 4),
}


def counts(s: Score) -> tuple[int, int, int]:
    return s.true_positives, s.predicted - s.true_positives, s.gold - s.true_positives


def test_precision_and_recall_on_the_labelled_captions() -> None:
    records = load()
    structurer = RuleStructurer()
    pairs: dict[str, list[tuple[list[Labelled], list[Labelled]]]] = {}
    for split, caption, gold in records:
        predicted: list[Labelled] = [
            (f.kind, f.subject, f.predicate, f.value) for f in structurer.structure(caption)
        ]
        for fact in structurer.structure(caption):
            assert fact.span is not None
            assert 0 <= fact.span[0] < fact.span[1] <= len(caption)
        pairs.setdefault(split, []).append((gold, predicted))
    assert {split: counts(score(p)["total"]) for split, p in pairs.items()} == EXPECTED
    everything = score([pair for p in pairs.values() for pair in p])
    assert {kind: counts(everything[kind]) for kind in KINDS} == EXPECTED_BY_KIND
