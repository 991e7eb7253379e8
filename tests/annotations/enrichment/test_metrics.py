from __future__ import annotations

from annotations.enrichment.metrics import (
    ItemMetrics,
    coverage,
    density,
    distinct_fact_count,
    item_metrics,
    vqa_support,
    word_count,
)


def test_words_are_tokens_with_a_letter_or_digit() -> None:
    # A, tabby, cat, asleep, on, STS-93's, seat: the dash alone is not a word.
    assert word_count("A tabby cat — asleep on STS-93's  seat.") == 7
    assert word_count("   ") == 0
    assert word_count("— … !") == 0


def test_facts_are_counted_once_after_normalisation() -> None:
    facts = [
        ("Cat", "has colour", "Grey."),
        ("cat", "has  colour", "grey"),
        # Full-width letters and curly quotes.
        ("\uff23\uff21\uff34", "has colour", "\u201cgrey\u201d"),
        ("cat", "sits on", "table"),
    ]
    assert distinct_fact_count(facts) == 2
    assert distinct_fact_count([]) == 0


def test_density_is_facts_per_hundred_words() -> None:
    assert density(3, 12) == 25.0
    assert density(1, 3) == 100 / 3
    assert density(5, 0) == 0.0


def test_coverage_counts_reference_facts_the_caption_states() -> None:
    text = "Two brown dogs sleep on a red sofa. There is no cat."
    own = [("dog", "count", "2"), ("sofa", "color", "red")]
    reference = [
        ("Sofa", "color", "Red."),  # one of the caption's own facts after normalisation
        ("dogs", "color", "brown"),  # in the text: subject head "dog" and value "brown"
        ("dogs", "count", "two"),  # in the text: "two" is the number 2
        ("cat", "present", "no"),  # a negation and the subject
        ("lamp", "color", "green"),  # neither
        ("image", "shows", "living room"),  # generic subject, value not in the text
        ("sofa", "color", "red"),  # the first fact again: counted once
    ]
    # 6 distinct reference facts, 4 stated.
    assert coverage(text, own, reference) == 4 / 6
    assert coverage(text, own, []) is None
    assert coverage("", [], [("cat", "present", "yes")]) == 0.0


def test_vqa_support_is_the_share_of_supported_pairs() -> None:
    pairs = [("What color is the sofa?", "red"), ("How many dogs?", "3")]
    assert vqa_support("Two dogs on a red sofa.", pairs) == 0.5
    assert vqa_support("Two dogs on a red sofa.", []) is None


def test_item_metrics_join_final_facts_and_vqa_facts() -> None:
    pairs = [("What color is the sofa?", "red"), ("Is there a cat?", "yes")]
    metrics = item_metrics(
        ("A red sofa by the window.", [("sofa", "color", "red")]),
        [("sofa", "color", "red"), ("window", "state", "open")],
        pairs,
    )
    # Reference: (sofa, color, red) twice -> once, (window, state, open), (cat, present, yes):
    # three facts, the caption states the first only. One fact in six words.
    assert metrics == ItemMetrics(
        fact_count=1, density=100 / 6, coverage=1 / 3, vqa_support=0.5, supported=(True, False)
    )
    assert item_metrics(None, [], pairs) == ItemMetrics(None, None, 0.0, 0.0, (False, False))
    assert item_metrics(None, [], []) == ItemMetrics(None, None, None, None, ())
