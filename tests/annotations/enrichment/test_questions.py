from __future__ import annotations

import pytest

from annotations.enrichment import text as words
from annotations.enrichment.metrics import normalize_fact
from annotations.enrichment.questions import (
    GeneratedQuestion,
    is_plural,
    plural,
    plural_word,
    questions_for_fact,
    questions_for_facts,
)
from annotations.enrichment.vqa import fact_from_vqa, supports


def pairs(kind: str, subject: str, predicate: str, value: str) -> list[tuple[str, str]]:
    return [(q.question, q.answer) for q in questions_for_fact(kind, subject, predicate, value)]


@pytest.mark.parametrize(
    ("fact", "expected"),
    [
        (("object", "helmet", "has", "dark visor"), [("Is there a helmet in the image?", "yes")]),
        (("object", "apple", "on", "table"), [("Is there an apple in the image?", "yes")]),
        (("object", "buildings", "located", "on the horizon"),
         [("Are there any buildings in the image?", "yes")]),
        (("object", "person", "is", "Eileen Collins"),
         [("Is there a person in the image?", "yes"), ("What is the person?", "Eileen Collins")]),
        (("object", "the model", "depicts", "Space Shuttle"),
         [("Is there a model in the image?", "yes"), ("What is the model?", "Space Shuttle")]),
        (("object", "image", "shows", "human retina"), [("What is in the image?", "human retina")]),
        (("object", "table", "material", "wooden"),
         [("Is there a table in the image?", "yes"), ("What is the table made of?", "wooden")]),
        (("attribute", "spacesuit", "color", "orange"),
         [("What color is the spacesuit?", "orange")]),
        (("attribute", "eyes", "colour", "yellow-green"),
         [("What colour are the eyes?", "yellow-green")]),
        (("attribute", "her spacesuit", "color", "orange"),
         [("What color is her spacesuit?", "orange")]),
        (("attribute", "table", "material", "oak"), [("What is the table made of?", "oak")]),
        (("attribute", "bricks", "shape", "rectangular"),
         [("What shape are the bricks?", "rectangular")]),
        (("attribute", "image", "size", "102 by 102 pixels"),
         [("What size is the image?", "102 by 102 pixels")]),
        (("attribute", "paper", "type", "ruled paper"),
         [("What type of paper is this?", "ruled paper")]),
        (("attribute", "photograph", "color mode", "black-and-white"),
         [("What is the color mode of the photograph?", "black-and-white")]),
        (("attribute", "coffee", "topped with", "crema"),
         [("What is the coffee topped with?", "crema")]),
        (("attribute", "cat", "has", "stripes"), [("What does the cat have?", "stripes")]),
        (("count", "dog", "count", "2"), [("How many dogs are there?", "2")]),
        (("count", "lattice towers", "count", "4"), [("How many lattice towers are there?", "4")]),
        (("count", "cup of coffee", "number", "3"), [("How many cups of coffee are there?", "3")]),
        (("count", "coins", "arrangement", "four rows of six"),
         [("What is the arrangement of the coins?", "four rows of six")]),
        (("relation", "cup", "on", "table"), [("Where is the cup?", "on the table")]),
        (("relation", "cup", "sits on", "a saucer"), [("Where is the cup?", "on a saucer")]),
        (("relation", "ball", "in front of", "Big Ben"),
         [("Where is the ball?", "in front of Big Ben")]),
        (("relation", "American flag", "located", "behind her on the left"),
         [("Where is the American flag?", "behind her on the left")]),
        (("relation", "man", "looks through", "camera"),
         [("What does the man look through?", "camera")]),
        (("relation", "mortar joints", "lighter than", "bricks"),
         [("What are the mortar joints lighter than?", "bricks")]),
        (("text_in_image", "mission patch", "bears names", "Collins, Ashby"),
         [("What does the mission patch say?", "Collins, Ashby")]),
        (("text_in_image", "signs", "text", "STOP"), [("What do the signs say?", "STOP")]),
        (("scene", "setting", "is", "grassy field"),
         [("What kind of scene is this?", "grassy field")]),
        (("scene", "photo", "location", "a beach in Italy"),
         [("Where was this photo taken?", "a beach in Italy")]),
        (("scene", "background", "color", "black"), [("What color is the background?", "black")]),
        (("world_knowledge", "Eileen Collins", "occupation", "NASA astronaut"),
         [("What is the occupation of Eileen Collins?", "NASA astronaut")]),
        (("world_knowledge", "Eileen Collins", "born in", "Elmira, New York"),
         [("Where was Eileen Collins born?", "Elmira, New York")]),
        (("world_knowledge", "NASA", "founded", "1958"), [("When was NASA founded?", "1958")]),
        (("world_knowledge", "Hubble eXtreme Deep Field", "released", "September 2012"),
         [("When was Hubble eXtreme Deep Field released?", "September 2012")]),
        (("world_knowledge", "Eileen Collins", "commanded", "STS-114 (2005)"),
         [("What has Eileen Collins commanded?", "STS-114 (2005)")]),
        (("world_knowledge", "Falcon 9", "built by", "SpaceX"),
         [("What is Falcon 9 built by?", "SpaceX")]),
        (("world_knowledge", "brown stain", "reveals", "FHL2"),
         [("What does the brown stain reveal?", "FHL2")]),
        (("world_knowledge", "Space Shuttle", "components", "orbiter, external tank"),
         [("What are the components of Space Shuttle?", "orbiter, external tank")]),
        (("world_knowledge", "photograph", "photographer", "Lav Varshney"),
         [("What is the photographer of the photograph?", "Lav Varshney")]),
    ],
)  # fmt: skip
def test_one_template_family_per_kind(
    fact: tuple[str, str, str, str], expected: list[tuple[str, str]]
) -> None:
    assert pairs(*fact) == expected
    assert all(q.kind == fact[0] for q in questions_for_fact(*fact))


@pytest.mark.parametrize(
    ("kind", "fact", "question"),
    [
        ("attribute", ("dog", "color", "brown"), "What color is the dog?"),
        ("attribute", ("leaves", "color", "green"), "What color are the leaves?"),
        ("attribute", ("table", "material", "wood"), "What is the table made of?"),
        ("count", ("dogs", "count", "2"), "How many dogs are there?"),
        ("text_in_image", ("sign", "text", "STOP"), "What does the sign say?"),
        ("attribute", ("bird", "type", "heron"), "What type of bird is this?"),
        ("relation", ("cat", "location", "on the sofa"), "Where is the cat?"),
    ],
)
def test_questions_read_back_as_the_fact(
    kind: str, fact: tuple[str, str, str], question: str
) -> None:
    (generated,) = questions_for_fact(kind, *fact)
    assert generated.question == question
    read_back = fact_from_vqa(generated.question, generated.answer).as_triple()
    assert read_back == fact
    assert normalize_fact(*read_back) == normalize_fact(*fact)


def test_the_presence_question_reads_back_as_present_yes() -> None:
    first = questions_for_fact("object", "dog", "is", "Rex")[0]
    assert fact_from_vqa(first.question, first.answer).as_triple() == ("dog", "present", "yes")
    many = questions_for_fact("object", "lattice towers", "has", "lights")[0]
    assert fact_from_vqa(many.question, many.answer).as_triple() == (
        "lattice towers",
        "present",
        "yes",
    )


def test_a_singular_count_reads_back_with_the_plural_subject() -> None:
    (generated,) = questions_for_fact("count", "teaspoon", "count", "1")
    subject, predicate, value = fact_from_vqa(generated.question, generated.answer).as_triple()
    assert (subject, predicate, value) == ("teaspoons", "count", "1")
    assert words.lemmas(subject) == words.lemmas("teaspoon")


@pytest.mark.parametrize(
    "fact",
    [
        ("count", "dog", "count", "2"),
        ("count", "dogs", "count", "two"),
        ("attribute", "dogs", "color", "brown"),
        ("attribute", "dog", "colour", "brown"),
    ],
)
def test_a_caption_that_states_the_fact_supports_the_question(
    fact: tuple[str, str, str, str],
) -> None:
    (generated,) = questions_for_fact(*fact)
    assert supports("Two brown dogs", generated.question, generated.answer)
    assert not supports("Three black cats", generated.question, generated.answer)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("dog", "dogs"), ("box", "boxes"), ("person", "people"), ("Person", "People"),
        ("bus", "buses"), ("glass", "glasses"), ("city", "cities"), ("day", "days"),
        ("knife", "knives"), ("dish", "dishes"), ("dogs", "dogs"), ("people", "people"),
        ("children", "children"), ("sheep", "sheep"), ("glasses", "glasses"), ("3d", "3d"),
    ],
)  # fmt: skip
def test_plural_word(word: str, expected: str) -> None:
    assert plural_word(word) == expected


def test_plural_changes_the_head_word() -> None:
    assert plural("lattice tower") == "lattice towers"
    assert plural("cup of coffee") == "cups of coffee"
    assert is_plural("cups of coffee")
    assert not is_plural("cup of coffees")
    assert not is_plural("glass")


def test_questions_for_facts_drop_repeats_in_order() -> None:
    facts = [
        ("object", "cup", "contains", "coffee"),
        ("attribute", "cup", "color", "red"),
        ("object", "Cup", "material", "porcelain"),
        ("attribute", "cup", "colour", "red"),
        ("relation", "cup", "on", "saucer"),
    ]
    assert questions_for_facts(facts) == [
        GeneratedQuestion("Is there a cup in the image?", "yes", "object"),
        GeneratedQuestion("What color is the cup?", "red", "attribute"),
        GeneratedQuestion("What is the Cup made of?", "porcelain", "object"),
        GeneratedQuestion("What colour is the cup?", "red", "attribute"),
        GeneratedQuestion("Where is the cup?", "on the saucer", "relation"),
    ]
    assert questions_for_facts(facts) == questions_for_facts(list(facts))


def test_empty_parts_give_no_question_and_unknown_kinds_are_refused() -> None:
    assert questions_for_fact("object", " ", "is", "x") == []
    assert questions_for_fact("attribute", "cup", "color", "") == []
    with pytest.raises(ValueError, match="unknown fact kind 'colour'"):
        questions_for_fact("colour", "cup", "color", "red")
