from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from annotations.importers import read_sources
from annotations.importers.formats import EXPECTED_JSON
from annotations.importers.records import ImportRecord, RecordError, VqaRecord
from tests.annotations.importers.files import line, real, touch, write_json, write_lines


def _write_every_format(tmp_path: Path) -> list[Path]:
    touch(tmp_path / "folder" / "a.jpg")
    touch(tmp_path / "jsonl" / "b.jpg")
    write_lines(
        tmp_path / "jsonl" / "data.JSONL",
        [line({"id": "b", "image": "b.jpg", "caption": "B."}), "{oops"],
    )
    touch(tmp_path / "coco" / "images" / "c.jpg")
    write_json(
        tmp_path / "coco" / "captions.json",
        {
            "images": [{"id": 3, "file_name": "c.jpg"}],
            "annotations": [{"id": 1, "image_id": 3, "caption": "C."}],
        },
    )
    touch(tmp_path / "llava" / "d.jpg")
    write_json(
        tmp_path / "llava" / "llava.json",
        [
            {
                "id": "d",
                "image": "d.jpg",
                "conversations": [
                    {"from": "human", "value": "<image>\nWhat is in the photo?"},
                    {"from": "gpt", "value": "D."},
                ],
            }
        ],
    )
    touch(tmp_path / "vqa" / "COCO_val2014_000000000005.jpg")
    write_json(
        tmp_path / "vqa" / "questions.json",
        {"questions": [{"image_id": 5, "question": "Five?", "question_id": 50}]},
    )
    write_json(
        tmp_path / "vqa" / "annotations.json",
        {"annotations": [{"question_id": 50, "image_id": 5, "multiple_choice_answer": "yes"}]},
    )
    return [
        # VQA files first and in reverse: their records still come last, paired.
        tmp_path / "vqa" / "annotations.json",
        tmp_path / "vqa" / "questions.json",
        tmp_path / "folder",
        tmp_path / "jsonl" / "data.JSONL",
        tmp_path / "coco" / "captions.json",
        tmp_path / "llava" / "llava.json",
    ]


def test_read_sources_dispatches_each_path_to_its_format(tmp_path: Path) -> None:
    paths = _write_every_format(tmp_path)

    results = list(read_sources(paths))

    assert results == [
        ImportRecord(
            "a.jpg", real(tmp_path / "folder" / "a.jpg"), None, (), (), {}, "folder/a.jpg"
        ),
        ImportRecord("b", real(tmp_path / "jsonl" / "b.jpg"), "B.", (), (), {}, "data.JSONL:1"),
        RecordError(
            "data.JSONL:2",
            "invalid_json",
            "invalid JSON on line 2: Expecting property name enclosed in double quotes at column 2",
        ),
        ImportRecord(
            "3",
            real(tmp_path / "coco" / "images" / "c.jpg"),
            "C.",
            (),
            (),
            {},
            "captions.json:images[0]",
        ),
        ImportRecord("d", real(tmp_path / "llava" / "d.jpg"), "D.", (), (), {}, "llava.json:[0]"),
        ImportRecord(
            "5",
            real(tmp_path / "vqa" / "COCO_val2014_000000000005.jpg"),
            None,
            (),
            (VqaRecord("Five?", "yes"),),
            {"vqa_v2": {"question_ids": [50]}},
            "questions.json:image_id=5",
        ),
    ]
    # The same files always give the same stream.
    assert list(read_sources(paths)) == results


def test_read_sources_reports_what_it_cannot_read_and_goes_on(tmp_path: Path) -> None:
    touch(tmp_path / "folder" / "a.jpg")
    (tmp_path / "notes.csv").write_text("id,caption\n", "utf-8")
    touch(tmp_path / "README")
    touch(tmp_path / "photo.jpg")
    write_json(tmp_path / "other.json", {"rows": []})
    write_json(tmp_path / "number.json", 42)
    (tmp_path / "broken.json").write_text("{", "utf-8")
    (tmp_path / "nan.json").write_text('{"images": [], "annotations": [], "x": Infinity}', "utf-8")

    results = list(
        read_sources(
            [
                tmp_path / "notes.csv",
                tmp_path / "README",
                tmp_path / "photo.jpg",
                tmp_path / "missing.jsonl",
                tmp_path / "other.json",
                tmp_path / "number.json",
                tmp_path / "broken.json",
                tmp_path / "nan.json",
                tmp_path / "folder",
            ]
        )
    )

    expected_source = (
        "expected a folder of images, a .jsonl file, or a .json file (COCO captions, LLaVA "
        "conversations, VQA v2 questions or annotations)"
    )
    assert results == [
        RecordError("notes.csv", "unsupported_source", f"{expected_source}; got a '.csv' file"),
        RecordError(
            "README", "unsupported_source", f"{expected_source}; got a file without a suffix"
        ),
        RecordError("photo.jpg", "unsupported_source", f"{expected_source}; got a '.jpg' file"),
        RecordError("missing.jsonl", "unreadable_source", "no such file or folder"),
        RecordError("other.json", "unsupported_source", EXPECTED_JSON),
        RecordError("number.json", "unsupported_source", EXPECTED_JSON),
        RecordError(
            "broken.json",
            "invalid_json",
            "invalid JSON: Expecting property name enclosed in double quotes at line 1 column 2",
        ),
        RecordError("nan.json", "invalid_json", "invalid JSON: Infinity is not valid JSON"),
        ImportRecord(
            "a.jpg", real(tmp_path / "folder" / "a.jpg"), None, (), (), {}, "folder/a.jpg"
        ),
    ]
    assert EXPECTED_JSON == (
        "expected COCO captions (an object with 'images' and 'annotations'), LLaVA conversations "
        "(an array of objects with 'image' and 'conversations'), a VQA v2 questions file (an "
        "object with 'questions') or a VQA v2 annotations file (an object with 'annotations')"
    )


def test_read_sources_with_nothing_yields_nothing() -> None:
    assert list(read_sources([])) == []


@pytest.mark.parametrize(
    "document",
    [
        # Nested past the recursion limit: refused as JSON, not a crash.
        "[" * 100_000 + "]" * 100_000,
        '{"images": [], "annotations": [], "n": 1' + "0" * 5000 + "}",
    ],
)
def test_read_sources_survives_hostile_json(tmp_path: Path, document: str) -> None:
    (tmp_path / "hostile.json").write_text(document, "utf-8")

    [result] = list(read_sources([tmp_path / "hostile.json"]))

    assert isinstance(result, RecordError)
    assert (result.source, result.code) == ("hostile.json", "invalid_json")


def test_importers_import_nothing_from_django() -> None:
    # A fresh interpreter: this test process has Django loaded by the suite's conftest.
    probe = (
        "import sys, annotations.importers; "
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[3],
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
