from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from annotations.importers import records
from annotations.importers.jsonl import read_jsonl
from annotations.importers.records import FactRecord, ImportRecord, RecordError, VqaRecord
from tests.annotations.importers.files import line, real, touch, write_lines, write_png

CAPTION = "The astronaut wears a white spacesuit."


def _record(tmp_path: Path, line_number: int, **changes: Any) -> ImportRecord:
    """A record from data.jsonl: the one a minimal line gives, with ``changes``."""
    minimal = ImportRecord(
        external_id="a",
        image_path=real(tmp_path / "images" / "a.jpg"),
        caption=None,
        facts=(),
        vqa=(),
        metadata={},
        source=f"data.jsonl:{line_number}",
    )
    return dataclasses.replace(minimal, **changes)


def _read(tmp_path: Path, lines: list[str]) -> list[ImportRecord | RecordError]:
    return list(read_jsonl(write_lines(tmp_path / "data.jsonl", lines)))


def test_jsonl_reads_every_field(tmp_path: Path) -> None:
    write_png(tmp_path / "images" / "astronaut.png")
    record = {
        "id": "astronaut",
        "image": "images/astronaut.png",
        "caption": CAPTION,
        "facts": [
            {
                "kind": "object",
                "subject": "astronaut",
                "predicate": "wears",
                "value": "white spacesuit",
                "span": [22, 37],
                "entity": "eileen-collins",
                "confidence": 0.9,
            },
            {"kind": "scene", "subject": "image", "predicate": "shows", "value": "space"},
            {
                "kind": "count",
                "subject": "astronaut",
                "predicate": "count",
                "value": "1",
                "confidence": 1,
            },
        ],
        "vqa": [{"question": " What is she wearing? ", "answer": "A spacesuit.\n"}],
        "metadata": {"license": "public domain", "tags": ["nasa", {"year": 1999}]},
        "ignored": "keys outside the format are ignored",
    }

    assert _read(tmp_path, [line(record)]) == [
        ImportRecord(
            external_id="astronaut",
            image_path=real(tmp_path / "images" / "astronaut.png"),
            caption=CAPTION,
            facts=(
                FactRecord(
                    kind="object",
                    subject="astronaut",
                    predicate="wears",
                    value="white spacesuit",
                    span=(22, 37),
                    entity_key="eileen-collins",
                    confidence=0.9,
                ),
                FactRecord(kind="scene", subject="image", predicate="shows", value="space"),
                FactRecord(
                    kind="count", subject="astronaut", predicate="count", value="1", confidence=1.0
                ),
            ),
            vqa=(VqaRecord(question="What is she wearing?", answer="A spacesuit."),),
            metadata={"license": "public domain", "tags": ["nasa", {"year": 1999}]},
            source="data.jsonl:1",
        )
    ]
    assert CAPTION[22:37] == "white spacesuit"


def test_jsonl_accepts_every_fact_kind(tmp_path: Path) -> None:
    touch(tmp_path / "images" / "a.jpg")
    facts = [
        {"kind": kind, "subject": "s", "predicate": "p", "value": "v"}
        for kind in sorted(records.FACT_KINDS)
    ]

    assert _read(
        tmp_path, [line({"id": "a", "image": "images/a.jpg", "caption": "c", "facts": facts})]
    ) == [
        _record(
            tmp_path,
            1,
            caption="c",
            facts=tuple(
                FactRecord(kind=kind, subject="s", predicate="p", value="v")
                for kind in sorted(records.FACT_KINDS)
            ),
        )
    ]


def test_jsonl_derives_missing_ids_from_the_image_path(tmp_path: Path) -> None:
    touch(tmp_path / "images" / "a.jpg")
    lines = [
        line({"image": "./images//a.jpg"}),
        line({"id": None, "image": "images/a.jpg"}),
        line({"id": "  ", "image": "images/a.jpg"}),
        line({"id": 42, "image": "images/a.jpg"}),
        line({"id": "0", "image": "images/a.jpg"}),
    ]

    assert _read(tmp_path, lines) == [
        _record(tmp_path, 1, external_id="images/a.jpg"),
        _record(tmp_path, 2, external_id="images/a.jpg"),
        _record(tmp_path, 3, external_id="images/a.jpg"),
        _record(tmp_path, 4, external_id="42"),
        _record(tmp_path, 5, external_id="0"),
    ]


def test_jsonl_keeps_captions_exactly_and_treats_blank_ones_as_none(tmp_path: Path) -> None:
    touch(tmp_path / "images" / "a.jpg")
    lines = [
        line({"id": "a", "image": "images/a.jpg", "caption": "  Spaced.  "}),
        line({"id": "a", "image": "images/a.jpg", "caption": " \n "}),
        line({"id": "a", "image": "images/a.jpg", "caption": None}),
        # A valid surrogate pair is one character (an emoji), not a lone surrogate.
        '{"id": "a", "image": "images/a.jpg", "caption": "Rocket \\ud83d\\ude80"}',
        line({"id": "a", "image": "images/a.jpg", "caption": "x" * records.MAX_CAPTION_CHARS}),
    ]

    assert _read(tmp_path, lines) == [
        _record(tmp_path, 1, caption="  Spaced.  "),
        _record(tmp_path, 2),
        _record(tmp_path, 3),
        _record(tmp_path, 4, caption="Rocket \U0001f680"),
        _record(tmp_path, 5, caption="x" * records.MAX_CAPTION_CHARS),
    ]


def test_jsonl_skips_blank_lines_and_counts_them_in_sources(tmp_path: Path) -> None:
    touch(tmp_path / "images" / "a.jpg")
    path = tmp_path / "data.jsonl"
    # A byte-order mark, CRLF line ends, blank and whitespace-only lines, no final newline.
    path.write_bytes(
        b"\xef\xbb\xbf"
        + line({"id": "a", "image": "images/a.jpg"}).encode()
        + b"\r\n\r\n   \n\t\n"
        + line({"id": "b", "image": "images/a.jpg"}).encode()
    )

    assert list(read_jsonl(path)) == [
        _record(tmp_path, 1),
        _record(tmp_path, 5, external_id="b"),
    ]


def test_jsonl_goes_on_after_a_malformed_line(tmp_path: Path) -> None:
    touch(tmp_path / "images" / "a.jpg")
    lines = [
        line({"id": "a", "image": "images/a.jpg"}),
        '{"id": "b", "image": ',
        "[1, 2]",
        '{"id": "c", "image": "images/a.jpg", "metadata": {"score": NaN}}',
        '"just a string"',
        line({"id": "d", "image": "images/a.jpg"}),
    ]

    assert _read(tmp_path, lines) == [
        _record(tmp_path, 1),
        RecordError(
            "data.jsonl:2",
            "invalid_json",
            "invalid JSON on line 2: Expecting value at column 22",
        ),
        RecordError("data.jsonl:3", "invalid_record", "a line must hold an object, not array"),
        RecordError(
            "data.jsonl:4", "invalid_json", "invalid JSON on line 4: NaN is not valid JSON"
        ),
        RecordError("data.jsonl:5", "invalid_record", "a line must hold an object, not string"),
        _record(tmp_path, 6, external_id="d"),
    ]


def test_jsonl_reports_a_line_that_is_not_utf8(tmp_path: Path) -> None:
    touch(tmp_path / "images" / "a.jpg")
    path = tmp_path / "data.jsonl"
    path.write_bytes(
        b'{"id": "a", "image": "images/a.jpg", "caption": "caf\xe9"}\n'
        + line({"id": "b", "image": "images/a.jpg"}).encode()
        + b"\n"
    )

    assert list(read_jsonl(path)) == [
        RecordError(
            "data.jsonl:1",
            "invalid_json",
            "invalid JSON on line 1: not UTF-8 (invalid continuation byte at byte 52)",
        ),
        _record(tmp_path, 2, external_id="b"),
    ]


def test_jsonl_refuses_an_overlong_line_without_parsing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(tmp_path / "images" / "a.jpg")
    monkeypatch.setattr(records, "MAX_RECORD_BYTES", 64)
    fits = line({"id": "a", "image": "images/a.jpg", "caption": "x" * 10})
    assert len(fits) + 1 <= 64

    assert _read(tmp_path, [fits, line({"caption": "x" * 500}), fits]) == [
        _record(tmp_path, 1, caption="x" * 10),
        RecordError("data.jsonl:2", "record_too_large", "line 2 is longer than 64 bytes"),
        _record(tmp_path, 3, caption="x" * 10),
    ]


@pytest.mark.parametrize(
    ("caption_json", "error"),
    [
        (
            '"Hello\\u0000world"',
            RecordError(
                "data.jsonl:1", "invalid_text", "caption contains a NUL character at index 5"
            ),
        ),
        (
            '"broken \\ud800 text"',
            RecordError(
                "data.jsonl:1",
                "invalid_text",
                "caption contains a lone surrogate (U+D800), which is not valid Unicode at index 7",
            ),
        ),
        (
            '"low \\udc00"',
            RecordError(
                "data.jsonl:1",
                "invalid_text",
                "caption contains a lone surrogate (U+DC00), which is not valid Unicode at index 4",
            ),
        ),
        (
            f'"{"x" * (records.MAX_CAPTION_CHARS + 1)}"',
            RecordError(
                "data.jsonl:1", "text_too_long", "caption has 20001 characters; the limit is 20000"
            ),
        ),
        (
            "42",
            RecordError(
                "data.jsonl:1", "invalid_record", "caption must be a string or null, not number"
            ),
        ),
    ],
)
def test_jsonl_refuses_captions_that_cannot_be_stored(
    tmp_path: Path, caption_json: str, error: RecordError
) -> None:
    touch(tmp_path / "images" / "a.jpg")

    assert _read(tmp_path, [f'{{"image": "images/a.jpg", "caption": {caption_json}}}']) == [error]


def _fact(**overrides: object) -> dict[str, object]:
    fact: dict[str, object] = {
        "kind": "object",
        "subject": "astronaut",
        "predicate": "wears",
        "value": "white spacesuit",
    }
    fact.update(overrides)
    return fact


@pytest.mark.parametrize(
    ("fact", "code", "message"),
    [
        (
            _fact(kind="animal"),
            "invalid_fact",
            "facts[0].kind must be one of attribute, count, object, relation, scene, "
            "text_in_image, world_knowledge; got 'animal'",
        ),
        (
            _fact(kind="text-in-image"),
            "invalid_fact",
            "facts[0].kind must be one of attribute, count, object, relation, scene, "
            "text_in_image, world_knowledge; got 'text-in-image'",
        ),
        (
            _fact(kind=None),
            "invalid_fact",
            "facts[0].kind must be one of attribute, count, object, relation, scene, "
            "text_in_image, world_knowledge; got null",
        ),
        (
            _fact(span=[22, 39]),
            "invalid_span",
            "facts[0].span [22, 39] must satisfy "
            "0 <= start < end <= 38 (the caption's length in characters)",
        ),
        (
            _fact(span=[5, 5]),
            "invalid_span",
            "facts[0].span [5, 5] must satisfy "
            "0 <= start < end <= 38 (the caption's length in characters)",
        ),
        (
            _fact(span=[-1, 3]),
            "invalid_span",
            "facts[0].span [-1, 3] must satisfy "
            "0 <= start < end <= 38 (the caption's length in characters)",
        ),
        (
            _fact(span=[30, 20]),
            "invalid_span",
            "facts[0].span [30, 20] must satisfy "
            "0 <= start < end <= 38 (the caption's length in characters)",
        ),
        (_fact(span=[1, 2, 3]), "invalid_span", "facts[0].span must be [start, end], two integers"),
        (_fact(span=[True, 3]), "invalid_span", "facts[0].span must be [start, end], two integers"),
        (_fact(span=[1.0, 3]), "invalid_span", "facts[0].span must be [start, end], two integers"),
        (_fact(span="4-13"), "invalid_span", "facts[0].span must be [start, end], two integers"),
        (_fact(confidence=1.5), "invalid_fact", "facts[0].confidence must be a number from 0 to 1"),
        (
            _fact(confidence=True),
            "invalid_fact",
            "facts[0].confidence must be a number from 0 to 1",
        ),
        (
            _fact(confidence="high"),
            "invalid_fact",
            "facts[0].confidence must be a number from 0 to 1",
        ),
        (_fact(subject=7), "invalid_fact", "facts[0].subject must be a string, not number"),
        (_fact(subject=" "), "invalid_fact", "facts[0].subject is empty"),
        (
            {"kind": "object", "subject": "a", "value": "b"},
            "invalid_fact",
            "facts[0].predicate must be a string, not null",
        ),
        (
            _fact(value="white\x00suit"),
            "invalid_text",
            "facts[0].value contains a NUL character at index 5",
        ),
        (_fact(entity=""), "invalid_fact", "facts[0].entity must be a non-empty string or null"),
        (_fact(entity=5), "invalid_fact", "facts[0].entity must be a non-empty string or null"),
        ("astronaut", "invalid_fact", "facts[0] must be an object, not string"),
    ],
)
def test_jsonl_refuses_invalid_facts(tmp_path: Path, fact: object, code: str, message: str) -> None:
    touch(tmp_path / "images" / "a.jpg")
    record = {"image": "images/a.jpg", "caption": CAPTION, "facts": [fact]}

    assert _read(tmp_path, [line(record)]) == [RecordError("data.jsonl:1", code, message)]


def test_jsonl_spans_count_code_points(tmp_path: Path) -> None:
    touch(tmp_path / "images" / "a.jpg")
    # "🚀" is one code point (two UTF-16 units): the span [0, 1] is the whole rocket.
    record = {
        "id": "a",
        "image": "images/a.jpg",
        "caption": "🚀 launch",
        "facts": [_fact(subject="rocket", span=[0, 1]), _fact(span=[2, 8])],
    }

    assert _read(tmp_path, [line(record)]) == [
        _record(
            tmp_path,
            1,
            caption="🚀 launch",
            facts=(
                FactRecord("object", "rocket", "wears", "white spacesuit", span=(0, 1)),
                FactRecord("object", "astronaut", "wears", "white spacesuit", span=(2, 8)),
            ),
        )
    ]


def test_jsonl_refuses_facts_without_a_caption(tmp_path: Path) -> None:
    touch(tmp_path / "images" / "a.jpg")

    assert _read(tmp_path, [line({"image": "images/a.jpg", "facts": [_fact()]})]) == [
        RecordError(
            "data.jsonl:1",
            "invalid_fact",
            "facts need a caption to attach to; this record has none",
        )
    ]


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"vqa": [{"question": "Why?", "answer": " "}]}, "invalid_vqa", "vqa[0].answer is empty"),
        (
            {"vqa": [{"question": 3, "answer": "x"}]},
            "invalid_vqa",
            "vqa[0].question must be a string, not number",
        ),
        (
            {"vqa": [{"question": "a\x00", "answer": "x"}]},
            "invalid_text",
            "vqa[0].question contains a NUL character at index 1",
        ),
        ({"vqa": ["Why?"]}, "invalid_vqa", "vqa[0] must be an object, not string"),
        ({"vqa": {"question": "Why?"}}, "invalid_record", "vqa must be an array, not object"),
        ({"facts": "none"}, "invalid_record", "facts must be an array, not string"),
        ({"metadata": [1]}, "invalid_record", "metadata must be an object, not array"),
        (
            {"metadata": {"a": [{"b": "x\x00"}]}},
            "invalid_text",
            "metadata.a[0].b contains a NUL character at index 1",
        ),
        (
            {"metadata": {"bad\ud800key": 1}},
            "invalid_text",
            "metadata key contains a lone surrogate (U+D800), which is not valid Unicode "
            "at index 3",
        ),
        ({"id": True}, "invalid_record", "id must be a string or an integer, not boolean"),
        ({"id": 1.5}, "invalid_record", "id must be a string or an integer, not number"),
        ({"id": "x" * 1025}, "text_too_long", "id has 1025 characters; the limit is 1024"),
    ],
)
def test_jsonl_refuses_invalid_fields(
    tmp_path: Path, fields: dict[str, object], code: str, message: str
) -> None:
    touch(tmp_path / "images" / "a.jpg")

    assert _read(tmp_path, [line({"image": "images/a.jpg", **fields})]) == [
        RecordError("data.jsonl:1", code, message)
    ]


@pytest.mark.parametrize(
    ("image", "code", "message"),
    [
        ("../secret.jpg", "path_outside_root", "image: path '../secret.jpg' has a '..' segment"),
        (
            "images/../../secret.jpg",
            "path_outside_root",
            "image: path 'images/../../secret.jpg' has a '..' segment",
        ),
        (
            "/etc/passwd",
            "path_outside_root",
            "image: path '/etc/passwd' is absolute; it must be relative",
        ),
        (
            "..\\secret.jpg",
            "path_outside_root",
            "image: path '..\\\\secret.jpg' contains a backslash; use '/'",
        ),
        (
            "images/link.jpg",
            "path_outside_root",
            "image: path 'images/link.jpg' leads outside the import root through a symlink",
        ),
        (
            "images/missing.jpg",
            "image_missing",
            "image 'images/missing.jpg' is not a file in the import folder",
        ),
        ("images", "image_missing", "image 'images' is not a file in the import folder"),
        ("images/a\x00.jpg", "invalid_text", "image contains a NUL character at index 8"),
        ("", "invalid_record", "image must be a non-empty string, not an empty string"),
        (None, "invalid_record", "image must be a non-empty string, not null"),
        (["images/a.jpg"], "invalid_record", "image must be a non-empty string, not array"),
    ],
)
def test_jsonl_confines_images_to_the_jsonl_folder(
    tmp_path: Path, image: object, code: str, message: str
) -> None:
    touch(tmp_path / "secret.jpg")
    touch(tmp_path / "root" / "images" / "a.jpg")
    (tmp_path / "root" / "images" / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    path = write_lines(tmp_path / "root" / "data.jsonl", [line({"id": "x", "image": image})])

    assert list(read_jsonl(path)) == [RecordError("data.jsonl:1", code, message)]


def test_jsonl_has_no_images_subfolder_fallback(tmp_path: Path) -> None:
    touch(tmp_path / "images" / "a.jpg")

    assert _read(tmp_path, [line({"image": "a.jpg"})]) == [
        RecordError(
            "data.jsonl:1", "image_missing", "image 'a.jpg' is not a file in the import folder"
        )
    ]


def test_jsonl_reports_a_file_that_cannot_be_opened(tmp_path: Path) -> None:
    assert list(read_jsonl(tmp_path / "missing.jsonl")) == [
        RecordError("missing.jsonl", "unreadable_source", "cannot open: No such file or directory")
    ]


def test_jsonl_yields_each_line_before_the_next_is_written(tmp_path: Path) -> None:
    # Through a pipe, the second line is written only after the first record came out; a
    # reader that loaded the whole file first would get nothing until the writer gave up.
    touch(tmp_path / "images" / "a.jpg")
    pipe = tmp_path / "data.jsonl"
    os.mkfifo(pipe)
    first_consumed = threading.Event()
    waited: list[bool] = []

    def write() -> None:
        with pipe.open("wb") as writer:
            writer.write(line({"id": "a", "image": "images/a.jpg"}).encode() + b"\n")
            writer.flush()
            waited.append(first_consumed.wait(timeout=10))
            writer.write(line({"id": "b", "image": "images/a.jpg"}).encode() + b"\n")

    writer_thread = threading.Thread(target=write)
    writer_thread.start()
    try:
        results = read_jsonl(pipe)
        first = next(results)
        first_consumed.set()
        rest = list(results)
    finally:
        first_consumed.set()
        writer_thread.join()

    assert waited == [True]
    assert [first, *rest] == [_record(tmp_path, 1), _record(tmp_path, 2, external_id="b")]
