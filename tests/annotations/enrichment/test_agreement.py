from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from annotations.enrichment.agreement import (
    AddedCluster,
    BaseFact,
    PairAgreement,
    Submission,
    agreement_by_pair,
    consensus,
    disagreement,
    krippendorff_alpha_nominal,
    percent_agreement,
    submission_from_record,
    value_distance,
    verdict_table,
)

BASE = (
    BaseFact(1, "visual", "car", "color", "red"),
    BaseFact(2, "visual", "car", "location", "street"),
    BaseFact(3, "visual", "sky", "weather", "cloudy"),
)
ALL_ACCEPTED: Mapping[int, tuple[str, str | None]] = {
    1: ("accepted", None),
    2: ("accepted", None),
    3: ("accepted", None),
}
TEXT = "A red car on a street under a cloudy sky."


def sub(
    annotator: str,
    verdicts: Mapping[int, tuple[str, str | None]] | None = None,
    added: tuple[tuple[str, str, str, str], ...] = (),
    text: str = TEXT,
) -> Submission:
    return Submission(annotator, ALL_ACCEPTED if verdicts is None else verdicts, added, text)


# -- value distance ------------------------------------------------------------------------------


def test_value_distance_compares_content_word_lemmas() -> None:
    assert value_distance("red car", "a red car") == 0.0
    assert value_distance("Red Cars.", "red car") == 0.0
    # {red, car} vs {red, truck}: 1 shared of 3 -> 1 - 1/3.
    assert value_distance("red car", "red truck") == pytest.approx(2 / 3)
    assert value_distance("red car", "blue bicycle") == 1.0
    # No content words on one side: all lemmas are compared, {it} vs {this, one} -> nothing shared.
    assert value_distance("it", "this one") == 1.0
    assert value_distance("it", "it") == 0.0


# -- disagreement --------------------------------------------------------------------------------


def test_identical_submissions_disagree_nowhere() -> None:
    added = (("visual", "car", "brand", "Volvo"),)
    result = disagreement(BASE, [sub("ann", added=added), sub("bob", added=added)])
    assert (result.score, result.verdicts, result.added, result.text) == (0.0, 0.0, 0.0, 0.0)
    assert [fact.score for fact in result.facts] == [0.0, 0.0, 0.0]
    assert [fact.fact_id for fact in result.facts] == [1, 2, 3]
    assert result.unmatched_added == ()
    assert result.weights == {"verdicts": 0.6, "added": 0.2, "text": 0.2}


def test_one_verdict_conflict_of_three_facts() -> None:
    bob = {**ALL_ACCEPTED, 2: ("rejected", None)}
    result = disagreement(BASE, [sub("ann"), sub("bob", bob)])
    # Fact 2 scores 1 (its one pair differs), facts 1 and 3 score 0: (0 + 1 + 0) / 3.
    assert result.verdicts == pytest.approx(1 / 3)
    assert result.score == pytest.approx(0.6 / 3)
    conflict = result.facts[0]
    assert conflict.fact_id == 2
    assert conflict.score == 1.0
    assert conflict.verdicts == {"ann": "accepted", "bob": "rejected"}
    assert conflict.values == {"ann": "street"}  # a rejection ends with no value


def test_edited_values_that_normalise_alike_agree() -> None:
    ann = {**ALL_ACCEPTED, 1: ("edited", "red car")}
    bob = {**ALL_ACCEPTED, 1: ("edited", "a red car")}
    result = disagreement(BASE, [sub("ann", ann), sub("bob", bob)])
    assert result.verdicts == 0.0
    fact = next(f for f in result.facts if f.fact_id == 1)
    assert fact.values == {"ann": "red car", "bob": "a red car"}
    assert fact.score == 0.0


def test_mixed_verdicts_count_pairs() -> None:
    ann = {**ALL_ACCEPTED, 1: ("edited", "red car")}
    bob = {**ALL_ACCEPTED, 1: ("edited", "red truck")}
    cy = {**ALL_ACCEPTED, 1: ("rejected", None)}
    result = disagreement(BASE, [sub("ann", ann), sub("bob", bob), sub("cy", cy)])
    # Pairs of fact 1: ann-bob 2/3 (both edited), ann-cy 1, bob-cy 1 -> (2/3 + 2) / 3 = 8/9.
    assert result.facts[0].fact_id == 1
    assert result.facts[0].score == pytest.approx(8 / 9)
    assert result.verdicts == pytest.approx(8 / 27)


def test_added_facts_match_after_normalisation() -> None:
    result = disagreement(
        BASE,
        [
            sub("ann", added=(("visual", "Dogs", "Color", "Brown."),)),
            sub("bob", added=(("Visual", "dog", "color", "brown"),)),
        ],
    )
    assert result.added == 0.0
    assert result.unmatched_added == ()


def test_one_unmatched_added_fact_of_two_clusters() -> None:
    shared = ("visual", "dog", "color", "brown")
    extra = ("visual", "dog", "size", "small")
    result = disagreement(
        BASE,
        [
            sub("ann", added=(shared, extra, extra)),
            sub("bob", added=(("visual", "dogs", "color", "brown"),)),
        ],
    )
    assert result.added == 0.5
    assert result.score == pytest.approx(0.2 * 0.5)
    assert result.unmatched_added == (
        AddedCluster("visual", "dog", "size", "small", proposers=("ann",)),
    )


def test_text_part_is_word_level() -> None:
    # [a, red, car, on, the, road] vs [a, red, car]: 3 matching words, ratio 2*3/9 = 2/3.
    result = disagreement(
        BASE, [sub("ann", text="A red car on the road."), sub("bob", text="a red car")]
    )
    assert result.text == pytest.approx(1 / 3)
    assert result.score == pytest.approx(0.2 / 3)
    three = disagreement(
        BASE, [sub("a", text="red car"), sub("b", text="red car"), sub("c", text="blue sky")]
    )
    # Pairs: a-b 0, a-c 1, b-c 1 -> 2/3.
    assert three.text == pytest.approx(2 / 3)


def test_weights_redistribute_without_base_facts() -> None:
    result = disagreement(
        [],
        [
            sub(
                "ann",
                {},
                added=(("visual", "dog", "color", "brown"), ("visual", "dog", "size", "small")),
                text="A red car on the road.",
            ),
            sub("bob", {}, added=(("visual", "dog", "color", "brown"),), text="a red car"),
        ],
    )
    assert result.facts == ()
    assert result.weights == {"verdicts": 0.0, "added": 0.5, "text": 0.5}
    # 0.5 * 0.5 (added) + 0.5 * 1/3 (text) = 5/12.
    assert result.score == pytest.approx(5 / 12)


def test_facts_judged_by_one_annotator_are_left_out() -> None:
    result = disagreement(
        BASE, [sub("ann", {1: ("accepted", None)}), sub("bob", {2: ("rejected", None)})]
    )
    assert result.verdicts == 0.0
    assert result.weights["verdicts"] == 0.0
    assert {fact.fact_id: fact.verdicts for fact in result.facts} == {
        1: {"ann": "accepted"},
        2: {"bob": "rejected"},
        3: {},
    }


def test_custom_weights_and_bad_weights() -> None:
    bob = {**ALL_ACCEPTED, 2: ("rejected", None)}
    pair = [sub("ann"), sub("bob", bob)]
    result = disagreement(BASE, pair, weights={"verdicts": 1.0, "added": 1.0, "text": 2.0})
    assert result.weights == {"verdicts": 0.25, "added": 0.25, "text": 0.5}
    assert result.score == pytest.approx(0.25 / 3)
    with pytest.raises(ValueError, match="exactly the parts"):
        disagreement(BASE, pair, weights={"verdicts": 1.0})
    with pytest.raises(ValueError, match="not negative"):
        disagreement(BASE, pair, weights={"verdicts": -1.0, "added": 1.0, "text": 1.0})
    with pytest.raises(ValueError, match="sum to 0"):
        disagreement(BASE, pair, weights={"verdicts": 0.0, "added": 0.0, "text": 0.0})


def test_facts_list_disagreements_first() -> None:
    base = (*BASE, BaseFact(4, "visual", "road", "surface", "wet"))
    ann = {
        1: ("accepted", None),
        2: ("accepted", None),
        3: ("edited", "red"),
        4: ("rejected", None),
    }
    bob = {
        1: ("accepted", None),
        2: ("rejected", None),
        3: ("edited", "red car"),
        4: ("accepted", None),
    }
    result = disagreement(base, [sub("ann", ann), sub("bob", bob)])
    # Scores: 1 -> 0, 2 -> 1, 3 -> 1 - |{red}| / |{red, car}| = 0.5, 4 -> 1.
    assert [(fact.fact_id, fact.score) for fact in result.facts] == [
        (2, 1.0),
        (4, 1.0),
        (3, 0.5),
        (1, 0.0),
    ]
    assert result.verdicts == pytest.approx(2.5 / 4)


def test_similar_hook_clusters_close_added_facts() -> None:
    def similar(a: str, b: str) -> float:
        return 0.95 if {a, b} == {"car color crimson", "car color red"} else 0.0

    ann = sub("ann", added=(("visual", "car", "color", "crimson"),))
    bob = sub("bob", added=(("visual", "car", "color", "red"),))
    assert disagreement(BASE, [ann, bob]).added == 1.0
    hooked = disagreement(BASE, [ann, bob], similar=similar)
    assert hooked.added == 0.0
    assert disagreement(BASE, [ann, bob], similar=similar, threshold=0.99).added == 1.0
    other_kind = sub("bob", added=(("world_knowledge", "car", "color", "red"),))
    assert disagreement(BASE, [ann, other_kind], similar=similar).added == 1.0


def test_as_parts_is_json_serialisable() -> None:
    bob = {**ALL_ACCEPTED, 1: ("edited", "dark red")}
    result = disagreement(
        BASE, [sub("ann"), sub("bob", bob, added=(("visual", "dog", "size", "small"),))]
    )
    parts = json.loads(json.dumps(result.as_parts()))
    assert list(parts) == [
        "score",
        "verdicts",
        "added",
        "text",
        "weights",
        "facts",
        "unmatched_added",
    ]
    assert parts["weights"] == {"verdicts": 0.6, "added": 0.2, "text": 0.2}
    assert parts["facts"][0] == {
        "fact_id": 1,
        "verdicts": {"ann": "accepted", "bob": "edited"},
        "values": {"ann": "red", "bob": "dark red"},
        "score": 1.0,
    }
    assert parts["unmatched_added"] == [
        {
            "kind": "visual",
            "subject": "dog",
            "predicate": "size",
            "value": "small",
            "proposers": ["bob"],
        }
    ]
    # Fact 1: 1 of 3 facts; added: 1 of 1 cluster unmatched.
    assert parts["score"] == pytest.approx(0.6 / 3 + 0.2)


def test_bad_submissions_are_refused() -> None:
    with pytest.raises(ValueError, match="at least two"):
        disagreement(BASE, [sub("ann")])
    with pytest.raises(ValueError, match="only once"):
        disagreement(BASE, [sub("ann"), sub("ann")])
    with pytest.raises(ValueError, match="unknown verdict"):
        disagreement(BASE, [sub("ann"), sub("bob", {1: ("maybe", None)})])
    with pytest.raises(ValueError, match="needs a value"):
        consensus(BASE, [sub("ann"), sub("bob", {1: ("edited", None)})])


def test_submission_from_record_reads_stored_decisions() -> None:
    record = submission_from_record(
        "7",
        {
            "1": {"verdict": "accepted", "value": None, "reason": None},
            "2": {"verdict": "edited", "value": "avenue", "reason": "wrong"},
        },
        [
            {
                "kind": "visual",
                "subject": "dog",
                "predicate": "color",
                "value": "brown",
                "span": None,
            }
        ],
        "text",
    )
    assert record == Submission(
        "7",
        {1: ("accepted", None), 2: ("edited", "avenue")},
        (("visual", "dog", "color", "brown"),),
        "text",
    )


# -- consensus -----------------------------------------------------------------------------------


def test_consensus_keeps_what_the_majority_keeps() -> None:
    base = (
        BaseFact(1, "visual", "car", "color", "red"),
        BaseFact(2, "visual", "car", "location", "street"),
        BaseFact(3, "visual", "sky", "weather", "cloudy"),
        BaseFact(4, "visual", "car", "size", "small"),
        BaseFact(5, "visual", "road", "surface", "gray"),
    )
    ann = {
        1: ("accepted", None),
        2: ("rejected", None),
        3: ("edited", "overcast"),
        4: ("accepted", None),
        5: ("edited", "teal"),
    }
    bob = {
        1: ("accepted", None),
        2: ("rejected", None),
        3: ("edited", "Overcast."),
        4: ("edited", "tiny"),
        5: ("edited", "green"),
    }
    cy = {
        1: ("rejected", None),
        2: ("accepted", None),
        3: ("accepted", None),
        4: ("rejected", None),
        5: ("rejected", None),
    }
    brown = ("visual", "dog", "color", "brown")
    result = consensus(
        base,
        [
            sub("ann", ann, added=(brown, ("visual", "dog", "size", "small")), text="a bicycle"),
            sub(
                "bob",
                bob,
                added=(("visual", "Dogs", "color", "Brown"),),
                text="the red car on the road",
            ),
            sub("cy", cy, text="a red car on the road"),
        ],
    )
    assert result.kept == (
        (1, "red"),  # 2 accept, 1 reject
        # 2: only 1 of 3 keeps it
        (3, "overcast"),  # overcast x2 (normalised) beats cloudy x1; ann's wording
        (4, "small"),  # small vs tiny tie: the base value
        (5, "green"),  # teal vs green tie without the base value: the smallest
    )
    assert result.added == (brown,)  # ann and bob; "small dog" has one proposer of 3
    # Distances: ann-bob 1, ann-cy 3/4, bob-cy 1/6 -> totals 7/4, 7/6, 11/12: cy's text.
    assert (result.text_from, result.text) == ("cy", "a red car on the road")


def test_consensus_text_tie_goes_to_the_first() -> None:
    result = consensus(BASE, [sub("ann", text="one"), sub("bob", text="two")])
    assert (result.text_from, result.text) == ("ann", "one")
    assert result.kept == ((1, "red"), (2, "street"), (3, "cloudy"))
    assert result.added == ()


def test_consensus_needs_a_strict_majority() -> None:
    ann = {**ALL_ACCEPTED, 1: ("rejected", None)}
    result = consensus(
        BASE, [sub("ann", ann, added=(("visual", "dog", "size", "small"),)), sub("bob")]
    )
    assert result.kept == ((2, "street"), (3, "cloudy"))  # 1 of 2 is no majority
    assert result.added == ()


# -- reliability ---------------------------------------------------------------------------------


def test_alpha_two_coders_four_units() -> None:
    # Values: a a | a b | b b | b b. n_a = 3, n_b = 5, n = 8; o_ab = o_ba = 1 (unit 2, m = 2).
    # alpha = 1 - (n - 1) * (o_ab + o_ba) / (2 * n_a * n_b) = 1 - 7 * 2 / 30 = 8/15.
    units = [["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]]
    assert krippendorff_alpha_nominal(units) == pytest.approx(8 / 15)
    assert percent_agreement(units) == 0.75


def test_alpha_three_coders_with_missing_values() -> None:
    # Unit 1 (a, a, b): m = 3, 4 disagreeing ordered pairs / 2 -> o_ab + o_ba = 2.
    # Unit 2 (b, b): agreement. Unit 3 (a) alone is dropped. n_a = 2, n_b = 3, n = 5.
    # alpha = 1 - 4 * 2 / (2 * 2 * 3) = 1/3.
    units: list[list[str | None]] = [["a", "a", "b"], ["b", None, "b"], [None, "a", None]]
    assert krippendorff_alpha_nominal(units) == pytest.approx(1 / 3)
    # Pairs: unit 1 has 3 (1 agrees), unit 2 has 1 (agrees) -> 2/4.
    assert percent_agreement(units) == 0.5


def test_alpha_perfect_agreement_is_one() -> None:
    assert krippendorff_alpha_nominal([["a", "a"], ["b", "b", "b"], ["c", None, "c"]]) == 1.0


def test_alpha_is_none_without_variation() -> None:
    assert krippendorff_alpha_nominal([["a", "a"], ["a", "a", "a"]]) is None
    assert krippendorff_alpha_nominal([["a", None], [None, "b"]]) is None  # nothing pairable
    assert krippendorff_alpha_nominal([]) is None
    assert percent_agreement([["a", None]]) is None
    assert percent_agreement([["a", "a"], ["a", "a", "a"]]) == 1.0


def test_alpha_krippendorff_2011_worked_example() -> None:
    # Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
    # Communication, University of Pennsylvania. Section C, "Nominal data, any number of
    # observers, missing data": 4 observers, 12 units, "." missing. Published alpha = 0.743.
    table = """
        A  1 2 3 3 2 1 4 1 2 . . .
        B  1 2 3 3 2 2 4 1 2 5 . 3
        C  . 3 3 3 2 3 4 2 2 5 1 .
        D  1 2 3 3 2 4 4 1 2 5 1 .
    """
    rows = [line.split()[1:] for line in table.strip().splitlines()]
    units = [
        [None if value == "." else value for value in column] for column in zip(*rows, strict=True)
    ]
    assert len(units) == 12
    alpha = krippendorff_alpha_nominal(units)
    assert alpha is not None
    assert round(alpha, 3) == 0.743
    assert alpha == pytest.approx(113 / 152)  # n = 40 pairable values: 1 - 39 * 8 / 1216


def test_agreement_by_pair_over_shared_units() -> None:
    table = {
        1: {"ann": "accepted", "bob": "accepted", "cy": "accepted"},
        2: {"ann": "accepted", "bob": "rejected"},
        3: {"ann": "rejected", "bob": "rejected"},
        4: {"ann": "rejected", "bob": "rejected"},
        5: {"dan": "edited"},
    }
    result = agreement_by_pair(table)
    assert list(result) == [("ann", "bob"), ("ann", "cy"), ("bob", "cy")]
    assert result[("ann", "bob")].alpha == pytest.approx(8 / 15)  # as in the 2-coder table
    assert (result[("ann", "bob")].percent, result[("ann", "bob")].units) == (0.75, 4)
    assert {pair: result[pair] for pair in [("ann", "cy"), ("bob", "cy")]} == {
        ("ann", "cy"): PairAgreement(alpha=None, percent=1.0, units=1),
        ("bob", "cy"): PairAgreement(alpha=None, percent=1.0, units=1),
    }


def test_verdict_table_feeds_the_metrics() -> None:
    bob = {**ALL_ACCEPTED, 2: ("rejected", None)}
    table = verdict_table(BASE, [sub("ann"), sub("bob", bob)])
    assert table == {
        1: {"ann": "accepted", "bob": "accepted"},
        2: {"ann": "accepted", "bob": "rejected"},
        3: {"ann": "accepted", "bob": "accepted"},
    }
    # Values accepted x5, rejected x1; one disagreeing unit: 1 - 5 * 2 / (2 * 5 * 1) = 0.
    assert krippendorff_alpha_nominal([list(row.values()) for row in table.values()]) == 0.0
