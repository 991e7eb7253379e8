from __future__ import annotations

from annotations.enrichment.metrics import density, distinct_fact_count, word_count


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
