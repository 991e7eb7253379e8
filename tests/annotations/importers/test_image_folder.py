from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from annotations.importers import records
from annotations.importers.image_folder import read_image_folder
from annotations.importers.records import FactRecord, ImportRecord, RecordError, VqaRecord
from tests.annotations.importers.files import real, touch, write_json, write_png


def _record(folder: Path, relative: str, **changes: Any) -> ImportRecord:
    """The record of an image without sidecars, with ``changes``."""
    bare = ImportRecord(
        external_id=relative,
        image_path=real(folder / relative),
        caption=None,
        facts=(),
        vqa=(),
        metadata={},
        source=f"{folder.name}/{relative}",
    )
    return dataclasses.replace(bare, **changes)


def test_folder_reads_images_with_their_sidecars(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    write_png(folder / "astronaut.png")
    (folder / "astronaut.txt").write_text("\ufeff  An astronaut on a spacewalk.\n", "utf-8")
    touch(folder / "beach" / "dog.JPG")
    write_json(
        folder / "beach" / "dog.json",
        {
            "id": "dog-1",
            "caption": "A dog on the sand.",
            "facts": [
                {
                    "kind": "object",
                    "subject": "dog",
                    "predicate": "on",
                    "value": "sand",
                    "span": [2, 5],
                }
            ],
            "vqa": [{"question": "Where is the dog?", "answer": "On the beach."}],
            "metadata": {"photographer": "ada"},
            "image": "ignored.jpg",
        },
    )
    touch(folder / "beach" / "cat.webp")
    touch(folder / "beach" / "bird.jpeg")
    touch(folder / "beach" / "anim.gif")

    assert list(read_image_folder(folder)) == [
        _record(folder, "astronaut.png", caption="An astronaut on a spacewalk."),
        _record(folder, "beach/anim.gif"),
        _record(folder, "beach/bird.jpeg"),
        _record(folder, "beach/cat.webp"),
        _record(
            folder,
            "beach/dog.JPG",
            external_id="dog-1",
            caption="A dog on the sand.",
            facts=(FactRecord("object", "dog", "on", "sand", span=(2, 5)),),
            vqa=(VqaRecord("Where is the dog?", "On the beach."),),
            metadata={"photographer": "ada"},
        ),
    ]


def test_folder_order_is_images_by_name_then_subfolders_depth_first(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    # Created out of order; listing order must not matter.
    for relative in [
        "z.jpg",
        "b/2.jpg",
        "a/y/1.jpg",
        "a.jpg",
        "a/x.jpg",
        "a/b.jpg",
        "B.jpg",
        "a/y/0.jpg",
        "b/1.jpg",
    ]:
        touch(folder / relative)

    sources = [result.source for result in read_image_folder(folder)]

    assert sources == [
        "photos/B.jpg",
        "photos/a.jpg",
        "photos/z.jpg",
        "photos/a/b.jpg",
        "photos/a/x.jpg",
        "photos/a/y/0.jpg",
        "photos/a/y/1.jpg",
        "photos/b/1.jpg",
        "photos/b/2.jpg",
    ]
    assert [result.source for result in read_image_folder(folder)] == sources


def test_folder_ignores_other_files_and_hidden_names(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    touch(folder / "a.jpg")
    touch(folder / "notes.txt")
    touch(folder / "data.json")
    touch(folder / "vector.svg")
    touch(folder / "archive.jpg.zip")
    touch(folder / "._a.jpg")
    touch(folder / ".git" / "b.jpg")
    touch(folder / ".thumbnails" / "c.png")

    assert list(read_image_folder(folder)) == [_record(folder, "a.jpg")]


def test_folder_gives_caption_none_without_a_sidecar(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    touch(folder / "a.jpg")
    touch(folder / "b.png")
    # An empty text sidecar is no caption either.
    touch(folder / "b.txt")

    assert list(read_image_folder(folder)) == [
        _record(folder, "a.jpg"),
        _record(folder, "b.png"),
    ]


def test_folder_uses_the_text_sidecar_when_the_json_one_has_no_caption(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    for name in ("a", "b"):
        touch(folder / f"{name}.jpg")
        (folder / f"{name}.txt").write_text(f"Caption from {name}.txt", "utf-8")
    # As img2dataset writes them: a caption and keys outside the format.
    write_json(folder / "a.json", {"key": "000001", "caption": "Caption from a.json", "url": "x"})
    write_json(
        folder / "b.json",
        {
            "facts": [
                {
                    "kind": "scene",
                    "subject": "image",
                    "predicate": "is",
                    "value": "b",
                    "span": [13, 18],
                }
            ]
        },
    )

    assert list(read_image_folder(folder)) == [
        _record(folder, "a.jpg", caption="Caption from a.json"),
        _record(
            folder,
            "b.jpg",
            caption="Caption from b.txt",
            facts=(FactRecord("scene", "image", "is", "b", span=(13, 18)),),
        ),
    ]


def test_folder_shares_sidecars_between_images_of_one_stem(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    touch(folder / "a.jpg")
    touch(folder / "a.png")
    (folder / "a.txt").write_text("Shared.", "utf-8")

    assert list(read_image_folder(folder)) == [
        _record(folder, "a.jpg", caption="Shared."),
        _record(folder, "a.png", caption="Shared."),
    ]


@pytest.mark.parametrize(
    ("sidecar_name", "content", "code", "message"),
    [
        (
            "a.json",
            b'{"caption": ',
            "invalid_json",
            "a.json: invalid JSON: Expecting value at line 1 column 13",
        ),
        ("a.json", b'["A caption."]', "invalid_record", "a.json: must hold an object, not array"),
        (
            "a.json",
            b'{"caption": "x", "facts": [{"kind": "colour"}]}',
            "invalid_fact",
            "a.json: facts[0].kind must be one of attribute, count, object, relation, scene, "
            "text_in_image, world_knowledge; got 'colour'",
        ),
        (
            "a.txt",
            b"caf\xe9",
            "invalid_text",
            "a.txt: is not UTF-8 text (unexpected end of data)",
        ),
        (
            "a.txt",
            b"Hello\x00world",
            "invalid_text",
            "a.txt: caption contains a NUL character at index 5",
        ),
        (
            "a.txt",
            b"x" * 20_001,
            "text_too_long",
            "a.txt: caption has 20001 characters; the limit is 20000",
        ),
    ],
)
def test_folder_reports_bad_sidecars_on_their_image(
    tmp_path: Path, sidecar_name: str, content: bytes, code: str, message: str
) -> None:
    folder = tmp_path / "photos"
    touch(folder / "a.jpg")
    (folder / sidecar_name).write_bytes(content)
    touch(folder / "b.jpg")

    assert list(read_image_folder(folder)) == [
        RecordError("photos/a.jpg", code, message),
        _record(folder, "b.jpg"),
    ]


def test_folder_refuses_an_oversized_json_sidecar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "MAX_RECORD_BYTES", 32)
    folder = tmp_path / "photos"
    touch(folder / "a.jpg")
    (folder / "a.json").write_text(json.dumps({"caption": "x" * 100}), "utf-8")

    assert list(read_image_folder(folder)) == [
        RecordError("photos/a.jpg", "record_too_large", "a.json: is larger than 32 bytes")
    ]


def test_folder_refuses_symlinks_that_lead_outside(tmp_path: Path) -> None:
    touch(tmp_path / "secret.jpg")
    (tmp_path / "secret.txt").write_text("Contents of a file outside the folder.", "utf-8")
    touch(tmp_path / "elsewhere" / "c.jpg")
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").symlink_to(tmp_path / "secret.jpg")
    touch(folder / "b.jpg")
    (folder / "b.txt").symlink_to(tmp_path / "secret.txt")
    (folder / "linked-folder").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (folder / "dangling.jpg").symlink_to(folder / "gone.jpg")
    touch(folder / "originals" / "d.jpg")
    (folder / "d-link.jpg").symlink_to(folder / "originals" / "d.jpg")

    assert list(read_image_folder(folder)) == [
        RecordError(
            "photos/a.jpg",
            "path_outside_root",
            "image: path 'a.jpg' leads outside the import root through a symlink",
        ),
        RecordError(
            "photos/b.jpg",
            "path_outside_root",
            "sidecar: path 'b.txt' leads outside the import root through a symlink",
        ),
        # A symlink inside the folder is followed: the record has the real path.
        _record(folder, "d-link.jpg", image_path=real(folder / "originals" / "d.jpg")),
        RecordError(
            "photos/dangling.jpg",
            "image_missing",
            "image 'dangling.jpg' is not a file in the import folder",
        ),
        # linked-folder is not entered.
        _record(folder, "originals/d.jpg"),
    ]


def test_folder_reports_names_that_are_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "caf\udce9.jpg").write_bytes(b"")

    assert list(read_image_folder(folder)) == [
        RecordError(
            "photos/caf\\udce9.jpg",
            "invalid_text",
            "image contains a lone surrogate (U+DCE9), which is not valid Unicode at index 3",
        )
    ]


def test_folder_given_through_a_symlink_is_read_at_its_real_place(tmp_path: Path) -> None:
    touch(tmp_path / "photos" / "a.jpg")
    (tmp_path / "link").symlink_to(tmp_path / "photos", target_is_directory=True)

    assert list(read_image_folder(tmp_path / "link")) == [
        _record(tmp_path / "photos", "a.jpg", source="link/a.jpg")
    ]
