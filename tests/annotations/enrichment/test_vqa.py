from __future__ import annotations

import pytest

from annotations.enrichment.vqa import VqaFact, fact_from_vqa, supports


@pytest.mark.parametrize(
    ("question", "answer", "fact"),
    [
        ("What color is the bus?", "Yellow", ("bus", "color", "Yellow")),
        ("what colour are the leaves", "green", ("leaves", "color", "green")),
        ("How many dogs are there?", "2", ("dogs", "count", "2")),
        ("How many people are in the photo?", "three", ("people", "count", "three")),
        ("Is there a cat in the image?", "No", ("cat", "present", "no")),
        ("Are there any boats?", "yes, two", ("boats", "present", "yes")),
        ("What does the sign say?", "STOP", ("sign", "text", "STOP")),
        ("What is written on the mug?", "I  love NY", ("mug", "text", "I love NY")),
        ("Where is the cat?", "on the sofa", ("cat", "location", "on the sofa")),
        ("What is the man doing?", "surfing", ("man", "action", "surfing")),
        ("What kind of bird is this?", "heron", ("bird", "type", "heron")),
        ("What is the table made of?", "wood", ("table", "material", "wood")),
        ("What is this?", "a rocket", ("image", "shows", "a rocket")),
        ("What animal is shown?", "zebra", ("image", "shows", "zebra")),
        ("What is the capital of France?", "Paris", ("capital of france", "is", "Paris")),
        ("Why is the man smiling?", "joke", ("why is the man smiling", "answer", "joke")),
    ],
)
def test_a_question_and_answer_state_one_fact(
    question: str, answer: str, fact: tuple[str, str, str]
) -> None:
    assert fact_from_vqa(question, answer) == VqaFact(*fact)


CAPTION = "Two brown dogs sleep on a red sofa next to a sign reading 'Open'. No cat is in sight."


@pytest.mark.parametrize(
    ("question", "answer", "supported"),
    [
        ("How many dogs are there?", "2", True),  # "two" and "2" are one number
        ("How many dogs are there?", "3", False),
        ("What color is the sofa?", "Red", True),
        ("What color is the sofa?", "blue", False),
        ("Is there a sofa?", "yes", True),  # every content word of the question is there
        ("Is there a lamp?", "yes", False),
        ("Is there a cat?", "no", True),  # a negation and the subject
        ("Is there a horse?", "no", False),  # no word of the horse at all
        ("Is the sofa blue?", "No, it is red", True),  # the explanation is in the caption
        ("Is the sofa blue?", "No, it is green", False),
        ("What does the sign say?", "open", True),
        ("What is the dog doing?", "sleeping", False),  # no stemming of verb forms
        ("What is this?", "the", False),  # an answer without content supports nothing
    ],
)
def test_support_of_an_answer(question: str, answer: str, supported: bool) -> None:
    assert supports(CAPTION, question, answer) is supported
