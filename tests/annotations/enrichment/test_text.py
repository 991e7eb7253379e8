from __future__ import annotations

import pytest

from annotations.enrichment.text import content_words, lemma, tokens


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("dogs", "dog"), ("ponies", "pony"), ("boxes", "box"), ("benches", "bench"),
        ("dishes", "dish"), ("glasses", "glasses"), ("bus", "bus"), ("grass", "grass"),
        ("children", "child"), ("people", "person"), ("knives", "knife"), ("cactus", "cactus"),
        ("two", "2"), ("twenty", "20"), ("cat", "cat"), ("is", "is"), ("3d", "3d"),
    ],
)  # fmt: skip
def test_lemma(word: str, expected: str) -> None:
    assert lemma(word) == expected


def test_tokens_fold_case_and_split_compounds() -> None:
    assert tokens("A T-Shirt, the Dog\u2019s bowl; \uff26\uff35\uff2c\uff2c width") == [
        "a", "t-shirt", "t", "shirt", "the", "dog's", "dog", "bowl", "full", "width",
    ]  # fmt: skip


def test_content_words_drop_stop_words_and_keep_numbers() -> None:
    assert content_words("How many red boxes are there in the picture?") == ["red", "box"]
    assert content_words("There are three of them") == ["3"]
