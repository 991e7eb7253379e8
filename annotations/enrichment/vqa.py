"""VQA pairs as facts, and whether a caption supports a VQA answer.

Plain Python, deterministic. A question is matched against the patterns below, in order, after
case folding and with a trailing "?" removed; the first that matches decides the fact. ``X`` is
the question's subject with a leading article removed.

==========================================================  =====================================
question                                                    fact (subject, predicate, value)
==========================================================  =====================================
what colo(u)r is/are (the) X                                (X, color, answer)
how many X (are there / do you see / ...)                   (X, count, answer)
is/are there (a/an/any) X (...)                             (X, present, yes|no)
what does/do (the) X say/read, what is written on (the) X   (X, text, answer)
where is/are (the) X                                        (X, location, answer)
what is/are (the) X doing                                   (X, action, answer)
what kind/type/sort of X is this/that/it/shown (...)        (X, type, answer)
what is/are (the) X made of                                 (X, material, answer)
what is/are this/that/it/shown (...), what X is this/that   (image, shows, answer)
what is/are (the) X                                         (X, is, answer)
anything else                                               (question, answer, answer)
==========================================================  =====================================

**Support** (the paper's "VQA is recoverable from captions"): a caption supports a pair when

- the answer is "yes": every content word of the question appears in the caption;
- the answer is "no": the caption has a negation ("no", "not", "without", "none", "nothing",
  "empty") and every content word of the question's subject appears in it;
- either way, a "yes" or "no" followed by an explanation ("No, it is grayscale") is also
  supported when every content word of the explanation appears in the caption;
- otherwise: the answer has at least one content word (numbers count) and every one of them
  appears in the caption.

Words are compared as lemmas with number words as digits (see :mod:`.text`), so "two dogs"
supports "how many dogs?" -> "2".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from annotations.enrichment import text as words

IMAGE_SUBJECT = "image"
_YES_NO = frozenset({"yes", "yeah", "no"})
NEGATIONS = frozenset({"no", "not", "without", "none", "nothing", "empty", "nobody", "never"})

_ARTICLE = r"(?:(?:the|a|an|this|that|these|those)\s+)?"
_SUBJECT = r"(?P<x>.+?)"
_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^what colou?rs? (?:is|are) {_ARTICLE}{_SUBJECT}$"), "color"),
    (
        re.compile(
            rf"^how many {_SUBJECT}(?: (?:are|is) there| do you see| can you see| are (?:in|on|"
            rf"visible|shown).*| is .*| are .*)?$"
        ),
        "count",
    ),
    (re.compile(rf"^(?:is|are) there (?:(?:a|an|any|some)\s+)?{_SUBJECT}(?: (?:in|on|at) .*)?$"),
     "present"),
    (re.compile(rf"^what (?:does|do) {_ARTICLE}{_SUBJECT} (?:say|read)$"), "text"),
    (re.compile(rf"^what is (?:written|printed) on {_ARTICLE}{_SUBJECT}$"), "text"),
    (re.compile(rf"^where (?:is|are) {_ARTICLE}{_SUBJECT}$"), "location"),
    (re.compile(rf"^what (?:is|are) {_ARTICLE}{_SUBJECT} doing$"), "action"),
    (
        re.compile(
            rf"^what (?:kind|type|sort) of {_SUBJECT} (?:is|are) (?:this|that|it|these|those|"
            rf"shown|pictured|in .*)$"
        ),
        "type",
    ),
    (re.compile(rf"^what (?:is|are) {_ARTICLE}{_SUBJECT} made (?:of|from)$"), "material"),
    (
        re.compile(
            r"^what (?:is|are) (?:this|that|it|these|those|shown|pictured|"
            r"in (?:the|this) (?:picture|image|photo|photograph))$"
        ),
        "shows",
    ),
    (re.compile(rf"^what {_SUBJECT} (?:is|are) (?:this|that|these|those|shown|pictured)$"),
     "shows"),
    (re.compile(rf"^what (?:is|are) {_ARTICLE}{_SUBJECT}$"), "is"),
]  # fmt: skip


@dataclass(frozen=True)
class VqaFact:
    subject: str
    predicate: str
    value: str

    def as_triple(self) -> tuple[str, str, str]:
        return self.subject, self.predicate, self.value


def _clean(question: str) -> str:
    folded = words.normalize(question).strip()
    folded = re.sub(r"\s+", " ", folded)
    return folded.rstrip("?.! ").strip()


def _yes_no(answer: str) -> str | None:
    first = words.tokens(answer)[:1]
    if first == ["yes"] or first == ["yeah"]:
        return "yes"
    if first == ["no"]:
        return "no"
    return None


def fact_from_vqa(question: str, answer: str) -> VqaFact:
    """The declarative fact a question and its answer state (table in the module docstring)."""
    asked = _clean(question)
    answer = re.sub(r"\s+", " ", answer).strip()
    for pattern, predicate in _RULES:
        match = pattern.match(asked)
        if match is None:
            continue
        if predicate == "shows":
            return VqaFact(IMAGE_SUBJECT, "shows", answer)
        subject = match.group("x").strip()
        if predicate == "present":
            return VqaFact(subject, "present", _yes_no(answer) or answer)
        return VqaFact(subject, predicate, answer)
    return VqaFact(asked, "answer", answer)


def question_subject(question: str) -> str:
    """The subject the question asks about (the fact's subject; the whole question otherwise)."""
    fact = fact_from_vqa(question, "")
    return fact.subject


def supports(caption: str | set[str], question: str, answer: str) -> bool:
    """Whether a caption (its text, or the set of its lemmas) supports the answer."""
    present = set(words.lemmas(caption)) if isinstance(caption, str) else caption
    verdict = _yes_no(answer)
    if verdict is not None:
        explanation = [word for word in words.content_words(answer) if word not in _YES_NO]
        if explanation and all(word in present for word in explanation):
            return True
    if verdict == "yes":
        needed = words.content_words(question)
        return bool(needed) and all(word in present for word in needed)
    if verdict == "no":
        subject = words.content_words(question_subject(question))
        return bool(present & NEGATIONS) and bool(subject) and all(w in present for w in subject)
    needed = words.content_words(answer)
    return bool(needed) and all(word in present for word in needed)


def caption_lemmas(caption: str) -> set[str]:
    """The set ``supports`` and the metrics compare against, built once per caption."""
    return set(words.lemmas(caption)) | {token for token in words.tokens(caption)}
