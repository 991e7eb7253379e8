"""Caption text to facts: the model's JSON output when it gives one, else a rule-based extractor.

Plain Python, no Django, deterministic. The full rule book, with examples and measured precision
and recall, is in ``docs/structurer.md``; this docstring is its summary.

**Fact conventions** (the hand-labelled evaluation set uses the same ones):

==============  ==============================================  ===============================
kind            (subject, predicate, value)                     from
==============  ==============================================  ===============================
object          (dog, present, yes)                             "a brown dog"
object          (person, present, no)                           "no people", "without a shirt"
count           (dog, count, 2)                                 "two dogs", "2 dogs", "a pair of"
attribute       (dog, color, brown)                             "a brown dog", "the dog is brown"
relation        (dog, on, couch)                                "a dog sits on a couch"
relation        (man, wears, hat) / (man, has, beard)           "a man in a hat", "with a beard"
relation        (woman, holds, umbrella)                        "a woman holding an umbrella"
text_in_image   (sign, text, OPEN)                              'a sign reading "OPEN"'
scene           (image, scene, kitchen)                         "in a kitchen", "at night"
==============  ==============================================  ===============================

Subjects are head nouns with their compound modifiers ("fire hydrant"), the last word in its
singular form. ``present: yes/no`` is the form the VQA rules and the coverage metric use
(:mod:`.vqa`, :mod:`.metrics`). The extractor never produces ``world_knowledge`` facts.

**The extractor** (:class:`RuleStructurer`) makes one left-to-right pass over the tokens of the
caption (words, quoted strings, punctuation), grouping words into noun phrases: optional
negation ("no", "without"), determiners, a number, modifiers, then nouns. The trailing run of
nouns is the head; the modifiers before it that are in the word lists below become attributes
(colour, size, material, shape, pattern, age, state, weather, surface). A head in the scene
list is a scene, not an object. Prepositions from the spatial list, "with", "in" + clothing,
container "of" ("a cup of coffee") and a few verbs between two noun phrases give relations.
Quoted text, or a run of capitalised words after "reading", "that reads", "saying", "labelled",
..., gives a text fact on the nearest preceding object. Each fact carries the character span
it came from and a constant confidence per rule (:data:`CONFIDENCE`).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from annotations.enrichment import text as words
from annotations.enrichment.metrics import normalize_fact

KINDS = ("object", "attribute", "relation", "count", "text_in_image", "scene", "world_knowledge")
IMAGE_SUBJECT = "image"
# The kind a structured fact with a missing or unknown kind is stored as.
DEFAULT_KIND = "attribute"

# One constant confidence per rule.
CONFIDENCE = {
    "object": 0.9,
    "object_negated": 0.8,
    "count": 0.95,
    "attribute": 0.85,
    "attribute_predicative": 0.75,
    "relation_spatial": 0.7,
    "relation_with": 0.65,
    "relation_verb": 0.6,
    "text_quoted": 0.95,
    "text_unquoted": 0.8,
    "scene": 0.85,
}


@dataclass(frozen=True)
class ExtractedFact:
    kind: str
    subject: str
    predicate: str
    value: str
    span: tuple[int, int] | None = None  # [start, end) into the caption text
    confidence: float | None = None  # in [0, 1]

    def as_triple(self) -> tuple[str, str, str]:
        return self.subject, self.predicate, self.value


@dataclass(frozen=True)
class StructuredCaption:
    text: str
    facts: tuple[ExtractedFact, ...]
    structured: bool  # True when the facts came from the model's JSON output


class Structurer(Protocol):
    def structure(self, caption: str) -> list[ExtractedFact]: ...


# --------------------------------------------------------------------------------------------
# Word lists. One string per list, split once: easier to read and edit as prose.


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


COLORS = _words("""
    red orange yellow green blue purple violet pink brown black white gray grey silver gold golden
    beige tan maroon navy teal turquoise cream ivory crimson magenta cyan lavender olive khaki
    bronze colorful colourful multicolored multicoloured black-and-white blond blonde dark bright
    pale
""")
SHADES = _words("dark light bright pale deep")
SIZES = _words("""
    large small big little tiny huge giant enormous tall short long narrow wide thin thick massive
    miniature oversized mini
""")
MATERIALS = _words("""
    wooden wood metal metallic steel iron glass plastic paper cardboard leather stone brick
    concrete marble ceramic porcelain rubber straw wicker cotton wool woolen woollen denim silk
    velvet bamboo granite clay tin aluminum aluminium wire brass copper pewter linen suede nylon
    terracotta tile
""")
SHAPES = _words("""
    round square rectangular circular oval triangular curved tiered spiral cylindrical
    heart-shaped pointed
""")
PATTERNS = _words("""
    striped checkered chequered checked plaid polka-dot dotted spotted floral camouflage patterned
    tartan paisley
""")
AGES = _words("old young elderly new antique vintage ancient")
STATES = _words("""
    open closed empty full lit unlit parked busy crowded quiet calm dry wet dirty clean cluttered
    messy tidy broken smiling sleeping blurred blurry hand-painted shirtless dim glowing fresh ripe
    rotten frozen melted sliced half-eaten unmade deserted abandoned rusty rusted torn folded
    sunlit illuminated burning bare crumpled shiny faded cracked overgrown fallen leafless
""")
WEATHER = _words("sunny cloudy rainy foggy misty overcast stormy windy clear hazy cloudless")
SURFACES = _words("""
    sandy grassy muddy dusty rocky snowy icy paved snow-covered cobblestone cobbled gravel pebbly
""")

# Adjective -> attribute predicate. A word in two lists takes the first.
ATTRIBUTE_OF: dict[str, str] = {}
for _predicate, _lexicon in (
    ("color", COLORS),
    ("size", SIZES),
    ("material", MATERIALS),
    ("shape", SHAPES),
    ("pattern", PATTERNS),
    ("age", AGES),
    ("weather", WEATHER),
    ("surface", SURFACES),
    ("state", STATES),
):
    for _word in sorted(_lexicon):
        ATTRIBUTE_OF.setdefault(_word, _predicate)
# Material words that are nouns too: at the end of a noun phrase they are its head.
_NOUN_MATERIALS = _words("""
    wood metal steel iron glass plastic paper cardboard leather stone brick concrete marble
    rubber straw wicker cotton wool denim silk velvet bamboo granite clay tin wire gold silver
    orange olive cream
""")
# Adjectives that carry no attribute here and are not part of a compound noun.
SKIP_ADJECTIVES = _words("""
    beautiful pretty cute lovely nice fluffy furry happy sad delicious tasty fancy various
    different other another same single lone cozy cosy late early distant nearby far soft gentle
    famous typical traditional local main whole entire own favorite favourite real fake heavy
    warm cold hot cool sweet wild domestic professional male female adult stuffed grilled
    fried roasted baked cooked raw healthy giant large-scale handsome ornate simple plain neat
    decorative colonial modern rustic cheerful playful curious empty-handed
""")
_ADJECTIVE_SUFFIXES = ("ful", "ous", "less")

# Scenes: where the whole picture is. Time words are scenes too ("at night").
TIME_WORDS = _words("""
    night day daytime evening morning afternoon dusk dawn sunset sunrise twilight summer winter
    autumn nighttime
""")
SCENE_WORDS = TIME_WORDS | _words("""
    kitchen bathroom bedroom room office classroom restaurant diner bar street road highway avenue
    alley intersection sidewalk city town village beach shore coast ocean sea lake river pond
    harbor harbour park field pasture meadow lawn garden yard backyard farm forest woods jungle
    desert plain slope valley countryside sky station airport market mall stadium court arena zoo
    driveway campus playground library museum church hospital gym warehouse factory memorial
    party festival concert hallway corridor lobby studio attic basement patio porch balcony
    rooftop supermarket bakery cafeteria parking-lot cabin cottage cellar lounge paddock summit peak
    canyon marsh swamp prairie savanna orchard vineyard greenhouse hangar terminal marina plaza
    courtyard boulevard tunnel subway bazaar arcade casino theater theatre auditorium gallery
    ballroom cathedral temple mosque chapel laboratory lab clinic pharmacy salon pub bistro nursery
    dormitory closet pantry ranch campsite campground resort rink racetrack ballpark enclosure
    downtown suburb neighborhood neighbourhood
""")
SCENE_PHRASES = _words("parking_lot living_room dining_room waiting_room train_station")
INDOOR_OUTDOOR = {
    "indoors": "indoors",
    "outdoors": "outdoors",
    "indoor": "indoors",
    "outdoor": "outdoors",
}

# Heads that are no objects: positions, parts of the frame, the picture itself.
IMAGE_NOUNS = _words("photo photograph picture image close-up closeup shot snapshot view")
ABSTRACT = IMAGE_NOUNS | _words("""
    side front back top bottom middle center centre edge corner background foreground left right
    distance scene area part way kind type sort time words word text dark air surface shade match
    game color colour design style shape size end direction sideline sidelines light
""")
# "a herd of elephants": the head is the noun after "of"; some collectives give a count.
COLLECTIVES = _words("""
    group herd flock crowd bunch lot lots pair couple number row rows line pile stack set variety
    assortment collection slice piece cluster handful team array series plenty swarm pack
    bundle dozen sheet coil roll loaf strip heap mound batch
""")
COLLECTIVE_COUNT = {"pair": "2", "couple": "2", "dozen": "12"}
# Collectives that, without "of", name an arrangement rather than a thing ("in neat rows").
ARRANGEMENTS = _words("row line series variety assortment number lot plenty set array")
# "a cup of coffee" -> (cup, contains, coffee).
CONTAINERS = _words("""
    plate bowl glass cup mug vase bottle jar box basket bag bucket crate can tray pot carton
    pitcher jug sack barrel platter dish tub pan container case
""")
# "in" + clothing -> (X, wears, clothing).
CLOTHING = _words("""
    shirt t-shirt dress hat cap suit tie vest coat jacket raincoat uniform onesie sweater hoodie
    jeans pants trousers shorts skirt boot shoe sneaker helmet glove scarf apron costume outfit
    sunglasses goggles mask robe gown tuxedo blouse jersey swimsuit bikini wetsuit overalls
    clothes sock sandal heel parka poncho sari kimono turban hijab beanie bandana cardigan blazer
    kilt leggings shawl veil bathrobe pajamas pyjamas slipper mitten headscarf headband necklace
    bracelet earring
""")

# Spatial prepositions, multi-word first; the value is the stored predicate.
_SPATIAL_PHRASES: list[tuple[tuple[str, ...], str]] = [
    (("to", "the", "left", "of"), "left of"), (("to", "the", "right", "of"), "right of"),
    (("on", "the", "left", "of"), "left of"), (("on", "the", "right", "of"), "right of"),
    (("in", "front", "of"), "in front of"), (("on", "top", "of"), "on top of"),
    (("in", "the", "middle", "of"), "in the middle of"), (("left", "of"), "left of"),
    (("right", "of"), "right of"), (("next", "to"), "next to"), (("close", "to"), "close to"),
    (("across", "from"), "across from"), (("out", "of"), "out of"),
]  # fmt: skip
SPATIAL = _words("""
    on in at under underneath beneath below above over behind beside near by inside outside
    against along across around past toward towards into onto atop among between within beyond
    opposite alongside
""")
_PREDICATE_ALIAS = {"atop": "on top of", "towards": "toward"}
# Prepositions that link no two objects here (their object is still a noun phrase).
OTHER_PREPOSITIONS = _words("of with without for from to during through like about via per")

DETERMINERS = _words("""
    a an the these those this his her their its my our your some several many few various each
    every both all any more most such
""")
PRONOUNS = _words("""
    he she it they him them itself themselves himself herself someone something everything
    everyone there here one who which whose that what
""")
CONJUNCTIONS = _words("and or but while as where when whereas then so because nor yet if")
CLAUSE_WORDS = _words("while as where when whereas but because if so")
ADVERBS = _words("""
    high up down out off away together nearby very quite slightly mostly brightly also still just
    almost partly neatly closely gently here back low far alone side-by-side not fully partially
    densely freshly richly softly warmly brilliantly deeply
""")
PARTICLES = _words("up down out off away over back")
COPULAS = _words(
    "is are was were be been being looks look appears appear seems seem remains remain"
)

# Verbs, as base forms; their -s, -ing and -ed forms are generated. Base forms double as nouns
# ("a bus stop"), so a base form is a verb only after a plural noun ("two dogs sit").
_VERB_TEXT = """
    sit stand lie rest hang lean perch float fly walk run ride hold carry wear eat drink play watch
    look wait sleep swim graze feed read talk stack park display show say contain have cover fill
    line surround cross pull push throw catch kick hit swing jump skate ski surf cook cut slice
    chew bite lick hug kiss smile laugh pose grow sell buy weigh build use take make face point
    reach climb drive land sail cast shine set rise glow salute move travel approach enter leave
    pass race arrange mount place decorate top serve prepare block overlook stretch peek stare gaze
    wash brush dry clean paint draw write type work dress dance sing crawl wander roam follow chase
    lead wave hand give open close pour mix stir bake grill fry chop spread fold tie pack load
    unload wrap hide peer splash dive paddle kneel squat crouch bend balance feature depict border
    frame flank loom adorn await board exit steer tow haul deliver check examine inspect admire
    film record cheer clap celebrate blow burn melt drip sway bear label go come sniff hunt pet
    lay fish drag lift carry cuddle nap relax gather line hover soar tower sprawl stroll jog
"""
_IRREGULAR_VERBS = {
    "sat": "sit", "stood": "stand", "lay": "lie", "lain": "lie", "hung": "hang", "held": "hold",
    "wore": "wear", "worn": "wear", "rode": "ride", "ridden": "ride", "flew": "fly", "flown": "fly",
    "ate": "eat", "eaten": "eat", "drank": "drink", "drunk": "drink", "ran": "run", "swam": "swim",
    "built": "build", "made": "make", "took": "take", "taken": "take", "caught": "catch",
    "threw": "throw", "thrown": "throw", "grew": "grow", "grown": "grow", "sold": "sell",
    "bought": "buy", "shone": "shine", "shown": "show", "led": "lead", "left": "leave",
    "drove": "drive", "driven": "drive", "rose": "rise", "risen": "rise", "fed": "feed",
    "bit": "bite", "bitten": "bite", "hid": "hide", "hidden": "hide", "drew": "draw",
    "drawn": "draw", "wrote": "write", "written": "write", "gave": "give", "given": "give",
    "went": "go", "gone": "go", "came": "come", "borne": "bear", "bore": "bear", "said": "say",
    "has": "have", "had": "have", "does": "do", "did": "do", "read": "read",
}  # fmt: skip
_NOUN_ING = _words("""
    building ceiling painting clothing railing awning string ring wing thing king spring evening
    morning pudding icing frosting topping stuffing swing sibling wedding bedding siding seating
    lighting sing ping bring sling sting ding wring nothing something anything everything
    stocking dumpling darling duckling seedling earring herring shilling bowling boxing
    skiing surfing sailing fishing
""")
_NOUN_ED = _words("speed steed hundred breed greed tweed creed")
# -ing words that form compound nouns ("a dining table", "a parking meter").
_COMPOUND_ING = _words("""
    living dining parking cutting swimming washing sewing running frying baking rolling fishing
    shopping waiting changing ironing drawing walking hiking climbing skating skiing surfing
    boxing bowling wedding building ceiling painting clothing racing mixing serving diving
    shooting sleeping-bag
""")
# Verb -> relation predicate for "X <verb> Y" (default: the verb's -s form).
_VERB_PREDICATE = {"wear": "wears", "have": "has", "dress": "wears"}
# Word + preposition pairs with a predicate of their own ("filled with" -> contains).
_VERB_PREPOSITION = {
    ("filled", "with"): "contains", ("full", "of"): "contains", ("packed", "with"): "contains",
    ("covered", "in"): "covered in", ("covered", "with"): "covered in", ("lined", "with"): "has",
    ("crowded", "with"): "has", ("topped", "with"): "has", ("decorated", "with"): "has",
    ("piled", "with"): "has", ("stacked", "with"): "has", ("dotted", "with"): "has",
    ("surrounded", "by"): "surrounded by", ("dressed", "in"): "wears",
}  # fmt: skip
# Verbs after which a capitalised run or a quotation is the text on the preceding object.
TEXT_TRIGGERS = _words("""
    reading reads read saying says say labelled labeled label labels bearing bears titled
    spelling spells number numbered
""")
_TEXT_CONNECTORS = _words("the of and a an to for in on at &")
# A scene noun is the subject of these relations only ("a kitchen with white cabinets").
_SCENE_SUBJECT_PREDICATES = frozenset({"has", "contains", "surrounded by", "covered in"})
# Bounds that keep one pass linear on any input.
_MAX_PHRASE_WORDS = 12
_MAX_COLLECTIVE_DEPTH = 3
_MAX_GROUP = 16  # noun phrases joined by "and"/"," that a relation can share as its subjects
_IRREGULAR_PLURALS = _words("people men women children feet teeth mice geese oxen")
POSTURE_VERBS = _words("""
    sit stand lie rest hang lean wait float graze swim walk run fly perch sleep stay play
""")


def _verb_forms() -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, str]]:
    """Maps from each form (-s, -ing, -ed/irregular past, base) to the base verb."""
    s_forms: dict[str, str] = {}
    ing_forms: dict[str, str] = {}
    ed_forms: dict[str, str] = {}
    bases: dict[str, str] = {}
    vowels = "aeiou"
    for base in _VERB_TEXT.split():
        bases[base] = base
        if base.endswith(("s", "sh", "ch", "x", "z", "o")):
            s_forms[base + "es"] = base
        elif base.endswith("y") and base[-2] not in vowels:
            s_forms[base[:-1] + "ies"] = base
        else:
            s_forms[base + "s"] = base
        stem = base
        if base.endswith("ie"):
            stem = base[:-2] + "y"
        elif base.endswith("e") and not base.endswith("ee"):
            stem = base[:-1]
        short_cvc = (
            len(base) <= 4
            and len(base) >= 3
            and base[-1] not in vowels + "wxy"
            and base[-2] in vowels
            and base[-3] not in vowels
        )
        if short_cvc:
            ing_forms[base + base[-1] + "ing"] = base
            ed_forms[base + base[-1] + "ed"] = base
        ing_forms[stem + "ing"] = base
        if base.endswith("e"):
            ed_forms[base + "d"] = base
        elif base.endswith("y") and base[-2] not in vowels:
            ed_forms[base[:-1] + "ied"] = base
        else:
            ed_forms[base + "ed"] = base
    for form, base in _IRREGULAR_VERBS.items():
        if form in {"has", "does"}:
            s_forms[form] = base
        else:
            ed_forms[form] = base
    return s_forms, ing_forms, ed_forms, bases


_S_FORMS, _ING_FORMS, _ED_FORMS, _BASE_FORMS = _verb_forms()
_PREPOSITION_STARTS = frozenset(phrase[0] for phrase, _ in _SPATIAL_PHRASES)


def _third_person(base: str) -> str:
    if base in _VERB_PREDICATE:
        return _VERB_PREDICATE[base]
    if base.endswith(("s", "sh", "ch", "x", "z", "o")):
        return base + "es"
    if base.endswith("y") and len(base) > 1 and base[-2] not in "aeiou":
        return base[:-1] + "ies"
    return base + "s"


# --------------------------------------------------------------------------------------------
# Tokens

_TOKEN = re.compile(
    r"""(?P<quote>"(?P<q1>[^"\n]{1,200})"|\u201c(?P<q2>[^\u201d\n]{1,200})\u201d
        |(?<![^\W_])'(?P<q3>[^'\n]{1,200})'(?![^\W_]))
      |(?P<word>[^\W_]+(?:['\u2019\-][^\W_]+)*)
      |(?P<punct>[.,;:!?()\[\]])""",
    re.VERBOSE,
)
_WORD, _QUOTE, _PUNCT = 0, 1, 2
_SENTENCE_END = frozenset(".;:!?")


@dataclass(slots=True)
class _Token:
    type: int
    raw: str
    low: str
    start: int
    end: int
    sentence_start: bool = False


def _tokenize(text: str) -> list[_Token]:
    found: list[_Token] = []
    sentence_start = True
    for match in _TOKEN.finditer(text):
        if match.group("quote") is not None:
            group = next(name for name in ("q1", "q2", "q3") if match.group(name) is not None)
            inner, start = match.group(group), match.start(group)
            stripped = inner.strip()
            if not stripped:
                continue
            start += len(inner) - len(inner.lstrip())
            found.append(_Token(_QUOTE, stripped, stripped, start, start + len(stripped)))
            sentence_start = False
        elif match.group("word") is not None:
            raw = match.group("word")
            low = unicodedata.normalize("NFKC", raw).casefold().replace("\u2019", "'")
            found.append(_Token(_WORD, raw, low, match.start(), match.end(), sentence_start))
            sentence_start = False
        else:
            raw = match.group("punct")
            found.append(_Token(_PUNCT, raw, raw, match.start(), match.end()))
            sentence_start = raw in _SENTENCE_END
    return found


# --------------------------------------------------------------------------------------------
# Noun phrases


@dataclass(slots=True)
class _Modifier:
    predicate: str  # attribute predicate, or "scene" for indoor/outdoor
    value: str
    start: int
    end: int


@dataclass(slots=True)
class _Phrase:
    head: str  # "" when the phrase has no noun
    head_start: int
    head_end: int
    start: int  # first token of the phrase (negation, determiner, number, modifier)
    role: str  # object, scene, time, image, abstract, named, predicative
    modifiers: list[_Modifier] = field(default_factory=list)
    times: list[_Modifier] = field(default_factory=list)  # "evening" of "evening sky"
    count: tuple[str, int] | None = None  # digits and the number's start
    negated: bool = False
    bare: bool = False  # not the object of a preposition or a verb
    plural: bool = False
    determined: bool = False  # has a determiner or a number

    def is_object(self) -> bool:
        return self.role == "object" and not self.negated


def _is_plural(word: str) -> bool:
    return word in _IRREGULAR_PLURALS or (word.isalpha() and words.lemma(word) != word)


_OES_PLURALS = _words("""
    tomatoes potatoes mangoes heroes echoes volcanoes mosquitoes buffaloes dominoes tornadoes
    torpedoes avocadoes
""")


def _singular(word: str) -> str:
    if not word.isalpha() or word in words.NUMBER_WORDS:
        return word
    if word in _OES_PLURALS:
        return word[:-2]
    if word.endswith("uses") and len(word) >= 5 and word not in {"houses", "blouses", "mouses"}:
        return word[:-2]  # buses, viruses
    return words.lemma(word)


def attribute_of(low: str) -> str | None:
    """The attribute predicate of an adjective: from the lists, or for a hyphenated word from
    its last part ("half-empty" -> state, "neon-lit" -> state, "heart-shaped" -> shape)."""
    if low in ATTRIBUTE_OF:
        return ATTRIBUTE_OF[low]
    if "-" in low:
        last = low.rsplit("-", 1)[1]
        if last == "shaped":
            return "shape"
        if last in {"colored", "coloured"}:
            return "color"
        return ATTRIBUTE_OF.get(last)
    return None


def _is_adjective(low: str) -> bool:
    if attribute_of(low) is not None or low in SKIP_ADJECTIVES or low in INDOOR_OUTDOOR:
        return True
    return len(low) > 5 and low.endswith(_ADJECTIVE_SUFFIXES)


def _is_ing(low: str) -> bool:
    return low in _ING_FORMS or (len(low) > 5 and low.endswith("ing") and low not in _NOUN_ING)


def _is_ed(low: str) -> bool:
    return low in _ED_FORMS or (len(low) > 4 and low.endswith("ed") and low not in _NOUN_ED)


def _number(low: str) -> str | None:
    if low.isascii() and low.isdigit() and len(low) <= 6:
        return str(int(low))
    if low in words.NUMBER_WORDS and low not in {"none", "zero", "one"}:
        return words.NUMBER_WORDS[low]
    if low == "one":
        return "1"
    if low == "dozen":
        return "12"
    return None


# --------------------------------------------------------------------------------------------
# The extractor


@dataclass(slots=True)
class _Pending:
    """A relation waiting for its object: (each subject, predicate, next object phrase)."""

    predicate: str
    subjects: list[_Phrase]
    rule: str  # its key in CONFIDENCE
    of_list: bool = False  # "a bowl of X, Y and Z": only phrases without a determiner join
    clothing_in: bool = False  # "in" + clothing -> wears


class _Pass:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.spatial = [self._spatial_at(i) for i in range(len(self.tokens))]
        self.facts: list[ExtractedFact] = []
        self.seen: set[tuple[str, str, str, str]] = set()
        self._reset_clause()

    # -- state -----------------------------------------------------------------------------

    def _reset_clause(self) -> None:
        self.last_group: list[_Phrase] = []  # the latest noun phrase and those joined to it
        self.bare_group: list[_Phrase] = []  # the latest subject-like group
        self.verb_subject: list[_Phrase] = []
        self.verb_attached = False  # a verb was seen in this clause: adverbials attach to it
        self.last_object: _Phrase | None = None
        self.pending: _Pending | None = None
        self.previous = "start"  # start, np, verb, copula, prep, and, comma, other
        self.negate_next = False
        self.negate_start = 0  # where "without" began
        self.transparent_of = False  # "a photo of X": X acts as a subject

    # -- output ----------------------------------------------------------------------------

    def emit(
        self, kind: str, subject: str, predicate: str, value: str, start: int, end: int, rule: str
    ) -> None:
        key = (kind, *normalize_fact(subject, predicate, value))
        if key in self.seen or not subject or not value:
            return
        self.seen.add(key)
        start, end = max(0, start), min(len(self.text), end)
        span = (start, end) if start < end else None
        self.facts.append(ExtractedFact(kind, subject, predicate, value, span, CONFIDENCE[rule]))

    # -- main loop -------------------------------------------------------------------------

    def run(self) -> list[ExtractedFact]:
        tokens = self.tokens
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.type == _PUNCT:
                self._punctuation(token, i)
                i += 1
            elif token.type == _QUOTE:
                self._text(token.raw, token.start, token.end, "text_quoted")
                i += 1
            else:
                i = self._word(i)
        return self.facts

    def _punctuation(self, token: _Token, index: int) -> None:
        if token.raw in _SENTENCE_END:
            self._reset_clause()
            return
        if self.pending is not None and not self._list_continues(index + 1):
            self.pending = None
        self.previous = "comma"

    def _word(self, i: int) -> int:
        token = self.tokens[i]
        low = token.low
        spatial = self._match_spatial(i)
        if spatial is not None:
            predicate, length = spatial
            self._preposition(predicate, token, i)
            return i + length
        if low in TEXT_TRIGGERS:
            consumed = self._unquoted_text(i + 1)
            if consumed > 0:
                return i + 1 + consumed
        if low in INDOOR_OUTDOOR and low.endswith("s"):
            self.emit(
                "scene",
                IMAGE_SUBJECT,
                "scene",
                INDOOR_OUTDOOR[low],
                token.start,
                token.end,
                "scene",
            )
            return i + 1
        if low in OTHER_PREPOSITIONS:
            self._preposition(low, token, i)
            return i + 1
        if low in COPULAS:
            return self._copula(i)
        if low in CONJUNCTIONS or (low in PRONOUNS and not self._her_as_determiner(i)):
            self._function_word(low, i)
            return i + 1
        if low in ADVERBS:
            return i + 1
        if self.previous == "np" and self.last_group and _is_adjective(low):
            # "a cat sleeping on ...", "a car parked in ...", "a sink full of ..."
            base = self._verb_base_of(low)
            if base is None and low.endswith(("ing", "ed")):
                base = low[:-3] if low.endswith("ing") else low[:-2]
            if base is not None:
                return self._verb(base, i)
            self.verb_subject = self.last_group[-1:]
            self.pending = None
            self.previous = "verb"
            return i + 1
        verb = self._verb_base(i)
        if verb is not None:
            return self._verb(verb, i)
        if self._starts_phrase(i):
            phrase, after = self._read_phrase(i)
            if phrase is not None:
                self._phrase(phrase, after)
                return after
            return max(after, i + 1)
        self.previous = "other"
        return i + 1

    def _list_continues(self, i: int) -> bool:
        """After a comma: whether a list goes on ("X, Y and Z"), i.e. an "and" comes before
        any verb, preposition or other punctuation."""
        for j in range(i, min(i + 12, len(self.tokens))):
            token = self.tokens[j]
            if token.type != _WORD:
                if token.raw != ",":
                    return False
                continue
            low = token.low
            if low in {"and", "or"}:
                return j > i
            if (
                low in COPULAS
                or low in CLAUSE_WORDS
                or low in TEXT_TRIGGERS
                or (low in OTHER_PREPOSITIONS and low != "of")
                or self._match_spatial(j) is not None
                or low in _S_FORMS
                or (_is_ing(low) and low not in _COMPOUND_ING)
            ):
                return False
        return False

    def _her_as_determiner(self, i: int) -> bool:
        return self.tokens[i].low == "her" and self._starts_phrase(i + 1, allow_det=False)

    def _function_word(self, low: str, i: int) -> None:
        if low in CLAUSE_WORDS:
            self.bare_group, self.verb_subject, self.verb_attached = [], [], False
            self.pending = None
            self.previous = "start"
            return
        if low in {"and", "or"}:
            after_comma = i > 0 and self.tokens[i - 1].raw == ","
            if after_comma or self.previous != "np":
                # ", and" starts a new clause more often than it extends a list, and so does
                # "and" after anything but a noun phrase ("the sky is blue and the car ...")
                self.pending = None
                self.bare_group, self.verb_attached = [], False
                self.previous = "start"
            else:
                joins = self._starts_phrase(i + 1) or self._match_spatial(i + 1) is not None
                self.previous = "and" if joins else "other"
                if self.previous == "other":
                    self.pending = None
            return
        self.pending = None
        self.previous = "other"

    # -- classification --------------------------------------------------------------------

    def _match_spatial(self, i: int) -> tuple[str, int] | None:
        """The spatial preposition (predicate, number of tokens) starting at token ``i``."""
        return self.spatial[i] if i < len(self.spatial) else None

    def _spatial_at(self, i: int) -> tuple[str, int] | None:
        tokens = self.tokens
        if tokens[i].type != _WORD:
            return None
        low = tokens[i].low
        if low in _PREPOSITION_STARTS:
            for phrase, predicate in _SPATIAL_PHRASES:
                end = i + len(phrase)
                if end <= len(tokens) and all(
                    tokens[i + k].type == _WORD and tokens[i + k].low == phrase[k]
                    for k in range(len(phrase))
                ):
                    return predicate, len(phrase)
        if low in SPATIAL:
            return _PREDICATE_ALIAS.get(low, low), 1
        return None

    def _starts_phrase(self, i: int, allow_det: bool = True) -> bool:
        if i >= len(self.tokens) or self.tokens[i].type != _WORD:
            return False
        low = self.tokens[i].low
        if low in DETERMINERS or low == "no":
            return allow_det
        if _number(low) is not None or _is_adjective(low):
            return True
        if low in PRONOUNS or low in CONJUNCTIONS or low in COPULAS or low in ADVERBS:
            return False
        if low in OTHER_PREPOSITIONS or low in SPATIAL or self._match_spatial(i) is not None:
            return False
        return (low not in _S_FORMS and not _is_ing(low)) or low in _NOUN_ING

    def _verb_base(self, i: int) -> str | None:
        """The base verb if token ``i``, outside a noun phrase, is a verb."""
        low = self.tokens[i].low
        if low in _NOUN_ING or attribute_of(low) is not None:
            return None
        if low in _S_FORMS:
            return _S_FORMS[low]
        if low in _ING_FORMS:
            return _ING_FORMS[low]
        if low in _ED_FORMS:
            return _ED_FORMS[low]
        if _is_ing(low):
            return low[:-3]
        if _is_ed(low) and self.previous in {"np", "copula"}:
            return low[:-2]
        if (
            low in _BASE_FORMS
            and self.previous in {"np", "and"}
            and (self._plural_before() or self._base_verb_context(i))
        ):
            return low
        if (
            self.previous == "np"
            and self.last_group
            and _number(low) is None
            and self._nominal_at(i)
            and not _is_adjective(low)
            and (self.last_group[-1].plural or self._determiner_follows(i))
        ):
            return low  # "two pandas munch ...", "a fisherman mends a net"
        return None

    def _determiner_follows(self, i: int) -> bool:
        if i + 1 >= len(self.tokens) or self.tokens[i + 1].type != _WORD:
            return False
        following = self.tokens[i + 1].low
        return (following in DETERMINERS and following != "her") or _number(following) is not None

    def _base_verb_context(self, i: int) -> bool:
        """A base form right after a noun is a verb before a determiner or a number ("a dog
        and a cat cross the street"), or when it is a posture verb before a spatial preposition
        ("a glass of wine sit on ...")."""
        if i + 1 >= len(self.tokens) or self.tokens[i + 1].type != _WORD:
            return False
        if self._determiner_follows(i):
            return True
        return self.tokens[i].low in POSTURE_VERBS and self._match_spatial(i + 1) is not None

    def _plural_before(self) -> bool:
        if len(self.last_group) > 1:
            return True
        return bool(self.last_group) and self.last_group[-1].plural

    # -- noun phrases ----------------------------------------------------------------------

    def _read_phrase(self, i: int, depth: int = 0) -> tuple[_Phrase | None, int]:
        """The noun phrase starting at token ``i`` (None if it has no word) and the index after
        it. ``depth`` counts nested collectives ("a group of a pile of ..."), at most three."""
        tokens = self.tokens
        n = len(tokens)
        start = tokens[i].start
        negated = self.negate_next
        if negated:
            start = self.negate_start
        self.negate_next = False
        count: tuple[str, int] | None = None
        named_candidate = True
        determined = False
        # negation, determiners, number
        while i < n and tokens[i].type == _WORD:
            low = tokens[i].low
            if low == "no":
                following = tokens[i + 1].low if i + 1 < n else ""
                negated = following != "other"
                i += 1
            elif low in DETERMINERS:
                named_candidate = False
                determined = True
                i += 1
            else:
                break
        members: list[tuple[_Token, bool]] = []  # (token, is_adjective)
        has_noun = False
        while i < n and tokens[i].type == _WORD:
            token = tokens[i]
            low = token.low
            if len(members) >= _MAX_PHRASE_WORDS:
                break
            if not members and count is None and _number(low) is not None:
                count = (_number(low) or "", token.start)
                named_candidate = False
                i += 1
                continue
            if (
                low in DETERMINERS
                or low in PRONOUNS
                or (low in CONJUNCTIONS and low != "and")
                or low in COPULAS
                or low in OTHER_PREPOSITIONS
                or low in ADVERBS
                or (low in TEXT_TRIGGERS and has_noun)
                or self._match_spatial(i) is not None
            ):
                break
            if low == "and":
                # "a black and white cat": "and" between two adjectives stays in the phrase
                if (
                    members
                    and not has_noun
                    and i + 1 < n
                    and tokens[i + 1].type == _WORD
                    and attribute_of(tokens[i + 1].low) is not None
                ):
                    i += 1
                    continue
                break
            next_nominal = self._nominal_at(i + 1)
            shade = low in SHADES and i + 1 < n and tokens[i + 1].low in COLORS
            if shade or (_is_adjective(low) and not (low in _NOUN_MATERIALS and not next_nominal)):
                if has_noun:
                    break
                members.append((token, True))
            elif low in _NOUN_ING or (low in _COMPOUND_ING and next_nominal):
                members.append((token, False))
                has_noun = True
            elif _is_ing(low) or (_is_ed(low) and low not in _BASE_FORMS):
                if has_noun or not next_nominal:
                    if has_noun or low in _ING_FORMS or low in _ED_FORMS:
                        break
                    members.append((token, False))  # "a wedding"
                    i += 1
                    break
                members.append((token, True))
            elif low in _S_FORMS and has_noun:
                break
            elif has_noun and (
                (_is_plural(members[-1][0].low) and not members[-1][1])
                or self._determiner_follows(i)
            ):
                break  # a verb: "two pandas munch ...", "a fisherman mends a net"
            elif low in {"number", "numbered"} and i + 1 < n and tokens[i + 1].low.isdigit():
                break  # "the number 12": text
            elif (
                low in _BASE_FORMS
                and has_noun
                and (
                    _is_plural(members[-1][0].low)
                    or (self.previous == "and" and self.last_group)
                    or self._base_verb_context(i)
                )
            ):
                break
            else:
                members.append((token, False))
                has_noun = True
            i += 1
        if not members:
            return None, i
        # collectives: "a herd of elephants", "a pair of shoes"
        last = members[-1][0].low
        if (
            len(members) == 1
            and last in COLLECTIVES
            and i + 1 < n
            and tokens[i].type == _WORD
            and tokens[i].low == "of"
            and self._starts_phrase(i + 1)
            and depth < _MAX_COLLECTIVE_DEPTH
        ):
            inner, after = self._read_phrase(i + 1, depth + 1)
            if inner is not None:
                inner.start = start
                if last in COLLECTIVE_COUNT and inner.count is None:
                    inner.count = (COLLECTIVE_COUNT[last], members[0][0].start)
                inner.negated = inner.negated or negated
            return inner, after
        phrase = self._build(members, start, count, negated)
        phrase.determined = determined or count is not None
        sentence_initial = members[0][0].sentence_start or tokens[0] is members[0][0]
        if (
            named_candidate
            and not sentence_initial
            and all(token.raw[:1].isupper() for token, _ in members)
        ):
            phrase.role = "named"
        return phrase, i

    def _nominal_at(self, i: int) -> bool:
        if i >= len(self.tokens) or self.tokens[i].type != _WORD:
            return False
        low = self.tokens[i].low
        if (
            low in DETERMINERS
            or low in PRONOUNS
            or low in CONJUNCTIONS
            or low in COPULAS
            or low in OTHER_PREPOSITIONS
            or low in ADVERBS
            or low in TEXT_TRIGGERS
            or self._match_spatial(i) is not None
        ):
            return False
        return low in _NOUN_ING or not (low in _S_FORMS or low in _ING_FORMS)

    def _build(
        self,
        members: list[tuple[_Token, bool]],
        start: int,
        count: tuple[str, int] | None,
        negated: bool,
    ) -> _Phrase:
        split = len(members)
        while split > 0 and not members[split - 1][1]:
            split -= 1
        if split == len(members):
            last_word = members[-1][0].low
            if attribute_of(last_word) is not None and last_word not in _NOUN_MATERIALS:
                # adjectives alone ("turns red"): said of the verb's subject
                phrase = _Phrase("", members[0][0].start, members[-1][0].end, start, "predicative")
                for token, _ in members:
                    predicate = attribute_of(token.low)
                    if predicate is not None:
                        phrase.modifiers.append(
                            _Modifier(predicate, token.low, token.start, token.end)
                        )
                return phrase
            split -= 1  # the last word is the head ("an orange")
        head_tokens = [token for token, _ in members[split:]]
        head_words = [self._display(token) for token in head_tokens]
        head_words[-1] = _singular(head_words[-1]) if head_words[-1].islower() else head_words[-1]
        head = " ".join(head_words)
        low_head = " ".join(token.low for token in head_tokens)
        last = words.lemma(head_tokens[-1].low)
        head_start, head_end = head_tokens[0].start, head_tokens[-1].end
        if len(head_tokens) == 1 and last in IMAGE_NOUNS:
            role = "image"
        elif len(head_tokens) == 1 and (last in ABSTRACT or last in ARRANGEMENTS):
            role = "abstract"
        elif low_head.replace(" ", "_") in SCENE_PHRASES or last in SCENE_WORDS:
            lemmas = [words.lemma(token.low) for token in head_tokens]
            role = "time" if all(lemma in TIME_WORDS for lemma in lemmas) else "scene"
        else:
            role = "object"
        times: list[_Modifier] = []
        if role == "scene":  # "an evening sky": the time, then the place
            while len(head_tokens) > 1 and head_tokens[0].low in TIME_WORDS:
                token = head_tokens.pop(0)
                times.append(_Modifier("scene", token.low, token.start, token.end))
            if times:
                head = " ".join(head.split(" ")[len(times) :])
                head_start = head_tokens[0].start
        phrase = _Phrase(head, head_start, head_end, start, role, count=count, negated=negated)
        phrase.times = times
        phrase.plural = _is_plural(head_tokens[-1].low) or (count is not None and count[0] != "1")
        modifiers = [token for token, _ in members[:split]]
        k = 0
        while k < len(modifiers):
            token = modifiers[k]
            low = token.low
            following = modifiers[k + 1].low if k + 1 < len(modifiers) else ""
            if low in SHADES and following in COLORS and following not in SHADES:
                value = f"{low} {following}"
                phrase.modifiers.append(
                    _Modifier("color", value, token.start, modifiers[k + 1].end)
                )
                k += 2
                continue
            if low == "stainless" and following == "steel":
                phrase.modifiers.append(
                    _Modifier("material", "stainless steel", token.start, modifiers[k + 1].end)
                )
                k += 2
                continue
            predicate = attribute_of(low)
            if low in INDOOR_OUTDOOR:
                phrase.modifiers.append(
                    _Modifier("scene", INDOOR_OUTDOOR[low], token.start, token.end)
                )
            elif predicate is not None:
                phrase.modifiers.append(_Modifier(predicate, low, token.start, token.end))
            elif (_is_ed(low) or _is_ing(low)) and low not in _COMPOUND_ING:
                # "steamed milk", "a rushing river": a participle before the noun is a state
                phrase.modifiers.append(_Modifier("state", low, token.start, token.end))
            k += 1
        return phrase

    def _display(self, token: _Token) -> str:
        """A head word as stored: lower case unless a capitalised name mid-sentence."""
        raw = token.raw
        keep_case = (
            raw[:1].isupper()
            and not raw.isupper()
            and not token.sentence_start
            and token is not self.tokens[0]
        )
        return raw if keep_case else token.low

    def _phrase(self, phrase: _Phrase, after: int) -> None:
        """Emit a noun phrase's own facts, then link it to the clause."""
        role = phrase.role
        subject = IMAGE_SUBJECT if role == "image" else phrase.head
        if role == "object":
            if phrase.negated:
                self.emit(
                    "object",
                    subject,
                    "present",
                    "no",
                    phrase.start,
                    phrase.head_end,
                    "object_negated",
                )
            else:
                self.emit(
                    "object",
                    subject,
                    "present",
                    "yes",
                    phrase.head_start,
                    phrase.head_end,
                    "object",
                )
                if phrase.count is not None:
                    value, start = phrase.count
                    self.emit("count", subject, "count", value, start, phrase.head_end, "count")
        elif role in {"scene", "time"} and not phrase.negated:
            for time in phrase.times:
                self.emit(
                    "scene", IMAGE_SUBJECT, "scene", time.value, time.start, time.end, "scene"
                )
            self.emit(
                "scene",
                IMAGE_SUBJECT,
                "scene",
                phrase.head,
                phrase.head_start,
                phrase.head_end,
                "scene",
            )
        elif role == "predicative":
            for said_of in self.verb_subject if self.previous == "verb" else []:
                name = IMAGE_SUBJECT if said_of.role == "image" else said_of.head
                for modifier in phrase.modifiers:
                    self.emit(
                        "attribute",
                        name,
                        modifier.predicate,
                        modifier.value,
                        said_of.head_start,
                        modifier.end,
                        "attribute_predicative",
                    )
            self.pending = None
            return
        if role in {"object", "scene", "time", "image"} and not phrase.negated:
            for modifier in phrase.modifiers:
                if modifier.predicate == "scene":
                    self.emit(
                        "scene",
                        IMAGE_SUBJECT,
                        "scene",
                        modifier.value,
                        modifier.start,
                        modifier.end,
                        "scene",
                    )
                else:
                    self.emit(
                        "attribute",
                        subject,
                        modifier.predicate,
                        modifier.value,
                        modifier.start,
                        phrase.head_end,
                        "attribute",
                    )
        self._link(phrase)
        # "a car parked ...", "a sink full of ...": a state word right after the phrase
        if after < len(self.tokens) and self.tokens[after].type == _WORD:
            low = self.tokens[after].low
            if attribute_of(low) == "state" and not low.endswith("ing") and role != "abstract":
                token = self.tokens[after]
                self.emit(
                    "attribute",
                    subject,
                    "state",
                    low,
                    phrase.head_start,
                    token.end,
                    "attribute_predicative",
                )

    def _link(self, phrase: _Phrase) -> None:
        previous = self.previous
        pending = self.pending
        consumed = False
        if (
            pending is not None
            and pending.of_list
            and previous in {"and", "comma"}
            and phrase.determined
        ):
            self.pending = pending = None
        if pending is not None and previous in {"prep", "verb", "and", "comma"}:
            consumed = True
            if phrase.is_object():
                predicate = pending.predicate
                if pending.clothing_in and phrase.head.split(" ")[-1] in CLOTHING:
                    predicate = "wears"
                for subject in pending.subjects:
                    self._relation(subject, predicate, phrase, pending.rule)
            else:  # "with the words ...", "in a kitchen": the relation ends here
                self.pending = None
        elif pending is not None:
            self.pending = None
        if phrase.role == "time":  # "at night" neither starts nor joins a clause
            self.previous = "np"
            return
        joined = previous in {"and", "comma"} and not consumed
        if (previous in {"start", "and", "comma"} and not consumed) or self.transparent_of:
            phrase.bare = True
            self.transparent_of = False
            if joined and self.bare_group and self.last_group and self.last_group[-1].bare:
                self.bare_group = [*self.bare_group[1 - _MAX_GROUP :], phrase]
            else:
                self.bare_group = [phrase]
                self.verb_attached = False
        if previous in {"and", "comma"} and self.last_group:
            self.last_group = [*self.last_group[1 - _MAX_GROUP :], phrase]
        else:
            self.last_group = [phrase]
        if phrase.is_object():
            self.last_object = phrase
        self.previous = "np"

    def _relation(self, subject: _Phrase, predicate: str, value: _Phrase, rule: str) -> None:
        if subject is value or subject.head == value.head or subject.negated:
            return
        if subject.role not in {"object", "scene"}:
            return
        if subject.role == "scene" and predicate not in _SCENE_SUBJECT_PREDICATES:
            return
        start = min(subject.head_start, value.head_start)
        end = max(subject.head_end, value.head_end)
        self.emit("relation", subject.head, predicate, value.head, start, end, rule)

    # -- prepositions, verbs, copulas ------------------------------------------------------

    def _subjects_for_adverbial(self) -> list[_Phrase]:
        if self.previous == "np" and not self.verb_attached:
            return [p for p in self.last_group[-1:] if p.is_object() or p.role == "scene"]
        if self.previous in {"np", "verb", "copula"}:
            return list(self.verb_subject)
        if self.previous == "and" and self.verb_attached:  # "... on X and under Y"
            return list(self.verb_subject)
        return []

    def _preposition(self, predicate: str, token: _Token, i: int) -> None:
        previous_word = self.tokens[i - 1].low if i > 0 else ""
        special = _VERB_PREPOSITION.get((previous_word, predicate))
        self.pending = None
        if predicate == "without":
            self.negate_next = True
            self.negate_start = token.start
        elif special is not None:
            subjects = self.verb_subject if self.previous == "verb" else self.last_group[-1:]
            self.pending = _Pending(special, list(subjects), "relation_with")
        elif predicate == "to" and self.previous == "verb" and previous_word.endswith("ed"):
            # "nailed to", "tied to", "attached to"
            self.pending = _Pending(
                f"{previous_word} to", list(self.verb_subject), "relation_spatial"
            )
        elif predicate == "with":
            subjects = [p for p in self.last_group[-1:] if p.is_object() or p.role == "scene"]
            if self.previous != "np":
                subjects = list(self.verb_subject)
            self.pending = _Pending("has", subjects, "relation_with")
        elif predicate == "of":
            last = self.last_group[-1] if self.last_group and self.previous == "np" else None
            if last is not None and last.role == "image":
                self.transparent_of = True
            elif last is not None and last.is_object() and last.head.split(" ")[-1] in CONTAINERS:
                self.pending = _Pending("contains", [last], "relation_with", of_list=True)
        elif predicate == "by" and previous_word.endswith("ed"):
            pass  # passive "taken by": no spatial relation
        elif predicate not in OTHER_PREPOSITIONS:
            subjects = self._subjects_for_adverbial()
            self.pending = _Pending(
                predicate, subjects, "relation_spatial", clothing_in=predicate == "in"
            )
        self.previous = "prep"

    def _verb_base_of(self, low: str) -> str | None:
        if low in _S_FORMS:
            return _S_FORMS[low]
        if low in _ING_FORMS:
            return _ING_FORMS[low]
        if low in _ED_FORMS:
            return _ED_FORMS[low]
        if low in _BASE_FORMS:
            return low
        return None

    def _verb(self, base: str, i: int) -> int:
        token = self.tokens[i]
        low = token.low
        if base in _BASE_FORMS:
            predicate = _third_person(base)
        elif low.endswith(("s", "ing", "ed")):
            predicate = low  # a verb outside the list keeps its own form
        else:
            predicate = _third_person(low)
        participle = low.endswith(("ing", "ed")) or (
            low in _IRREGULAR_VERBS and low not in {"has", "had", "does", "did", "read"}
        )
        if participle and self.previous == "np":
            self.verb_subject = self.last_group[-1:]
        elif not participle or self.previous not in {"copula", "verb"}:
            self.verb_subject = list(self.bare_group or self.last_group)
        self.verb_subject = [p for p in self.verb_subject if p.is_object() or p.role == "scene"]
        self.verb_attached = True
        self.pending = None
        self.previous = "verb"
        j = i + 1
        while (
            j < len(self.tokens)
            and self.tokens[j].type == _WORD
            and self.tokens[j].low in PARTICLES
            and self._match_spatial(j) is None
        ):
            j += 1
        if j < len(self.tokens) and self.tokens[j].type == _QUOTE:
            return j  # "displays "OPEN"": the quotation is the text
        if self._starts_phrase(j) and base not in {"be", "do", "go", "come"}:
            self.pending = _Pending(predicate, list(self.verb_subject), "relation_verb")
        return j

    def _copula(self, i: int) -> int:
        subjects = self.bare_group or self.last_group[-1:]
        self.verb_subject = [p for p in subjects if p.is_object() or p.role == "scene"]
        self.verb_attached = True
        self.pending = None
        self.previous = "copula"
        j = i + 1
        tokens = self.tokens
        while j < len(tokens) and tokens[j].type == _WORD:
            low = tokens[j].low
            if low in COPULAS or low in ADVERBS:
                j += 1
                continue
            predicate = attribute_of(low)
            if predicate is not None:
                for subject in self.verb_subject:
                    name = IMAGE_SUBJECT if subject.role == "image" else subject.head
                    self.emit(
                        "attribute",
                        name,
                        predicate,
                        low,
                        subject.head_start,
                        tokens[j].end,
                        "attribute_predicative",
                    )
                j += 1
                self.previous = "verb"
                if (
                    j + 1 < len(tokens)
                    and tokens[j].low in {"and", "or"}
                    and attribute_of(tokens[j + 1].low) is not None
                ):
                    j += 1
                continue
            break
        return j

    # -- text in the image -----------------------------------------------------------------

    def _text(self, value: str, start: int, end: int, rule: str) -> None:
        subject = self.last_object.head if self.last_object is not None else IMAGE_SUBJECT
        self.emit("text_in_image", subject, "text", value, start, end, rule)

    def _unquoted_text(self, i: int) -> int:
        """After a trigger word: a run of capitalised words (or digits) is the text."""
        tokens = self.tokens
        j = i
        last_capital = -1
        while j < len(tokens) and tokens[j].type == _WORD and j - i < 12:
            raw = tokens[j].raw
            if raw[:1].isupper() or raw.isdigit():
                last_capital = j
            elif raw.casefold() not in _TEXT_CONNECTORS or last_capital < 0:
                break
            j += 1
        if last_capital < 0:
            return 0
        start, end = tokens[i].start, tokens[last_capital].end
        self._text(self.text[start:end], start, end, "text_unquoted")
        return last_capital - i + 1


class RuleStructurer:
    """The deterministic English extractor (rules in the module docstring and docs)."""

    def structure(self, caption: str) -> list[ExtractedFact]:
        return _Pass(caption).run()


# --------------------------------------------------------------------------------------------
# The model's JSON output

_MAX_OBJECT_ATTEMPTS = 8
_MAX_FENCES = 4


def _json_candidates(raw: str) -> Iterator[object]:
    """JSON values in ``raw``: the whole string, ```-fenced blocks, then objects in prose."""
    decoder = json.JSONDecoder()
    texts = [raw.strip()]
    position = 0
    for _ in range(_MAX_FENCES):
        opening = raw.find("```", position)
        if opening < 0:
            break
        closing = raw.find("```", opening + 3)
        if closing < 0:
            break
        block = raw[opening + 3 : closing]
        if block[:4].casefold() == "json":
            block = block[4:]
        texts.append(block.strip())
        position = closing + 3
    for candidate in texts:
        if candidate[:1] in {"{", "["}:
            with contextlib.suppress(ValueError, RecursionError):
                yield json.loads(candidate)
    position = raw.find("{")
    for _ in range(_MAX_OBJECT_ATTEMPTS):
        if position < 0:
            return
        with contextlib.suppress(ValueError, RecursionError):
            yield decoder.raw_decode(raw, position)[0]
        position = raw.find("{", position + 1)


def _kind(value: object) -> str:
    if not isinstance(value, str):
        return DEFAULT_KIND
    key = re.sub(r"[\s\-]+", "_", value.strip().casefold())
    if key in KINDS:
        return key
    if key.endswith("s") and key[:-1] in KINDS:
        return key[:-1]
    if key in {"text", "ocr", "text_on_image"}:
        return "text_in_image"
    return DEFAULT_KIND


def _part(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and math.isfinite(value):
        return str(value)
    if isinstance(value, str) and value.strip():
        return re.sub(r"\s+", " ", value).strip()
    return None


def _confidence(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if 0.0 <= number <= 1.0 else None


def locate(text: str, *parts: str) -> tuple[int, int] | None:
    """The span of the first of ``parts`` found in ``text``, case-insensitively: as a whole word
    (or words) if it occurs so, else anywhere ("cat" in "cats")."""
    for part in parts:
        if not part:
            continue
        escaped = re.escape(part)
        for pattern in (rf"(?<![^\W_]){escaped}(?![^\W_])", escaped):
            match = re.search(pattern, text, re.IGNORECASE)
            if match is not None and match.end() > match.start():
                return match.start(), match.end()
    return None


def _structured_facts(text: str, entries: list[object]) -> tuple[ExtractedFact, ...]:
    facts: list[ExtractedFact] = []
    seen: set[tuple[str, str, str, str]] = set()
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        subject, predicate = _part(entry.get("subject")), _part(entry.get("predicate"))
        value = _part(entry.get("value"))
        if subject is None or predicate is None or value is None:
            continue
        kind = _kind(entry.get("kind"))
        key = (kind, *normalize_fact(subject, predicate, value))
        if key in seen:
            continue
        seen.add(key)
        span = locate(text, value, subject)
        facts.append(
            ExtractedFact(
                kind, subject, predicate, value, span, _confidence(entry.get("confidence"))
            )
        )
    return tuple(facts)


def parse_model_output(raw: str, fallback: Structurer | None = None) -> StructuredCaption:
    """The caption and facts of a captioning model's output.

    Structured output is one JSON object ``{"caption": str, "facts": [{"kind", "subject",
    "predicate", "value"}, ...]}``; it may stand alone, inside a ```json fence, or after some
    prose. Its caption (stripped, non-empty) is the text. Facts:

    - an entry that is not an object, or lacks a non-empty subject, predicate or value (strings,
      or numbers turned into strings), is dropped; duplicates after normalisation are dropped;
    - ``kind`` is matched case-insensitively (spaces and hyphens as "_", a plural "s" dropped,
      "text" -> text_in_image); a missing or unknown kind becomes ``attribute``
      (:data:`DEFAULT_KIND`);
    - ``confidence`` is kept when it is a number in [0, 1];
    - the span is where the value, else the subject, first occurs in the text
      (case-insensitively); None when neither does.

    With ``"facts"`` missing (or not a list) the caption is used with the fallback's facts and
    ``structured`` is False. Anything else (no such object, an empty caption) means plain text:
    the text is ``raw`` stripped and the facts are the fallback's (:class:`RuleStructurer` by
    default). Never raises on any input string with the default fallback.
    """
    structurer: Structurer = fallback if fallback is not None else RuleStructurer()
    for candidate in _json_candidates(raw):
        if not isinstance(candidate, dict):
            continue
        caption = candidate.get("caption")
        if not isinstance(caption, str) or not caption.strip():
            continue
        text = caption.strip()
        entries = candidate.get("facts")
        if not isinstance(entries, list):
            return StructuredCaption(text, tuple(structurer.structure(text)), False)
        return StructuredCaption(text, _structured_facts(text, entries), True)
    text = raw.strip()
    return StructuredCaption(text, tuple(structurer.structure(text)), False)


# --------------------------------------------------------------------------------------------
# Evaluation against hand-labelled facts


def match_key(kind: str, subject: str, predicate: str, value: str) -> tuple[str, ...]:
    """Two facts match when their keys are equal: same kind, and the same words (as lemmas) in
    subject, predicate and value after :func:`~.metrics.normalize_fact`."""
    parts = normalize_fact(subject, predicate, value)
    return (kind, *(" ".join(words.lemma(token) for token in words.tokens(p)) for p in parts))


@dataclass(frozen=True)
class Score:
    gold: int
    predicted: int
    true_positives: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


Labelled = tuple[str, str, str, str]  # kind, subject, predicate, value


def score(pairs: Iterable[tuple[Sequence[Labelled], Sequence[Labelled]]]) -> dict[str, Score]:
    """Per kind (and "total"): gold, predicted and matched facts over (gold, predicted) pairs,
    each side's facts counted once per caption after :func:`match_key`."""
    counts: dict[str, list[int]] = {kind: [0, 0, 0] for kind in KINDS}
    for gold, predicted in pairs:
        gold_keys = {match_key(*fact) for fact in gold}
        predicted_keys = {match_key(*fact) for fact in predicted}
        for key in gold_keys:
            counts.setdefault(key[0], [0, 0, 0])[0] += 1
        for key in predicted_keys:
            counts.setdefault(key[0], [0, 0, 0])[1] += 1
        for key in gold_keys & predicted_keys:
            counts[key[0]][2] += 1
    result = {kind: Score(*numbers) for kind, numbers in counts.items()}
    result["total"] = Score(*(sum(numbers[k] for numbers in counts.values()) for k in range(3)))
    return result
