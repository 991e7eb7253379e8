"""Knowledge-density metrics of a caption. Plain Python: no Django, deterministic.

Definitions (the user docs repeat them):

- **words**: tokens of the caption separated by whitespace that contain at least one letter or
  digit ("—" alone is not a word; "STS-93" is one).
- **facts**: distinct facts after normalisation: subject, predicate and value are case-folded,
  inner whitespace collapsed, and surrounding punctuation stripped; two facts are the same when
  all three parts are.
- **density**: facts per 100 words; 0 for a caption without words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_WHITESPACE = re.compile(r"\s+")
_EDGE_PUNCTUATION = " \t\n.,;:!?\"'()[]{}\u00ab\u00bb\u201c\u201d\u2018\u2019"


def word_count(text: str) -> int:
    return sum(1 for token in text.split() if any(character.isalnum() for character in token))


def normalize_part(part: str) -> str:
    folded = unicodedata.normalize("NFKC", part).casefold()
    return _WHITESPACE.sub(" ", folded).strip(_EDGE_PUNCTUATION)


def normalize_fact(subject: str, predicate: str, value: str) -> tuple[str, str, str]:
    return normalize_part(subject), normalize_part(predicate), normalize_part(value)


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
