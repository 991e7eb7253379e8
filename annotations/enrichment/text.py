"""Word-level text normalisation shared by the metrics, the VQA rules and the knowledge linker.

Plain Python, deterministic, English only:

- **tokens**: runs of letters and digits after Unicode NFKC normalisation and case folding;
  a hyphenated or apostrophised word ("t-shirt", "dog's") also yields its parts.
- **lemma**: a token's dictionary form by a small rule set: irregular plurals from a table
  ("children" -> "child"), then "-ies" -> "-y", "-ves" -> "-f" for a listed few, "-ses/-xes/
  -zes/-ches/-shes" -> drop "es", and a final "s" dropped unless the word ends in "ss", "us" or
  "is" or is in a short list of words that end in "s" ("bus", "glass", "this").
- **numbers**: the number words zero to twenty map to their digits, so "two dogs" and "2 dogs"
  have the same content.
- **content words**: lemmas that are not stop words (articles, auxiliaries, pronouns,
  prepositions and question words).
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+(?:['\u2019\-][^\W_]+)*")

NUMBER_WORDS = {
    "zero": "0", "none": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11",
    "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16",
    "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20",
}  # fmt: skip

_IRREGULAR = {
    "children": "child", "men": "man", "women": "woman", "people": "person", "feet": "foot",
    "teeth": "tooth", "mice": "mouse", "geese": "goose", "oxen": "ox", "dice": "die",
    "knives": "knife", "leaves": "leaf", "wolves": "wolf", "shelves": "shelf", "loaves": "loaf",
    "halves": "half", "calves": "calf", "wives": "wife", "lives": "life", "thieves": "thief",
    "sheep": "sheep", "fish": "fish", "deer": "deer", "series": "series", "species": "species",
    "glasses": "glasses", "scissors": "scissors", "pants": "pants", "jeans": "jeans",
    "shorts": "shorts", "clothes": "clothes", "news": "news", "physics": "physics",
}  # fmt: skip
_KEEP_FINAL_S = {
    "bus", "gas", "glass", "grass", "this", "his", "its", "is", "was", "has", "does", "yes",
    "as", "us", "plus", "lens", "canvas", "cactus", "octopus", "status", "bonus", "atlas",
    "chaos", "tennis", "always", "perhaps", "across", "less", "princess", "dress", "cross",
}  # fmt: skip

# One string, split once: the list is easier to read and edit as prose.
_STOP_WORD_TEXT = """
    a an the this that these those there here it its it's they them their he she his her him
    we us our you your i me my is are was were be been being am do does did doing has have had
    having can could will would shall should may might must of in on at by for with to from into
    onto over under near and or but as if than then so such what which who whom whose where when
    why how kind type sort color colour many much some any all each every both picture image
    photo photograph shown see seen visible
"""
STOP_WORDS = frozenset(_STOP_WORD_TEXT.split())


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def lemma(token: str) -> str:
    """The dictionary form of one case-folded token (see the module docstring)."""
    if token in NUMBER_WORDS:
        return NUMBER_WORDS[token]
    if token in _IRREGULAR:
        return _IRREGULAR[token]
    if len(token) <= 3 or token in _KEEP_FINAL_S or not token.isalpha():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    for ending in ("sses", "xes", "zes", "ches", "shes"):
        if token.endswith(ending):
            return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokens(text: str) -> list[str]:
    """Case-folded words of ``text`` in order; compound words also yield their parts."""
    found: list[str] = []
    for match in _WORD.finditer(normalize(text)):
        word = match.group(0).replace("\u2019", "'")
        found.append(word)
        if "-" in word or "'" in word:
            parts = [part for part in re.split(r"['\-]", word) if part]
            found.extend(part for part in parts if part != "s")
    return found


def lemmas(text: str) -> list[str]:
    return [lemma(token) for token in tokens(text)]


def content_words(text: str) -> list[str]:
    """Lemmas of ``text`` that carry content, in order, duplicates kept."""
    return [word for word in lemmas(text) if word not in STOP_WORDS]
