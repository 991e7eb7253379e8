"""Agreement between the annotators of one item: disagreement score, consensus, reliability.

Plain Python, no Django, deterministic. Every annotator of an item starts from the same base
caption, gives each of its facts a verdict ("accepted", "edited" with a new value, or
"rejected"), may add facts, and submits a final text. The functions below compare k >= 2 such
submissions; the annotators are taken in the order given, and that order breaks every tie.

**Value distance** of two fact values ``a`` and ``b``: 0 when they are equal after
:func:`annotations.enrichment.metrics.normalize_part`; otherwise ``1 - |A & B| / |A | B|``
(token Jaccard distance) where A and B are the sets of content-word lemmas of the values
(:func:`annotations.enrichment.text.content_words`), or of all their lemmas when either value
has no content word. "red car" and "a red car" are 0 apart; unrelated values are 1 apart; two
different values without any word are 1 apart.

**Added-fact matching.** An added fact's key is its kind, subject, predicate and value, each
normalised (:func:`annotations.enrichment.metrics.normalize_fact`, ``normalize_part`` for the
kind) and then lemmatised word by word (:func:`annotations.enrichment.text.lemmas`), so
("Dogs", "color", "Brown.") and ("dog", "color", "brown") match. Facts with the same key form
one cluster; clusters are made in annotator order, then in each annotator's order, and a
cluster's wording is that of its first proposer. With a ``similar`` callable (for example the
cosine similarity of two embeddings) a fact whose key starts no existing cluster joins the
first cluster of the same kind whose first fact is at least ``threshold`` similar to it, both
read as "subject predicate value"; this costs one call per (fact, cluster) pair, so it is meant
for the handful of facts an item has.

**Disagreement**, in [0, 1]::

    score = (w_v * verdicts + w_a * added + w_t * text) / (w_v + w_a + w_t)

- ``verdicts``: the mean over base facts of the fact's disagreement, which is the mean over the
  pairs of annotators who judged it of the pair's difference: 1 when the two verdicts differ;
  the value distance of the two edited values when both edited; 0 when both accepted or both
  rejected. So a fact scores 0 when every verdict is the same (and edited values are equal);
  with verdicts in conflict it scores the share of pairs whose verdicts differ; when everyone
  edited it, the mean pairwise value distance. A base fact judged by fewer than two annotators
  scores 0 and is left out of the mean.
- ``added``: the share of added-fact clusters not proposed by every annotator; 0 when nobody
  added a fact.
- ``text``: the mean over pairs of annotators of ``1 - similarity`` of their texts, where the
  similarity is :class:`difflib.SequenceMatcher`'s ratio over the lists of word tokens (runs of
  letters and digits after NFKC normalisation and case folding): ``2 * M / (len(a) + len(b))``
  with M the number of words in matching blocks (close to the longest common subsequence); two
  empty texts are identical.

A part with nothing to compare (no base fact judged by two annotators) drops out of the sum:
its weight becomes 0 and the remaining weights are scaled to sum to 1, i.e. its weight is
redistributed in proportion to the others. The default weights are verdicts 0.6, added 0.2,
text 0.2. ``Disagreement.weights`` holds the weights actually used (summing to 1), so
``score == sum(weights[part] * part)``.

**Consensus** (for items whose disagreement is at or under the dataset's threshold):

- a base fact is kept when a strict majority of all k annotators accepted or edited it. Its
  value is the most common final value among them (the base value for an acceptance, the new
  value for an edit), counted after ``normalize_part``; a tie goes to the base value if it is
  among the tied, else to the lexicographically smallest normalised value. The wording is the
  base value when it is that value, else that of the first annotator who gave it;
- an added fact is kept when a strict majority of the annotators proposed it (matched as
  above), in the first proposer's wording, in cluster order;
- the text is that of the annotator whose text has the smallest total distance (as in the
  ``text`` part) to the other annotators' texts; a tie goes to the first in the given order.

**Reliability.** :func:`krippendorff_alpha_nominal` is Krippendorff's alpha for nominal data,
computed from the coincidence matrix: with ``m_u`` the number of values of unit u, each ordered
pair of values (c, k) from different coders of u adds ``1 / (m_u - 1)`` to ``o_ck``;
``n_c = sum_k o_ck``, ``n = sum_c n_c`` and::

    alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c * n_k

Units with fewer than two values (missing values are None) are dropped; alpha is None when no
unit is left or when the expected disagreement is 0 (every value the same: there is no
variation to measure). :func:`percent_agreement` is the share of agreeing pairs among all pairs
of values within units (None when there is no pair). :func:`agreement_by_pair` gives both for
every pair of annotators over the units they both judged.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from types import MappingProxyType

from annotations.enrichment import metrics
from annotations.enrichment import text as words

VERDICTS = ("accepted", "edited", "rejected")
KEEPING = frozenset({"accepted", "edited"})
PARTS = ("verdicts", "added", "text")
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"verdicts": 0.6, "added": 0.2, "text": 0.2}
)
DEFAULT_SIMILARITY_THRESHOLD = 0.9

_TEXT_WORD = re.compile(r"[^\W_]+")

AddedFact = tuple[str, str, str, str]  # (kind, subject, predicate, value)
Similarity = Callable[[str, str], float]


@dataclass(frozen=True)
class BaseFact:
    """A fact of the caption the annotators started from."""

    id: int
    kind: str
    subject: str
    predicate: str
    value: str


@dataclass(frozen=True)
class Submission:
    """What one annotator submitted for the item."""

    annotator: str  # an id or name, stable across calls
    verdicts: Mapping[int, tuple[str, str | None]]  # base fact id -> (verdict, edited value)
    added: Sequence[AddedFact] = ()
    text: str = ""


def submission_from_record(
    annotator: str,
    decisions: Mapping[str, Mapping[str, object]],
    added_facts: Iterable[Mapping[str, object]],
    text: str,
) -> Submission:
    """A :class:`Submission` from an annotation's stored ``decisions`` and ``added_facts``.

    ``decisions`` maps a base fact id (as a string) to ``{"verdict", "value", "reason"}``;
    ``added_facts`` holds ``{"kind", "subject", "predicate", "value", ...}`` dictionaries.
    """
    verdicts: dict[int, tuple[str, str | None]] = {}
    for fact_id, decision in decisions.items():
        value = decision.get("value")
        verdicts[int(fact_id)] = (str(decision["verdict"]), None if value is None else str(value))
    added = tuple(
        (str(f["kind"]), str(f["subject"]), str(f["predicate"]), str(f["value"]))
        for f in added_facts
    )
    return Submission(annotator, verdicts, added, text)


@dataclass(frozen=True)
class FactDisagreement:
    fact_id: int
    verdicts: dict[str, str]  # annotator -> verdict
    values: dict[str, str]  # annotator -> final value (absent when rejected)
    score: float  # mean pairwise difference, in [0, 1]

    def as_parts(self) -> dict[str, object]:
        return {
            "fact_id": self.fact_id,
            "verdicts": dict(self.verdicts),
            "values": dict(self.values),
            "score": self.score,
        }


@dataclass(frozen=True)
class AddedCluster:
    """Added facts that match (see the module docstring), in the first proposer's wording."""

    kind: str
    subject: str
    predicate: str
    value: str
    proposers: tuple[str, ...]  # in annotator order

    @property
    def fact(self) -> AddedFact:
        return (self.kind, self.subject, self.predicate, self.value)

    def as_parts(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "predicate": self.predicate,
            "value": self.value,
            "proposers": list(self.proposers),
        }


@dataclass(frozen=True)
class Disagreement:
    score: float  # in [0, 1]
    verdicts: float  # mean over base facts of the per-fact disagreement
    added: float  # share of added-fact clusters not proposed by every annotator
    text: float  # mean pairwise text distance
    facts: tuple[FactDisagreement, ...]  # highest score first, then by fact id
    unmatched_added: tuple[AddedCluster, ...]  # clusters not proposed by everyone
    weights: dict[str, float]  # the weights used, summing to 1

    def as_parts(self) -> dict[str, object]:
        """A JSON-serialisable record of the score and its parts."""
        return {
            "score": self.score,
            "verdicts": self.verdicts,
            "added": self.added,
            "text": self.text,
            "weights": dict(self.weights),
            "facts": [fact.as_parts() for fact in self.facts],
            "unmatched_added": [cluster.as_parts() for cluster in self.unmatched_added],
        }


@dataclass(frozen=True)
class Consensus:
    kept: tuple[tuple[int, str], ...]  # (base fact id, final value), in base order
    added: tuple[AddedFact, ...]  # added facts proposed by a strict majority
    text_from: str  # the annotator whose text is kept
    text: str


@dataclass(frozen=True)
class PairAgreement:
    alpha: float | None
    percent: float | None
    units: int  # units both annotators judged


# -- building blocks ---------------------------------------------------------------------------


def value_distance(a: str, b: str) -> float:
    """Token Jaccard distance of two fact values (see the module docstring)."""
    if metrics.normalize_part(a) == metrics.normalize_part(b):
        return 0.0
    left, right = set(words.content_words(a)), set(words.content_words(b))
    if not (left and right):
        left, right = set(words.lemmas(a)), set(words.lemmas(b))
    union = left | right
    if not union:
        return 1.0
    return 1.0 - len(left & right) / len(union)


def text_tokens(text: str) -> list[str]:
    return _TEXT_WORD.findall(words.normalize(text))


def text_distance(a: Sequence[str], b: Sequence[str]) -> float:
    """1 - SequenceMatcher ratio of two word lists; 0 for two empty lists."""
    if not a and not b:
        return 0.0
    return 1.0 - difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def added_fact_key(kind: str, subject: str, predicate: str, value: str) -> tuple[str, ...]:
    """The key two added facts match on exactly (see the module docstring)."""
    parts = (metrics.normalize_part(kind), *metrics.normalize_fact(subject, predicate, value))
    return tuple(" ".join(words.lemmas(part)) or part for part in parts)


@dataclass
class _Cluster:
    kind: str
    phrase: str
    fact: AddedFact
    proposers: list[str] = field(default_factory=list)


def cluster_added(
    submissions: Sequence[Submission],
    *,
    similar: Similarity | None = None,
    threshold: float = DEFAULT_SIMILARITY_THRESHOLD,
) -> tuple[AddedCluster, ...]:
    """The clusters of matching added facts, in order of first appearance."""
    clusters: list[_Cluster] = []
    by_key: dict[tuple[str, ...], _Cluster] = {}
    for submission in submissions:
        for fact in submission.added:
            key = added_fact_key(*fact)
            cluster = by_key.get(key)
            phrase = " ".join(metrics.normalize_fact(*fact[1:]))
            if cluster is None and similar is not None:
                cluster = next(
                    (
                        candidate
                        for candidate in clusters
                        if candidate.kind == key[0]
                        and similar(phrase, candidate.phrase) >= threshold
                    ),
                    None,
                )
            if cluster is None:
                cluster = _Cluster(key[0], phrase, fact)
                clusters.append(cluster)
            by_key.setdefault(key, cluster)
            if submission.annotator not in cluster.proposers:
                cluster.proposers.append(submission.annotator)
    return tuple(AddedCluster(*c.fact, proposers=tuple(c.proposers)) for c in clusters)


def _check(submissions: Sequence[Submission]) -> None:
    if len(submissions) < 2:
        raise ValueError("Agreement needs at least two submissions.")
    names = [submission.annotator for submission in submissions]
    if len(set(names)) != len(names):
        raise ValueError("Each annotator may appear only once.")
    for submission in submissions:
        for fact_id, (verdict, value) in submission.verdicts.items():
            if verdict not in VERDICTS:
                raise ValueError(f"Fact {fact_id}: unknown verdict {verdict!r}.")
            if verdict == "edited" and value is None:
                raise ValueError(f"Fact {fact_id}: an edited fact needs a value.")


def _final_values(
    fact: BaseFact, submissions: Sequence[Submission]
) -> tuple[dict[str, str], dict[str, str]]:
    verdicts: dict[str, str] = {}
    values: dict[str, str] = {}
    for submission in submissions:
        given = submission.verdicts.get(fact.id)
        if given is None:
            continue
        verdict, value = given
        verdicts[submission.annotator] = verdict
        if verdict == "accepted":
            values[submission.annotator] = fact.value
        elif verdict == "edited" and value is not None:
            values[submission.annotator] = value
    return verdicts, values


def _fact_disagreement(fact: BaseFact, submissions: Sequence[Submission]) -> FactDisagreement:
    verdicts, values = _final_values(fact, submissions)
    differences: list[float] = []
    for a, b in combinations(list(verdicts), 2):
        if verdicts[a] != verdicts[b]:
            differences.append(1.0)
        elif verdicts[a] == "edited":
            differences.append(value_distance(values[a], values[b]))
        else:
            differences.append(0.0)
    score = sum(differences) / len(differences) if differences else 0.0
    return FactDisagreement(fact.id, verdicts, values, score)


def _weights_used(weights: Mapping[str, float], present: Iterable[str]) -> dict[str, float]:
    if set(weights) != set(PARTS):
        raise ValueError(f"Weights must name exactly the parts {', '.join(PARTS)}.")
    if any(not math.isfinite(w) or w < 0 for w in weights.values()):
        raise ValueError("Weights must be finite and not negative.")
    active = set(present)
    total = sum(weights[part] for part in PARTS if part in active)
    if total <= 0:
        raise ValueError("The weights of the parts to compare sum to 0.")
    return {part: (weights[part] / total if part in active else 0.0) for part in PARTS}


# -- disagreement and consensus ----------------------------------------------------------------


def disagreement(
    base: Sequence[BaseFact],
    submissions: Sequence[Submission],
    *,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    similar: Similarity | None = None,
    threshold: float = DEFAULT_SIMILARITY_THRESHOLD,
) -> Disagreement:
    """How much k >= 2 submissions of one item disagree (see the module docstring).

    Raises ValueError for fewer than two submissions, a repeated annotator, an unknown verdict,
    an edit without a value, or weights that do not fit.
    """
    _check(submissions)
    facts = [_fact_disagreement(fact, submissions) for fact in base]
    judged = [fact.score for fact in facts if len(fact.verdicts) >= 2]
    verdicts_part = sum(judged) / len(judged) if judged else 0.0

    clusters = cluster_added(submissions, similar=similar, threshold=threshold)
    everyone = len(submissions)
    unmatched = tuple(c for c in clusters if len(c.proposers) < everyone)
    added_part = len(unmatched) / len(clusters) if clusters else 0.0

    tokens = [text_tokens(submission.text) for submission in submissions]
    distances = [text_distance(a, b) for a, b in combinations(tokens, 2)]
    text_part = sum(distances) / len(distances)

    present = ("verdicts", "added", "text") if judged else ("added", "text")
    used = _weights_used(weights, present)
    parts = {"verdicts": verdicts_part, "added": added_part, "text": text_part}
    score = min(1.0, max(0.0, sum(used[part] * parts[part] for part in PARTS)))
    return Disagreement(
        score=score,
        verdicts=verdicts_part,
        added=added_part,
        text=text_part,
        facts=tuple(sorted(facts, key=lambda fact: (-fact.score, fact.fact_id))),
        unmatched_added=unmatched,
        weights=used,
    )


def _consensus_value(fact: BaseFact, values: Sequence[str]) -> str:
    counts = Counter(metrics.normalize_part(value) for value in values)
    best = max(counts.values())
    tied = sorted(normalised for normalised, count in counts.items() if count == best)
    base_normalised = metrics.normalize_part(fact.value)
    if base_normalised in tied:
        return fact.value
    return next(value for value in values if metrics.normalize_part(value) == tied[0])


def consensus(
    base: Sequence[BaseFact],
    submissions: Sequence[Submission],
    *,
    similar: Similarity | None = None,
    threshold: float = DEFAULT_SIMILARITY_THRESHOLD,
) -> Consensus:
    """The majority's caption of k >= 2 submissions (rule in the module docstring)."""
    _check(submissions)
    everyone = len(submissions)
    kept: list[tuple[int, str]] = []
    for fact in base:
        verdicts, values = _final_values(fact, submissions)
        keepers = [name for name, verdict in verdicts.items() if verdict in KEEPING]
        if 2 * len(keepers) > everyone:
            kept.append((fact.id, _consensus_value(fact, [values[name] for name in keepers])))

    clusters = cluster_added(submissions, similar=similar, threshold=threshold)
    added = tuple(c.fact for c in clusters if 2 * len(c.proposers) > everyone)

    tokens = [text_tokens(submission.text) for submission in submissions]
    totals = [0.0] * everyone
    for i, j in combinations(range(everyone), 2):
        distance = text_distance(tokens[i], tokens[j])
        totals[i] += distance
        totals[j] += distance
    chosen = min(range(everyone), key=lambda index: (totals[index], index))
    return Consensus(
        kept=tuple(kept),
        added=added,
        text_from=submissions[chosen].annotator,
        text=submissions[chosen].text,
    )


# -- reliability -------------------------------------------------------------------------------


def _pairable(units: Iterable[Sequence[str | None]]) -> list[Counter[str]]:
    counted = (Counter(value for value in unit if value is not None) for unit in units)
    return [counts for counts in counted if counts.total() >= 2]


def krippendorff_alpha_nominal(units: Sequence[Sequence[str | None]]) -> float | None:
    """Krippendorff's alpha for nominal values, one list of coder values per unit.

    None marks a missing value. Units with fewer than two values are dropped; the result is
    None when nothing is left or when there is no variation (expected disagreement 0).
    """
    observed = 0.0  # sum over c != k of o_ck
    totals: Counter[str] = Counter()  # n_c
    for counts in _pairable(units):
        m = counts.total()
        disagreeing_pairs = m * m - sum(count * count for count in counts.values())
        observed += disagreeing_pairs / (m - 1)
        totals.update(counts)
    n = totals.total()
    expected = n * n - sum(count * count for count in totals.values())  # sum_{c != k} n_c n_k
    if n == 0 or expected == 0:
        return None
    return 1.0 - (n - 1) * observed / expected


def percent_agreement(units: Sequence[Sequence[str | None]]) -> float | None:
    """Share of agreeing pairs of values within units; None when there is no pair."""
    agreeing = pairs = 0
    for counts in _pairable(units):
        m = counts.total()
        pairs += m * (m - 1) // 2
        agreeing += sum(count * (count - 1) // 2 for count in counts.values())
    return agreeing / pairs if pairs else None


def verdict_table(
    base: Sequence[BaseFact], submissions: Sequence[Submission]
) -> dict[int, dict[str, str]]:
    """Base fact id -> {annotator: verdict}, the input of :func:`agreement_by_pair`."""
    return {fact.id: _final_values(fact, submissions)[0] for fact in base}


def agreement_by_pair(
    table: Mapping[int, Mapping[str, str]],
) -> dict[tuple[str, str], PairAgreement]:
    """Alpha and percent agreement of every pair of annotators over the units both judged.

    ``table`` maps a unit id to {annotator: value}. Pairs are keyed (a, b) with a < b; a pair
    that shares no unit is left out.
    """
    annotators = sorted({name for row in table.values() for name in row})
    result: dict[tuple[str, str], PairAgreement] = {}
    for a, b in combinations(annotators, 2):
        units = [[row[a], row[b]] for row in table.values() if a in row and b in row]
        if units:
            result[(a, b)] = PairAgreement(
                alpha=krippendorff_alpha_nominal(units),
                percent=percent_agreement(units),
                units=len(units),
            )
    return result
