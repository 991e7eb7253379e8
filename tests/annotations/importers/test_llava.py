from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from annotations.importers.llava import is_description_request, read_llava
from annotations.importers.records import ImportRecord, RecordError, VqaRecord
from tests.annotations.importers.files import real, touch, write_json


def _turns(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    turns: list[dict[str, str]] = []
    for question, answer in pairs:
        turns.append({"from": "human", "value": question})
        turns.append({"from": "gpt", "value": answer})
    return turns


def _record(
    root: Path, relative: str, external_id: str, index: int, **changes: Any
) -> ImportRecord:
    """The record of entry ``index`` without caption, facts, VQA or metadata, with ``changes``."""
    bare = ImportRecord(
        external_id=external_id,
        image_path=real(root / relative),
        caption=None,
        facts=(),
        vqa=(),
        metadata={},
        source=f"llava.json:[{index}]",
    )
    return dataclasses.replace(bare, **changes)


def test_llava_turns_a_description_request_into_the_caption(tmp_path: Path) -> None:
    touch(tmp_path / "coco" / "000000033471.jpg")
    touch(tmp_path / "images" / "ocr" / "sign.png")
    path = write_json(
        tmp_path / "llava.json",
        [
            {
                "id": "000000033471",
                "image": "coco/000000033471.jpg",
                "conversations": _turns(
                    ("<image>\nDescribe this image.", "  A bus parked by the curb.\n"),
                    ("What color is the bus?", "White and red."),
                    # A description request after the first pair stays a question.
                    ("Describe the image in detail.", "A long description."),
                ),
            },
            {
                # No id: derived from the image path as written (not the images/ fallback).
                "image": "./ocr/sign.png",
                "conversations": _turns(
                    ("What does the sign say?\n<image>", "STOP"),
                    ("Describe this image.", "A stop sign."),
                ),
                "model": "llava-v1.5",
            },
            {
                "id": 7,
                "image": "coco/000000033471.jpg",
                "conversations": [
                    {"from": "user", "value": "<image> What is happening in this picture?"},
                    {"from": "assistant", "value": "A bus waits at a stop."},
                ],
            },
            {"id": "no-turns", "image": "coco/000000033471.jpg", "conversations": []},
        ],
    )

    assert list(read_llava(path)) == [
        _record(
            tmp_path,
            "coco/000000033471.jpg",
            "000000033471",
            0,
            caption="A bus parked by the curb.",
            vqa=(
                VqaRecord("What color is the bus?", "White and red."),
                VqaRecord("Describe the image in detail.", "A long description."),
            ),
        ),
        _record(
            tmp_path,
            "images/ocr/sign.png",
            "ocr/sign.png",
            1,
            vqa=(
                VqaRecord("What does the sign say?", "STOP"),
                VqaRecord("Describe this image.", "A stop sign."),
            ),
            metadata={"llava": {"model": "llava-v1.5"}},
        ),
        _record(tmp_path, "coco/000000033471.jpg", "7", 2, caption="A bus waits at a stop."),
        _record(tmp_path, "coco/000000033471.jpg", "no-turns", 3),
    ]


@pytest.mark.parametrize(
    "question",
    [
        "Describe this image.",
        "describe the image",
        "Describe the image concisely.",
        "Describe the following image in detail",
        "Please describe the photo.",
        "Briefly describe the picture!",
        "Describe image",
        "Write a caption for this image.",
        "Provide a brief description of the given image.",
        "Give a short description of the picture",
        "Generate a detailed description.",
        "Write a caption",
        "Caption this image.",
        "Caption the photograph",
        "What is happening in this picture?",
        "What's shown in the photo?",
        "What\u2019s going on in this image?",
        "What is depicted in the image?",
        "What is in the photo?",
        "What do you see in this image?",
        "  DESCRIBE   THIS\n IMAGE .  ",
    ],
)
def test_description_requests_are_recognised(question: str) -> None:
    assert is_description_request(question)


@pytest.mark.parametrize(
    "question",
    [
        "What color is the bus?",
        "Describe the color of the car.",
        "What is the man holding in this image?",
        "Describe this image and count the people.",
        "What is shown on the sign in this image?",
        "How many people are in the photo?",
        "Is there a caption on the photo?",
        "Caption",
        "",
        "What is in the fridge?",
    ],
)
def test_questions_are_not_description_requests(question: str) -> None:
    assert not is_description_request(question)


@pytest.mark.parametrize(
    ("entry", "code", "message"),
    [
        (
            {"id": "t", "conversations": _turns(("Hello", "Hi"))},
            "invalid_record",
            "the entry has no 'image'; text-only conversations cannot be imported",
        ),
        (
            {"image": "../secret.jpg", "conversations": []},
            "path_outside_root",
            "image: path '../secret.jpg' has a '..' segment",
        ),
        (
            {"image": "/etc/passwd", "conversations": []},
            "path_outside_root",
            "image: path '/etc/passwd' is absolute; it must be relative",
        ),
        (
            {"image": "link.jpg", "conversations": []},
            "path_outside_root",
            "image: path 'link.jpg' leads outside the import root through a symlink",
        ),
        (
            {"image": ["a.jpg", "b.jpg"], "conversations": []},
            "invalid_record",
            "image must be a non-empty string, not array",
        ),
        (
            {"image": "a.jpg", "conversations": "hi"},
            "invalid_record",
            "conversations must be an array, not string",
        ),
        (
            {"image": "a.jpg", "conversations": [{"from": "gpt", "value": "Hi"}]},
            "invalid_record",
            "conversations[0].from must be a human turn (turns alternate human, gpt); got 'gpt'",
        ),
        (
            {
                "image": "a.jpg",
                "conversations": [
                    {"from": "human", "value": "Hi"},
                    {"from": "human", "value": "Hello?"},
                ],
            },
            "invalid_record",
            "conversations[1].from must be a gpt turn (turns alternate human, gpt); got 'human'",
        ),
        (
            {"image": "a.jpg", "conversations": [{"from": "system", "value": "Be brief."}]},
            "invalid_record",
            "conversations[0].from must be a human turn (turns alternate human, gpt); got 'system'",
        ),
        (
            {"image": "a.jpg", "conversations": [{"from": "human", "value": "<image>\nWhy?"}]},
            "invalid_record",
            "conversations[0] is a human turn that has no gpt answer",
        ),
        (
            {"image": "a.jpg", "conversations": [{"from": "human"}, {"from": "gpt", "value": "x"}]},
            "invalid_record",
            "conversations[0].value must be a string, not null",
        ),
        (
            {"image": "a.jpg", "conversations": _turns(("Describe this image.", "  "))},
            "invalid_vqa",
            "conversations[1].value is empty",
        ),
        (
            {"image": "a.jpg", "conversations": _turns(("<image>", "A bus."))},
            "invalid_vqa",
            "conversations[0].value is empty",
        ),
        (
            {"image": "a.jpg", "conversations": _turns(("Describe this image.", "A \x00 bus."))},
            "invalid_text",
            "conversations[1].value contains a NUL character at index 2",
        ),
        (
            {"image": "a.jpg", "conversations": _turns(("Why \ud800?", "Because."))},
            "invalid_text",
            "conversations[0].value contains a lone surrogate (U+D800), which is not valid "
            "Unicode at index 4",
        ),
        ("a.jpg", "invalid_record", "an entry must be an object, not string"),
    ],
)
def test_llava_reports_bad_entries_and_goes_on(
    tmp_path: Path, entry: object, code: str, message: str
) -> None:
    touch(tmp_path / "secret.jpg")
    root = tmp_path / "llava"
    touch(root / "a.jpg")
    (root / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    good = {"id": "good", "image": "a.jpg", "conversations": _turns(("Caption this image", "A."))}
    path = write_json(root / "llava.json", [entry, good])

    assert list(read_llava(path)) == [
        RecordError("llava.json:[0]", code, message),
        _record(root, "a.jpg", "good", 1, caption="A."),
    ]


def test_llava_refuses_a_list_of_something_else(tmp_path: Path) -> None:
    path = write_json(tmp_path / "llava.json", [{"image": "a.jpg", "text": "A."}])

    assert list(read_llava(path)) == [
        RecordError(
            "llava.json",
            "unsupported_source",
            "expected LLaVA conversations: an array of objects with 'image' and 'conversations'",
        )
    ]
