"""VQA pairs from facts: the questions a caption that states a fact can answer.

Plain Python, no Django, deterministic. ``X`` is the fact's subject with a leading article
("the", "a", "an") removed; "the X" keeps a possessive ("her spacesuit") instead of adding "the".
"is/are", "does/do" and "a/any" follow the subject's number (plural when its head word, the last
word before any "of", is plural: "dogs", "people", "cups of coffee").

===============  ==========================================  =====================================
kind             fact (subject, predicate, value)            question -> answer
===============  ==========================================  =====================================
object           any (X not the image itself)                Is there a X in the image? / Are
                                                             there any X in the image? -> yes
object           predicate is/depicts                        What is the X? -> value
object           X is the image, predicate shows/depicts/is  What is in the image? -> value
object           predicate color, material, type             as for attribute
attribute        color/colour(s)                             What color (colour) is the X? -> value
attribute        material, made of                           What is the X made of? -> value
attribute        type, kind, sort                            What type (kind) of X is this? -> value
attribute        size, shape                                 What size (shape) is the X? -> value
attribute        other                                       predicate question (below)
count            count, number, quantity                     How many <plural X> are there?
                                                             -> value
count            other                                       predicate question
relation         located, location, position, place, where   Where is the X? -> value
relation         ends in a place preposition (on, in,        Where is the X? -> "<preposition>
                 behind, next to, sits on, mounted on ...)   the <value>" ("on the table")
relation         other                                       predicate question
text_in_image    any                                         What does the X say? -> value
scene            predicate location, place, taken at/in      Where was this photo taken? -> value
scene            X scene/setting, predicate is/type/kind     What kind of scene is this? -> value
scene            other                                       as for attribute
world_knowledge  born in / born on                           Where / When was X born? -> value
world_knowledge  a participle (founded, released ...) with   When was X founded? -> value
                 a date for value
world_knowledge  other                                       predicate question, with X bare
                                                             when it is capitalised (a name)
===============  ==========================================  =====================================

The **predicate question** asks for the value with the predicate in words: "is" -> "What is the
X?"; "has" -> "What does the X have?"; a verb from a short list ("wears", "looks through") ->
"What does the X wear?", "What does the X look through?"; a participle or adjective ending in a
preposition ("topped with", "lighter than", "named after") -> "What is the X topped with?"; a
single regular past-tense verb ("commanded") -> "What has X commanded?"; any other predicate is
a noun -> "What is the <predicate> of the X?" ("What is the occupation of Eileen Collins?").

**Round trip.** Where :func:`annotations.enrichment.vqa.fact_from_vqa` has a pattern for the
question (colour, material, count, text, presence, location, type, "is"), it reads the pair back
as the fact: ("dog", "color", "brown") -> "What color is the dog?" -> ("dog", "color", "brown").
The count question reads back the plural subject ("dog" -> "dogs"), the colour question the
predicate "color" (not "colour"), the presence question the predicate "present" with "yes".
A caption that states the fact ("Two brown dogs") supports the colour and count pairs
(:func:`annotations.enrichment.vqa.supports`), since the answer is the fact's value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from annotations.enrichment import text as words

KINDS = (
    "object",
    "attribute",
    "relation",
    "count",
    "text_in_image",
    "scene",
    "world_knowledge",
)


@dataclass(frozen=True)
class GeneratedQuestion:
    question: str
    answer: str
    kind: str  # the fact kind it came from


_ARTICLES = frozenset({"the", "a", "an"})
_DETERMINERS = frozenset(
    {"this", "that", "these", "those", "my", "your", "his", "her", "its", "our", "their"}
)
_IMAGE_WORDS = frozenset({"image", "photo", "photograph", "picture"})
_COLOR = frozenset({"color", "colour", "colors", "colours"})
_MATERIAL = frozenset({"material", "made of", "made from"})
_TYPE = frozenset({"type", "kind", "sort"})
_DIMENSIONS = frozenset({"size", "shape"})
_COUNT = frozenset({"count", "number", "quantity", "how many"})
_IS = frozenset({"", "is", "are", "be", "was", "were"})
_HAS = frozenset({"has", "have", "had"})
_LOCATION = frozenset({"located", "location", "position", "place", "where", "is located"})
_SCENE_SUBJECTS = frozenset({"scene", "setting"})
_SCENE_LOCATION = frozenset(
    {"location", "place", "taken at", "taken in", "located in", "located at", "where"}
)
_SCENE_TYPE = frozenset({"is", "type", "kind", "scene", "scene type"})
_OBJECT_NAMED = frozenset({"is", "depicts"})
_IMAGE_SHOWS = frozenset({"shows", "depicts", "is"})

# Final words of a predicate that say where the subject is; longest first.
_PLACE_PREPOSITIONS = (
    "in front of", "on top of", "to the left of", "to the right of", "next to", "left of",
    "right of", "close to", "on", "in", "under", "underneath", "behind", "beside", "near",
    "above", "below", "inside", "over", "against", "between", "among", "atop", "at", "onto",
    "into", "across", "along", "around",
)  # fmt: skip
_PREPOSITIONS = frozenset(
    {
        "on", "in", "at", "by", "with", "of", "from", "to", "for", "through", "than", "into",
        "onto", "over", "under", "behind", "about", "like", "after", "as", "across", "along",
        "around", "against", "between", "among", "near", "beside", "above", "below", "inside",
        "toward", "towards", "via", "within", "without", "upon",
    }
)  # fmt: skip
# Base forms of verbs that predicates use; "wears" and "wear" both ask "What does ... wear?".
_VERBS = frozenset(
    {
        "bear", "block", "border", "branch", "build", "carry", "cast", "connect", "contain",
        "cover", "cross", "depict", "display", "drink", "drive", "eat", "extend", "face", "feature",
        "fill", "float", "flow", "fly", "follow", "frame", "grow", "hang", "hold", "include",
        "lead", "lean", "lie", "line", "live", "look", "operate", "overlook", "own", "play",
        "point", "produce", "pull", "push", "read", "reflect", "rest", "reveal", "ride", "run",
        "say", "show", "sit", "sleep", "span", "stain", "stand", "support", "surround", "touch",
        "use", "walk", "watch", "wear",
    }
)  # fmt: skip
_PARTICIPLES = frozenset(
    {
        "born", "built", "made", "taken", "shown", "seen", "held", "worn", "drawn", "known",
        "written", "given", "found", "kept", "led", "left", "lit", "sold", "spun", "torn",
        "won", "hung",
    }
)  # fmt: skip
_ED_NOUNS = frozenset({"speed", "breed", "seed", "need", "feed", "weed", "reed", "steed", "shed"})
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE = re.compile(
    rf"^(?:(?:in|on|since|about|around|circa|c\.)\s+)?"
    rf"(?:\d{{1,2}}\s+(?:{_MONTHS})\.?\s+\d{{3,4}}|(?:{_MONTHS})\.?\s+\d{{1,2}},?\s+\d{{3,4}}|"
    rf"(?:{_MONTHS})\.?\s+\d{{3,4}}|\d{{4}}-\d{{2}}(?:-\d{{2}})?|(?:ad\s+)?\d{{1,4}}(?:\s+(?:ad|bc|bce|ce))?)$"
)

_IRREGULAR_PLURALS = {
    "person": "people", "man": "men", "woman": "women", "child": "children", "foot": "feet",
    "tooth": "teeth", "mouse": "mice", "goose": "geese", "ox": "oxen", "knife": "knives",
    "leaf": "leaves", "wolf": "wolves", "shelf": "shelves", "loaf": "loaves", "half": "halves",
    "calf": "calves", "wife": "wives", "life": "lives", "thief": "thieves",
}  # fmt: skip
_SAME_PLURAL = frozenset(
    {
        "sheep", "fish", "deer", "series", "species", "glasses", "scissors", "pants", "jeans",
        "shorts", "clothes", "news", "aircraft", "spacecraft", "people", "data",
    }
)  # fmt: skip
_PLURAL_WORDS = frozenset(_IRREGULAR_PLURALS.values()) | {
    "glasses", "scissors", "pants", "jeans", "shorts", "clothes", "people",
}  # fmt: skip


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _bare(subject: str) -> str:
    """The subject without a leading article."""
    parts = _squash(subject).split(" ", 1)
    if len(parts) == 2 and parts[0].casefold() in _ARTICLES:
        return parts[1]
    return " ".join(parts)


def _the(subject: str) -> str:
    """ "the X", or X itself when it starts with a determiner ("her spacesuit")."""
    first = subject.split(" ", 1)[0].casefold()
    return subject if first in _DETERMINERS else f"the {subject}"


def _head(subject: str) -> str:
    """The subject's head word: the last word before "of", else the last word."""
    tokens = subject.split(" ")
    lowered = [token.casefold() for token in tokens]
    end = lowered.index("of") if "of" in lowered[1:] else len(tokens)
    return tokens[end - 1] if end > 0 else tokens[-1]


def is_plural(subject: str) -> bool:
    """Whether the subject's head word is plural ("dogs", "people"; not "glass", "bus")."""
    if not subject.strip():
        return False
    head = re.sub(r"[^\w'-]", "", _head(subject)).casefold()
    if head in _PLURAL_WORDS:
        return True
    if head in _SAME_PLURAL or not head.isalpha():
        return False
    return words.lemma(head) != head


def plural_word(word: str) -> str:
    """Simple English plural of one word: dog -> dogs, box -> boxes, person -> people, city ->
    cities; a word that is already plural stays as it is."""
    lowered = word.casefold()
    if not lowered.isalpha() or lowered in _SAME_PLURAL or lowered in _PLURAL_WORDS:
        return word
    if lowered in _IRREGULAR_PLURALS:
        plural = _IRREGULAR_PLURALS[lowered]
        return plural.capitalize() if word[:1].isupper() else plural
    if words.lemma(lowered) != lowered:
        return word
    if lowered.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if lowered.endswith("y") and len(lowered) > 1 and lowered[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def plural(subject: str) -> str:
    """The subject with its head word in the plural ("cup of coffee" -> "cups of coffee")."""
    tokens = _squash(subject).split(" ")
    lowered = [token.casefold() for token in tokens]
    position = (lowered.index("of") if "of" in lowered[1:] else len(tokens)) - 1
    tokens[position] = plural_word(tokens[position])
    return " ".join(tokens)


def _be(plural_subject: bool) -> str:
    return "are" if plural_subject else "is"


def _do(plural_subject: bool) -> str:
    return "do" if plural_subject else "does"


def _verb_base(word: str) -> str | None:
    """The base form of a listed verb given as base or third person ("wears" -> "wear")."""
    lowered = word.casefold()
    if lowered in _VERBS:
        return lowered
    if lowered.endswith("ies") and lowered[:-3] + "y" in _VERBS:
        return lowered[:-3] + "y"
    if lowered.endswith("es") and lowered[:-2] in _VERBS:
        return lowered[:-2]
    if lowered.endswith("s") and lowered[:-1] in _VERBS:
        return lowered[:-1]
    return None


def _participle(word: str) -> bool:
    lowered = word.casefold()
    if lowered in _PARTICIPLES:
        return True
    return len(lowered) > 4 and lowered.endswith("ed") and lowered not in _ED_NOUNS


def _question(text: str) -> str:
    text = _squash(text)
    return text[:1].upper() + text[1:] + "?"


def _predicate_question(noun_phrase: str, plural_subject: bool, predicate: str, value: str) -> str:
    """The question that asks for ``value`` with the predicate in words (module docstring)."""
    lowered = predicate.casefold()
    tokens = predicate.split()
    first = tokens[0] if tokens else ""
    if lowered in _IS:
        return _question(f"what {_be(plural_subject)} {noun_phrase}")
    if lowered in _HAS:
        return _question(f"what {_do(plural_subject)} {noun_phrase} have")
    base = _verb_base(first)
    if base is not None:
        rest = " ".join([base, *tokens[1:]])
        return _question(f"what {_do(plural_subject)} {noun_phrase} {rest}")
    if _participle(first) and _DATE.match(value.casefold().strip()):
        return _question(f"when {'were' if plural_subject else 'was'} {noun_phrase} {predicate}")
    if tokens and tokens[-1].casefold() in _PREPOSITIONS:
        return _question(f"what {_be(plural_subject)} {noun_phrase} {predicate}")
    if len(tokens) == 1 and _participle(first):
        return _question(f"what {'have' if plural_subject else 'has'} {noun_phrase} {predicate}")
    noun_is = _be(is_plural(predicate) and lowered not in _COLOR)
    return _question(f"what {noun_is} the {predicate} of {noun_phrase}")


def _attribute(subject: str, predicate: str) -> str | None:
    """The attribute question for colour, material, type and size/shape predicates."""
    lowered = predicate.casefold()
    many = is_plural(subject)
    if lowered in _COLOR:
        return _question(f"what {lowered} {_be(many)} {_the(subject)}")
    if lowered in _MATERIAL:
        return _question(f"what {_be(many)} {_the(subject)} made of")
    if lowered in _TYPE:
        return _question(f"what {lowered} of {subject} {'are these' if many else 'is this'}")
    if lowered in _DIMENSIONS:
        return _question(f"what {lowered} {_be(many)} {_the(subject)}")
    return None


def _place_answer(predicate: str, value: str) -> str | None:
    """ "on the table" for ("sits on", "table"); None when the predicate says no place."""
    lowered = " " + predicate.casefold()
    for preposition in _PLACE_PREPOSITIONS:
        if lowered.endswith(" " + preposition):
            first = value.split(" ", 1)[0]
            bare = first.casefold() not in _ARTICLES | _DETERMINERS
            if bare and not first[:1].isupper() and not first[:1].isdigit():
                value = f"the {value}"
            return f"{preposition} {value}"
    return None


def _object(subject: str, predicate: str, value: str) -> list[tuple[str, str]]:
    lowered = predicate.casefold()
    if subject.casefold() in _IMAGE_WORDS:
        if lowered in _IMAGE_SHOWS:
            return [("What is in the image?", value)]
        return []
    many = is_plural(subject)
    if many:
        pairs = [(_question(f"are there any {subject} in the image"), "yes")]
    else:
        article = "an" if subject[:1].casefold() in "aeiou" else "a"
        pairs = [(_question(f"is there {article} {subject} in the image"), "yes")]
    if lowered in _OBJECT_NAMED:
        pairs.append((_question(f"what {_be(many)} {_the(subject)}"), value))
    attribute = _attribute(subject, predicate)
    if attribute is not None:
        pairs.append((attribute, value))
    return pairs


def _attribute_pairs(subject: str, predicate: str, value: str) -> list[tuple[str, str]]:
    question = _attribute(subject, predicate)
    if question is None:
        question = _predicate_question(_the(subject), is_plural(subject), predicate, value)
    return [(question, value)]


def _count(subject: str, predicate: str, value: str) -> list[tuple[str, str]]:
    if predicate.casefold() in _COUNT:
        return [(_question(f"how many {plural(subject)} are there"), value)]
    return [(_predicate_question(_the(subject), is_plural(subject), predicate, value), value)]


def _relation(subject: str, predicate: str, value: str) -> list[tuple[str, str]]:
    many = is_plural(subject)
    where = _question(f"where {_be(many)} {_the(subject)}")
    if predicate.casefold() in _LOCATION:
        return [(where, value)]
    place = _place_answer(predicate, value)
    if place is not None:
        return [(where, place)]
    return [(_predicate_question(_the(subject), many, predicate, value), value)]


def _text(subject: str, predicate: str, value: str) -> list[tuple[str, str]]:
    return [(_question(f"what {_do(is_plural(subject))} {_the(subject)} say"), value)]


def _scene(subject: str, predicate: str, value: str) -> list[tuple[str, str]]:
    lowered = predicate.casefold()
    if lowered in _SCENE_LOCATION:
        return [("Where was this photo taken?", value)]
    if subject.casefold() in _SCENE_SUBJECTS and lowered in _SCENE_TYPE:
        return [("What kind of scene is this?", value)]
    return _attribute_pairs(subject, predicate, value)


def _world_knowledge(subject: str, predicate: str, value: str) -> list[tuple[str, str]]:
    lowered = predicate.casefold()
    named = subject[:1].isupper() or subject[:1].isdigit()
    noun_phrase = subject if named else _the(subject)
    many = False if named else is_plural(subject)
    was = "were" if many else "was"
    if lowered in {"born in", "birthplace", "place of birth"}:
        return [(_question(f"where {was} {noun_phrase} born"), value)]
    if lowered in {"born on", "born", "date of birth", "birth date"}:
        return [(_question(f"when {was} {noun_phrase} born"), value)]
    return [(_predicate_question(noun_phrase, many, predicate, value), value)]


_BUILDERS = {
    "object": _object,
    "attribute": _attribute_pairs,
    "count": _count,
    "relation": _relation,
    "text_in_image": _text,
    "scene": _scene,
    "world_knowledge": _world_knowledge,
}


def questions_for_fact(
    kind: str, subject: str, predicate: str, value: str
) -> list[GeneratedQuestion]:
    """The VQA pairs of one fact (table in the module docstring); none when the subject or the
    value is empty. Raises ``ValueError`` for an unknown kind."""
    builder = _BUILDERS.get(kind)
    if builder is None:
        raise ValueError(f"unknown fact kind {kind!r}; expected one of {', '.join(KINDS)}")
    subject, predicate, value = _bare(subject), _squash(predicate), _squash(value)
    if not subject or not value:
        return []
    return [GeneratedQuestion(q, a, kind) for q, a in builder(subject, predicate, value)]


def questions_for_facts(facts: Iterable[tuple[str, str, str, str]]) -> list[GeneratedQuestion]:
    """The VQA pairs of (kind, subject, predicate, value) facts in order, each (question,
    answer) once: a later pair that differs only in case or spacing is dropped."""
    seen: set[tuple[str, str]] = set()
    generated: list[GeneratedQuestion] = []
    for kind, subject, predicate, value in facts:
        for question in questions_for_fact(kind, subject, predicate, value):
            key = (words.normalize(_squash(question.question)), words.normalize(question.answer))
            if key not in seen:
                seen.add(key)
                generated.append(question)
    return generated
