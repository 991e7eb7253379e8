from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from annotations.importers.coco import read_coco_captions
from annotations.importers.records import ImportRecord, RecordError
from tests.annotations.importers.files import real, touch, write_json


def _image(root: Path, relative: str, external_id: str, index: int, **changes: Any) -> ImportRecord:
    """The record of entry ``index`` without caption, facts, VQA or metadata, with ``changes``."""
    bare = ImportRecord(
        external_id=external_id,
        image_path=real(root / relative),
        caption=None,
        facts=(),
        vqa=(),
        metadata={},
        source=f"captions.json:images[{index}]",
    )
    return dataclasses.replace(bare, **changes)


def test_coco_reads_images_and_their_captions(tmp_path: Path) -> None:
    touch(tmp_path / "COCO_train2014_000000000009.jpg")
    # Not next to the JSON: found in its images/ subfolder.
    touch(tmp_path / "images" / "COCO_train2014_000000000025.jpg")
    touch(tmp_path / "COCO_train2014_000000000030.jpg")
    path = write_json(
        tmp_path / "captions.json",
        {
            "info": {"year": 2014},
            "images": [
                {
                    "id": 9,
                    "file_name": "COCO_train2014_000000000009.jpg",
                    "width": 640,
                    "height": 480,
                    "license": 3,
                },
                {"id": 25, "file_name": "COCO_train2014_000000000025.jpg"},
                {"id": "thirty", "file_name": "COCO_train2014_000000000030.jpg"},
            ],
            "annotations": [
                {"id": 67, "image_id": 9, "caption": "Bread and broccoli. "},
                {"id": 48, "image_id": 9, "caption": " A plate of food.\n"},
                {"image_id": 9, "caption": "No id, so after the others."},
                {"id": 120, "image_id": 25, "caption": "A giraffe eating leaves."},
                {"id": 3, "image_id": 9, "caption": "Lowest id: the caption."},
            ],
        },
    )

    assert list(read_coco_captions(path)) == [
        _image(
            tmp_path,
            "COCO_train2014_000000000009.jpg",
            "9",
            0,
            caption="Lowest id: the caption.",
            metadata={
                "coco": {"width": 640, "height": 480, "license": 3},
                "alternate_captions": [
                    "A plate of food.",
                    "Bread and broccoli.",
                    "No id, so after the others.",
                ],
            },
        ),
        _image(
            tmp_path,
            "images/COCO_train2014_000000000025.jpg",
            "25",
            1,
            caption="A giraffe eating leaves.",
        ),
        # No annotation: still an item, without a caption.
        _image(tmp_path, "COCO_train2014_000000000030.jpg", "thirty", 2),
    ]


def test_coco_prefers_the_file_next_to_the_json(tmp_path: Path) -> None:
    touch(tmp_path / "a.jpg")
    touch(tmp_path / "images" / "a.jpg")
    path = write_json(
        tmp_path / "captions.json",
        {"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": []},
    )

    assert list(read_coco_captions(path)) == [_image(tmp_path, "a.jpg", "1", 0)]


@pytest.mark.parametrize(
    ("file_name", "code", "message"),
    [
        (
            "../secret.jpg",
            "path_outside_root",
            "file_name: path '../secret.jpg' has a '..' segment",
        ),
        (
            "/etc/passwd",
            "path_outside_root",
            "file_name: path '/etc/passwd' is absolute; it must be relative",
        ),
        (
            "link.jpg",
            "path_outside_root",
            "file_name: path 'link.jpg' leads outside the import root through a symlink",
        ),
        # The images/ fallback is held to the same rule.
        (
            "only-linked.jpg",
            "path_outside_root",
            "file_name: path 'images/only-linked.jpg' leads outside the import root through a "
            "symlink",
        ),
        (
            "missing.jpg",
            "image_missing",
            "file_name 'missing.jpg' is not a file in the import folder or its images/ subfolder",
        ),
        (None, "invalid_record", "file_name must be a non-empty string, not null"),
    ],
)
def test_coco_confines_images_to_the_json_folder(
    tmp_path: Path, file_name: object, code: str, message: str
) -> None:
    touch(tmp_path / "secret.jpg")
    root = tmp_path / "coco"
    root.mkdir()
    (root / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    (root / "images").mkdir()
    (root / "images" / "only-linked.jpg").symlink_to(tmp_path / "secret.jpg")
    path = write_json(
        root / "captions.json",
        {
            "images": [{"id": 1, "file_name": file_name}],
            "annotations": [{"id": 1, "image_id": 1, "caption": "Hidden."}],
        },
    )

    assert list(read_coco_captions(path)) == [RecordError("captions.json:images[0]", code, message)]


def test_coco_reports_bad_annotations_and_still_imports_their_images(tmp_path: Path) -> None:
    touch(tmp_path / "a.jpg")
    path = write_json(
        tmp_path / "captions.json",
        {
            "images": [
                {"id": 1, "file_name": "a.jpg"},
                {"id": 1, "file_name": "a.jpg"},
                {"file_name": "a.jpg"},
                "a.jpg",
            ],
            "annotations": [
                {"id": 1, "image_id": 1, "caption": "Broken \u0000 caption."},
                {"id": 2, "image_id": 1, "caption": "   "},
                {"id": 3, "image_id": 1},
                {"id": 4, "image_id": 77, "caption": "For an image the file lacks."},
                {"id": 5, "caption": "No image id."},
                {"id": 6, "image_id": 1, "caption": "The good one."},
                [1, "caption"],
                {"id": 8, "image_id": 1, "caption": "\ud800"},
            ],
        },
    )

    assert list(read_coco_captions(path)) == [
        RecordError(
            "captions.json:annotations[0]",
            "invalid_text",
            "caption contains a NUL character at index 7",
        ),
        RecordError("captions.json:annotations[1]", "invalid_text", "caption is empty"),
        RecordError("captions.json:annotations[2]", "invalid_record", "caption is missing"),
        RecordError("captions.json:annotations[4]", "invalid_record", "image_id is missing"),
        RecordError(
            "captions.json:annotations[6]",
            "invalid_record",
            "an annotation must be an object, not array",
        ),
        RecordError(
            "captions.json:annotations[7]",
            "invalid_text",
            "caption contains a lone surrogate (U+D800), which is not valid Unicode at index 0",
        ),
        _image(tmp_path, "a.jpg", "1", 0, caption="The good one."),
        RecordError(
            "captions.json:images[1]", "invalid_record", "id '1' is used by an earlier image"
        ),
        RecordError("captions.json:images[2]", "invalid_record", "id is missing"),
        RecordError(
            "captions.json:images[3]", "invalid_record", "an image must be an object, not string"
        ),
        RecordError(
            "captions.json:annotations[3]",
            "invalid_record",
            "image_id '77' is not the id of any entry in 'images'",
        ),
    ]


def test_coco_refuses_an_instances_file(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "instances.json",
        {
            "images": [{"id": 1, "file_name": "a.jpg"}],
            "annotations": [{"id": 1, "image_id": 1, "bbox": [0, 0, 1, 1], "category_id": 3}],
            "categories": [{"id": 3, "name": "car"}],
        },
    )

    assert list(read_coco_captions(path)) == [
        RecordError(
            "instances.json",
            "unsupported_source",
            "no annotation has a 'caption' (an instances or keypoints file?); expected a COCO "
            "captions file: an object with 'images' and 'annotations' arrays",
        )
    ]


@pytest.mark.parametrize(
    ("document", "code", "message"),
    [
        (
            {"images": {}, "annotations": []},
            "invalid_record",
            "'images' must be an array, not object",
        ),
        (
            {"images": [], "annotations": None},
            "invalid_record",
            "'annotations' must be an array, not null",
        ),
        (
            [],
            "unsupported_source",
            "expected a COCO captions file: an object with 'images' and 'annotations' arrays",
        ),
    ],
)
def test_coco_refuses_files_of_the_wrong_shape(
    tmp_path: Path, document: object, code: str, message: str
) -> None:
    path = write_json(tmp_path / "captions.json", document)

    assert list(read_coco_captions(path)) == [RecordError("captions.json", code, message)]


def test_coco_reports_invalid_json_once(tmp_path: Path) -> None:
    path = tmp_path / "captions.json"
    path.write_text('{"images": [', "utf-8")

    assert list(read_coco_captions(path)) == [
        RecordError(
            "captions.json",
            "invalid_json",
            "invalid JSON: Expecting value at line 1 column 13",
        )
    ]
